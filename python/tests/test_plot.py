"""The figures draw (Agg backend) and say what they show."""
import numpy as np
import pytest

import cimpute

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_scores_prediction_graph_curve(data, tmp_path):
    t = cimpute.read_l1000_directory(data("l1000"))
    table = cimpute.evaluate(t, methods=["context-mean", "two-way-mean"], protocol="kfold:3",
                             reference_context="none", seeds=2)
    ax = cimpute.plot.scores(table)
    assert len(ax.patches) == 2
    ax.figure.savefig(tmp_path / "scores.png")
    pairs = t.observed_pairs
    p, c = pairs[0]
    ax = cimpute.plot.prediction(t, t.signature(p, c) * 0.5, p, c)
    assert "Pearson 1.000" in ax.get_title()
    res = cimpute.discover(data("sachs/sachs_9conditions_labeled.csv"),
                           exclude_settings=["pma", "b2camp"], ignore_columns=["iv_type"],
                           log=True)
    truth = [tuple(l.strip().split(",")) for l in
             open(data("sachs/consensus_graph.csv")).read().splitlines()[1:] if l.strip()]
    ax = cimpute.plot.graph(res, truth=truth)
    assert "true" in ax.get_title()
    ax = cimpute.plot.training_curve(np.exp(-np.arange(50) / 10))
    ax.figure.savefig(tmp_path / "curve.png")
