/// @file signature_selection.hpp
/// @brief From the columns of a reader's result to one signature per (perturbation, context)
/// pair: metadata filters (`ColumnFilter`), the fields that define a pair, and the aggregation of
/// a pair's several signatures (doses, time points, replicates: `Aggregation`).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/core/labeled_matrix.hpp"
#include "cimpute/core/metadata_table.hpp"
#include "cimpute/core/perturbation_tensor.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cimpute {

/// Keep the columns whose metadata field `field` has one of `values` (`FIELD=V1,V2`), none of
/// them (`FIELD!=V1,V2`), or a number beyond a threshold (`FIELD>V`, `>=`, `<`, `<=`; a missing or
/// non-numeric value never passes).
struct ColumnFilter {
  /// How the field's value is tested.
  enum class Op { In, NotIn, Greater, GreaterEqual, Less, LessEqual };
  std::string field;               ///< a column-metadata field
  std::vector<std::string> values; ///< the values (exact string match), or one threshold
  Op op = Op::In;                  ///< the test

  /// Parse `FIELD=V1[,V2...]` (keep these values; e.g. `pert_itime=24 h`), `FIELD!=V1[,V2...]`
  /// (drop them), or `FIELD>X`, `FIELD>=X`, `FIELD<X`, `FIELD<=X` with a number X (e.g.
  /// `grna_max_frac>0.8`); throws `invalid_argument` naming the text when it has no operator, no
  /// field, an empty value, or a threshold that is not a finite number.
  static ColumnFilter parse(const std::string& text) {
    const char* fn = "ColumnFilter::parse";
    const auto at = text.find_first_of("=!<>");
    ColumnFilter f;
    std::size_t len = 0; // of the operator; 0: none
    if (at != std::string::npos) {
      const char c = text[at];
      const bool eq_next = at + 1 < text.size() && text[at + 1] == '=';
      len = c == '=' ? 1 : eq_next ? 2 : c == '!' ? 0 : 1;
      f.op = c == '='   ? Op::In
             : c == '!' ? Op::NotIn
             : c == '>' ? (eq_next ? Op::GreaterEqual : Op::Greater)
                        : (eq_next ? Op::LessEqual : Op::Less);
    }
    if (at == 0 || len == 0 || at + len >= text.size())
      detail::throw_invalid(fn, "filter '", text,
                            "' is not FIELD=V1[,V2...], FIELD!=V1[,V2...] or FIELD>X (>=, <, <=)");
    f.field = text.substr(0, at);
    const std::string rest = text.substr(at + len);
    if (f.op != Op::In && f.op != Op::NotIn) {
      double x = 0;
      if (!detail::parse_double(rest, x) || !std::isfinite(x))
        detail::throw_invalid(fn, "filter '", text, "': '", rest, "' is not a finite number");
      f.values = {rest};
      return f;
    }
    std::size_t start = 0;
    while (true) {
      const auto comma = rest.find(',', start);
      const std::string v = rest.substr(start, comma == std::string::npos ? comma : comma - start);
      if (v.empty()) detail::throw_invalid(fn, "filter '", text, "' has an empty value");
      f.values.push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return f;
  }

  /// The operator as written: "=", "!=", ">", ">=", "<" or "<=".
  const char* op_text() const noexcept {
    switch (op) {
    case Op::In:
      return "=";
    case Op::NotIn:
      return "!=";
    case Op::Greater:
      return ">";
    case Op::GreaterEqual:
      return ">=";
    case Op::Less:
      return "<";
    default:
      return "<=";
    }
  }
};

/// How the several signatures of one (perturbation, context) pair become one.
struct Aggregation {
  enum class Kind {
    None,   ///< several signatures of a pair are an error (the default)
    Mean,   ///< the feature-wise mean
    Median, ///< the feature-wise median
    First,  ///< the first in column order
    Best    ///< the one with the largest value of the numeric column field `field`
  };
  Kind kind = Kind::None;
  std::string field; ///< for Best, e.g. CMap's `distil_cc_q75` (replicate correlation)

  /// Parse `none`, `mean`, `median`, `first` or `best:FIELD`; throws `invalid_argument` naming
  /// the text otherwise.
  static Aggregation parse(const std::string& text) {
    Aggregation a;
    if (text == "none") return a;
    if (text == "mean")
      a.kind = Kind::Mean;
    else if (text == "median")
      a.kind = Kind::Median;
    else if (text == "first")
      a.kind = Kind::First;
    else if (text.rfind("best:", 0) == 0 && text.size() > 5) {
      a.kind = Kind::Best;
      a.field = text.substr(5);
    } else {
      detail::throw_invalid("Aggregation::parse", "aggregation '", text,
                            "' is not none, mean, median, first or best:FIELD");
    }
    return a;
  }
};

/// Which columns of a reader's result are signatures of which pair, and how a pair's several
/// signatures are merged. The fields have no defaults here: CMap's are in `io/cmap.hpp`.
struct SignatureSelection {
  std::string perturbation_field;    ///< column field naming each signature's perturbation
  std::string context_field;         ///< column field naming each signature's context
  std::vector<ColumnFilter> filters; ///< all must hold (each: one of its values)
  Aggregation aggregate;             ///< for pairs with several signatures
  std::string symbol_field;          ///< row field with the features' symbols (used when present)
  /// Throws `invalid_argument` for an empty pair field or a filter without field or values.
  void validate() const {
    const char* fn = "SignatureSelection::validate";
    if (perturbation_field.empty() || context_field.empty())
      detail::throw_invalid(fn, "the perturbation and context fields must be named");
    for (const auto& f : filters)
      if (f.field.empty() || f.values.empty())
        detail::throw_invalid(fn, "a filter needs a field and at least one value");
    if (aggregate.kind == Aggregation::Kind::Best && aggregate.field.empty())
      detail::throw_invalid(fn, "best:FIELD needs a field");
  }
};

/// What `select_signatures` did, for a note to the user.
struct SelectionReport {
  Eigen::Index read = 0;         ///< columns in the input
  Eigen::Index filtered_out = 0; ///< removed by the filters
  Eigen::Index merged = 0;       ///< columns merged into another of their pair
  Eigen::Index pairs = 0;        ///< signatures (pairs) in the result
};

namespace detail {
/// "a, b, c" for at most `max` distinct values in order of appearance, then "... (N in all)".
inline std::string distinct_values(const std::vector<std::string>& v, std::size_t max = 20) {
  std::vector<std::string> seen;
  std::set<std::string> set;
  for (const auto& s : v)
    if (set.insert(s).second) seen.push_back(s);
  std::string out;
  for (std::size_t i = 0; i < seen.size() && i < max; ++i) out += (i ? ", '" : "'") + seen[i] + "'";
  if (seen.size() > max) out += ", ... (" + std::to_string(seen.size()) + " in all)";
  return out;
}
inline void require_field(const char* fn, const MetadataTable& meta, const std::string& field,
                          const char* what) {
  if (meta.has_field(field)) return;
  std::string names;
  for (const auto& n : meta.field_names()) names += (names.empty() ? "" : ", ") + n;
  throw_invalid(fn, what, " field '", field,
                "' is not in the column metadata (fields: ", names.empty() ? "none" : names, ")");
}
} // namespace detail

/// The columns (in order) that pass every filter, from the column metadata alone (so that a
/// reader can select them before reading values). A filter naming an unknown field, or keeping
/// nothing, throws `invalid_argument` listing the fields or the field's values.
inline std::vector<Eigen::Index> filter_columns(const MetadataTable& col_meta,
                                                const std::vector<ColumnFilter>& filters) {
  const char* fn = "filter_columns";
  std::vector<char> keep(std::size_t(col_meta.size()), 1);
  for (const auto& f : filters) {
    detail::require_field(fn, col_meta, f.field, "filter");
    const auto& vals = col_meta.field(f.field);
    const std::set<std::string> accepted(f.values.begin(), f.values.end());
    using Op = ColumnFilter::Op;
    double x = 0;
    if (f.op != Op::In && f.op != Op::NotIn &&
        (f.values.size() != 1 || !detail::parse_double(f.values[0], x)))
      detail::throw_invalid(fn, "filter ", f.field, f.op_text(), " needs one number");
    bool any = false;
    for (std::size_t i = 0; i < vals.size(); ++i) {
      double v = 0;
      const bool num = f.op != Op::In && f.op != Op::NotIn && !detail::is_missing_token(vals[i]) &&
                       detail::parse_double(vals[i], v);
      bool ok = false;
      switch (f.op) {
      case Op::In:
        ok = accepted.count(vals[i]) > 0;
        break;
      case Op::NotIn:
        ok = accepted.count(vals[i]) == 0;
        break;
      case Op::Greater:
        ok = num && v > x;
        break;
      case Op::GreaterEqual:
        ok = num && v >= x;
        break;
      case Op::Less:
        ok = num && v < x;
        break;
      case Op::LessEqual:
        ok = num && v <= x;
        break;
      }
      any = any || ok;
      if (!ok) keep[i] = 0;
    }
    if (!any)
      detail::throw_invalid(fn, "filter ", f.field, f.op_text(), detail::distinct_values(f.values),
                            " matches no column; its values are ", detail::distinct_values(vals));
  }
  std::vector<Eigen::Index> out;
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) out.push_back(Eigen::Index(i));
  if (out.empty()) detail::throw_invalid(fn, "the filters together keep no column");
  return out;
}

/// One signature per (perturbation, context) pair from the columns of `m` (features x columns,
/// e.g. a CMap Level-5 GCT): the columns passing `s.filters` are grouped by the values of
/// `s.perturbation_field` and `s.context_field`, and a pair's several columns are merged by
/// `s.aggregate` (without one they throw, naming the pair, its columns and the options). Pairs
/// are in order of first appearance; missing pair labels (`-666`, `na`, empty) throw. `report`,
/// when given, receives the counts.
template <class Scalar>
PerturbationTensor<Scalar> select_signatures(const LabeledMatrix<Scalar>& m,
                                             const SignatureSelection& s,
                                             SelectionReport* report = nullptr) {
  using Index = Eigen::Index;
  using Kind = Aggregation::Kind;
  const char* fn = "select_signatures";
  s.validate();
  const MetadataTable& meta = m.col_meta();
  detail::require_field(fn, meta, s.perturbation_field, "perturbation");
  detail::require_field(fn, meta, s.context_field, "context");
  const std::vector<Index> cols = filter_columns(meta, s.filters);
  const auto& pert = meta.field(s.perturbation_field);
  const auto& ctx = meta.field(s.context_field);
  Eigen::VectorXd score;
  if (s.aggregate.kind == Kind::Best) {
    detail::require_field(fn, meta, s.aggregate.field, "best:");
    score = meta.as_double(s.aggregate.field); // missing -> NaN: never preferred
  }
  // The pairs in order of first appearance, each with its columns in order.
  std::map<std::pair<std::string, std::string>, std::size_t> slot;
  std::vector<std::vector<Index>> groups;
  std::vector<std::string> p_out, c_out;
  for (Index j : cols) {
    const std::string &p = pert[std::size_t(j)], &c = ctx[std::size_t(j)];
    if (detail::is_missing_token(p) || detail::is_missing_token(c))
      detail::throw_invalid(fn, "column '", m.col_ids()[std::size_t(j)], "' has no ",
                            detail::is_missing_token(p) ? s.perturbation_field : s.context_field,
                            " (value '", detail::is_missing_token(p) ? p : c, "')");
    const auto [it, inserted] = slot.emplace(std::make_pair(p, c), groups.size());
    if (inserted) {
      groups.emplace_back();
      p_out.push_back(p);
      c_out.push_back(c);
    }
    groups[it->second].push_back(j);
  }
  typename PerturbationTensor<Scalar>::Matrix sig(Index(groups.size()), m.rows());
  Index merged = 0;
  std::vector<Scalar> buf;
  for (std::size_t k = 0; k < groups.size(); ++k) {
    const auto& g = groups[k];
    merged += Index(g.size()) - 1;
    if (g.size() == 1 || s.aggregate.kind == Kind::First) {
      sig.row(Index(k)) = m.data().col(g.front()).transpose();
      continue;
    }
    switch (s.aggregate.kind) {
    case Kind::None: {
      std::string ids;
      for (std::size_t i = 0; i < g.size() && i < 5; ++i)
        ids += (i ? ", " : "") + m.col_ids()[std::size_t(g[i])];
      if (g.size() > 5) ids += ", ...";
      detail::throw_invalid(fn, "pair (", p_out[k], ", ", c_out[k], ") has ", g.size(),
                            " signatures (", ids,
                            "); filter them (e.g. by dose or time) or merge them with an "
                            "aggregation: mean, median, first or best:FIELD");
    }
    case Kind::Mean: {
      sig.row(Index(k)).setZero();
      for (Index j : g) sig.row(Index(k)) += m.data().col(j).transpose();
      sig.row(Index(k)) /= Scalar(g.size());
      break;
    }
    case Kind::Median: {
      buf.resize(g.size());
      for (Index r = 0; r < m.rows(); ++r) {
        for (std::size_t i = 0; i < g.size(); ++i) buf[i] = m.data()(r, g[i]);
        std::sort(buf.begin(), buf.end());
        const std::size_t h = buf.size() / 2;
        sig(Index(k), r) = buf.size() % 2 ? buf[h] : (buf[h - 1] + buf[h]) / Scalar(2);
      }
      break;
    }
    default: { // Best: the largest score, the first on ties; NaN (missing) only when all are
      Index best = g.front();
      for (Index j : g)
        if (!std::isnan(score[j]) && (std::isnan(score[best]) || score[j] > score[best])) best = j;
      sig.row(Index(k)) = m.data().col(best).transpose();
    }
    }
  }
  auto t = PerturbationTensor<Scalar>::from_signatures(std::move(sig), p_out, c_out, m.row_ids());
  if (!s.symbol_field.empty() && m.row_meta().has_field(s.symbol_field))
    t.set_feature_symbols(m.row_meta().field(s.symbol_field));
  if (report) {
    report->read = m.cols();
    report->filtered_out = m.cols() - Index(cols.size());
    report->merged = merged;
    report->pairs = Index(groups.size());
  }
  return t;
}

} // namespace cimpute
