// Kernels: published check values, the empirical NTK of a wide random network, Gram matrices
// (symmetry, PSD, agreement with pairwise evaluation, matrix-free products), the pair kernel.
#include "test_data.hpp"

#include <cimpute/kernels.hpp>

#include <Eigen/Eigenvalues>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using cimpute::NngpKernel;
using cimpute::NtkKernel;

namespace {
double rel_err(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}
} // namespace

TEST_CASE("NTK: check values on the unit sphere (40-digit reference)", "[kernels][ntk]") {
  // ../shared/reference/ntk_completion.md, "Check values": Theta_L(rho) for L = 1, 2, 3, 5.
  const double rho[] = {0, 0.5, 0.9, -1, 0.999999};
  const int depth[] = {1, 2, 3, 5};
  const double expected[5][4] = {
      {0.3183098861837907, 0.6857086362829425, 1.060388106802583, 1.792195966844593},
      {0.9423311143775627, 1.351479561123483, 1.737844679215309, 2.462893132458021},
      {1.680328735028836, 2.368813662718265, 2.985693187374714, 4.060894740611367},
      {0, 0.3183098861837907, 0.6857086362829425, 1.430390497210367},
      {1.999547842554672, 2.998646865380489, 3.997296405889922, 5.993248388091433}};
  for (int r = 0; r < 5; ++r)
    for (int l = 0; l < 4; ++l) {
      INFO("rho " << rho[r] << ", L " << depth[l]);
      const NtkKernel<double> k(depth[l]);
      const double got = k.on_sphere(rho[r]);
      if (expected[r][l] == 0)
        CHECK(std::abs(got) < 1e-15);
      else
        CHECK(rel_err(got, expected[r][l]) < 1e-12);
      // The general path on unit vectors agrees with the sphere path.
      const Eigen::Vector2d x(1, 0), y(rho[r], std::sqrt((1 - rho[r]) * (1 + rho[r])));
      if (expected[r][l] != 0) CHECK(rel_err(k(x, y), expected[r][l]) < 1e-12);
    }
  CHECK(NtkKernel<double>(1).on_sphere(1.0) == Approx(2.0).epsilon(1e-15));
  CHECK(NtkKernel<double>(4).on_sphere(1.0) == Approx(5.0).epsilon(1e-15)); // diagonal L + 1
}

TEST_CASE("NTK: check values with bias", "[kernels][ntk]") {
  const Eigen::Vector3d x(1, 2, 0.5), y(-0.3, 1, 2);
  CHECK(rel_err(NtkKernel<double>(1, 0.0)(x, y), 5.047795816024248) < 1e-12);
  CHECK(rel_err(NtkKernel<double>(1, 0.5)(x, y), 5.728081734160708) < 1e-12);
  CHECK(rel_err(NtkKernel<double>(2, 0.5)(x, y), 8.479746617162319) < 1e-12);
  CHECK(rel_err(NtkKernel<double>(3, 1.0)(x, y), 17.551413423395) < 1e-12);
}

TEST_CASE("NTK / NNGP: homogeneity, zero vectors, bad parameters", "[kernels][ntk]") {
  const Eigen::Vector3d x(1, 2, 0.5), y(-0.3, 1, 2);
  for (int L : {1, 3}) {
    const NtkKernel<double> k(L);
    const NngpKernel<double> g(L);
    CHECK(rel_err(k(3.0 * x, 0.5 * y), 1.5 * k(x, y)) < 1e-13);
    CHECK(rel_err(g(3.0 * x, 0.5 * y), 1.5 * g(x, y)) < 1e-13);
    CHECK(k(Eigen::Vector3d::Zero(), y) == 0.0);
    CHECK(g(Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()) == 0.0);
    CHECK(g(x, x) == Approx(x.squaredNorm()).epsilon(1e-14)); // Sigma_L(x, x) = |x|^2
  }
  // With bias a zero vector is an ordinary input: Sigma_0 = beta^2.
  const NtkKernel<double> kb(2, 0.5);
  CHECK(std::isfinite(kb(Eigen::Vector3d::Zero(), y)));
  CHECK(kb(Eigen::Vector3d::Zero(), y) > 0);
  CHECK_THROWS_WITH(NtkKernel<double>(0), Catch::Contains("depth must be >= 1"));
  CHECK_THROWS_WITH(NtkKernel<double>(1, -0.1), Catch::Contains("bias"));
  CHECK_THROWS_AS(NngpKernel<double>(1, std::nan("")), cimpute::invalid_argument);
  const Eigen::VectorXd x3 = x, y2 = Eigen::Vector2d(1, 2);
  CHECK_THROWS_AS(NtkKernel<double>(1)(x3, y2), cimpute::invalid_argument);
}

TEST_CASE("NTK: the empirical NTK of a wide random ReLU network converges to the formula",
          "[kernels][ntk]") {
  // One hidden layer, NTK parametrisation, sqrt(2) ReLU: f(x) = sqrt(2/m) sum_k v_k relu(w_k.x +
  // beta b_k) + beta b_out. Its parameter-gradient inner product averages to Theta_1.
  const unsigned seed = 2024;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  const int m = 200000, d = 4;
  Eigen::MatrixXd W(m, d);
  Eigen::VectorXd v(m), b(m);
  for (int k = 0; k < m; ++k) {
    for (int j = 0; j < d; ++j) W(k, j) = n01(rng);
    v[k] = n01(rng);
    b[k] = n01(rng);
  }
  const Eigen::Vector4d x(0.3, -1.2, 0.8, 0.5), y(1.0, 0.4, -0.2, 0.9);
  for (double beta : {0.0, 0.7}) {
    INFO("beta " << beta);
    const Eigen::ArrayXd ax = (W * x).array() + beta * b.array(),
                         ay = (W * y).array() + beta * b.array();
    const double relu = (ax.max(0) * ay.max(0)).sum();
    const double gate =
        (v.array().square() * (ax > 0).cast<double>() * (ay > 0).cast<double>()).sum();
    const double empirical = 2.0 / m * (relu + gate * (x.dot(y) + beta * beta)) + beta * beta;
    CHECK(rel_err(empirical, NtkKernel<double>(1, beta)(x, y)) < 2e-2);
  }
}

TEMPLATE_TEST_CASE("gram: symmetric, PSD, equal to pairwise evaluation", "[kernels][gram]", float,
                   double) {
  const unsigned seed = 7;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::normal_distribution<TestType> n01(0, 1);
  Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic> X(60, 9), Y(17, 9);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = n01(rng);
  for (Eigen::Index i = 0; i < Y.size(); ++i) Y(i) = n01(rng);
  X.row(3).setZero(); // a zero vector
  const TestType tol = cimpute_test::tol<TestType>(1000);
  auto check_kernel = [&](const auto& k) {
    const auto K = cimpute::gram(k, X);
    CHECK(K.rows() == 60);
    CHECK((K - K.transpose()).cwiseAbs().maxCoeff() == TestType(0));
    for (Eigen::Index i = 0; i < X.rows(); i += 7)
      for (Eigen::Index j = 0; j < X.rows(); j += 5)
        CHECK(std::abs(K(i, j) - k(X.row(i), X.row(j))) <=
              tol * std::max(TestType(1), std::abs(K(i, j))));
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic> Kd = K.template cast<double>();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(Kd);
    CHECK(es.eigenvalues().minCoeff() >= -1e-10 * Kd.trace() / 60 - 10 * double(tol) * Kd.trace());
    const auto C = cimpute::gram(k, X, Y);
    CHECK(C.rows() == 60);
    CHECK(C.cols() == 17);
    CHECK(std::abs(C(5, 11) - k(X.row(5), Y.row(11))) <=
          tol * std::max(TestType(1), std::abs(C(5, 11))));
    // Matrix-free products equal the dense ones, for any block size.
    Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic> V(17, 3);
    for (Eigen::Index i = 0; i < V.size(); ++i) V(i) = n01(rng);
    for (Eigen::Index block : {1, 7, 100}) {
      const auto P = cimpute::gram_product(k, X, Y, V, block);
      const Eigen::Matrix<TestType, Eigen::Dynamic, Eigen::Dynamic> D = C * V;
      CHECK((P - D).cwiseAbs().maxCoeff() <= tol * (TestType(1) + D.cwiseAbs().maxCoeff()));
    }
  };
  check_kernel(NtkKernel<TestType>(2));
  check_kernel(NtkKernel<TestType>(3, TestType(0.5)));
  check_kernel(NngpKernel<TestType>(2, TestType(0.2)));
  check_kernel(cimpute::LaplaceKernel<TestType>(TestType(2)));
  check_kernel(cimpute::GaussianKernel<TestType>(TestType(1.5)));
  // The exact diagonal: L + 1 times |x|^2 for the bias-free NTK.
  const auto K = cimpute::gram(NtkKernel<TestType>(2), X);
  CHECK(std::abs(K(0, 0) - 3 * X.row(0).squaredNorm()) <= tol * K(0, 0));
  CHECK(K(3, 3) == TestType(0));
  X(2, 2) = std::numeric_limits<TestType>::quiet_NaN();
  CHECK_THROWS_WITH(cimpute::gram(NtkKernel<TestType>(1), X), Catch::Contains("row 2, column 2"));
  CHECK_THROWS_AS(cimpute::gram(NtkKernel<TestType>(1), Y, Eigen::Matrix<TestType, 3, 4>::Zero()),
                  cimpute::invalid_argument);
}

TEST_CASE("gram: a user-defined kernel through the concept", "[kernels][gram]") {
  struct Cosine {
    using Scalar = double;
    double from_inner(double xy, double xx, double yy) const { return xy / std::sqrt(xx * yy); }
  };
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(5, 3);
  const Eigen::MatrixXd K = cimpute::gram(Cosine{}, X);
  const Eigen::MatrixXd Xn = X.rowwise().normalized();
  CHECK((K - Xn * Xn.transpose()).cwiseAbs().maxCoeff() < 1e-14);
}

namespace {
// Distance in units in the last place between two finite values of the same sign.
template <class S>
long long ulp_distance(S a, S b) {
  if (a == b) return 0;
  using I = std::conditional_t<std::is_same<S, double>::value, std::int64_t, std::int32_t>;
  I ia, ib;
  std::memcpy(&ia, &a, sizeof a);
  std::memcpy(&ib, &b, sizeof b);
  return std::llabs(static_cast<long long>(ia) - static_cast<long long>(ib));
}
// Theta_L on the unit sphere in long double: the recursion of ntk_completion.md, a third
// evaluation to measure both of ours against.
long double ntk_sphere_long(long double u, int depth) {
  const long double pi = 3.141592653589793238462643383279502884L;
  long double rho = std::min(1.0L, std::max(-1.0L, u)), theta = rho;
  for (int h = 0; h < depth; ++h) {
    const long double s = std::sqrt((1 - rho) * (1 + rho)), a = std::acos(rho);
    const long double k1 = (s + (pi - a) * rho) / pi;
    theta = k1 + theta * (pi - a) / pi;
    rho = k1;
  }
  return theta;
}
} // namespace

TEMPLATE_TEST_CASE("ReLU kernels in SIMD registers: the arc cosine within 1 ulp of std::acos, "
                   "blocks as accurate as the scalar recursion",
                   "[kernels][ntk][simd]", float, double) {
  using S = TestType;
  const S eps = std::numeric_limits<S>::epsilon();
  INFO(
      "AVX2 + FMA path " << (cimpute::detail::use_avx2_fma() ? "on" : "off (CPU or CIMPUTE_SIMD)"));
  std::mt19937_64 rng(35);
  std::uniform_real_distribution<S> u(-1, 1);
  std::vector<S> x(1000003);
  for (auto& v : x) v = u(rng);
  const S edges[] = {1,
                     -1,
                     0,
                     S(-0.0),
                     S(0.5),
                     S(-0.5),
                     std::nextafter(S(0.5), S(1)),
                     std::nextafter(S(-0.5), S(-1)),
                     std::nextafter(S(1), S(0)),
                     std::nextafter(S(-1), S(0)),
                     S(1e-30),
                     S(-1e-30)};
  std::copy(std::begin(edges), std::end(edges), x.begin());
  std::vector<S> y(x.size());
  cimpute::detail::acos_block(x.data(), y.data(), Eigen::Index(x.size()));
  long long worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, ulp_distance(y[i], std::acos(x[i])));
  CHECK(worst <= 1);
  CHECK(y[0] == S(0));

  // Kernel blocks: against the long double recursion, no worse than the scalar path (whose error
  // is the recursion's conditioning near rho = 1, thousands of eps at depth 5 for both).
  std::vector<S> g(20000), xx(g.size());
  std::uniform_real_distribution<S> norm2(S(0.01), S(4));
  for (std::size_t i = 0; i < g.size(); ++i) {
    xx[i] = norm2(rng);
    g[i] = x[i] * std::sqrt(xx[i] * S(2));
  }
  xx[7] = 0; // a zero vector: the kernel is 0
  g[7] = 0;
  for (int depth : {1, 2, 3, 5}) {
    INFO("depth " << depth);
    const NtkKernel<S> ntk(depth);
    const NngpKernel<S> nngp(depth);
    std::vector<S> a = g, b = g;
    ntk.from_inner_block(a.data(), xx.data(), S(2), Eigen::Index(a.size()));
    nngp.from_inner_block(b.data(), xx.data(), S(2), Eigen::Index(b.size()));
    CHECK(a[7] == S(0));
    CHECK(b[7] == S(0));
    long double err_block = 0, err_scalar = 0, nngp_diff = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (xx[i] == 0) continue;
      const long double n = std::sqrt(static_cast<long double>(xx[i]) * 2);
      const long double ref = n * ntk_sphere_long(g[i] / n, depth);
      err_block = std::max(err_block, std::abs(a[i] - ref) / n);
      err_scalar = std::max(err_scalar, std::abs(ntk.from_inner(g[i], xx[i], S(2)) - ref) / n);
      nngp_diff =
          std::max<long double>(nngp_diff, std::abs(b[i] - nngp.from_inner(g[i], xx[i], S(2))) / n);
    }
    CHECK(double(err_block) <= 2 * double(err_scalar) + 8 * eps);
    CHECK(double(nngp_diff) <= 8 * eps * depth);
    // Every entry takes the same instructions whatever the block's length and offset.
    for (Eigen::Index len : {1, 3, 7, 9, 64}) {
      std::vector<S> c(g.begin() + 5, g.begin() + 5 + len);
      ntk.from_inner_block(c.data(), xx.data() + 5, S(2), len);
      for (Eigen::Index i = 0; i < len; ++i) CHECK(c[std::size_t(i)] == a[std::size_t(5 + i)]);
    }
    // With bias the block is the scalar function, entry by entry.
    const NtkKernel<S> biased(depth, S(0.5));
    std::vector<S> d(g.begin(), g.begin() + 100);
    biased.from_inner_block(d.data(), xx.data(), S(2), 100);
    for (std::size_t i = 0; i < d.size(); ++i) CHECK(d[i] == biased.from_inner(g[i], xx[i], S(2)));
  }
}

TEMPLATE_TEST_CASE("gram: tiles, the symmetric rank update and any input layout give one matrix",
                   "[kernels][gram]", float, double) {
  using S = TestType;
  std::mt19937 rng(11);
  std::normal_distribution<S> n01(0, 1);
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> X(150, 13); // three tiles, the last partial
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = n01(rng);
  const NtkKernel<S> k(3);
  const auto K = cimpute::gram(k, X);
  CHECK((K - K.transpose()).cwiseAbs().maxCoeff() == S(0));
  const S tol = cimpute_test::tol<S>(1000);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    CHECK(std::abs(K(i, i) - 4 * X.row(i).squaredNorm()) <=
          16 * K(i, i) * std::numeric_limits<S>::epsilon()); // L + 1 times |x|^2
    for (Eigen::Index j = 0; j < X.rows(); j += 13)
      CHECK(std::abs(K(i, j) - k(X.row(i), X.row(j))) <= tol * std::max(S(1), std::abs(K(i, j))));
  }
  // A row-major copy and a double input cast to the kernel's scalar: the same matrix.
  const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = X;
  CHECK(cimpute::gram(k, R) == K);
  CHECK(cimpute::gram(k, X.template cast<double>()) == K);
  // A block of a larger matrix (outer stride larger than its rows).
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> big(200, 13);
  big.topRows(150) = X;
  CHECK(cimpute::gram(k, big.topRows(150)) == K);
}

TEST_CASE("PairKernel: equals the NTK of explicit concatenated pair features", "[kernels][pair]") {
  const unsigned seed = 99;
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  const int D = 5, C = 4, fd = 3, fc = 2;
  Eigen::MatrixXd Fd(D, fd), Fc(C, fc);
  for (Eigen::Index i = 0; i < Fd.size(); ++i) Fd(i) = n01(rng);
  for (Eigen::Index i = 0; i < Fc.size(); ++i) Fc(i) = n01(rng);
  cimpute::PairKernelOptions o;
  o.context_weight = 1.0;
  o.perturbation_weight = 0.75;
  o.identity_weight = 1.5;
  const NtkKernel<double> ntk(1);
  const cimpute::PairKernel<NtkKernel<double>> pk(ntk, Fd * Fd.transpose(), Fc * Fc.transpose(), o);
  std::vector<cimpute::PairIndex> pairs;
  for (int d = 0; d < D; ++d)
    for (int c = 0; c < C; ++c)
      if ((d + c) % 3 != 0) pairs.push_back({d, c});
  const Eigen::MatrixXd K = pk.gram(pairs);
  // Explicit features [a r_c, b e_d, beta_id onehot(p)], unit-normalised, NTK on the sphere.
  const Eigen::Index n = Eigen::Index(pairs.size());
  Eigen::MatrixXd F = Eigen::MatrixXd::Zero(n, fc + fd + n);
  for (Eigen::Index i = 0; i < n; ++i) {
    F.row(i).segment(0, fc) = o.context_weight * Fc.row(pairs[std::size_t(i)].context);
    F.row(i).segment(fc, fd) = o.perturbation_weight * Fd.row(pairs[std::size_t(i)].perturbation);
    F(i, fc + fd + i) = o.identity_weight;
  }
  F.rowwise().normalize();
  const Eigen::MatrixXd Kref = cimpute::gram(ntk, F);
  CHECK((K - Kref).cwiseAbs().maxCoeff() < 1e-12);
  // Cross Gram against new pairs: no identity term between different pairs.
  const std::vector<cimpute::PairIndex> test{{0, 0}, {3, 0}};
  const Eigen::MatrixXd Kx = pk.gram(test, pairs);
  CHECK(Kx.rows() == 2);
  CHECK(std::abs(Kx(0, 1) - pk(test[0], pairs[1])) < 1e-15);
  CHECK(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(K).eigenvalues().minCoeff() > 0);
  CHECK_THROWS_AS(pk.gram({{D, 0}}), cimpute::invalid_argument);
  o.identity_weight = -1;
  CHECK_THROWS_AS(
      cimpute::PairKernel<NtkKernel<double>>(ntk, Fd * Fd.transpose(), Fc * Fc.transpose(), o),
      cimpute::invalid_argument);
  Eigen::MatrixXd asym = Eigen::MatrixXd::Identity(C, C);
  asym(0, 1) = 0.5;
  CHECK_THROWS_WITH(cimpute::PairKernel<NtkKernel<double>>(ntk, Fd * Fd.transpose(), asym),
                    Catch::Contains("not symmetric"));
}
