#!/usr/bin/env python3
"""`cimpute impute` round trip, read back by the Python stack users have (h5py as cmapPy reads
GCTX, anndata as scanpy reads h5ad, plain text for GCT).

A Level-5-like GCT (several doses per pair, some pairs absent) is imputed for a held-out list
of pairs in all three formats; each output must carry the requested pairs in order with
pert_id / cell_id / method metadata, and values equal to `cimpute complete --predict-out`'s
predictions of the same pairs (the same fit on every observed pair).

Usage: impute_roundtrip.py CIMPUTE_BINARY WORK_DIR
Prints SKIPPED (and exits 0) when numpy, h5py or anndata cannot be imported.
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import h5py
    import anndata
except ImportError as e:  # the test is skipped, visibly
    print(f"SKIPPED: {e}")
    sys.exit(0)

cimpute, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(7)

# 8 genes; drugs D0..D5 x cells C0..C3; pair (d, c) absent when (d + 2c) % 5 == 0; present
# pairs have two doses whose mean follows a drug + cell + interaction model.
genes = [str(1000 + g) for g in range(8)]
drug_eff = rng.normal(size=(6, 8))
cell_eff = rng.normal(size=(4, 8))
cols, meta = [], []
for d in range(6):
    for c in range(4):
        if (d + 2 * c) % 5 == 0:
            continue
        base = drug_eff[d] + cell_eff[c] + 0.3 * rng.normal(size=8)
        for dose in ("1 uM", "10 uM"):
            cols.append(base + (0.1 if dose == "10 uM" else -0.1))
            meta.append((f"D{d}:C{c}:{dose}", f"D{d}", f"C{c}", dose))
values = np.array(cols).T  # genes x signatures
gct = os.path.join(work, "level5.gct")
with open(gct, "w") as f:
    f.write("#1.3\n")
    f.write(f"{len(genes)}\t{values.shape[1]}\t1\t3\n")
    f.write("id\tpr_gene_symbol\t" + "\t".join(m[0] for m in meta) + "\n")
    for k, name in enumerate(("pert_id", "cell_id", "pert_idose"), start=1):
        f.write(name + "\tna\t" + "\t".join(m[k] for m in meta) + "\n")
    for g, gid in enumerate(genes):
        f.write(gid + f"\tG{g}\t" + "\t".join(f"{v:.9g}" for v in values[g]) + "\n")

missing = [(f"D{d}", f"C{c}") for c in range(4) for d in range(6) if (d + 2 * c) % 5 == 0]
held_out = missing[::2]
pairs = os.path.join(work, "pairs.tsv")
with open(pairs, "w") as f:
    f.write("perturbation\tcontext\n")
    for p, c in held_out:
        f.write(f"{p}\t{c}\n")


def run(*args):
    r = subprocess.run([cimpute, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"cimpute {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")


common = ["--data", gct, "--aggregate", "mean", "--reference-context", "none", "--quiet"]
pred = os.path.join(work, "complete_pred.gct")
run("complete", *common, "--methods", "two-way-mean", "--protocol", "kfold:2",
    "--predict-out", pred)
outs = {}
for ext in ("gct", "gctx", "h5ad"):
    outs[ext] = os.path.join(work, f"imputed.{ext}")
    run("impute", *common, "--method", "two-way-mean", "--pairs", pairs, "--out", outs[ext])


def read_gct(path):
    with open(path) as f:
        lines = [l.rstrip("\n").split("\t") for l in f]
    nrow, ncol, nrm, ncm = map(int, lines[1][:4])
    ids = lines[2][1 + nrm:]
    cm = {lines[3 + k][0]: lines[3 + k][1 + nrm:] for k in range(ncm)}
    body = lines[3 + ncm:]
    rids = [r[0] for r in body]
    x = np.array([[float(v) for v in r[1 + nrm:]] for r in body])
    assert x.shape == (nrow, ncol), (path, x.shape)
    return rids, ids, cm, x


def read_gctx(path):  # as cmapPy's parse_gctx reads it
    with h5py.File(path, "r") as f:
        x = f["/0/DATA/0/matrix"][()].T.astype(float)
        rids = [s.decode() for s in f["/0/META/ROW/id"][()]]
        ids = [s.decode() for s in f["/0/META/COL/id"][()]]
        cm = {k: [s.decode() for s in v[()]] for k, v in f["/0/META/COL"].items() if k != "id"}
    return rids, ids, cm, x


def read_h5ad(path):  # as scanpy.read_h5ad reads it
    a = anndata.read_h5ad(path)
    cm = {k: [str(v) for v in a.obs[k]] for k in a.obs.columns}
    return list(a.var_names), list(a.obs_names), cm, np.asarray(a.X, dtype=float).T


p_rids, p_ids, p_cm, p_x = read_gct(pred)
want_ids = [f"{p}:{c}" for p, c in held_out]
failures = []
for ext, reader in (("gct", read_gct), ("gctx", read_gctx), ("h5ad", read_h5ad)):
    rids, ids, cm, x = reader(outs[ext])
    if rids != genes:
        failures.append(f"{ext}: genes {rids}")
    if ids != want_ids:
        failures.append(f"{ext}: pairs {ids} != {want_ids}")
    for field, want in (("pert_id", [p for p, _ in held_out]), ("cell_id", [c for _, c in held_out]),
                        ("method", ["two-way-mean"] * len(held_out))):
        if cm.get(field) != want:
            failures.append(f"{ext}: {field} = {cm.get(field)}")
    ref = p_x[:, [p_ids.index("two-way-mean:" + i) for i in want_ids]]  # method-prefixed ids
    tol = 1e-6 if ext == "gct" else 1e-5 * (1 + np.abs(ref).max())  # float32 in GCTX / h5ad
    err = np.abs(x - ref).max()
    if not err <= tol:
        failures.append(f"{ext}: values differ from complete --predict-out by {err:g}")
if failures:
    sys.exit("\n".join(failures))
print(f"impute round trip: {len(held_out)} pairs x {len(genes)} genes in gct, gctx, h5ad agree "
      "with complete --predict-out")
