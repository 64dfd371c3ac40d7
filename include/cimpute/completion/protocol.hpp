/// @file protocol.hpp
/// @brief `CompletionProtocol`: an evaluation protocol named at run time (`loo`, `loco`, `kfold:K`,
/// `sparse:B`), parsed once; `evaluate_protocol` (protocols.hpp) runs it.
#pragma once

#include "cimpute/core/errors.hpp"

#include <cstdlib>
#include <string>

namespace cimpute {

/// A named evaluation protocol: `loo` (leave-one-pair-out), `loco` (leave-one-context-out),
/// `kfold:K` (K folds within each context), `sparse:B` (B training perturbations per context),
/// `unseen-perturbation:K` (K folds of perturbations, each held out of every context) or
/// `unseen-combination` / `unseen-combination:K` (each combination `A+B`, or K folds of them,
/// held out while their single perturbations train).
struct CompletionProtocol {
  enum class Kind {
    LeaveOnePairOut,
    LeaveOneContextOut,
    KFold,
    Sparse,
    UnseenPerturbation,
    UnseenCombination
  };
  Kind kind = Kind::LeaveOnePairOut;
  int value = 0;    ///< K or B (0 for unseen-combination: one combination per fold)
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
    if (p == "unseen-combination") {
      out.kind = Kind::UnseenCombination;
      return out;
    }
    const auto colon = p.find(':');
    const std::string kind = p.substr(0, colon);
    if (colon != std::string::npos &&
        (kind == "kfold" || kind == "sparse" || kind == "unseen-perturbation" ||
         kind == "unseen-combination")) {
      const std::string num = p.substr(colon + 1);
      char* end = nullptr;
      const long v = num.empty() ? 0 : std::strtol(num.c_str(), &end, 10);
      if (end && *end == 0 && v >= (kind == "sparse" ? 1 : 2) && v < 1000000) {
        out.kind = kind == "kfold"                 ? Kind::KFold
                   : kind == "sparse"              ? Kind::Sparse
                   : kind == "unseen-perturbation" ? Kind::UnseenPerturbation
                                                   : Kind::UnseenCombination;
        out.value = int(v);
        return out;
      }
    }
    detail::throw_invalid("CompletionProtocol::parse", "protocol '", p,
                          "' is not loo, loco, kfold:K (K >= 2), sparse:B (B >= 1), "
                          "unseen-perturbation:K (K >= 2) or unseen-combination[:K] (K >= 2)");
  }
  /// True for the protocols that draw random splits (kfold, sparse, unseen-perturbation,
  /// unseen-combination:K).
  bool is_random() const noexcept {
    return kind == Kind::KFold || kind == Kind::Sparse || kind == Kind::UnseenPerturbation ||
           (kind == Kind::UnseenCombination && value > 0);
  }
  /// True when the evaluated pairs' perturbations have no training pair in any context.
  bool new_perturbations() const noexcept {
    return kind == Kind::UnseenPerturbation || kind == Kind::UnseenCombination;
  }
};

} // namespace cimpute
