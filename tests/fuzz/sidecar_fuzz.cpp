// libFuzzer target for sidecar metadata tables (`join_sidecar`): any input must either join or
// throw a cimpute exception; a join must return one value per id in every field it names.
#include "cimpute/io/sidecar.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cimpute::Labels ids(
      std::vector<std::string>{"s0", "s1", "CPC006_A549_6H:BRD-U88459701-000-01-8:10", "5720",
                               "7157", "cell_1", "1"},
      "id");
  const std::string_view buffer(reinterpret_cast<const char*>(data), size);
  for (const char* key : {"", "sig_id"}) {
    try {
      cimpute::SidecarJoin j;
      const auto meta = cimpute::detail::join_sidecar_buffer(buffer, "fuzz.txt", ids, key, &j);
      if (meta.size() != ids.size() || Eigen::Index(j.fields.size()) != meta.num_fields())
        __builtin_trap();
      for (const auto& f : j.fields)
        if (Eigen::Index(meta.field(f).size()) != ids.size()) __builtin_trap();
      if (j.missing.size() >= std::size_t(ids.size())) __builtin_trap(); // that throws instead
    } catch (const cimpute::invalid_argument&) {
    }
  }
  return 0;
}
