// Smallest program against an installed cimpute: builds a perturbation tensor, forms signatures
// relative to the control, writes them as GCT and reads them back.
#include <cimpute/cimpute.hpp>

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
  const auto s = t.relative_to_control();
  const auto path = (std::filesystem::temp_directory_path() / "cimpute_consumer.gct").string();
  cimpute::LabeledMatrix<double> m(s.observed().transpose(), s.features().ids(), {"A549", "MCF7"});
  cimpute::write_gct(path, m);
  const auto back = cimpute::read_gct<double>(path);
  std::remove(path.c_str());
  std::cout << "cimpute " << cimpute::version_string << ": " << back.rows() << " x " << back.cols()
            << ", drugA in MCF7 = " << back.at("g1", "MCF7") << "\n";
  return back.at("g1", "MCF7") == 2.0 ? 0 : 1;
}
