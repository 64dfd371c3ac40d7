"""Figures with matplotlib (imported on first use): protocol scores, a predicted signature
against the measured one, a learned causal graph against a reference, a training curve.

Every function draws on ``ax`` (a new figure when omitted) and returns the Axes."""
from __future__ import annotations

import math

import numpy as np


def _axes(ax, figsize=(6, 4)):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("cimpute.plot needs matplotlib (Debian: apt-get install "
                          "python3-matplotlib)") from e
    _, ax = plt.subplots(figsize=figsize)
    return ax


def scores(table, metric: str = "pearson", ax=None):
    """The table of :func:`cimpute.evaluate` as grouped bars (one group per protocol, one bar
    per method) with standard-error whiskers."""
    ax = _axes(ax, (max(6, 0.5 * len(table)), 4))
    protocols = list(dict.fromkeys(table["protocol"]))
    methods = list(dict.fromkeys(table["method"]))
    width = 0.8 / max(1, len(methods))
    for k, m in enumerate(methods):
        rows = table[table["method"] == m].set_index("protocol").reindex(protocols)
        x = np.arange(len(protocols)) + (k - (len(methods) - 1) / 2) * width
        se = rows.get(f"{metric}_se")
        ax.bar(x, rows[metric], width, yerr=None if se is None else se, capsize=2, label=m)
    ax.set_xticks(np.arange(len(protocols)))
    ax.set_xticklabels(protocols)
    ax.set_ylabel(metric)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return ax


def prediction(t, imputed, perturbation: str, context: str, ax=None):
    """Predicted against measured signature of one pair: ``imputed`` is the AnnData of
    :func:`cimpute.impute` (or a vector over the tensor's features)."""
    ax = _axes(ax, (4.5, 4.5))
    measured = t.signature(perturbation, context)
    if hasattr(imputed, "obs"):
        mask = (imputed.obs["perturbation"] == perturbation) & (imputed.obs["context"] == context)
        if not mask.any():
            raise ValueError(f"plot.prediction: ({perturbation}, {context}) is not in the imputed "
                             "pairs")
        pred = np.asarray(imputed.X[np.flatnonzero(mask.values)[0]]).ravel()
    else:
        pred = np.asarray(imputed, dtype=float).ravel()
    if pred.shape != measured.shape:
        raise ValueError(f"plot.prediction: {pred.size} predicted values for {measured.size} "
                         "features")
    r = float(np.corrcoef(pred, measured)[0, 1])
    ax.scatter(measured, pred, s=6, alpha=0.6)
    lo, hi = float(min(measured.min(), pred.min())), float(max(measured.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8)
    ax.set_xlabel("measured")
    ax.set_ylabel("predicted")
    ax.set_title(f"{perturbation} in {context}: Pearson {r:.3f}")
    return ax


def graph(result, truth=None, ax=None):
    """A learned graph (:class:`cimpute.DiscoveryResult`) on a circle; with ``truth`` (a
    DataFrame of cause, effect, or a set of pairs) arcs are coloured: green true, red false
    (reversed: orange), and missing true arcs dashed grey."""
    ax = _axes(ax, (6, 6))
    names = result.variables
    n = len(names)
    pos = {v: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n))
           for i, v in enumerate(names)}
    learned = set(result.edges.itertuples(index=False, name=None))
    true = set()
    if truth is not None:
        true = set(truth.itertuples(index=False, name=None)) if hasattr(truth, "itertuples") \
            else set(map(tuple, truth))

    def arrow(a, b, color, style="-"):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4, linestyle=style,
                                    shrinkA=12, shrinkB=12))

    for a, b in learned:
        if truth is None:
            arrow(a, b, "C0")
        elif (a, b) in true:
            arrow(a, b, "green")
        elif (b, a) in true:
            arrow(a, b, "orange")
        else:
            arrow(a, b, "red")
    for a, b in true - learned:
        if (b, a) not in learned:
            arrow(a, b, "0.6", "--")
    for v, (x, y) in pos.items():
        ax.text(x, y, v, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round", fc="white", ec="0.3"))
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    if truth is not None:
        tp = sum((a, b) in true for a, b in learned)
        ax.set_title(f"{tp} true, {len(learned) - tp} false, "
                     f"{sum((a, b) not in learned for a, b in true)} missed arcs")
    return ax


def training_curve(losses, ax=None, log: bool = True):
    """Loss per epoch (e.g. an autoencoder's training history)."""
    ax = _axes(ax)
    losses = np.asarray(losses, dtype=float)
    ax.plot(np.arange(1, losses.size + 1), losses)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    return ax
