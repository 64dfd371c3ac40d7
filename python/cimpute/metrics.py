"""Perturbation-response metrics the way the field scores them, on AnnData and pandas.

The same C++ code as ``cimpute score`` (cimpute/stats/response_metrics.hpp): per perturbation
and context, ``mae``, ``mse``, ``pearson`` (of the means), ``cosine`` and ``r2`` (of the
deltas), ``pearson-delta``, ``pearson-delta-de20``, ``mse-de20``, ``pds``; on single cells also
``des``, ``des@K``, the energy distances and the E-test. A delta is a mean minus its own side's
control mean. :func:`summary` normalises the means against a baseline's as the 2025 Virtual Cell
Challenge did.

Example::

    import anndata, cimpute.metrics as cm
    truth, pred = anndata.read_h5ad("measured.h5ad"), anndata.read_h5ad("predicted.h5ad")
    scores = cm.score(truth, pred, control="non-targeting", perturbation_key="gene")
    base = cm.score(truth, anndata.read_h5ad("mean_baseline.h5ad"), control="non-targeting",
                    perturbation_key="gene")
    cm.summary(scores, base)            # des, pds, mae against the baseline
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import _cimpute

__all__ = ["score", "summary", "metric_names", "differential_expression", "energy_distance",
           "energy_test", "benjamini_hochberg"]

_CELL_ONLY = {"des", "des@K", "edistance", "edistance-truth-control",
              "edistance-predicted-control", "etest-p"}


def metric_names(cells: bool = True) -> list:
    """The metric columns of :func:`score` (pseudobulk ones only with ``cells=False``)."""
    return [n for n, _, _ in _cimpute.response_metrics() if cells or n not in _CELL_ONLY]


def _profiles(data, perturbation_key, context_key, what):
    """(values cells x genes, genes, perturbation labels, context labels) of AnnData or a
    DataFrame (index: perturbation, or a (perturbation, context) MultiIndex)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency of the package's tests
        pd = None
    if hasattr(data, "obs") and hasattr(data, "var_names"):  # AnnData
        X = data.X
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        if perturbation_key not in data.obs:
            raise ValueError(f"score: {what} has no obs column '{perturbation_key}' (columns: "
                             f"{', '.join(map(str, data.obs.columns))})")
        perts = data.obs[perturbation_key].astype(str).to_numpy()
        if context_key is None:
            ctxs = np.full(len(perts), "all")
        elif context_key not in data.obs:
            raise ValueError(f"score: {what} has no obs column '{context_key}'")
        else:
            ctxs = data.obs[context_key].astype(str).to_numpy()
        return np.asarray(X, dtype=float), [str(g) for g in data.var_names], perts, ctxs
    if pd is not None and isinstance(data, pd.DataFrame):
        idx = data.index
        if isinstance(idx, pd.MultiIndex):
            perts = idx.get_level_values(0).astype(str).to_numpy()
            ctxs = idx.get_level_values(1).astype(str).to_numpy()
        else:
            perts = idx.astype(str).to_numpy()
            ctxs = np.full(len(perts), "all")
        return (data.to_numpy(dtype=float), [str(c) for c in data.columns], perts, ctxs)
    raise TypeError(f"score: {what} must be an AnnData or a pandas DataFrame, got "
                    f"{type(data).__name__}")


def score(truth, predicted, control: str | None, *, perturbation_key: str = "perturbation",
          context_key: str | None = None, level: str = "auto", top_genes: int = 20,
          des_cap: int = 20, fdr: float = 0.05, energy: str = "sqeuclidean-distinct",
          etest_permutations: int = 0, seed: int = 0, target_genes: str = "auto",
          log1p_input: bool = True, allow_subset: bool = False):
    """Score ``predicted`` against ``truth``: a DataFrame with one row per (perturbation,
    context) of the truth (columns ``perturbation``, ``context``, ``truth_profiles``,
    ``predicted_profiles``, then every metric of the level).

    ``truth`` / ``predicted``: AnnData (cells as obs; labels in ``obs[perturbation_key]`` and
    optionally ``obs[context_key]``) or DataFrames (rows are profiles, columns genes; the index
    is the perturbation, or a (perturbation, context) MultiIndex). ``control``: the control
    perturbation of every context, or None when the profiles are already deltas (pseudobulk).
    ``level``: ``"cells"`` (several profiles per pair: DE tests, energy distances), ``"pseudobulk"``
    (the mean of each pair's profiles) or ``"auto"``. ``target_genes="auto"``: a perturbation
    named after a gene is its knock-down, whose own gene ``pds`` leaves out. Genes or pairs the
    prediction lacks raise ``ValueError`` unless ``allow_subset``.
    """
    import pandas as pd
    if level not in ("auto", "cells", "pseudobulk"):
        raise ValueError(f"score: level must be auto, cells or pseudobulk, got '{level}'")
    tX, tgenes, tp, tc = _profiles(truth, perturbation_key, context_key, "truth")
    pX, pgenes, pp, pc = _profiles(predicted, perturbation_key, context_key, "predicted")
    pos = {g: i for i, g in enumerate(pgenes)}
    missing = [g for g in tgenes if g not in pos]
    if missing and not allow_subset:
        raise ValueError(f"score: {len(missing)} measured genes are missing from the prediction: "
                         f"{', '.join(missing[:5])} (allow_subset=True scores the shared genes)")
    keep = [i for i, g in enumerate(tgenes) if g in pos]
    if len(keep) < 2:
        raise ValueError("score: fewer than 2 genes in common")
    genes = [tgenes[i] for i in keep]
    tX, pX = tX[:, keep], pX[:, [pos[g] for g in genes]]

    def groups(perts, ctxs):
        out = {}
        for i, key in enumerate(zip(perts, ctxs)):
            out.setdefault(key, []).append(i)
        return out
    tg, pg = groups(tp, tc), groups(pp, pc)
    if level == "auto":
        cells = any(len(v) > 1 for v in tg.values()) and any(len(v) > 1 for v in pg.values())
    else:
        cells = level == "cells"
    if cells and control is None:
        raise ValueError("score: single cells need control cells (control=None is for deltas)")
    rows, lacking = [], []
    for ctx in dict.fromkeys(tc):
        perts = [p for (p, c) in tg if c == ctx and p != control]
        if control is not None and (control, ctx) not in tg:
            continue
        scored = [p for p in perts if (p, ctx) in pg]
        lacking += [f"{p} in {ctx}" for p in perts if (p, ctx) not in pg]
        if not scored:
            continue
        targets = ([genes.index(p) if p in genes else -1 for p in scored]
                   if target_genes == "auto" else [])
        if cells:
            if (control, ctx) not in pg:
                raise ValueError(f"score: the prediction has no '{control}' cells in '{ctx}'")

            def gather(X, g):
                idx, lab = list(g[(control, ctx)]), [-1] * len(g[(control, ctx)])
                for k, p in enumerate(scored):
                    idx += g[(p, ctx)]
                    lab += [k] * len(g[(p, ctx)])
                return X[idx], lab
            px, pl = gather(pX, pg)
            tx, tl = gather(tX, tg)
            cols = _cimpute.score_cell_responses(
                px, pl, tx, tl, len(scored), top_genes=top_genes, des_cap=des_cap, fdr=fdr,
                energy=energy, etest_permutations=etest_permutations, seed=seed,
                target_genes=targets, log1p_input=log1p_input)
        else:
            tm = np.vstack([tX[tg[(p, ctx)]].mean(axis=0) for p in scored])
            pm = np.vstack([pX[pg[(p, ctx)]].mean(axis=0) for p in scored])
            G = len(genes)
            tctrl = np.zeros(G) if control is None else tX[tg[(control, ctx)]].mean(axis=0)
            pctrl = (np.zeros(G) if control is None else
                     pX[pg[(control, ctx)]].mean(axis=0) if (control, ctx) in pg else tctrl)
            cols = _cimpute.score_responses(pm, tm, pctrl, tctrl, top_genes=top_genes,
                                            target_genes=targets)
        frame = pd.DataFrame({"perturbation": scored, "context": ctx,
                              "truth_profiles": [len(tg[(p, ctx)]) for p in scored],
                              "predicted_profiles": [len(pg[(p, ctx)]) for p in scored]})
        for name in metric_names(cells):
            frame[f"des@{des_cap}" if name == "des@K" else name] = cols[name]
        rows.append(frame)
    if lacking and not allow_subset:
        raise ValueError(f"score: no prediction for {len(lacking)} measured pairs: "
                         f"{', '.join(lacking[:5])} (allow_subset=True scores the overlap)")
    if not rows:
        raise ValueError("score: no perturbation to score (every context needs a control "
                         "profile and a perturbation)")
    return pd.concat(rows, ignore_index=True)


def summary(scores, baseline, metrics: Sequence[str] | None = None) -> float:
    """The mean over ``metrics`` of each metric's mean normalised against the baseline's (the
    2025 Virtual Cell Challenge: 1 - u/b when lower is better, (u - b)/(1 - b) when higher is
    better, clipped to [0, 1]). Default: des, pds, mae on single-cell scores, else pds, mae,
    pearson-delta."""
    if metrics is None:
        metrics = (["des", "pds", "mae"] if "des" in scores.columns
                   else ["pds", "mae", "pearson-delta"])
    if len(metrics) == 0:
        raise ValueError("summary: no metrics")
    keys = ["perturbation", "context"]
    if all(k in scores.columns and k in baseline.columns for k in keys) and not (
            len(scores) == len(baseline) and
            (scores[keys].to_numpy() == baseline[keys].to_numpy()).all()):
        raise ValueError("summary: the model and the baseline score different pairs (give both "
                         "for the same pairs)")
    values = []
    for m in metrics:
        if m not in scores.columns or m not in baseline.columns:
            raise ValueError(f"summary: metric '{m}' is not a column of both score tables")
        values.append(_cimpute.normalised_score(m if not m.startswith("des@") else "des@K",
                                                float(scores[m].mean()),
                                                float(baseline[m].mean())))
    return float(np.mean(values))


def differential_expression(perturbed, control, *, log1p_input: bool = True,
                            pseudocount: float = 1e-9) -> dict:
    """Per-gene two-sided Wilcoxon rank-sum tests of ``perturbed`` against ``control`` cells
    (rows cells, columns genes): ``log2_fold_change``, ``z``, ``p_value`` and the
    Benjamini-Hochberg ``q_value``."""
    return _cimpute.differential_expression(np.asarray(perturbed, float),
                                            np.asarray(control, float), log1p_input, pseudocount)


def energy_distance(x, y, variant: str = "sqeuclidean-distinct") -> float:
    """Energy distance between two populations (rows cells): ``sqeuclidean-distinct``
    (scPerturb), ``sqeuclidean-all``, ``euclidean-distinct`` or ``euclidean-all``."""
    return _cimpute.energy_distance(np.asarray(x, float), np.asarray(y, float), variant)


def energy_test(x, y, permutations: int = 1000, seed: int = 0,
                variant: str = "sqeuclidean-distinct"):
    """(energy distance, permutation p-value) of two populations."""
    return _cimpute.energy_test(np.asarray(x, float), np.asarray(y, float), permutations, seed,
                                variant)


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, in input order."""
    return _cimpute.benjamini_hochberg(np.asarray(p, float))
