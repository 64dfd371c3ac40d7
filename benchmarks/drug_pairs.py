#!/usr/bin/env python3
"""Unseen drug pairs (issue 32): the 66 pairs of Korkut et al. 2015 (SK-MEL-133, RPPA, log2
ratios to untreated cells) predicted from their 23 single drugs, each pair held out alone
(`--protocol unseen-combination`), against the additive model.

The CSV of ../shared/data/combinations is written as a GCT 1.3 (one column per condition; pert_id
`DRUG_DOSE` for a single drug, `DRUG1_DOSE1+DRUG2_DOSE2` for a pair, so that cimpute finds a
pair's singles by name; cell_id SKMEL133; the 12 drug-activity indicator nodes, which encode the
perturbation itself, dropped) and scored by `cimpute complete`.

usage: benchmarks/drug_pairs.py [--cimpute build/tests/bin/cimpute] [--data ../shared/data]
       [--methods training-mean,additive,ntk] [--keep FILE.gct]
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile


def label(drug, dose):
    return f"{drug}_{dose}"


def write_gct(src, dst):
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    first = header.index("dose2") + 1
    keep = [j for j in range(first, len(header)) if not re.match(r"^a[A-Za-z0-9]+$", header[j])]
    perts = []
    for r in body:
        single = label(r[1], r[2])
        perts.append(single if not r[3] else single + "+" + label(r[3], r[4]))
    singles = {p for p in perts if "+" not in p}
    pairs = [p for p in perts if "+" in p]
    complete = [p for p in pairs if all(q in singles for q in p.split("+"))]
    with open(dst, "w") as g:
        g.write("#1.3\n")
        g.write(f"{len(keep)}\t{len(body)}\t0\t2\n")
        g.write("id\t" + "\t".join(r[0] for r in body) + "\n")
        g.write("pert_id\t" + "\t".join(perts) + "\n")
        g.write("cell_id\t" + "\t".join("SKMEL133" for _ in body) + "\n")
        for j in keep:
            g.write(header[j] + "\t" + "\t".join(r[j] for r in body) + "\n")
    return len(keep), len(singles), len(pairs), len(complete)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cimpute", default="build/tests/bin/cimpute")
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--methods", default="no-change,training-mean,additive,ntk")
    ap.add_argument("--keep", help="also keep the GCT written here")
    a = ap.parse_args()
    src = os.path.join(a.data, "combinations", "korkut2015_skmel133_drug_combinations.csv")
    if not os.path.exists(src):
        print(f"SKIPPED: {src} is absent", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        gct = a.keep or os.path.join(tmp, "korkut2015.gct")
        nodes, singles, pairs, complete = write_gct(src, gct)
        print(f"# {nodes} response nodes, {singles} single drugs, {pairs} pairs "
              f"({complete} with both singles measured)", flush=True)
        cmd = [a.cimpute, "complete", "--data", gct, "--reference-context", "none",
               "--protocol", "unseen-combination", "--methods", a.methods,
               "--perturbation-features", "signatures",
               "--metrics", "pearson-delta,pds,mse,pearson-delta-de20,mse-de20", "--quiet"]
        print("# " + " ".join(cmd[1:]), flush=True)
        return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
