#!/usr/bin/env python3
"""`cimpute score` against the same computation in NumPy / SciPy, both in one run (issue 32).

A simulated single-cell screen: P perturbations x N cells each and C control cells over G genes
(Poisson counts, log1p; each perturbation shifts 20 genes), measured and predicted as independent
draws, written as sparse h5ad. Timed:

1. `cimpute score --truth T --predicted P --control ctrl` with every metric (DE tests on both
   sides, des, des@20, pds, the de20 metrics, energy distances to each other and to control): the
   whole process, reading the files included;
2. a NumPy / SciPy implementation of the same metrics (benchmarks/reference style: vectorised over
   genes, `scipy.stats.mannwhitneyu(axis=0)`, BH written out, L1 pds by broadcasting, the
   squared-Euclidean energy distance in closed form), the h5ad reading (anndata) included.

Prints both wall times, their ratio, and the largest difference of the per-perturbation mae,
pearson-delta, pds and des between the two (they compute the same numbers).

    PYTHONPATH=build/python python3 benchmarks/score_vs_scipy.py BUILD_DIR [--perturbations 1000]
        [--cells 100] [--control-cells 5000] [--genes 2000] [--threads 2]

BUILD_DIR holds bin/cimpute. The issue's size is the default (each h5ad about 0.5 GB, the SciPy
side about half an hour on 2 cores); --perturbations 100 gives a quick run.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def simulate(rng, P, N, C, G):
    import anndata
    import pandas as pd
    import scipy.sparse as sp
    base = rng.lognormal(-1.0, 1.0, G)
    blocks, labels = [], []
    for p in range(-1, P):
        rate = base.copy()
        n = C if p < 0 else N
        if p >= 0:
            genes = np.random.default_rng(p).choice(G, 20, replace=False)
            rate[genes] *= np.exp(np.random.default_rng(p + 7).normal(0, 1.0, 20))
        blocks.append(sp.csr_matrix(np.log1p(rng.poisson(rate, size=(n, G)).astype(np.float64))))
        labels += ["ctrl" if p < 0 else f"P{p}"] * n
    X = sp.vstack(blocks).tocsr()
    obs = pd.DataFrame({"target": labels}, index=[f"c{i}" for i in range(len(labels))])
    obs["line"] = "sim"
    return anndata.AnnData(X, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(G)]),
                           dtype=np.float64)


def bh(p):
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, -1) * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1].clip(max=1)
    q = np.empty_like(p)
    np.put_along_axis(q, order, q_sorted, -1)
    return q


def scipy_scores(truth_path, pred_path):
    """The metrics of `cimpute score` at the cell level, in NumPy / SciPy."""
    import anndata
    from scipy.stats import mannwhitneyu
    t, p = anndata.read_h5ad(truth_path), anndata.read_h5ad(pred_path)

    def split(a):
        X = a.X.toarray() if hasattr(a.X, "toarray") else np.asarray(a.X)
        lab = a.obs["target"].to_numpy()
        perts = [x for x in dict.fromkeys(lab) if x != "ctrl"]
        return X[lab == "ctrl"], [X[lab == q] for q in perts], perts
    tc, tcells, perts = split(t)
    pc, pcells, _ = split(p)
    G = tc.shape[1]

    def de(cells, ctrl):
        r = mannwhitneyu(cells, ctrl, axis=0, alternative="two-sided", method="asymptotic",
                         use_continuity=True)
        n1, n2 = len(cells), len(ctrl)
        # |z| ranks the de20 genes: from the rank sums with the tie-corrected standard
        # deviation the p-value uses (tie groups counted column by column, vectorised).
        from scipy.stats import rankdata
        allv = np.vstack([cells, ctrl])
        n = n1 + n2
        srt = np.sort(allv, axis=0)
        start = np.vstack([np.ones((1, G), bool), srt[1:] != srt[:-1]])
        gid = np.cumsum(start, axis=0) - 1 + np.arange(G) * n  # group id, unique per column
        t = np.bincount(gid.ravel(), minlength=n * G).astype(float)
        ties = (t ** 3 - t).reshape(G, n).sum(1)
        sd = np.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
        u = rankdata(allv, axis=0)[:n1].sum(0) - n1 * (n1 + 1) / 2
        d = u - n1 * n2 / 2
        z = np.where(sd > 0, (d - 0.5 * np.sign(d)) / np.where(sd > 0, sd, 1), 0)
        lfc = np.log2((np.expm1(cells).mean(0) + 1e-9) / (np.expm1(ctrl).mean(0) + 1e-9))
        return bh(r.pvalue), lfc, z

    tm = np.vstack([c.mean(0) for c in tcells])
    pm = np.vstack([c.mean(0) for c in pcells])
    dt, dp = tm - tc.mean(0), pm - pc.mean(0)
    out = {"mae": np.abs(pm - tm).mean(1)}
    out["pearson-delta"] = np.array([np.corrcoef(dt[k], dp[k])[0, 1] for k in range(len(perts))])
    dist = np.abs(dp[:, None, :] - dt[None, :, :]).sum(-1)  # P x P
    own = np.diag(dist)
    out["pds"] = 1 - (dist < own[:, None]).sum(1) / len(perts)
    des, de20, ed = [], [], []
    for k in range(len(perts)):
        qt, lt, zt = de(tcells[k], tc)
        qp, lp, _ = de(pcells[k], pc)
        mt = [g for g in np.argsort(-np.abs(lt), kind="stable") if qt[g] < 0.05]
        mp = [g for g in np.argsort(-np.abs(lp), kind="stable") if qp[g] < 0.05]
        kk = len(mt)
        des.append(len(set(mt[:kk]) & set(mp[:kk])) / kk if kk else 0.0)
        top = np.argsort(-np.abs(zt), kind="stable")[:20]
        de20.append(np.corrcoef(dt[k][top], dp[k][top])[0, 1])

        def edist(x, y):
            n, m = len(x), len(y)
            vx = ((x - x.mean(0)) ** 2).sum() / n
            vy = ((y - y.mean(0)) ** 2).sum() / m
            return (2 * (((x.mean(0) - y.mean(0)) ** 2).sum() + vx + vy)
                    - 2 * vx * n / (n - 1) - 2 * vy * m / (m - 1))
        ed.append((edist(pcells[k], tcells[k]), edist(tcells[k], tc), edist(pcells[k], pc)))
    out["des"] = np.array(des)
    out["pearson-delta-de20"] = np.array(de20)
    return perts, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--perturbations", type=int, default=1000)
    ap.add_argument("--cells", type=int, default=100)
    ap.add_argument("--control-cells", type=int, default=5000)
    ap.add_argument("--genes", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-scipy", action="store_true", help="time cimpute score only")
    a = ap.parse_args()
    exe = os.path.join(a.build, "bin", "cimpute")
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    os.environ.update(OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    with tempfile.TemporaryDirectory() as d:
        truth, pred = os.path.join(d, "truth.h5ad"), os.path.join(d, "pred.h5ad")
        rng = np.random.default_rng(1)
        t0 = time.perf_counter()
        simulate(rng, a.perturbations, a.cells, a.control_cells, a.genes).write_h5ad(truth)
        simulate(rng, a.perturbations, a.cells, a.control_cells, a.genes).write_h5ad(pred)
        print(f"simulated {a.perturbations} perturbations x {a.cells} cells, "
              f"{a.control_cells} control cells, {a.genes} genes ({time.perf_counter() - t0:.1f} s)")
        per = os.path.join(d, "per.tsv")
        t0 = time.perf_counter()
        subprocess.run([exe, "score", "--truth", truth, "--predicted", pred, "--control", "ctrl",
                        "--perturbation-field", "target", "--context-field", "line",
                        "--per-perturbation-out", per, "--quiet"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        ours = time.perf_counter() - t0
        print(f"cimpute score: {ours:.2f} s")
        if a.skip_scipy:
            return
        t0 = time.perf_counter()
        perts, ref = scipy_scores(truth, pred)
        theirs = time.perf_counter() - t0
        print(f"NumPy / SciPy: {theirs:.2f} s")
        print(f"ratio: {theirs / ours:.1f}x")
        import pandas as pd
        tool = pd.read_csv(per, sep="\t").set_index("perturbation").loc[perts]
        for m in ("mae", "pearson-delta", "pds", "des", "pearson-delta-de20"):
            diff = np.max(np.abs(tool[m].to_numpy() - ref[m]))
            print(f"  max |difference| {m}: {diff:.2e}")


if __name__ == "__main__":
    sys.exit(main())
