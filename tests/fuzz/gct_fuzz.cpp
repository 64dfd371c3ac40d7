// libFuzzer target for the GCT text parser: any input must either parse or throw a cimpute
// exception; crashes, sanitizer reports and other exceptions are findings.
#include "cimpute/io/gct.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  try {
    const auto m = cimpute::detail::parse_gct_buffer<double>(buffer, "fuzz.gct");
    // Invariants of a successful parse.
    if (m.row_meta().size() != m.rows() || m.col_meta().size() != m.cols()) __builtin_trap();
    const auto f = cimpute::detail::parse_gct_buffer<float>(buffer, "fuzz.gct");
    if (f.rows() != m.rows() || f.cols() != m.cols()) __builtin_trap();
  } catch (const cimpute::invalid_argument&) {
  }
  return 0;
}
