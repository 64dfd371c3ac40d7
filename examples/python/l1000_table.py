#!/usr/bin/env python3
"""The L1000 completion table (24 cells x 20 drugs, leave-one-pair-out, MCF7 as the reference
context) in Python, with a bar chart and one predicted-vs-measured signature.

    python3 examples/python/l1000_table.py [DATA_DIR] [--out DIR] [--all]

DATA_DIR defaults to ../shared/data; --all adds the slow methods (falrtc, soft-impute,
ntk-ensemble, autoencoder: minutes each). Writes l1000_scores.png and l1000_prediction.png.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import cimpute  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data", nargs="?", default="../shared/data")
p.add_argument("--out", default=".")
p.add_argument("--all", action="store_true")
a = p.parse_args()

t = cimpute.read_l1000_directory(os.path.join(a.data, "l1000"))
print(t)
fast = ["context-mean", "perturbation-mean", "two-way-mean", "dnpp", "synthetic-interventions",
        "ntk", "ntk-reference", "ntk-mixed"]
methods = cimpute.completion_methods() if a.all else fast
scores = cimpute.evaluate(t, methods=methods, protocol="loo", reference_context="MCF7",
                          progress=True)
print(scores[["method", "pearson", "r2", "cosine", "seconds"]].to_string(index=False))
ax = cimpute.plot.scores(scores)
ax.set_title("L1000 subset, leave-one-pair-out")
ax.figure.tight_layout()
ax.figure.savefig(os.path.join(a.out, "l1000_scores.png"), dpi=120, bbox_inches="tight")

# One held-out pair: hide it, impute it with the NTK, compare with the measurement.
pert, ctx = t.observed_pairs[0]
keep = [i for i, pc in enumerate(t.observed_pairs) if pc != (pert, ctx)]
train = cimpute.PerturbationTensor.from_signatures(
    t.signatures[keep], [t.observed_pairs[i][0] for i in keep],
    [t.observed_pairs[i][1] for i in keep], t.features)
imputed = cimpute.impute(train, method="ntk", pairs=[(pert, ctx)], reference_context="MCF7")
ax = cimpute.plot.prediction(t, imputed, pert, ctx)
ax.figure.tight_layout()
ax.figure.savefig(os.path.join(a.out, "l1000_prediction.png"), dpi=120, bbox_inches="tight")
print(f"wrote l1000_scores.png and l1000_prediction.png to {a.out}")
