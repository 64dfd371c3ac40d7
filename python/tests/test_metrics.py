"""cimpute.metrics against independent computations: SciPy's mannwhitneyu for the DE tests,
Benjamini-Hochberg written out, energy distances from SciPy's cdist, the per-perturbation scores
and pds in NumPy, on real Perturb-seq cells and on planted data; and cimpute.metrics.score
against `cimpute score` (the same C++ code) on h5ad files."""
import os

import numpy as np
import pytest

import cimpute
import cimpute.metrics as cm

scipy_stats = pytest.importorskip("scipy.stats")
from scipy.spatial.distance import cdist  # noqa: E402


def bh(p):
    """Benjamini-Hochberg step-up written out: q_(i) = min_{j >= i} m p_(j) / j."""
    p = np.asarray(p)
    m = len(p)
    order = np.argsort(p, kind="stable")
    q = np.empty(m)
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, m * p[i] / rank)
        q[i] = running
    return q


def papalexi_cells(data, target):
    """log1p(CP10k) of the Papalexi cells of one gRNA target and of the non-targeting ones."""
    anndata = pytest.importorskip("anndata")
    a = anndata.read_h5ad(data("perturbseq/papalexi/papalexi_lowmoi.h5ad"))
    X = (a.X.toarray() if hasattr(a.X, "toarray") else np.asarray(a.X)).astype(np.float64)
    X = np.log1p(1e4 * X / X.sum(axis=1, keepdims=True))
    t = a.obs["grna_target"].astype(str).to_numpy()
    return X[t == target], X[t == "non-targeting"], list(a.var_names)


def test_differential_expression_equals_scipy_mannwhitneyu_on_real_cells(data):
    x, c, genes = papalexi_cells(data, "STAT1")
    de = cm.differential_expression(x, c)
    want_p = np.array([scipy_stats.mannwhitneyu(x[:, g], c[:, g], alternative="two-sided",
                                                method="asymptotic", use_continuity=True).pvalue
                       for g in range(x.shape[1])])
    np.testing.assert_allclose(de["p_value"], want_p, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(de["q_value"], bh(want_p), rtol=1e-9, atol=1e-300)
    lfc = np.log2((np.expm1(x).mean(0) + 1e-9) / (np.expm1(c).mean(0) + 1e-9))
    np.testing.assert_allclose(de["log2_fold_change"], lfc, rtol=1e-10, atol=1e-12)
    # The knocked-out gene itself is among the significant ones, and lower.
    g = genes.index("STAT1")
    assert de["q_value"][g] < 0.05 and de["log2_fold_change"][g] < 0


def test_benjamini_hochberg_written_out():
    rng = np.random.default_rng(4)
    p = rng.integers(0, 50, 200) / 50.0  # with ties
    np.testing.assert_allclose(cm.benjamini_hochberg(p), bh(p), rtol=1e-14)


def test_energy_distances_against_cdist():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 5)), rng.normal(0.5, 1.2, size=(40, 5))
    for metric, squared in (("sqeuclidean", True), ("euclidean", False)):
        dxy, dxx, dyy = (cdist(a, b, metric) for a, b in ((x, y), (x, x), (y, y)))
        n, m = len(x), len(y)
        distinct = 2 * dxy.mean() - dxx.sum() / (n * (n - 1)) - dyy.sum() / (m * (m - 1))
        allp = 2 * dxy.mean() - dxx.mean() - dyy.mean()
        assert cm.energy_distance(x, y, f"{metric}-distinct") == pytest.approx(distinct, 1e-12)
        assert cm.energy_distance(x, y, f"{metric}-all") == pytest.approx(allp, 1e-12)
    d, p = cm.energy_test(x, y + 3, permutations=199, seed=1)
    assert p == pytest.approx(1 / 200)
    assert d == pytest.approx(cm.energy_distance(x, y + 3))


def test_pseudobulk_scores_against_numpy():
    import pandas as pd
    rng = np.random.default_rng(7)
    P, G = 15, 50
    genes = [f"G{i}" for i in range(G)]
    perts = [f"G{i}" for i in range(P - 1)] + ["ctrl"]  # knock-downs of measured genes
    truth = pd.DataFrame(rng.normal(size=(P, G)), index=perts, columns=genes)
    pred = truth + rng.normal(scale=0.8, size=(P, G))
    s = cm.score(truth, pred, control="ctrl")
    assert list(s.columns[:4]) == ["perturbation", "context", "truth_profiles",
                                   "predicted_profiles"]
    assert list(s.columns[4:]) == cm.metric_names(cells=False)
    tc, pc = truth.loc["ctrl"].to_numpy(), pred.loc["ctrl"].to_numpy()
    dt = truth.drop("ctrl").to_numpy() - tc
    dp = pred.drop("ctrl").to_numpy() - pc
    for k, row in s.iterrows():
        t, p = truth.loc[row.perturbation].to_numpy(), pred.loc[row.perturbation].to_numpy()
        assert row["mae"] == pytest.approx(np.abs(t - p).mean(), 1e-12)
        assert row["pearson"] == pytest.approx(np.corrcoef(t, p)[0, 1], 1e-12)
        assert row["pearson-delta"] == pytest.approx(np.corrcoef(dt[k], dp[k])[0, 1], 1e-12)
        top = np.argsort(-np.abs(dt[k]), kind="stable")[:20]
        assert row["pearson-delta-de20"] == pytest.approx(
            np.corrcoef(dt[k][top], dp[k][top])[0, 1], 1e-12)
        # pds: the knocked-down gene's own column left out of the L1 distances.
        keep = np.arange(G) != genes.index(row.perturbation)
        dist = np.abs(dt[:, keep] - dp[k, keep]).sum(axis=1)
        rank = np.sum(np.delete(dist, k) < dist[k])
        assert row["pds"] == pytest.approx(1 - rank / (P - 1))
    # The baseline summary: the training mean (every perturbation predicted as the mean delta).
    mean = truth.copy()
    mean.loc[:, :] = truth.drop("ctrl").mean().to_numpy()
    mean.loc["ctrl"] = truth.loc["ctrl"]
    b = cm.score(truth, mean, control="ctrl")
    want = np.mean([max(0.0, (s["pds"].mean() - b["pds"].mean()) / (1 - b["pds"].mean())),
                    max(0.0, 1 - s["mae"].mean() / b["mae"].mean())])
    assert cm.summary(s, b, ["pds", "mae"]) == pytest.approx(want)
    with pytest.raises(ValueError, match="missing from the prediction"):
        cm.score(truth, pred.drop(columns=["G3"]), control="ctrl")
    with pytest.raises(ValueError, match="no prediction for 1 measured pairs: G2 in all"):
        cm.score(truth, pred.drop(index=["G2"]), control="ctrl")
    assert len(cm.score(truth, pred.drop(index=["G2"]), control="ctrl", allow_subset=True)) == 13


def planted_cells(seed, shift_genes):
    """AnnData of control cells and 3 perturbations raising genes 10p .. 10p+5 fivefold."""
    anndata = pytest.importorskip("anndata")
    import pandas as pd
    rng = np.random.default_rng(seed)
    G, labels, rows = 40, [], []
    for p, n in (("ctrl", 150), ("A", 60), ("B", 60), ("C", 60)):
        rate = np.full(G, 1.5)
        if p != "ctrl":
            k = shift_genes[p]
            rate[10 * k:10 * k + 6] *= 5
        rows.append(np.log1p(rng.poisson(rate, size=(n, G))))
        labels += [p] * n
    obs = pd.DataFrame({"target": labels, "line": "K562"},
                       index=[f"cell{i}" for i in range(len(labels))])
    return anndata.AnnData(np.vstack(rows), obs=obs, dtype=np.float64,
                           var=pd.DataFrame(index=[f"g{i}" for i in range(G)]))


def test_cell_scores_equal_cimpute_score(tmp_path, cli):
    truth = planted_cells(1, {"A": 0, "B": 1, "C": 2})
    good = planted_cells(2, {"A": 0, "B": 1, "C": 2})
    wrong = planted_cells(3, {"A": 1, "B": 2, "C": 0})
    s = cm.score(truth, good, control="ctrl", perturbation_key="target", context_key="line",
                 etest_permutations=99)
    w = cm.score(truth, wrong, control="ctrl", perturbation_key="target", context_key="line")
    assert (s["des"] == 1).all() and (w["des"] == 0).all()
    assert (s["pds"] == 1).all() and (w["pds"] < 1).all()
    assert (s["etest-p"] > 0.01).all()
    assert cm.summary(s, w) > 0.5 and cm.summary(w, s) == 0
    files = {}
    for name, a in (("truth", truth), ("good", good), ("wrong", wrong)):
        files[name] = str(tmp_path / f"{name}.h5ad")
        a.write_h5ad(files[name])
    per = str(tmp_path / "per.tsv")
    out, _ = cli("score", "--truth", files["truth"], "--predicted", files["good"], "--control",
                 "ctrl", "--perturbation-field", "target", "--context-field", "line",
                 "--baseline", files["wrong"], "--format", "tsv", "--per-perturbation-out", per,
                 "--quiet")
    import pandas as pd
    tool = pd.read_csv(per, sep="\t")
    both = s.drop(columns=["etest-p"]).merge(tool, on=["perturbation", "context"],
                                             suffixes=("", "_tool"))
    assert len(both) == 3
    for m in cm.metric_names(cells=True):
        col = "des@20" if m == "des@K" else m
        if m == "etest-p":
            continue
        np.testing.assert_allclose(both[col], both[col + "_tool"], rtol=1e-8, atol=1e-12,
                                   err_msg=m)
    summary = [l.split("\t") for l in out.splitlines() if l.startswith("summary(")]
    assert float(summary[0][1]) == pytest.approx(cm.summary(s, w), rel=1e-5)
    # A prediction without perturbation B: one line naming it, exit 2.
    import subprocess
    lacking = str(tmp_path / "lacking.h5ad")
    good[good.obs["target"] != "B"].copy().write_h5ad(lacking)
    r = subprocess.run([os.environ["CIMPUTE_CLI"], "score", "--truth", files["truth"],
                        "--predicted", lacking, "--control", "ctrl", "--perturbation-field",
                        "target", "--context-field", "line"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().endswith("no prediction for 1 measured pair: B in K562 "
                                     "(--allow-subset scores the overlap)"), r.stderr
