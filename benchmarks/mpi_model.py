#!/usr/bin/env python3
"""Time and memory model of the distributed restricted PCG-Nystrom (Falkon) solve, calibrated on
this machine's `pcg_mpi_scaling` runs, extrapolated to the full LINCS release.

Per process (P processes, n points of d features, m centres, r right-hand sides, t iterations):

  time   = 2 n m d / (P F)                      kernel block K(X_p, C), computed once
         + t * 4 n m r / (P F)                  per iteration K_p v and K_p^T u
         + t * 4 m^2 r / (min(P, r) F)          per iteration the preconditioner's 4 triangular
                                                solves with m x m factors, split by columns of
                                                the r right-hand sides
         + (m^3 / 3 + m^3 + m^3 / 3) / F        root: two Cholesky factors and T T^T
         + t * (2 m r 8 / B + 2 lat log2 P)     per iteration one allreduce of m x r doubles
         + t * 2 m r 8 / B                      and two allgathers of the solves' m x r columns
         + 3 m^2 8 / B * log2 P                 broadcast of the three m x m factors (tree)
  memory = n d 8 / P + n m 8 / P + n r 8 / P    own points, cached K(X_p, C), own targets
         + 3 m^2 8 + 4 m r 8 + m d 8            factors, CG vectors, centres

F is the GEMM rate of one process (calibrated below from the measured 1-process run, where the
kernel block dominates), B the network bandwidth and lat its latency (assumed; this machine has
no network). Usage: python3 benchmarks/mpi_model.py [seconds_1proc n m]  (defaults: the run in
docs/results.md).
"""
import math
import sys

d = 978
# Calibration: n = 200,000, m = 2,000, r = 1, 11 iterations on one process: K_nm dominates.
sec1, n1, m1 = (float(a) for a in sys.argv[1:4]) if len(sys.argv) > 3 else (30.9, 200000, 2000)
r1, t1 = 1, 11
work1 = 2 * n1 * m1 * d + t1 * 4 * n1 * m1 * r1 + t1 * 4 * m1 * m1 * r1 + (5 / 3) * m1 ** 3
F = work1 / sec1  # flop/s of one process (one core)
print(f"calibrated: F = {F / 1e9:.1f} GFLOP/s per process (one core of this machine)")

# Assumed cluster nodes: 32 cores of this machine's speed, 25 GB/s (200 Gb/s) network per node,
# 2 us latency. Two layouts: one process per core (the factors replicated 32 times per node, the
# root's factorisations on one core), or one process per node running its BLAS on 32 threads (the
# preconditioner solves and root factors at an assumed 50% of 32 cores).
cores, B_node, lat = 32, 25e9, 2e-6

# The full LINCS release: 720,000 Level-5 signatures, the 978 landmark genes as features and as
# targets (r = 978: every gene is a regression target), m = 10,000 centres, 11 iterations (the
# count was 11 at n = 10,000 .. 400,000 here).
n, m, r, t = 720000, 10000, 978, 11
print(f"\nfull LINCS: n = {n:,}, d = {d}, m = {m:,}, r = {r}, t = {t}")
print("| layout | nodes | kernel blocks | CG products | preconditioner solves | root factors | "
      "communication | total | memory per node | limiting term |")
print("|---|---|---|---|---|---|---|---|---|---|")
for layout, per_node, threads, eff in (("32 processes / node", cores, 1, 1.0),
                                       ("1 process x 32 threads / node", 1, cores, 0.5)):
    Fp = F * threads * eff  # flop/s of one process on triangular solves and factorisations
    Fs = F * threads        # on the split work (GEMM scales well)
    B = B_node / per_node
    for nodes in (8, 32, 128):
        P = nodes * per_node
        terms = {
            "kernel blocks": 2 * n * m * d / (P * Fs),
            "CG products": t * 4 * n * m * r / (P * Fs),
            "preconditioner solves": t * 4 * m * m * r / (min(P, r) * Fp),
            "root factors": (5 / 3) * m ** 3 / Fp,
            "communication": t * (2 * m * r * 8 / B + 2 * lat * math.log2(P))
            + t * 2 * m * r * 8 / B
            + 3 * m * m * 8 / B * math.log2(P),
        }
        total = sum(terms.values())
        per_proc = (n * d * 8 + n * m * 8 + n * r * 8) / P + 3 * m * m * 8 + 4 * m * r * 8 \
            + m * d * 8
        limit = max(terms, key=terms.get)
        print(f"| {layout} | {nodes} | " + " | ".join(f"{v:.1f} s" for v in terms.values()) +
              f" | {total:.0f} s | {per_proc * per_node / 1e9:.0f} GB | {limit} |")
