#!/usr/bin/env python3
"""The Python package's overhead over the C++ programs, both sides in one run (issue: within 5%).

1. NTK Gram matrix, n = 5,000, d = 978, depth 1: `gram_bench` (Google Benchmark,
   BM_NtkGram/5000/1, median of 5) against `cimpute.gram` on a Fortran-ordered float64 array (used
   in place) and on a C-ordered one (copied once), medians of 5.
2. The L1000 table under leave-one-pair-out for the methods below: `cimpute complete` (the whole
   process: reading the data and evaluating) against `read_l1000_directory` + `evaluate`, medians
   of 3 wall times.

    PYTHONPATH=build/python python3 benchmarks/python_overhead.py BUILD_DIR [DATA_DIR]

BUILD_DIR holds benchmarks/gram_bench and bin/cimpute (the same build as the module).
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import cimpute

build = sys.argv[1] if len(sys.argv) > 1 else "build"
data = sys.argv[2] if len(sys.argv) > 2 else "../shared/data"
METHODS = ["context-mean", "two-way-mean", "dnpp", "synthetic-interventions", "ntk",
           "ntk-reference"]


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# 1. Gram
out = subprocess.run([os.path.join(build, "benchmarks", "gram_bench"),
                      "--benchmark_filter=^BM_NtkGram/5000/1/", "--benchmark_repetitions=5",
                      "--benchmark_format=json"], capture_output=True, text=True, check=True)
runs = [b for b in json.loads(out.stdout)["benchmarks"] if b.get("aggregate_name") == "median"]
cpp = runs[0]["real_time"] / 1e3  # ms -> s
rng = np.random.default_rng(42)
X = rng.normal(size=(5000, 978))
k = cimpute.NtkKernel(depth=1)
Xf = np.asfortranarray(X)
py_f = median_time(lambda: cimpute.gram(k, Xf), 5)
Xc = np.ascontiguousarray(X)
py_c = median_time(lambda: cimpute.gram(k, Xc), 5)
print(f"gram n=5000 d=978: C++ {cpp:.3f} s, Python (F order) {py_f:.3f} s = {py_f / cpp:.3f}x, "
      f"Python (C order, one copy) {py_c:.3f} s = {py_c / cpp:.3f}x")

# 2. The L1000 table
l1000 = os.path.join(data, "l1000")
cli = os.path.join(build, "bin", "cimpute")
args = [cli, "complete", "--data", l1000, "--methods", ",".join(METHODS), "--protocol", "loo",
        "--format", "tsv", "--quiet"]
cpp = median_time(lambda: subprocess.run(args, capture_output=True, check=True), 3)
py = median_time(lambda: cimpute.evaluate(cimpute.read_l1000_directory(l1000), methods=METHODS,
                                          protocol="loo"), 3)
print(f"L1000 table, loo, {len(METHODS)} methods: cimpute complete {cpp:.3f} s, "
      f"Python {py:.3f} s = {py / cpp:.3f}x")
