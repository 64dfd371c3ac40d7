#!/usr/bin/env python3
"""NumPy reference of the NTK completion pipeline under leave-one-pair-out, written from
../shared/reference/ntk_completion.md in the style of the reference code (explicit pair feature
matrices, vectorized NumPy kernel, np.linalg.solve): train-context-average prior
f = [s |e_d| m_c, e_d] (e_d: the drug's signature in the training-only reference context, the mean
reference signature when missing; m_c: the unit-normalised mean of context c's training
signatures), a private one-hot coordinate of weight beta_id per pair, unit-normalised features,
the depth-L NTK, no ridge.

usage: ntk_completion_numpy.py DIR N G REF DEPTH SCALE BETA_ID
Reads DIR/sig.bin (N x G float64, row-major) and DIR/pairs.bin (N x 2 int64: perturbation,
context); REF is the reference context index. Every pair outside REF is predicted from all the
others (outside REF); writes DIR/pred_numpy.bin (one row per evaluated pair, in row order) and
prints the compute time in seconds (file I/O excluded).
"""
import sys
import time

import numpy as np


def ntk_sphere(u, depth):
    """Theta_L(u) on the unit sphere, u = cosine of the angle."""
    rho = np.clip(u, -1.0, 1.0)
    theta = rho.copy()
    for _ in range(depth):
        s = np.sqrt((1.0 - rho) * (1.0 + rho))
        ang = np.arctan2(s, rho)
        k0 = (np.pi - ang) / np.pi
        k1 = (s + (np.pi - ang) * rho) / np.pi
        theta = k1 + theta * k0
        rho = np.clip(k1, -1.0, 1.0)
    return theta


def features(sig, pairs, train, ref, n_pert, n_ctx, scale):
    """Explicit pair features [s |e_d| m_c, e_d] of every pair, from the training rows."""
    g = sig.shape[1]
    ref_rows = np.where(pairs[:, 1] == ref)[0]
    e = np.tile(sig[ref_rows].mean(axis=0), (n_pert, 1))
    e[pairs[ref_rows, 0]] = sig[ref_rows]
    m = np.zeros((n_ctx, g))
    for c in range(n_ctx):
        rows = train[pairs[train, 1] == c]
        v = sig[rows].mean(axis=0) if len(rows) else sig[train].mean(axis=0)
        nv = np.linalg.norm(v)
        m[c] = v / nv if nv > 0 else v
    en = np.linalg.norm(e, axis=1)
    return np.hstack([scale * en[pairs[:, 0], None] * m[pairs[:, 1]], e[pairs[:, 0]]])


def main():
    d = sys.argv[1]
    n, g, ref, depth = map(int, sys.argv[2:6])
    scale, beta = float(sys.argv[6]), float(sys.argv[7])
    sig = np.fromfile(f"{d}/sig.bin").reshape(n, g)
    pairs = np.fromfile(f"{d}/pairs.bin", dtype=np.int64).reshape(n, 2)
    n_pert, n_ctx = pairs[:, 0].max() + 1, pairs[:, 1].max() + 1
    evaluated = np.where(pairs[:, 1] != ref)[0]
    pred = np.zeros((len(evaluated), g))
    t0 = time.perf_counter()
    for k, test in enumerate(evaluated):
        train = evaluated[evaluated != test]
        f = features(sig, pairs, train, ref, n_pert, n_ctx, scale)
        # Append the private identity coordinates and normalise.
        x = np.hstack([f[train], beta * np.eye(len(train)), np.zeros((len(train), 1))])
        xt = np.hstack([f[[test]], np.zeros((1, len(train))), [[beta]]])
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        xt /= np.linalg.norm(xt, axis=1, keepdims=True)
        kmat = ntk_sphere(x @ x.T, depth)
        kt = ntk_sphere(xt @ x.T, depth)
        pred[k] = kt @ np.linalg.solve(kmat, sig[train])
    elapsed = time.perf_counter() - t0
    pred.tofile(f"{d}/pred_numpy.bin")
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
