#!/usr/bin/env python3
"""`cimpute impute --cells-out` on single cells, for a perturbation never measured.

A planted screen (h5ad, cells x 10 genes G0..G9): control cells and knock-outs of G0..G4 in two
contexts. G4 is held out of --data by a filter and requested in both contexts with
--perturbation-features pca:2. Checked against NumPy on the input cells:
- with context-mean, the predicted change is the mean over the training knock-outs of
  (knock-out mean - control mean) in the context (the method's definition, computed here);
- the cells file has each context's control cells first, unchanged, then per pair the control
  cells shifted by the change written to --out (obs fields of --data, source_cell);
- `cimpute score` reads the file against the measured cells (des and energy distance defined);
- two perturbations never measured with a table giving them the rows of two measured ones:
  ntk predicts each as its twin's in-sample fit;
- bad use: an unseen perturbation without --perturbation-features (or with `signatures`, which
  describes combinations only), --cells-out without --control: one clear line and exit 2.

Usage: cells_roundtrip.py CIMPUTE_BINARY WORK_DIR
Prints SKIPPED (and exits 0) when numpy, pandas or anndata cannot be imported.
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import pandas as pd
    import anndata
except ImportError as e:  # the test is skipped, visibly
    print(f"SKIPPED: {e}")
    sys.exit(0)

cimpute, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(11)
G = 10
genes = [f"G{g}" for g in range(G)]
blocks, target, context = [], [], []
for c, ctx in enumerate(("C0", "C1")):
    base = rng.normal(2.0, 0.5, G) + c
    for p in ["ctrl"] + [f"G{k}" for k in range(5)]:
        n = 40 if p == "ctrl" else 15 + 3 * c
        mu = base.copy()
        if p != "ctrl":
            k = int(p[1:])
            mu[k] -= 1.5
            mu[(k + 5) % G] += 0.4 * (k + 1)
        blocks.append(mu + 0.3 * rng.normal(size=(n, G)))
        target += [p] * n
        context += [ctx] * n
X = np.vstack(blocks)
obs = pd.DataFrame({"target": pd.Categorical(target), "line": pd.Categorical(context)},
                   index=[f"cell{i}" for i in range(len(target))])
data = os.path.join(work, "cells.h5ad")
anndata.AnnData(X, obs=obs, var=pd.DataFrame(index=genes), dtype=np.float64).write_h5ad(data)
pairs = os.path.join(work, "pairs.csv")
with open(pairs, "w") as f:
    f.write("perturbation,context\nG4,C0\nG4,C1\n")


def run(*args, rc=0):
    r = subprocess.run([cimpute, *args], capture_output=True, text=True)
    if r.returncode != rc:
        sys.exit(f"exit {r.returncode} (expected {rc}): {' '.join(args)}\n{r.stdout}\n{r.stderr}")
    return r


common = ["--data", data, "--perturbation-field", "target", "--context-field", "line",
          "--filter", "target!=G4", "--aggregate", "mean", "--reference-context", "none",
          "--pairs", pairs]
sig, out = os.path.join(work, "sig.gct"), os.path.join(work, "pred.h5ad")
run("impute", *common, "--control", "ctrl", "--method", "context-mean",
    "--perturbation-features", "pca:2", "--out", sig, "--cells-out", out, "--quiet")

# The change written to --out (GCT: genes x pairs) and the change by the method's definition.
lines = open(sig).read().splitlines()
head = lines[2].split("\t")
rows = [l.split("\t") for l in lines[2 + 1:]]
rows = [r for r in rows if r[0] in genes]
written = {head[j]: np.array([float(r[j]) for r in rows]) for j in range(len(head))
           if head[j].startswith("G4:")}
gene_order = [r[0] for r in rows]
assert gene_order == genes, gene_order
for ctx in ("C0", "C1"):
    sel = obs["line"] == ctx
    ctrl = X[(sel & (obs["target"] == "ctrl")).to_numpy()].mean(0)
    expect = np.mean([X[(sel & (obs["target"] == f"G{k}")).to_numpy()].mean(0) - ctrl
                      for k in range(4)], axis=0)
    got = written[f"G4:{ctx}"]
    assert np.allclose(got, expect, atol=1e-6), (ctx, got, expect)

pred = anndata.read_h5ad(out)
assert list(pred.var_names) == genes
assert {"target", "line", "source_cell"} <= set(pred.obs.columns), pred.obs.columns
n_ctrl = int((obs["target"] == "ctrl").sum())
assert (pred.obs["target"].iloc[:n_ctrl] == "ctrl").all()
assert (pred.obs["target"].iloc[n_ctrl:] == "G4").all()
assert pred.n_obs == 2 * n_ctrl, pred.n_obs
P = np.asarray(pred.X, dtype=np.float64)
for i in range(pred.n_obs):
    src = obs.index.get_loc(pred.obs["source_cell"].iloc[i])
    ctx = pred.obs["line"].iloc[i]
    assert obs["line"].iloc[src] == ctx and obs["target"].iloc[src] == "ctrl"
    shift = 0 if i < n_ctrl else written[f"G4:{ctx}"]
    assert np.allclose(P[i], X[src] + shift, rtol=1e-6, atol=1e-6), (i, P[i], X[src] + shift)

# The prediction is a whole single-cell file for `cimpute score`.
r = run("score", "--truth", data, "--predicted", out, "--control", "ctrl", "--perturbation-field",
        "target", "--context-field", "line", "--allow-subset", "--format", "tsv", "--quiet")
table = dict(l.split("\t")[:2] for l in r.stdout.splitlines()[1:])
for m in ("des", "edistance", "pearson-delta"):
    assert m in table and np.isfinite(float(table[m])), (m, r.stdout)

# Two perturbations never measured (G4, held out, and G8, in no file) described by a table
# giving them the rows of G1 and G2: ntk with the user-features prior alone predicts each as the
# in-sample fit of its twin (the numbering of the new perturbations and the prior's use).
feats = os.path.join(work, "features.csv")
rows = {f"G{k}": rng.normal(size=3) for k in range(4)}
rows["G4"], rows["G8"] = rows["G1"], rows["G2"]
with open(feats, "w") as f:
    f.write("id,f1,f2,f3\n" + "".join(f"{k}," + ",".join(f"{v:.17g}" for v in r) + "\n"
                                       for k, r in rows.items()))
twins = os.path.join(work, "twins.csv")
with open(twins, "w") as f:
    f.write("perturbation,context\nG4,C0\nG8,C0\nG1,C0\nG2,C0\n")
twin_gct = os.path.join(work, "twins.gct")
r = run("impute", *[a if a != pairs else twins for a in common], "--control", "ctrl",
        "--method", "ntk", "--perturbation-features", feats, "--ntk-priors", "user-features",
        "--out", twin_gct)
assert "2 perturbations of --pairs are not in --data (G4, G8): predicted from" in r.stderr, \
    r.stderr
lines = open(twin_gct).read().splitlines()
head = lines[2].split("\t")
vals = np.array([[float(v) for v in l.split("\t")[1:]] for l in lines[3:]
                 if l.split("\t")[0] in genes])
col = {h: j - 1 for j, h in enumerate(head) if j >= 1}
assert np.allclose(vals[:, col["G4:C0"]], vals[:, col["G1:C0"]], rtol=1e-8, atol=1e-10)
assert np.allclose(vals[:, col["G8:C0"]], vals[:, col["G2:C0"]], rtol=1e-8, atol=1e-10)
assert np.abs(vals[:, col["G4:C0"]] - vals[:, col["G8:C0"]]).max() > 1e-3

# Bad use.
r = run("impute", *common, "--control", "ctrl", "--method", "context-mean", "--out", sig, rc=2)
assert "G4" in r.stderr and "--perturbation-features" in r.stderr, r.stderr
r = run("impute", *common, "--method", "context-mean", "--perturbation-features", "pca:2",
        "--out", sig, "--cells-out", out, rc=2)
assert "--cells-out needs --control" in r.stderr, r.stderr
r = run("impute", *common, "--control", "ctrl", "--method", "ntk", "--perturbation-features",
        "signatures", "--out", sig, rc=2)
assert "'G4' is not a combination" in r.stderr, r.stderr
print("ok")
