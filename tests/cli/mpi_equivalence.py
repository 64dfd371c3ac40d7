#!/usr/bin/env python3
"""`cimpute-mpi` under mpiexec against `cimpute` on one process: the same numbers.

- complete (loo, kfold:5 with two seeds, loco) on the L1000 subset: every score equal to 1e-12
  on 2 and 3 processes (the refits / folds go round-robin; each is computed as on one process);
- complete --predict-out and impute (3 processes, each predicting a share of the pairs): the same
  columns and metadata, values equal to 1e-10 relative;
- impute --method ntk-pcg on a GCT file (2 and 3 processes, each reading only its shard of the
  pairs): the same predictions to 1e-10 relative; more processes than pairs: exit 2, one line;
- discover with 12 bootstrap resamples on the Sachs data (3 processes): the same printed graph and
  the same stability table, byte for byte; GSP and UT-IGSP (their starting orders split over 2
  and 3 processes): the same graph;
- bad input and a usage error: exit status 2 and exactly one line `cimpute-mpi: ...` on stderr
  (mpiexec -q: without it OpenMPI adds its own notice of a non-zero exit).

Usage: mpi_equivalence.py CIMPUTE CIMPUTE_MPI MPIEXEC DATA_DIR WORK_DIR
Prints SKIPPED (and exits 0) when numpy is missing or the data folder is absent.
"""
import os
import subprocess
import sys

try:
    import numpy as np
except ImportError as e:
    print(f"SKIPPED: {e}")
    sys.exit(0)

cimpute, cimpute_mpi, mpiexec, data, work = sys.argv[1:6]
l1000 = os.path.join(data, "l1000")
sachs = os.path.join(data, "sachs", "sachs_9conditions_labeled.csv")
if not (os.path.isdir(l1000) and os.path.isfile(sachs)):
    print(f"SKIPPED: {l1000} or {sachs} is absent")
    sys.exit(0)
os.makedirs(work, exist_ok=True)
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def run(cmd, rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != rc:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {p.returncode} (wanted {rc}):\n{p.stderr}")
    return p


def one(*args, rc=0):
    return run([cimpute, *args], rc)


def many(np_, *args, rc=0):
    return run([mpiexec, "-q", "-np", str(np_), "--oversubscribe", cimpute_mpi, *args], rc)


def scores(tsv):
    rows = [line.split("\t") for line in tsv.strip().splitlines()]
    assert rows[0] == ["protocol", "method", "pearson", "r2", "cosine", "seconds"], rows[0]
    return {r[1]: np.array(list(map(float, r[2:5]))) for r in rows[1:]}


def read_gct(path):
    with open(path) as f:
        lines = f.read().splitlines()
    nr, nc, nrm, ncm = map(int, lines[1].split("\t"))
    head = lines[2].split("\t")
    cols = head[1 + nrm:]
    meta = {lines[3 + k].split("\t")[0]: lines[3 + k].split("\t")[1 + nrm:] for k in range(ncm)}
    body = [l.split("\t") for l in lines[3 + ncm:]]
    values = np.array([[float(v) for v in r[1 + nrm:]] for r in body])
    return cols, meta, values


checks = 0
# --- complete: scores under every kind of protocol
for protocol, methods, extra in [
        ("loo", "context-mean,two-way-mean,dnpp,ntk-reference", []),
        ("kfold:5", "context-mean,dnpp,soft-impute", ["--seeds", "2"]),
        ("loco", "context-mean,dnpp", [])]:
    args = ["complete", "--data", l1000, "--methods", methods, "--protocol", protocol,
            "--format", "tsv", "--digits", "17", "--quiet", *extra]
    want = scores(one(*args).stdout)
    for np_ in (2, 3):
        got = scores(many(np_, *args).stdout)
        assert got.keys() == want.keys(), (got.keys(), want.keys())
        for m in want:
            diff = np.max(np.abs(got[m] - want[m]))
            assert diff <= 1e-12, f"complete {protocol} {m} on {np_} processes: off by {diff}"
            checks += 1
    print(f"complete {protocol}: {methods} equal on 2 and 3 processes")

# --- predictions of every missing pair: complete --predict-out and impute
for label, args in [
        ("complete --predict-out", ["complete", "--data", l1000, "--methods",
                                    "two-way-mean,ntk-reference", "--protocol", "loco",
                                    "--quiet", "--predict-out"]),
        ("impute", ["impute", "--data", l1000, "--method", "ntk", "--quiet", "--out"])]:
    a, b = os.path.join(work, "one.gct"), os.path.join(work, "many.gct")
    for p in (a, b):
        if os.path.exists(p):
            os.remove(p)
    one(*args, a)
    many(3, *args, b)
    ca, ma, va = read_gct(a)
    cb, mb, vb = read_gct(b)
    assert ca == cb, f"{label}: columns differ"
    assert ma.keys() == mb.keys(), f"{label}: column metadata fields differ"
    for k in ma:
        if k == "variance":  # printed with 6 significant digits
            np.testing.assert_allclose(np.array(ma[k], float), np.array(mb[k], float),
                                       rtol=1e-5, err_msg=label)
        else:
            assert ma[k] == mb[k], f"{label}: metadata field {k} differs"
    rel = np.linalg.norm(va - vb) / np.linalg.norm(va)
    assert rel <= 1e-10, f"{label}: values differ by {rel} relative"
    checks += 1
    print(f"{label}: {len(ca)} predicted signatures equal on 3 processes ({rel:.1e} relative)")

# --- impute --method ntk-pcg: each process reads only its shard of a GCT file and the solver
# splits the training pairs; the predictions equal one process's. The file: 60 perturbations x 7
# cells (random two-way effects plus noise, about 60% of the pairs), 40 genes.
rng = np.random.default_rng(7)
genes = [f"g{k}" for k in range(40)]
pert_fx, cell_fx = rng.normal(size=(60, 40)), rng.normal(size=(7, 40))
cols = [(d, c) for c in range(7) for d in range(60) if rng.random() < 0.6]
gct = os.path.join(work, "screen.gct")
with open(gct, "w") as f:
    f.write(f"#1.3\n{len(genes)}\t{len(cols)}\t0\t2\n")
    f.write("id\t" + "\t".join(f"s{k}" for k in range(len(cols))) + "\n")
    f.write("pert_id\t" + "\t".join(f"D{d}" for d, _ in cols) + "\n")
    f.write("cell_id\t" + "\t".join(f"C{c}" for _, c in cols) + "\n")
    values = np.array([pert_fx[d] + cell_fx[c] + 0.3 * rng.normal(size=40) for d, c in cols]).T
    for g, row in zip(genes, values):
        f.write(g + "\t" + "\t".join(f"{v:.6f}" for v in row) + "\n")
args = ["impute", "--data", gct, "--method", "ntk-pcg", "--quiet", "--out"]
a = os.path.join(work, "pcg_one.gct")
one(*args, a)
ca, ma, va = read_gct(a)
assert len(ca) == 60 * 7 - len(cols), len(ca)
for np_ in (2, 3):
    b = os.path.join(work, f"pcg_many{np_}.gct")
    many(np_, *args, b)
    cb, mb, vb = read_gct(b)
    assert ca == cb and ma == mb, f"impute ntk-pcg on {np_} processes: columns differ"
    rel = np.linalg.norm(va - vb) / np.linalg.norm(va)
    assert rel <= 1e-10, f"impute ntk-pcg on {np_} processes: values differ by {rel} relative"
    checks += 1
print(f"impute --method ntk-pcg: {len(ca)} signatures equal on 2 and 3 processes, each reading "
      "its shard")
# More processes than pairs: one clear line on every process, no hang.
small = os.path.join(work, "two_pairs.gct")
with open(small, "w") as f:
    f.write("#1.3\n1\t2\t0\t2\nid\ta\tb\npert_id\tD1\tD2\ncell_id\tC1\tC2\ng\t1\t2\n")
p = many(3, "impute", "--data", small, "--method", "ntk-pcg", "--quiet", "--out",
         os.path.join(work, "x.gct"), rc=2)
lines = [l for l in p.stderr.splitlines() if l.strip()]
assert len(lines) == 1 and "has no pair" in lines[0], p.stderr
checks += 1

# --- discover: bootstrap resamples over processes
disc = ["discover", "--data", sachs, "--exclude-settings", "pma,b2camp", "--ignore-columns",
        "iv_type", "--log", "--method", "igsp", "--alpha", "1e-3", "--alpha-inv", "1e-3",
        "--graph", "essential", "--bootstrap", "12", "--format", "json", "--quiet"]
sa, sb = os.path.join(work, "stab_one.csv"), os.path.join(work, "stab_many.csv")
out_one = one(*disc, "--stability-out", sa).stdout
out_many = many(3, *disc, "--stability-out", sb).stdout
assert out_one == out_many, "discover: printed graphs differ"
with open(sa) as f1, open(sb) as f2:
    assert f1.read() == f2.read(), "discover: stability tables differ"
checks += 1
print("discover --bootstrap 12: the same graph and stability table on 3 processes")
# The search's starting orders over processes (GSP, UT-IGSP; IGSP above): the same graph.
for method in ("gsp", "utigsp"):
    args = ["discover", "--data", sachs, "--exclude-settings", "pma,b2camp", "--ignore-columns",
            "iv_type", "--log", "--method", method, "--format", "json", "--quiet"]
    want = one(*args).stdout
    for np_ in (2, 3):
        assert many(np_, *args).stdout == want, f"discover --method {method} on {np_} processes"
        checks += 1
print("discover gsp, utigsp: the same graph on 2 and 3 processes")

# --- errors: one line, exit status 2, no hang
for args, text in [(["complete", "--data", os.path.join(work, "no_such_dir")], None),
                   (["complete", "--no-such-option"], "--no-such-option")]:
    p = many(2, *args, rc=2)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("cimpute-mpi: "), p.stderr
    assert text is None or text in lines[0], lines[0]
    checks += 1
print(f"errors: exit status 2 and one line on stderr\nall {checks} checks passed")
