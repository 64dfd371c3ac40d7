// Smallest program against an installed cimpute: builds a perturbation tensor, forms signatures
// relative to the control, writes them as GCT and reads them back; then uses the graph and kernel
// APIs exactly as the issues spell them out.
#include <cimpute/cimpute.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

int main() {
  Eigen::MatrixXd profiles(4, 3);
  profiles << 1, 2, 3, //
      2, 2, 5,         //
      1, 1, 1,         //
      3, 1, 2;
  auto t = cimpute::PerturbationTensor<double>::from_signatures(
      profiles, {"DMSO", "drugA", "DMSO", "drugA"}, {"A549", "A549", "MCF7", "MCF7"},
      {"g1", "g2", "g3"});
  t.set_control("DMSO");
  const auto s = cimpute::relative_to_control(t);
  const auto path = (std::filesystem::temp_directory_path() / "cimpute_consumer.gct").string();
  cimpute::LabeledMatrix<double> m(s.observed().transpose(), s.features().ids(), {"A549", "MCF7"});
  cimpute::write_gct(path, m);
  const auto back = cimpute::read_gct<double>(path);
  std::remove(path.c_str());
  std::cout << "cimpute " << cimpute::version_string << ": " << back.rows() << " x " << back.cols()
            << ", drugA in MCF7 = " << back.at("g1", "MCF7") << "\n";

  // The public APIs the issues spell out for downstream programs, verbatim.
  cimpute::Dag g(4);
  g.add_arc(0, 1);
  g.add_arc(1, 2);
  g.add_arc(3, 2);
  cimpute::Pdag e = cimpute::cpdag(g);
  cimpute::Pdag ie = cimpute::interventional_cpdag(g, std::vector<std::vector<int>>{{}, {3}});
  const bool graphs_ok = e.has_undirected(0, 1) && e.has_arc(1, 2) && e.num_arcs() == 2 &&
                         e.num_undirected() == 1 && ie == e &&
                         cimpute::d_separated(g, {0}, {3}, {}) &&
                         !cimpute::d_separated(g, {0}, {3}, {2}) && cimpute::shd(g, g) == 0;
  cimpute::NtkKernel<double> k(/*depth*/ 2, /*bias*/ 0.5);
  const Eigen::MatrixXd X = profiles.leftCols(2);
  const Eigen::VectorXd x = X.row(0).transpose(), y = X.row(1).transpose();
  const double v = k(x, y);
  const Eigen::MatrixXd K = cimpute::gram(k, X), Kxy = cimpute::gram(k, X, X);
  const bool kernels_ok = std::abs(K(0, 1) - v) < 1e-12 && (K - Kxy).cwiseAbs().maxCoeff() < 1e-12;
  std::cout << "graphs " << (graphs_ok ? "ok" : "WRONG") << ", kernels "
            << (kernels_ok ? "ok" : "WRONG") << "\n";
  return back.at("g1", "MCF7") == 2.0 && graphs_ok && kernels_ok ? 0 : 1;
}
