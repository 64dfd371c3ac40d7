#!/usr/bin/env python3
"""Unseen knock-outs on single cells (issue 32): each target of a Perturb-seq screen held out of
training in turn, predicted by every method from the others, and scored at the cell level.

Per held-out target T and method M:

    cimpute impute --data CELLS.h5ad --filter 'FIELD!=T' --aggregate mean --control CTRL
        --method M --perturbation-features pca:K --pairs (T in every context)
        --cells-out T_M.h5ad

(the pseudobulk of the other targets trains; T has no measurement, so `ntk` and `linear` describe
it by its gene's coordinates on the top K principal components of the training responses; the
predicted cells are the context's control cells shifted by the predicted change). The held-out
predictions of all targets are then put together, one file per method, and scored against the
measured cells by `cimpute score` with every metric (pearson-delta, pds among the targets of the
context, des from Wilcoxon tests against each side's control cells, energy distances), the
normalised summary against `training-mean` (des, pds, mae; the 2025 challenge's), and the mean
pearson-delta over the targets that are measured genes (the only ones a pca:K prior describes).

Data (../shared/data/perturbseq, see its README):
- dixit2016: 14,427 mouse dendritic cells x 24 transcription factors (log(1 + UMI)), 992 control
  cells (target `none`, renamed `control`), 8 knock-outs (all of them measured genes); one context.
- papalexi: 20,729 THP-1 cells x 299 genes (counts), cells whose top guide has > 80% of their
  guide counts, log1p(CP10k); 25 targets + non-targeting; the 3 replicates as contexts (9 targets
  are measured genes).
K = min(--pca, training targets - 1).

usage: benchmarks/perturbseq_unseen.py [--cimpute build/tests/bin/cimpute] [--data ../shared/data]
       [--datasets dixit,papalexi] [--methods no-change,training-mean,linear,ntk] [--pca 10]
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def prepare_dixit(data, out):
    import anndata
    import pandas as pd
    df = pd.read_csv(os.path.join(data, "perturbseq", "dixit2016",
                                  "dixit2016_bmdc_24tf_knockouts.csv"))
    genes = [c for c in df.columns if c not in ("condition", "target", "iv_type")]
    obs = pd.DataFrame({"target": pd.Categorical(
        ["control" if v == "none" else str(v) for v in df["target"]]),
                        "context": pd.Categorical(["BMDC"] * len(df))},
                       index=[f"cell{i}" for i in range(len(df))])
    a = anndata.AnnData(df[genes].to_numpy(np.float64), obs=obs, var=pd.DataFrame(index=genes),
                        dtype=np.float64)
    a.write_h5ad(out)
    return "target", "context", "control"


def prepare_papalexi(data, out):
    import anndata
    import pandas as pd
    import scipy.sparse as sp
    a = anndata.read_h5ad(os.path.join(data, "perturbseq", "papalexi", "papalexi_lowmoi.h5ad"))
    a = a[a.obs["grna_max_frac"] > 0.8].copy()
    x = sp.csr_matrix(a.X, dtype=np.float64)
    totals = np.asarray(x.sum(axis=1)).ravel()
    x = sp.diags(1e4 / totals) @ x
    x.data = np.log1p(x.data)
    obs = pd.DataFrame({f: pd.Categorical([str(v) for v in a.obs[f]])
                        for f in ("grna_target", "bio_rep")}, index=a.obs_names)
    b = anndata.AnnData(x.tocsr(), obs=obs, var=a.var.copy(), dtype=np.float64)
    b.write_h5ad(out)
    return "grna_target", "bio_rep", "non-targeting"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cimpute", default="build/tests/bin/cimpute")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--datasets", default="dixit,papalexi")
    ap.add_argument("--methods", default="no-change,training-mean,linear,ntk")
    ap.add_argument("--pca", type=int, default=10)
    a = ap.parse_args()
    import anndata
    import pandas as pd
    methods = a.methods.split(",")
    if "training-mean" not in methods:
        sys.exit("--methods needs training-mean (the summary's baseline)")
    metrics = "pearson-delta,pds,mae,mse,des,edistance"
    print("| data | method | " + " | ".join(metrics.split(",")) +
          " | summary | pearson-delta, targets with a prior | s |")
    print("|---" * (len(metrics.split(",")) + 5) + "|")
    for name in a.datasets.split(","):
        prepare = {"dixit": prepare_dixit, "papalexi": prepare_papalexi}.get(name)
        if prepare is None:
            sys.exit(f"unknown dataset '{name}' (dixit, papalexi)")
        with tempfile.TemporaryDirectory() as d:
            cells = os.path.join(d, "cells.h5ad")
            pf, cf, ctrl = prepare(a.data, cells)
            obs = anndata.read_h5ad(cells, backed="r").obs
            targets = sorted(set(obs[pf]) - {ctrl})
            contexts = sorted(set(obs[cf]))
            k = max(1, min(a.pca, len(targets) - 2))
            seconds = {m: 0.0 for m in methods}
            for t in targets:
                pairs = os.path.join(d, "pairs.csv")
                with open(pairs, "w") as f:
                    f.write("perturbation,context\n" + "".join(f"{t},{c}\n" for c in contexts))
                for m in methods:
                    t0 = time.perf_counter()
                    run([a.cimpute, "impute", "--data", cells, "--perturbation-field", pf,
                         "--context-field", cf, "--filter", f"{pf}!={t}", "--aggregate", "mean",
                         "--control", ctrl, "--reference-context", "none", "--method", m,
                         "--perturbation-features", f"pca:{k}", "--pairs", pairs,
                         "--out", os.path.join(d, "sig.gct"),
                         "--cells-out", os.path.join(d, f"{t}_{m}.h5ad"), "--quiet"])
                    seconds[m] += time.perf_counter() - t0
            # One prediction per method: the control cells once, then every held-out target.
            for m in methods:
                parts = [anndata.read_h5ad(os.path.join(d, f"{t}_{m}.h5ad")) for t in targets]
                keep = [parts[0]] + [p[p.obs[pf] != ctrl] for p in parts[1:]]
                anndata.concat(keep).write_h5ad(os.path.join(d, f"{m}.h5ad"))
            measured = set(anndata.read_h5ad(cells, backed="r").var_names)
            with_prior = [t for t in targets if t in measured]
            per = os.path.join(d, "per.tsv")
            for m in methods:
                out = run([a.cimpute, "score", "--truth", cells,
                           "--predicted", os.path.join(d, f"{m}.h5ad"),
                           "--baseline", os.path.join(d, "training-mean.h5ad"),
                           "--control", ctrl, "--perturbation-field", pf, "--context-field", cf,
                           "--metrics", metrics, "--format", "tsv", "--quiet",
                           "--per-perturbation-out", per])
                tab = pd.read_csv(io.StringIO(out), sep="\t").set_index("metric")
                cols = [f"{tab.loc[x, 'mean']:.4f} ± {tab.loc[x, 'standard_error']:.4f}"
                        for x in metrics.split(",")]
                row = [i for i in tab.index if str(i).startswith("summary(")]
                summary = tab.loc[row[0], "mean"] if row else float("nan")
                each = pd.read_csv(per, sep="\t")
                prior = each[each["perturbation"].isin(with_prior)]["pearson-delta"].mean()
                print(f"| {name} ({len(targets)} targets, pca:{k}) | {m} | " + " | ".join(cols) +
                      f" | {summary:.4f} | {prior:.4f} | {seconds[m]:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
