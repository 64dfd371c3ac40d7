// libFuzzer target for the Matrix Market parser and the 10x label-file parser: any input must
// either parse or throw a cimpute exception; anything else is a finding.
#include "cimpute/io/mtx.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  try {
    // Dimensions capped so that a tiny input cannot ask for gigabytes of column pointers.
    const auto m = cimpute::detail::parse_mtx_buffer<double>(buffer, "fuzz.mtx", 1u << 20);
    if (m.rows() < 0 || m.cols() < 0 || m.nonZeros() > static_cast<Eigen::Index>(size))
      __builtin_trap();
  } catch (const cimpute::invalid_argument&) {
  }
  try {
    const auto labels = cimpute::detail::parse_tenx_labels(buffer, "fuzz.tsv", "feature id");
    if (!labels.names.empty() && labels.names.size() != labels.ids.size()) __builtin_trap();
  } catch (const cimpute::invalid_argument&) {
  }
  return 0;
}
