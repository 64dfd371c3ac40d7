#!/usr/bin/env python3
"""Drug repurposing against the SARS-CoV-2 A549 signature: A549's measured signatures hidden,
every drug imputed by the NTK, ranked by the Spearman score; the measured ranking beside.

    python3 examples/python/sarscov2_ranking.py [DATA_DIR] [--out DIR]
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import cimpute  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data", nargs="?", default="../shared/data")
p.add_argument("--out", default=".")
a = p.parse_args()

t = cimpute.read_l1000_directory(os.path.join(a.data, "l1000"))
disease = os.path.join(a.data, "covid", "sarscov2_a549_log2fc.csv")
imputed = cimpute.repurpose(t, disease, context="A549", score="spearman", hide_context=True)
measured = cimpute.repurpose(t, disease, context="A549", score="spearman", impute="none")
print("imputed (A549 hidden):")
print(imputed.head(10).to_string(index=False))
both = imputed.merge(measured, on="drug", suffixes=("_imputed", "_measured"))
r = both["score_imputed"].corr(both["score_measured"], method="spearman")
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(both["score_measured"], both["score_imputed"])
ax.set_xlabel("score with the measured A549 signature")
ax.set_ylabel("score imputed (A549 hidden)")
ax.set_title(f"SARS-CoV-2 reversal: Spearman {r:.2f}")
fig.tight_layout()
fig.savefig(os.path.join(a.out, "sarscov2_ranking.png"), dpi=120, bbox_inches="tight")
print(f"Spearman correlation of the two rankings' scores: {r:.3f}; wrote sarscov2_ranking.png")
