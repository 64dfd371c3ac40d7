#!/usr/bin/env python3
"""IGSP on the Sachs flow-cytometry data (natural logs; pma and b2camp left out), drawn against
the 18-arc consensus network: true arcs green, reversed orange, false red, missed dashed.

    python3 examples/python/sachs_discovery.py [DATA_DIR] [--out DIR]
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

import cimpute  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data", nargs="?", default="../shared/data")
p.add_argument("--out", default=".")
a = p.parse_args()

df = pd.read_csv(os.path.join(a.data, "sachs", "sachs_9conditions_labeled.csv"))
truth = pd.read_csv(os.path.join(a.data, "sachs", "consensus_graph.csv"))
options = dict(exclude_settings=["pma", "b2camp"], ignore_columns=["iv_type"], log=True)
for method, tests in (("igsp", "gaussian"), ("utigsp", "gaussian")):
    res = cimpute.discover(df, method=method, tests=tests, alpha=1e-3, alpha_inv=1e-3, **options)
    learned = set(res.edges.itertuples(index=False, name=None))
    true = set(truth.itertuples(index=False, name=None))
    print(f"{method}: {len(learned & true)} true arcs, {len(learned - true)} false, "
          f"{len(true - learned)} of {len(true)} missed")
    ax = cimpute.plot.graph(res, truth=truth)
    ax.figure.savefig(os.path.join(a.out, f"sachs_{method}.png"), dpi=120, bbox_inches="tight")
print(f"wrote sachs_igsp.png and sachs_utigsp.png to {a.out}")
