/// @file interventional_csv.hpp
/// @brief Labelled CSV files of interventional samples (one row per sample, label columns for the
/// setting and its targets) into `InterventionalData`, and the learned targets of UT-IGSP back to
/// CSV.
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/interventional_data.hpp"
#include "cimpute/io/table.hpp"
#include "cimpute/io/text_file.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace cimpute {

/// Options of `read_interventional_csv`.
struct InterventionalCsvOptions {
  std::string setting_column = "condition";  ///< the column naming each sample's setting
  std::string target_column = "target";      ///< its target variable(s), separated by `separator`
  std::string control = "none";              ///< the target value of observational samples
  char separator = ';';                      ///< between several targets of one setting
  std::vector<std::string> exclude_settings; ///< settings to leave out (unknown names throw)
  std::vector<std::string> ignore_columns;   ///< other label columns to skip
  bool log = false;                          ///< take natural logs of the values (all must be > 0)
};

/// Interventional data from a samples x variables table whose label columns give each sample's
/// setting and target(s) (as read from e.g. `../shared/data/sachs/sachs_9conditions_labeled.csv`;
/// `path` names it in messages). Every column other than the setting, target and ignored columns
/// must be numeric; a non-numeric field throws a `parse_error` naming file, line and column. All
/// samples of a setting must name the same targets; settings whose target is `control` are
/// pooled as the observational data.
inline InterventionalData interventional_data_from_table(const DelimitedTable& table,
                                                         const InterventionalCsvOptions& options,
                                                         const std::string& path = "table") {
  const char* fn = "read_interventional_csv";
  const std::size_t sc = table.column(options.setting_column);
  const std::size_t tc = table.column(options.target_column);
  for (const auto& name : options.ignore_columns) table.column(name); // unknown names throw
  InterventionalData out;
  std::vector<std::size_t> value_cols;
  for (std::size_t k = 0; k < table.header.size(); ++k) {
    const std::string& h = table.header[k];
    if (k == sc || k == tc ||
        std::find(options.ignore_columns.begin(), options.ignore_columns.end(), h) !=
            options.ignore_columns.end())
      continue;
    value_cols.push_back(k);
    out.variables.push_back(h);
  }
  if (out.variables.empty()) detail::throw_invalid(fn, path, ": no variable columns");
  auto variable = [&](const std::string& name, std::size_t line) {
    const auto it = std::find(out.variables.begin(), out.variables.end(), name);
    if (it == out.variables.end())
      throw parse_error(path, line, "target '" + name + "' is not a variable column");
    return int(it - out.variables.begin());
  };
  // Group rows by setting, checking that each setting has one target list.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::size_t>> rows;
  std::map<std::string, std::string> target_of;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::string& s = table.rows[r][sc];
    const std::string& t = table.rows[r][tc];
    const auto [it, inserted] = target_of.emplace(s, t);
    if (inserted)
      order.push_back(s);
    else if (it->second != t)
      throw parse_error(path, table.line(r),
                        "setting '" + s + "' has target '" + t + "' here but '" + it->second +
                            "' before");
    rows[s].push_back(r);
  }
  for (const auto& e : options.exclude_settings)
    if (!rows.count(e)) detail::throw_invalid(fn, path, ": no setting named '", e, "' to exclude");
  auto values = [&](const std::vector<std::size_t>& rs) {
    Eigen::MatrixXd X(Eigen::Index(rs.size()), Eigen::Index(value_cols.size()));
    for (std::size_t a = 0; a < rs.size(); ++a)
      for (std::size_t b = 0; b < value_cols.size(); ++b) {
        const std::string& f = table.rows[rs[a]][value_cols[b]];
        double v = 0;
        const auto res = std::from_chars(f.data(), f.data() + f.size(), v);
        if (res.ec != std::errc() || res.ptr != f.data() + f.size() || !std::isfinite(v))
          throw parse_error(path, table.line(rs[a]), value_cols[b] + 1,
                            "column '" + table.header[value_cols[b]] + "': '" + f +
                                "' is not a finite number (label columns go in ignore_columns)");
        if (options.log) {
          if (!(v > 0))
            throw parse_error(path, table.line(rs[a]), value_cols[b] + 1,
                              "column '" + table.header[value_cols[b]] + "': log of " + f);
          v = std::log(v);
        }
        X(Eigen::Index(a), Eigen::Index(b)) = v;
      }
    return X;
  };
  std::vector<std::pair<std::size_t, int>> obs_rows; // (row, observational setting)
  for (const auto& s : order) {
    if (std::find(options.exclude_settings.begin(), options.exclude_settings.end(), s) !=
        options.exclude_settings.end())
      continue;
    const std::string& t = target_of[s];
    if (t == options.control) {
      for (std::size_t r : rows[s])
        obs_rows.emplace_back(r, int(out.observational_settings.size()));
      out.observational_settings.push_back(s);
      continue;
    }
    std::vector<int> ts;
    std::size_t start = 0;
    while (start <= t.size()) {
      const std::size_t end = std::min(t.find(options.separator, start), t.size());
      if (end > start)
        ts.push_back(variable(t.substr(start, end - start), table.line(rows[s].front())));
      start = end + 1;
    }
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    out.setting_names.push_back(s);
    out.settings.push_back(values(rows[s]));
    out.targets.push_back(std::move(ts));
  }
  if (obs_rows.empty())
    detail::throw_invalid(fn, path, ": no observational samples (no setting with target '",
                          options.control, "')");
  std::sort(obs_rows.begin(), obs_rows.end());
  std::vector<std::size_t> obs;
  for (const auto& [r, k] : obs_rows) {
    obs.push_back(r);
    out.observational_setting_of.push_back(k);
  }
  out.observational = values(obs);
  return out;
}

/// Reads a samples x variables CSV / TSV (`interventional_data_from_table` gives the layout and
/// the errors).
inline InterventionalData read_interventional_csv(const std::string& path,
                                                  const InterventionalCsvOptions& options = {}) {
  return interventional_data_from_table(read_delimited(path), options, path);
}

/// Write per-setting targets (e.g. UT-IGSP's learned ones, one list per `d.settings` entry) as
/// CSV `setting,target` rows by name (atomically).
inline void write_targets(const std::string& path, const InterventionalData& d,
                          const std::vector<std::vector<int>>& targets) {
  const char* fn = "write_targets";
  if (targets.size() != d.setting_names.size())
    detail::throw_invalid(fn, targets.size(), " target lists for ", d.setting_names.size(),
                          " settings");
  detail::write_file_atomic(path, fn, [&](std::ostream& os) {
    os << "setting,target\n";
    for (std::size_t k = 0; k < targets.size(); ++k)
      for (int v : targets[k])
        os << d.setting_names[k] << ',' << d.variables.at(std::size_t(v)) << '\n';
  });
}

} // namespace cimpute
