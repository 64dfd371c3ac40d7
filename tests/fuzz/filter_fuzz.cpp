// libFuzzer target for the signature-selection options: the first line is a filter
// (`ColumnFilter::parse`), the second an aggregation (`Aggregation::parse`), the rest a table
// whose columns become metadata for `filter_columns` and `select_signatures`. Anything may
// throw a cimpute exception; a result must keep in-range, increasing columns and one signature
// per pair.
#include "cimpute/core/signature_selection.hpp"
#include "cimpute/io/table.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view buffer(reinterpret_cast<const char*>(data), size);
  auto line = [&]() {
    const auto nl = buffer.find('\n');
    const std::string_view l = buffer.substr(0, nl);
    buffer.remove_prefix(nl == std::string_view::npos ? buffer.size() : nl + 1);
    return std::string(l);
  };
  const std::string filter = line(), aggregate = line();
  try {
    cimpute::SignatureSelection s;
    s.filters = {cimpute::ColumnFilter::parse(filter)};
    s.aggregate = cimpute::Aggregation::parse(aggregate);
    const auto table = cimpute::detail::parse_delimited_buffer(buffer, "fuzz.tsv");
    if (table.header.size() < 2) return 0;
    const Eigen::Index n = Eigen::Index(table.rows.size());
    cimpute::MetadataTable meta(n);
    for (std::size_t k = 0; k < table.header.size(); ++k) {
      std::vector<std::string> v;
      for (const auto& r : table.rows) v.push_back(r[k]);
      if (!meta.has_field(table.header[k])) meta.add_field(table.header[k], std::move(v));
    }
    const auto cols = cimpute::filter_columns(meta, s.filters);
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i] < 0 || cols[i] >= n || (i > 0 && cols[i] <= cols[i - 1])) __builtin_trap();
    s.perturbation_field = table.header[0];
    s.context_field = table.header[1];
    std::vector<std::string> cid;
    for (Eigen::Index j = 0; j < n; ++j) cid.push_back("c" + std::to_string(j));
    const cimpute::LabeledMatrix<double> m(Eigen::MatrixXd::Ones(2, n), {"g1", "g2"}, cid,
                                           cimpute::MetadataTable(2), meta);
    cimpute::SelectionReport r;
    const auto t = cimpute::select_signatures(m, s, &r);
    if (r.pairs != t.num_observed() || r.read != n ||
        r.filtered_out + Eigen::Index(cols.size()) != n)
      __builtin_trap();
    if (!(t.observed().array() == 1.0).all()) __builtin_trap(); // any merge of ones is one
  } catch (const cimpute::invalid_argument&) {
  } catch (const cimpute::logic_error&) {
  }
  return 0;
}
