// libFuzzer target for the delimited-table parsers (quoting, delimiter detection, numbers): any
// input must either parse or throw a cimpute exception; anything else is a finding.
#include "cimpute/io/table.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  try {
    const auto t = cimpute::detail::parse_delimited_buffer(buffer, "fuzz.csv");
    for (const auto& row : t.rows)
      if (row.size() != t.header.size()) __builtin_trap();
  } catch (const cimpute::invalid_argument&) {
  }
  try {
    cimpute::TableReadOptions opt;
    opt.label_columns = {"unit"};
    const auto m = cimpute::detail::parse_table_buffer<double>(buffer, "fuzz.csv", opt);
    if (m.col_meta().size() != m.cols()) __builtin_trap();
  } catch (const cimpute::invalid_argument&) {
  }
  return 0;
}
