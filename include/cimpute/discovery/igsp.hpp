/// @file igsp.hpp
/// @brief Interventional greedy sparsest permutation: IGSP with known targets (Wang, Solus, Yang
/// & Uhler 2017) and UT-IGSP with unknown targets (Squires, Wang & Uhler 2020).
#pragma once

#include "cimpute/core/errors.hpp"
#include "cimpute/discovery/gaussian_invariance_test.hpp"
#include "cimpute/discovery/gsp.hpp"
#include "cimpute/graph/dag.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cimpute {

/// Gaussian invariance tests of every interventional setting against the observational data,
/// memoised: the `InvarianceTest` concept used by `igsp` and `utigsp`
/// (`int num_settings() const`, `const std::vector<int>& targets(int k) const` — the known
/// targets of setting k, possibly empty —, and `bool invariant(int k, int i, const
/// std::vector<int>& S, double alpha) const`).
class GaussianInvarianceTests {
public:
  /// Observational samples and one sample matrix per setting with its known targets.
  GaussianInvarianceTests(const Eigen::MatrixXd& observational,
                          const std::vector<Eigen::MatrixXd>& settings,
                          std::vector<std::vector<int>> targets)
      : m_targets(std::move(targets)) {
    if (m_targets.size() != settings.size())
      detail::throw_invalid("GaussianInvarianceTests", settings.size(), " settings but ",
                            m_targets.size(), " target lists");
    for (const auto& X : settings) m_tests.emplace_back(observational, X);
    for (auto& t : m_targets) {
      std::sort(t.begin(), t.end());
      for (int v : t)
        if (v < 0 || v >= int(observational.cols()))
          detail::throw_invalid("GaussianInvarianceTests", "target ", v, " is not a variable");
    }
  }
  int num_settings() const noexcept { return int(m_tests.size()); }
  const std::vector<int>& targets(int k) const { return m_targets.at(std::size_t(k)); }
  /// Is X_i | X_S the same in setting k as in the observational data (memoised)?
  bool invariant(int k, int i, std::vector<int> S, double alpha) const {
    std::sort(S.begin(), S.end());
    auto key = std::make_tuple(k, i, S);
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      const auto it = m_cache.find(key);
      if (it != m_cache.end()) return it->second >= alpha;
    }
    const double p = m_tests.at(std::size_t(k)).test(i, S).p_value();
    std::lock_guard<std::mutex> lock(m_mutex);
    m_cache.emplace(std::move(key), p);
    return p >= alpha;
  }

private:
  std::vector<GaussianInvarianceTest> m_tests;
  std::vector<std::vector<int>> m_targets;
  mutable std::mutex m_mutex;
  mutable std::map<std::tuple<int, int, std::vector<int>>, double> m_cache;
};

/// Options of `igsp` and `utigsp`: those of `gsp` plus the invariance tests' level.
struct IgspOptions : GspOptions {
  double alpha_invariance = 1e-3; ///< level of the invariance tests
};

namespace detail {
struct ArcKey {
  int i, j;
  std::uint64_t hi, hj;
  bool operator==(const ArcKey& o) const {
    return i == o.i && j == o.j && hi == o.hi && hj == o.hj;
  }
};
struct ArcKeyHash {
  std::size_t operator()(const ArcKey& k) const {
    return std::size_t(k.hi * 31 + k.hj * 17 + std::uint64_t(k.i) * 1000003ULL +
                       std::uint64_t(k.j));
  }
};

inline bool contains(const std::vector<int>& sorted, int v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

// Every subset of `v` (as sorted vectors), smallest first.
inline std::vector<std::vector<int>> subsets(const std::vector<int>& v) {
  std::vector<std::vector<int>> out{{}};
  for (int x : v) {
    const std::size_t n = out.size();
    for (std::size_t k = 0; k < n; ++k) {
      auto s = out[k];
      s.push_back(x);
      std::sort(s.begin(), s.end());
      out.push_back(std::move(s));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.size() < b.size(); });
  return out;
}

// Is i -> j I-covered in g: covered, and no setting with target set exactly {i} changes X_j?
template <class Inv>
bool i_covered(const Inv& inv, const Dag& g, int i, int j, double alpha) {
  if (!g.is_covered(i, j)) return false;
  for (int k = 0; k < inv.num_settings(); ++k) {
    const auto& T = inv.targets(k);
    if (T.size() == 1 && T[0] == i && !inv.invariant(k, j, {}, alpha)) return false;
  }
  return true;
}

// Is the arc i -> j I-contradicting (Wang et al. 2017, general targets)? When X_j | S is
// invariant for some S within ne(j) \ {i} under every setting containing i but not j (and there
// is at least one), or when under some setting containing j but not i, X_i | S changes for
// every S within ne(i) \ {j}.
template <class Inv>
bool i_contradicting(const Inv& inv, const Dag& g, int i, int j, double alpha) {
  auto neighbours = [&](int v, int except) {
    std::vector<int> n = g.parents(v);
    n.insert(n.end(), g.children(v).begin(), g.children(v).end());
    n.erase(std::remove(n.begin(), n.end(), except), n.end());
    std::sort(n.begin(), n.end());
    return n;
  };
  std::vector<int> with_i, with_j;
  for (int k = 0; k < inv.num_settings(); ++k) {
    const auto& T = inv.targets(k);
    if (contains(T, i) && !contains(T, j)) with_i.push_back(k);
    if (contains(T, j) && !contains(T, i)) with_j.push_back(k);
  }
  if (!with_i.empty())
    for (const auto& S : subsets(neighbours(j, i))) {
      bool all_invariant = true;
      for (int k : with_i) all_invariant = all_invariant && inv.invariant(k, j, S, alpha);
      if (all_invariant) return true;
    }
  for (int k : with_j) {
    bool always_changes = true;
    for (const auto& S : subsets(neighbours(i, j)))
      if (inv.invariant(k, i, S, alpha)) {
        always_changes = false;
        break;
      }
    if (always_changes) return true;
  }
  return false;
}

/// The 64-bit hash (FNV-1a) of node v's sorted parent set, or parent and child sets: the memo key
/// part of the IGSP / UT-IGSP scores.
inline std::uint64_t neighbourhood_hash(const Dag& g, int v, bool parents_only) {
  std::uint64_t x = 1469598103934665603ULL;
  auto mix = [&x](std::uint64_t y) { x = (x ^ y) * 1099511628211ULL; };
  for (int u : g.parents(v)) mix(std::uint64_t(u) + 1);
  mix(0xFFFFFFFFULL); // separator: parents | children
  if (!parents_only)
    for (int u : g.children(v)) mix(std::uint64_t(u) + 1);
  return x;
}

/// The parts of an incremental score that only sum per-node terms: `scorer.term(g, v)` is node
/// v's term; the score is (arcs, sum of terms). `score_from_terms` fills every term,
/// `rescore_terms` recomputes those of `affected` from the previous terms and returns them.
template <class Scorer>
SearchScore score_from_terms(Scorer& scorer, const Dag& g, std::vector<long>& terms) {
  terms.assign(std::size_t(g.num_nodes()), 0);
  long total = 0;
  for (int v = 0; v < g.num_nodes(); ++v) total += terms[std::size_t(v)] = scorer.term(g, v);
  return {g.num_arcs(), total};
}
template <class Scorer>
SearchScore rescore_terms(Scorer& scorer, const Dag& g, const std::vector<long>& terms,
                          const std::vector<int>& affected, const SearchScore& before,
                          std::vector<std::pair<int, long>>& new_terms) {
  new_terms.clear();
  long total = before.second;
  for (int v : affected) {
    const long t = scorer.term(g, v);
    total += t - terms[std::size_t(v)];
    new_terms.push_back({v, t});
  }
  return {g.num_arcs(), total};
}

/// The IGSP score (arcs, I-contradicting arcs), incremental for `covered_arc_search`: the term of
/// node v is the number of contradicting arcs into v. Whether a -> v contradicts the
/// interventions depends only on the neighbourhoods of a and v, so it is memoised on (a, v, hash
/// of ne(a), hash of ne(v)); after a reversal only the changed nodes and their children are
/// rescored. One object per search (the memo is not shared between threads).
template <class Inv>
struct IgspScore {
  const Inv& inv;
  double alpha;
  std::unordered_map<ArcKey, bool, ArcKeyHash> memo;

  long term(const Dag& g, int v) {
    const std::uint64_t hv = neighbourhood_hash(g, v, false);
    long c = 0;
    for (int a : g.parents(v)) {
      const ArcKey key{a, v, neighbourhood_hash(g, a, false), hv};
      auto it = memo.find(key);
      if (it == memo.end()) it = memo.emplace(key, i_contradicting(inv, g, a, v, alpha)).first;
      c += it->second;
    }
    return c;
  }
  SearchScore full(const Dag& g, std::vector<long>& terms) {
    return score_from_terms(*this, g, terms);
  }
  SearchScore update(const Dag& g, const std::vector<long>& terms, const std::vector<int>& changed,
                     const SearchScore& before, std::vector<std::pair<int, long>>& new_terms) {
    std::vector<int> affected = changed;
    for (int v : changed)
      affected.insert(affected.end(), g.children(v).begin(), g.children(v).end());
    std::sort(affected.begin(), affected.end());
    affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
    return rescore_terms(*this, g, terms, affected, before, new_terms);
  }
  /// The score of g from scratch.
  SearchScore operator()(const Dag& g) {
    std::vector<long> terms;
    return full(g, terms);
  }
};

/// The UT-IGSP score (arcs, number of (setting, node) pairs whose X_v | X_pa(v) is not
/// invariant), incremental: the term of v counts its non-invariant settings, memoised on (v, hash
/// of pa(v)); a reversal changes the parent sets of the changed nodes only. One object per search.
template <class Inv>
struct UtigspScore {
  const Inv& inv;
  double alpha;
  std::unordered_map<ArcKey, long, ArcKeyHash> memo; // (v, v, hash of pa(v), 0)

  long term(const Dag& g, int v) {
    const ArcKey key{v, v, neighbourhood_hash(g, v, true), 0};
    auto it = memo.find(key);
    if (it == memo.end()) {
      long c = 0;
      for (int k = 0; k < inv.num_settings(); ++k) c += !inv.invariant(k, v, g.parents(v), alpha);
      it = memo.emplace(key, c).first;
    }
    return it->second;
  }
  SearchScore full(const Dag& g, std::vector<long>& terms) {
    return score_from_terms(*this, g, terms);
  }
  SearchScore update(const Dag& g, const std::vector<long>& terms, const std::vector<int>& changed,
                     const SearchScore& before, std::vector<std::pair<int, long>>& new_terms) {
    return rescore_terms(*this, g, terms, changed, before, new_terms);
  }
  SearchScore operator()(const Dag& g) {
    std::vector<long> terms;
    return full(g, terms);
  }
};

/// UT-IGSP's use of partially known targets: the covered arc i -> j may be reversed only if
/// X_j | X_pa(j) changes in every setting with i among its known targets (an intervention on a
/// true cause i leaves the mechanism of its effect j invariant). Always true without known
/// targets.
template <class Inv>
bool known_target_covered(const Inv& inv, const Dag& g, int i, int j, double alpha) {
  if (!g.is_covered(i, j)) return false;
  for (int k = 0; k < inv.num_settings(); ++k)
    if (contains(inv.targets(k), i) && inv.invariant(k, j, g.parents(j), alpha)) return false;
  return true;
}

} // namespace detail

/// IGSP (Wang, Solus, Yang & Uhler 2017): GSP on the observational CI tests whose covered-arc
/// reversals are restricted to I-covered arcs, with the score (arcs, I-contradicting arcs)
/// compared lexicographically, so that among the sparsest DAGs the one most consistent with the
/// interventions wins. `InvarianceTest` as documented at `GaussianInvarianceTests` (known
/// targets).
template <class CiTest, class InvarianceTest, class Comm = SingleProcess>
Dag igsp(const CiTest& ci, const InvarianceTest& inv, const IgspOptions& options = {},
         const Comm& comm = Comm{}) {
  options.validate("igsp");
  if (!(options.alpha_invariance > 0 && options.alpha_invariance < 1))
    detail::throw_invalid("igsp", "alpha_invariance must be in (0, 1)");
  const double a = options.alpha, ai = options.alpha_invariance;
  auto allowed = [&](const Dag& g, int i, int j) { return detail::i_covered(inv, g, i, j, ai); };
  return detail::best_of_runs(
      ci, options,
      [&](const Dag& start) {
        detail::IgspScore<InvarianceTest> score{inv, ai, {}}; // one memo per run (in parallel)
        Dag g = detail::covered_arc_search(start, options.depth, score, allowed, ci, a);
        auto s = score(g);
        return std::make_pair(std::move(g), s);
      },
      comm);
}

/// The result of `utigsp`: the DAG and, per setting, the learned targets (the nodes whose
/// conditional given their parents is not invariant).
struct UtigspResult {
  Dag dag;
  std::vector<std::vector<int>> targets;
};

/// UT-IGSP (Squires, Wang & Uhler 2020) for unknown or partially known targets: score(G) =
/// (arcs, number of (setting, node) pairs whose X_v | X_pa(v) is not invariant), compared
/// lexicographically; search over covered-arc reversals moving only to neighbours with a score
/// no worse and restarting on strictly better ones. The known targets of `inv` (possibly none)
/// are used as partial knowledge: a covered arc i -> j out of a known target i is reversed only
/// when X_j | X_pa(j) changes in every setting that targets i, and the learned targets of a
/// setting are its known targets plus the nodes whose conditional given their parents changes.
/// With empty target lists this is UT-IGSP with fully unknown targets.
template <class CiTest, class InvarianceTest, class Comm = SingleProcess>
UtigspResult utigsp(const CiTest& ci, const InvarianceTest& inv, const IgspOptions& options = {},
                    const Comm& comm = Comm{}) {
  options.validate("utigsp");
  if (!(options.alpha_invariance > 0 && options.alpha_invariance < 1))
    detail::throw_invalid("utigsp", "alpha_invariance must be in (0, 1)");
  const double a = options.alpha, ai = options.alpha_invariance;
  auto allowed = [&](const Dag& g, int i, int j) {
    return detail::known_target_covered(inv, g, i, j, ai);
  };
  UtigspResult res;
  res.dag = detail::best_of_runs(
      ci, options,
      [&](const Dag& start) {
        detail::UtigspScore<InvarianceTest> score{inv, ai, {}};
        Dag g = detail::covered_arc_search(start, options.depth, score, allowed, ci, a);
        auto s = score(g);
        return std::make_pair(std::move(g), s);
      },
      comm);
  for (int k = 0; k < inv.num_settings(); ++k) {
    std::vector<int> t = inv.targets(k);
    for (int v = 0; v < res.dag.num_nodes(); ++v)
      if (!detail::contains(inv.targets(k), v) && !inv.invariant(k, v, res.dag.parents(v), ai))
        t.push_back(v);
    std::sort(t.begin(), t.end());
    res.targets.push_back(std::move(t));
  }
  return res;
}

} // namespace cimpute
