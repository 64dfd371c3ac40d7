// The NTK Gram matrix against the bare inner products of the same points, side by side in one
// run (same threads, interleaved repeats, medians): issue 35's goal is time(gram) / time(GEMM
// X X^T) <= 1.2 at n = 4,000 and 20,000, d = 978, depth 1 and 3, float and double. The symmetric
// rank update (SYRK, half the GEMM's work, what `gram` starts from in a BLAS build) is printed
// too: the ratio to it is the cost of everything `gram` adds to its inner products.
//
//   OMP_NUM_THREADS=2 ./gram_ratio [--n 4000,20000] [--d 978] [--depth 1,3]
//                                  [--scalar double,float] [--repeats 3]
#include <cimpute/kernels.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#if CIMPUTE_HAS_OPENMP
#include <omp.h>
#endif

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}
template <class F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

template <class Scalar>
void compare(const char* name, long n, long d, const std::vector<int>& depths, int repeats) {
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  std::mt19937_64 rng(42);
  std::normal_distribution<Scalar> n01(0, 1);
  Matrix X(n, d), G(n, n);
  for (Eigen::Index i = 0; i < X.size(); ++i) X(i) = n01(rng);
  std::vector<double> gemm, syrk;
  std::vector<std::vector<double>> grams(depths.size());
  for (int r = 0; r < repeats; ++r) {
    gemm.push_back(seconds([&] { G.noalias() = X * X.transpose(); }));
    syrk.push_back(
        seconds([&] { cimpute::detail::lower_inner_products(G, Eigen::Ref<const Matrix>(X)); }));
    for (std::size_t l = 0; l < depths.size(); ++l) {
      const cimpute::NtkKernel<Scalar> k(depths[l]);
      grams[l].push_back(seconds([&] { G = cimpute::gram(k, X); }));
    }
  }
  const double tg = median(gemm), ts = median(syrk);
  for (std::size_t l = 0; l < depths.size(); ++l) {
    const double t = median(grams[l]);
    std::printf("%-7s %7ld %6d %10.3f %10.3f %10.3f %10.2f %10.2f\n", name, n, depths[l], tg, ts, t,
                t / tg, t / ts);
    std::fflush(stdout);
  }
}
} // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> ns{"4000", "20000"}, depths_s{"1", "3"}, scalars{"double", "float"};
  long d = 978;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--n")
      ns = split(v);
    else if (a == "--d")
      d = std::stol(v);
    else if (a == "--depth")
      depths_s = split(v);
    else if (a == "--scalar")
      scalars = split(v);
    else if (a == "--repeats")
      repeats = std::stoi(v);
    else {
      std::cerr << "gram_ratio: unknown option " << a << "\n";
      return 2;
    }
  }
  std::vector<int> depths;
  for (const auto& s : depths_s) depths.push_back(std::stoi(s));
  int threads = 1;
#if CIMPUTE_HAS_OPENMP
  threads = omp_get_max_threads();
#endif
  std::printf("threads %d, d %ld, medians of %d; SIMD ReLU recursion %s, inner products by %s\n",
              threads, d, repeats, cimpute::detail::use_avx2_fma() ? "AVX2" : "off",
#if defined(EIGEN_USE_BLAS)
              "BLAS SYRK"
#else
              "Eigen GEMM"
#endif
  );
  std::printf("%-7s %7s %6s %10s %10s %10s %10s %10s\n", "scalar", "n", "depth", "gemm_s", "syrk_s",
              "gram_s", "gram/gemm", "gram/syrk");
  for (const auto& s : scalars)
    for (const auto& n : ns) {
      if (s == "double")
        compare<double>("double", std::stol(n), d, depths, repeats);
      else if (s == "float")
        compare<float>("float", std::stol(n), d, depths, repeats);
      else
        throw std::invalid_argument("--scalar takes double or float, got " + s);
    }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "gram_ratio: %s\n", e.what());
  return 1;
}
