// Networks: gradient and Jacobian checks against finite differences, optimizers against their
// update rules, interpolation and attractors of a tiny autoencoder, weight files, determinism,
// bad input.
#include "test_data.hpp"

#include <cimpute/io/network_weights.hpp>
#include <cimpute/nn.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using cimpute::Mlp;

namespace {
template <class M>
M random_matrix(Eigen::Index r, Eigen::Index c, unsigned seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, scale);
  M m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = typename M::Scalar(n01(rng));
  return m;
}

// 0.5 |f(X) - T|^2 and its gradient by backpropagation, against central differences.
template <class Act>
void gradient_check(Act act, bool bias) {
  Mlp<double, Act> f({4, 7, 5, 3}, bias, act, cimpute::Initialization::Xavier, 11);
  const Eigen::MatrixXd X = random_matrix<Eigen::MatrixXd>(6, 4, 1);
  const Eigen::MatrixXd T = random_matrix<Eigen::MatrixXd>(6, 3, 2);
  typename Mlp<double, Act>::Cache c;
  const Eigen::MatrixXd Y = f.forward(X, c);
  Eigen::VectorXd g;
  Eigen::MatrixXd dx;
  f.backward(c, Y - T, g, &dx);
  auto loss = [&](const Mlp<double, Act>& m, const Eigen::MatrixXd& x) {
    return 0.5 * (m.forward(x) - T).squaredNorm();
  };
  const double h = 1e-6;
  double worst = 0;
  for (Eigen::Index i = 0; i < f.parameters().size(); ++i) {
    Mlp<double, Act> p = f, m = f;
    p.parameters()[i] += h;
    m.parameters()[i] -= h;
    const double num = (loss(p, X) - loss(m, X)) / (2 * h);
    worst = std::max(worst, std::abs(num - g[i]) / std::max(1.0, std::abs(num)));
  }
  for (Eigen::Index i = 0; i < X.size(); ++i) {
    Eigen::MatrixXd xp = X, xm = X;
    xp(i) += h;
    xm(i) -= h;
    const double num = (loss(f, xp) - loss(f, xm)) / (2 * h);
    worst = std::max(worst, std::abs(num - dx(i)) / std::max(1.0, std::abs(num)));
  }
  CHECK(worst < 1e-7);
}
} // namespace

TEST_CASE("Mlp: backpropagation equals finite differences", "[nn][mlp]") {
  gradient_check(cimpute::LeakyRelu{}, true);
  gradient_check(cimpute::LeakyRelu{0.2}, false);
  gradient_check(cimpute::Tanh{}, true);
  gradient_check(cimpute::Sine{2.0}, true);
  gradient_check(cimpute::Cosine{1.5}, true);
  gradient_check(cimpute::Selu{}, true);
  gradient_check(cimpute::Identity{}, true);
}

TEST_CASE("Mlp: Jacobian and batched Jacobian-vector products", "[nn][mlp]") {
  Mlp<double, cimpute::Tanh> f({5, 8, 8, 5}, true, {}, cimpute::Initialization::He, 4);
  const Eigen::MatrixXd X = random_matrix<Eigen::MatrixXd>(3, 5, 5);
  const Eigen::MatrixXd V = random_matrix<Eigen::MatrixXd>(3, 5, 6);
  Mlp<double, cimpute::Tanh>::Cache c;
  f.forward(X, c);
  const Eigen::MatrixXd JV = f.jvp(c, V);
  for (Eigen::Index i = 0; i < 3; ++i) {
    const Eigen::VectorXd x = X.row(i).transpose();
    const Eigen::MatrixXd J = f.jacobian(x);
    Eigen::MatrixXd num(5, 5);
    const double h = 1e-6;
    for (Eigen::Index j = 0; j < 5; ++j) {
      Eigen::VectorXd xp = x, xm = x;
      xp[j] += h;
      xm[j] -= h;
      num.col(j) = (f.forward(xp.transpose()) - f.forward(xm.transpose())).transpose() / (2 * h);
    }
    CHECK((J - num).cwiseAbs().maxCoeff() < 1e-8);
    CHECK((JV.row(i).transpose() - J * V.row(i).transpose()).norm() < 1e-12);
  }
  // A bias-free leaky ReLU network is positively homogeneous: J(x) x = f(x).
  Mlp<double, cimpute::LeakyRelu> g({5, 9, 5}, false, {}, cimpute::Initialization::He, 8);
  const Eigen::VectorXd x = X.row(0).transpose();
  CHECK((g.jacobian(x) * x - g.forward(x.transpose()).transpose()).norm() < 1e-12);
}

TEST_CASE("Adam and Sgd follow torch.optim's update rules", "[nn][optimizer]") {
  cimpute::Adam<double> adam(1);
  Eigen::VectorXd theta(1), g(1);
  theta << 1.0;
  g << 0.5;
  adam.step(theta, g, 0.1); // the first step moves by lr: m/(1-b1) = g, sqrt(v/(1-b2)) = |g|
  const double first = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
  CHECK(theta[0] == Approx(first).epsilon(1e-14));
  g << -0.2;
  adam.step(theta, g, 0.1);
  const double m = 0.9 * 0.05 + 0.1 * -0.2, v = 0.999 * 0.00025 + 0.001 * 0.04;
  const double expected =
      first - 0.1 / (1 - 0.81) * m / (std::sqrt(v) / std::sqrt(1 - 0.999 * 0.999) + 1e-8);
  CHECK(theta[0] == Approx(expected).epsilon(1e-12));
  cimpute::Sgd<double> sgd(1, 0.5);
  theta << 1.0;
  g << 1.0;
  sgd.step(theta, g, 0.1); // b = g
  sgd.step(theta, g, 0.1); // b = 0.5 + 1
  CHECK(theta[0] == Approx(1.0 - 0.1 - 0.15).epsilon(1e-12));
  CHECK_THROWS_WITH(sgd.step(theta, Eigen::VectorXd(2), 0.1), Catch::Contains("Sgd::step"));
}

TEMPLATE_TEST_CASE("Adam's vector kernel equals the one-at-a-time update", "[nn][optimizer]", float,
                   double) {
  // The AVX2 kernel (when the CPU has it) does the scalar update's operations in the same order
  // with IEEE square roots: equal bit for bit, at every length (tails of 0 to 7 elements). The
  // portable Eigen expression may use a fast square root: equal to rounding.
  using S = TestType;
  using V = Eigen::Matrix<S, Eigen::Dynamic, 1>;
  const cimpute::detail::AdamConstants<S> c{S(0.9),  S(0.1), S(0.999), S(0.001),
                                            S(3e-3), S(1.7), S(1e-8)};
  for (Eigen::Index n : {1, 5, 8, 13, 31, 4099}) {
    const V g = random_matrix<V>(n, 1, unsigned(n));
    const V m0 = random_matrix<V>(n, 1, unsigned(n) + 1), theta0 = random_matrix<V>(n, 1, 7);
    const V v0 = random_matrix<V>(n, 1, unsigned(n) + 2).cwiseAbs();
    V t1 = theta0, m1 = m0, v1 = v0, t2 = theta0, m2 = m0, v2 = v0;
    cimpute::detail::adam_update_scalar(t1.data(), m1.data(), v1.data(), g.data(), n, c);
    cimpute::detail::adam_update(t2.data(), m2.data(), v2.data(), g.data(), n, c);
    const S tol = 8 * std::numeric_limits<S>::epsilon();
    if (cimpute::detail::use_avx2()) {
      CHECK((t1.array() == t2.array()).all());
      CHECK((m1.array() == m2.array()).all());
      CHECK((v1.array() == v2.array()).all());
    } else {
      CHECK((t1 - t2).norm() <= tol * t1.norm());
    }
    // And the update is Adam's: theta - step m' / (sqrt(v') scale + eps).
    for (Eigen::Index i = 0; i < n; ++i) {
      const double m = 0.9 * double(m0[i]) + 0.1 * double(g[i]);
      const double v = 0.999 * double(v0[i]) + 0.001 * double(g[i]) * double(g[i]);
      const double t = double(theta0[i]) - 3e-3 * m / (std::sqrt(v) * 1.7 + 1e-8);
      REQUIRE(double(t1[i]) == Approx(t).epsilon(double(tol)).margin(double(tol)));
    }
  }
}

TEST_CASE("A tiny autoencoder interpolates and its training examples are attractors",
          "[nn][autoencoder][attractors]") {
  // 5 unit-norm points in 10 dimensions; 10 -> 64 -> 64 -> 64 -> 10 with biases, leaky ReLU,
  // Adam, full batch (the configuration found to make every example an attractor).
  Eigen::MatrixXd X = random_matrix<Eigen::MatrixXd>(5, 10, 1).rowwise().normalized();
  cimpute::Autoencoder<double> ae(10, {64, 64, 64}, true, {}, cimpute::Initialization::Uniform, 3);
  cimpute::AutoencoderTraining t;
  t.max_epochs = 5000;
  t.batch_size = 0;
  t.validation_fraction = 0;
  t.loss_threshold = 1e-14;
  t.schedule.rate = 1e-3;
  int reported = 0;
  const auto h = ae.train(X, t, [&](const cimpute::EpochReport&) { ++reported; });
  CHECK(h.reached_threshold);
  CHECK(reported == int(h.epochs.size()));
  CHECK(ae.loss(X) < 1e-13);
  const auto rep = cimpute::attractor_report(ae.network(), X, 1e-5);
  INFO("spectral radii " << rep.spectral_radius.transpose());
  CHECK(rep.fraction() == 1.0);
  CHECK(rep.spectral_radius.maxCoeff() < 0.95);
  const auto dense = cimpute::attractor_report(ae.network(), X, 1e-5, true);
  CHECK(rep.spectral_radius.isApprox(dense.spectral_radius, 1e-6));
  // Noisy starts iterate back to their source.
  const Eigen::MatrixXd noisy = X + random_matrix<Eigen::MatrixXd>(5, 10, 9, 0.05);
  const auto it = cimpute::iterate_map(ae.network(), noisy, X, 2000, 1e-10);
  for (Eigen::Index i = 0; i < 5; ++i) {
    CHECK(it.converged[std::size_t(i)]);
    CHECK(it.nearest[std::size_t(i)] == i);
    CHECK(it.distance[i] < 1e-6);
  }
  // Without biases the same recipe cannot store attractors: J(x) x = f(x) = x makes 1 an
  // eigenvalue at every fixed point.
  cimpute::Autoencoder<double> flat(10, {64, 64, 64}, false, {}, cimpute::Initialization::Uniform,
                                    3);
  flat.train(X, t);
  const auto rf = cimpute::attractor_report(flat.network(), X, 1e-5);
  CHECK(rf.spectral_radius.minCoeff() > 1 - 1e-6);
}

TEST_CASE("Attractors of planted maps: a contraction and an expansion of known radius",
          "[nn][attractors]") {
  // f(x) = A x + (I - A) x* as a two-layer linear network (W1 = I, W2 = A, b2 = (I - A) x*):
  // x* is a fixed point with Jacobian A, whose spectral radius is set by a similarity transform
  // of a known diagonal (non-normal A, so the radius is not a norm).
  const Eigen::Index d = 6;
  const Eigen::MatrixXd S =
      Eigen::MatrixXd::Identity(d, d) + random_matrix<Eigen::MatrixXd>(d, d, 21, 0.3);
  const Eigen::VectorXd xstar = random_matrix<Eigen::MatrixXd>(d, 1, 22);
  for (double rho : {0.5, 2.0}) {
    Eigen::VectorXd lambda(d);
    lambda << rho, -0.4, 0.3, 0.2, -0.1, 0.05;
    const Eigen::MatrixXd A = S * lambda.asDiagonal() * S.inverse();
    Mlp<double, cimpute::Identity> f({d, d, d}, true, {}, cimpute::Initialization::Zero, 0);
    f.weight(0).setIdentity();
    f.weight(1) = A;
    f.bias(1) = (Eigen::MatrixXd::Identity(d, d) - A) * xstar;
    const Eigen::MatrixXd X = xstar.transpose();
    for (bool dense : {false, true}) {
      const auto rep = cimpute::attractor_report(f, X, 1e-10, dense);
      CHECK(rep.residual[0] < 1e-12);
      CHECK(rep.spectral_radius[0] == Approx(rho).epsilon(1e-8));
      CHECK(rep.attractor[0] == (rho < 1));
    }
    const Eigen::MatrixXd start = X + random_matrix<Eigen::MatrixXd>(1, d, 23, 0.01);
    const auto it = cimpute::iterate_map(f, start, X, 200, 1e-12);
    if (rho < 1) { // the error shrinks by about rho per step: 1e-12 within ~45 steps
      CHECK(it.converged[0]);
      CHECK(it.distance[0] < 1e-10);
      CHECK(it.steps[0] < 60);
    } else { // the component along the eigenvalue 2 doubles each step
      CHECK_FALSE(it.converged[0]);
      CHECK(it.distance[0] > 1e3);
    }
  }
}

TEST_CASE("Attractors of a tanh network with a known unstable fixed point and a known cycle",
          "[nn][attractors]") {
  // f(x) = 1.5 tanh(x) per coordinate (W1 = I, W2 = 1.5 I, no bias): 0 is a fixed point with
  // Jacobian 1.5 I (unstable); c 1 with c = 1.5 tanh(c) is one with radius 1.5 (1 - tanh(c)^2).
  const Eigen::Index d = 5;
  double c = 1.0; // Newton on g(c) = c - 1.5 tanh(c)
  for (int k = 0; k < 50; ++k)
    c -= (c - 1.5 * std::tanh(c)) / (1 - 1.5 * (1 - std::tanh(c) * std::tanh(c)));
  const double slope = 1.5 * (1 - std::tanh(c) * std::tanh(c));
  Mlp<double, cimpute::Tanh> f({d, d, d}, false, {}, cimpute::Initialization::Zero, 0);
  f.weight(0).setIdentity();
  f.weight(1) = 1.5 * Eigen::MatrixXd::Identity(d, d);
  Eigen::MatrixXd X(2, d);
  X.row(0).setZero();
  X.row(1).setConstant(c);
  const auto rep = cimpute::attractor_report(f, X.bottomRows(1), 1e-10);
  CHECK(rep.spectral_radius[0] == Approx(slope).epsilon(1e-8));
  CHECK(rep.attractor[0]);
  const Eigen::MatrixXd J0 = f.jacobian(X.row(0).transpose());
  CHECK(cimpute::spectral_radius(J0) == Approx(1.5).epsilon(1e-12));
  // Iterating from near 0 leaves 0 for the stable point c 1 (the start is positive).
  const Eigen::MatrixXd start = Eigen::MatrixXd::Constant(1, d, 1e-3);
  const auto it = cimpute::iterate_map(f, start, X, 500, 1e-12);
  CHECK(it.converged[0]);
  CHECK(it.nearest[0] == 1);
  CHECK(it.distance[0] < 1e-9);
  // f(x) = -1.5 tanh(x) has the 2-cycle c 1 -> -c 1 -> c 1 with Jacobian -slope I at both
  // points: the product around the cycle is slope^2 I.
  f.weight(1) *= -1;
  Eigen::MatrixXd cycle(2, d);
  cycle.row(0).setConstant(c);
  cycle.row(1).setConstant(-c);
  const auto [residual, radius] = cimpute::cycle_stability(f, cycle);
  CHECK(residual < 1e-12);
  CHECK(radius == Approx(slope * slope).epsilon(1e-10));
  CHECK(radius < 1);
}

TEST_CASE("spectral_radii: batched Arnoldi equals the dense eigenvalues", "[nn][attractors]") {
  // Random networks (with and without bias, two activations) at random points: the Krylov
  // radius equals the largest eigenvalue modulus of the explicit Jacobian.
  for (bool bias : {true, false}) {
    Mlp<double, cimpute::LeakyRelu> f({30, 80, 30}, bias, {}, cimpute::Initialization::He,
                                      bias ? 5 : 6);
    Mlp<double, cimpute::Tanh> g({30, 40, 40, 30}, bias, {}, cimpute::Initialization::Xavier, 7);
    const Eigen::MatrixXd X = random_matrix<Eigen::MatrixXd>(23, 30, 8);
    cimpute::SpectralRadiusOptions o;
    o.batch = 10; // three batches, the last one partial
    o.krylov_dim = 20;
    const auto rf = cimpute::spectral_radii(f, X, o);
    const auto rg = cimpute::spectral_radii(g, X, o);
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      CHECK(rf.converged[std::size_t(i)]);
      CHECK(rg.converged[std::size_t(i)]);
      CHECK(rf.radius[i] ==
            Approx(cimpute::spectral_radius(f.jacobian(X.row(i).transpose()))).epsilon(1e-6));
      CHECK(rg.radius[i] ==
            Approx(cimpute::spectral_radius(g.jacobian(X.row(i).transpose()))).epsilon(1e-6));
    }
    // The same numbers whatever the batch size, to the Krylov tolerance: the starting vectors
    // are per point, but the BLAS kernels of other batch shapes round differently, and an
    // iteration stopped at a Ritz residual of 1e-8 moves by about that much (2e-8 seen with
    // Debian's OpenBLAS).
    o.batch = 23;
    const Eigen::VectorXd rb = cimpute::spectral_radii(f, X, o).radius;
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      CHECK(std::abs(rb[i] - rf.radius[i]) <= 10 * o.tolerance * rf.radius[i]);
  }
  // float networks are analysed in double precision: the radius equals that of the double copy.
  Mlp<float, cimpute::LeakyRelu> h({25, 60, 25}, false, {}, cimpute::Initialization::He, 9);
  const Eigen::MatrixXf Xf = random_matrix<Eigen::MatrixXf>(5, 25, 10);
  const auto rh = cimpute::spectral_radii(h, Xf);
  const auto hd = h.cast<double>();
  CHECK(hd.parameters() == h.parameters().cast<double>());
  for (Eigen::Index i = 0; i < 5; ++i)
    CHECK(rh.radius[i] ==
          Approx(cimpute::spectral_radius(hd.jacobian(Xf.row(i).transpose().cast<double>())))
              .epsilon(1e-6));
}

TEST_CASE("Autoencoder: codes, decoding, validation checkpoint", "[nn][autoencoder]") {
  const Eigen::MatrixXf X = random_matrix<Eigen::MatrixXf>(40, 12, 3);
  cimpute::Autoencoder<float> ae(12, {16}, true, {}, cimpute::Initialization::He, 1);
  CHECK((ae.decode(ae.encode(X)) - ae.reconstruct(X)).cwiseAbs().maxCoeff() < 1e-5f);
  cimpute::AutoencoderTraining t;
  t.max_epochs = 30;
  t.batch_size = 8;
  t.schedule.rate = 1e-2;
  const auto h = ae.train(X, t);
  REQUIRE(h.epochs.size() == 30);
  double best = 1e300;
  int arg = 0;
  for (const auto& e : h.epochs) {
    CHECK(std::isfinite(e.validation_loss));
    if (e.validation_loss < best) best = e.validation_loss, arg = e.epoch;
  }
  CHECK(h.best_epoch == arg);
  CHECK(h.epochs.back().train_loss < h.epochs.front().train_loss);
}

TEST_CASE("Autoencoder weights: save / load round trip and corrupt files", "[nn][io]") {
  const auto dir = cimpute_test::temp_dir();
  const std::string path = (dir / "ae.cimpnn").string();
  cimpute::Autoencoder<float> ae(6, {9, 4}, true, {}, cimpute::Initialization::He, 2);
  cimpute::save_autoencoder(path, ae);
  const auto back = cimpute::load_autoencoder<float>(path);
  CHECK(back.network().sizes() == ae.network().sizes());
  CHECK(back.network().parameters() == ae.network().parameters());
  CHECK_THROWS_WITH(cimpute::load_autoencoder<double>(path), Catch::Contains("float weights"));
  CHECK_THROWS_WITH((cimpute::load_autoencoder<float, cimpute::Tanh>(path)),
                    Catch::Contains("activation id"));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& b) {
    const std::string p = (dir / name).string();
    std::ofstream(p, std::ios::binary) << b;
    return p;
  };
  std::string flipped = bytes;
  flipped[flipped.size() - 20] ^= 0x10; // inside the parameters
  CHECK_THROWS_WITH(cimpute::load_autoencoder<float>(write("flip.cimpnn", flipped)),
                    Catch::Contains("hash mismatch"));
  CHECK_THROWS_WITH(cimpute::load_autoencoder<float>(write("cut.cimpnn", bytes.substr(0, 60))),
                    Catch::Contains("truncated"));
  CHECK_THROWS_WITH(cimpute::load_autoencoder<float>(write("magic.cimpnn", "XX" + bytes)),
                    Catch::Contains("bad magic"));
  CHECK_THROWS_WITH(cimpute::load_autoencoder<float>(write("tail.cimpnn", bytes + "x")),
                    Catch::Contains("trailing"));
  CHECK_THROWS_WITH(cimpute::load_autoencoder<float>((dir / "absent.cimpnn").string()),
                    Catch::Contains("absent.cimpnn"));
}

TEST_CASE("Training is deterministic for a seed, on any thread count", "[nn][autoencoder]") {
  const Eigen::MatrixXf X = random_matrix<Eigen::MatrixXf>(300, 50, 7);
  auto train = [&](int threads) {
    Eigen::setNbThreads(threads);
    cimpute::Autoencoder<float> ae(50, {256}, false, {}, cimpute::Initialization::Uniform, 5);
    cimpute::AutoencoderTraining t;
    t.max_epochs = 3;
    t.batch_size = 32;
    t.seed = 9;
    ae.train(X, t);
    return Eigen::VectorXf(ae.network().parameters());
  };
  const Eigen::VectorXf one = train(1), two = train(2), again = train(2);
  Eigen::setNbThreads(0);
  CHECK(one == two);
  CHECK(two == again);
}

TEST_CASE("nn: bad input is rejected with a clear message", "[nn]") {
  CHECK_THROWS_WITH((Mlp<float>({4, 0, 2})), Catch::Contains("layer size 0"));
  CHECK_THROWS_WITH((Mlp<float>({4})), Catch::Contains("input and an output"));
  Mlp<float> f({4, 3, 2});
  CHECK_THROWS_WITH(f.forward(Eigen::MatrixXf::Ones(2, 5)), Catch::Contains("5 features"));
  Eigen::MatrixXf bad = Eigen::MatrixXf::Ones(2, 4);
  bad(1, 2) = std::nanf("");
  CHECK_THROWS_WITH(f.forward(bad), Catch::Contains("non-finite"));
  cimpute::Autoencoder<float> ae(4, {3});
  CHECK_THROWS_WITH(ae.train(bad), Catch::Contains("non-finite"));
  cimpute::AutoencoderTraining t;
  t.validation_fraction = 1.0;
  CHECK_THROWS_WITH(ae.train(Eigen::MatrixXf::Ones(3, 4), t), Catch::Contains("validation"));
  CHECK_THROWS_WITH(cimpute::spectral_radius(Eigen::MatrixXd::Ones(2, 3)),
                    Catch::Contains("square"));
}
