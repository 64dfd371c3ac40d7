/// @file protocol.hpp
/// @brief `CompletionProtocol`: an evaluation protocol named at run time (`loo`, `loco`, `kfold:K`,
/// `sparse:B`), parsed once; `evaluate_protocol` (protocols.hpp) runs it.
#pragma once

#include "cimpute/core/errors.hpp"

#include <cstdlib>
#include <string>

namespace cimpute {

/// A named evaluation protocol: `loo` (leave-one-pair-out), `loco` (leave-one-context-out),
/// `kfold:K` (K folds within each context) or `sparse:B` (B training perturbations per context).
struct CompletionProtocol {
  enum class Kind { LeaveOnePairOut, LeaveOneContextOut, KFold, Sparse };
  Kind kind = Kind::LeaveOnePairOut;
  int value = 0;    ///< K or B
  std::string name; ///< as given

  /// Parse a protocol name; throws `invalid_argument` naming it when it is none of the above.
  static CompletionProtocol parse(const std::string& p) {
    CompletionProtocol out;
    out.name = p;
    if (p == "loo") return out;
    if (p == "loco") {
      out.kind = Kind::LeaveOneContextOut;
      return out;
    }
    const auto colon = p.find(':');
    const std::string kind = p.substr(0, colon);
    if (colon != std::string::npos && (kind == "kfold" || kind == "sparse")) {
      const std::string num = p.substr(colon + 1);
      char* end = nullptr;
      const long v = num.empty() ? 0 : std::strtol(num.c_str(), &end, 10);
      if (end && *end == 0 && v >= (kind == "kfold" ? 2 : 1) && v < 1000000) {
        out.kind = kind == "kfold" ? Kind::KFold : Kind::Sparse;
        out.value = int(v);
        return out;
      }
    }
    detail::throw_invalid("CompletionProtocol::parse", "protocol '", p,
                          "' is not loo, loco, kfold:K (K >= 2) or sparse:B (B >= 1)");
  }
  /// True for the protocols that draw random splits (kfold, sparse).
  bool is_random() const noexcept { return kind == Kind::KFold || kind == Kind::Sparse; }
};

} // namespace cimpute
