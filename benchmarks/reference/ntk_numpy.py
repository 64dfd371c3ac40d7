#!/usr/bin/env python3
"""NumPy reference for NTK kernel regression, written from the formulas in
../shared/reference/ntk_completion.md (the style of the reference implementation: vectorized
NumPy for the kernel and np.linalg.solve for the system).

usage: ntk_numpy.py DIR N N_TEST D M DEPTH RIDGE
Reads DIR/x.bin (N x D), DIR/xt.bin (N_TEST x D), DIR/y.bin (N x M), float64 row-major; writes
DIR/pred_numpy.bin (N_TEST x M) and prints the compute time in seconds (file I/O excluded).
"""
import sys
import time

import numpy as np


def ntk(x, z, depth):
    """NTK of a bias-free ReLU network, any input norms: |x||z| Theta_sphere(rho)."""
    nx = np.sqrt(np.einsum("ij,ij->i", x, x))
    nz = np.sqrt(np.einsum("ij,ij->i", z, z))
    scale = np.outer(nx, nz)
    g = x @ z.T
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(scale > 0, g / scale, 0.0)
    rho = np.clip(rho, -1.0, 1.0)
    theta = rho.copy()
    for _ in range(depth):
        s = np.sqrt((1.0 - rho) * (1.0 + rho))
        ang = np.arccos(rho)
        k0 = (np.pi - ang) / np.pi
        k1 = (s + (np.pi - ang) * rho) / np.pi
        theta = k1 + theta * k0
        rho = np.clip(k1, -1.0, 1.0)
    return scale * theta


def main():
    d, n, nt, dim, m, depth, ridge = sys.argv[1], *map(int, sys.argv[2:7]), float(sys.argv[7])
    x = np.fromfile(f"{d}/x.bin").reshape(n, dim)
    xt = np.fromfile(f"{d}/xt.bin").reshape(nt, dim)
    y = np.fromfile(f"{d}/y.bin").reshape(n, m)
    t0 = time.perf_counter()
    k = ntk(x, x, depth)
    k[np.diag_indices(n)] += ridge
    alpha = np.linalg.solve(k, y)
    pred = ntk(xt, x, depth) @ alpha
    elapsed = time.perf_counter() - t0
    pred.tofile(f"{d}/pred_numpy.bin")
    print(f"{elapsed:.6f}")


if __name__ == "__main__":
    main()
