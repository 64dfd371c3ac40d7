#!/usr/bin/env python3
"""PyTorch reference for benchmarks/autoencoder_vs_torch: the reference autoencoder of
Belyaeva et al. (d -> hidden -> d, no bias, LeakyReLU(0.01), MSE, Adam lr 1e-4), trained in
shuffled mini-batches on the float32 samples of a raw file; prints one JSON line with the
seconds of each epoch.

  python3 autoencoder_torch.py --data X.f32 --n 5000 --d 978 --hidden 1024 [--depth 1] \
      --batch 128 --epochs 5 --threads 1 [--foreach] [--dtype float32|float64]
"""
import argparse
import json
import time

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--d", type=int, required=True)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--depth", type=int, default=1, help="hidden layers")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--foreach", action="store_true", help="multi-tensor Adam")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(np.fromfile(a.data, dtype=np.float32).reshape(a.n, a.d))
    if a.dtype == "float64":
        torch.set_default_dtype(torch.float64)
        x = x.double()
    layers, width = [], a.d
    for _ in range(a.depth):
        layers += [torch.nn.Linear(width, a.hidden, bias=False), torch.nn.LeakyReLU(0.01)]
        width = a.hidden
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, a.d, bias=False))
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, foreach=a.foreach)
    loss_fn = torch.nn.MSELoss()
    times, losses = [], []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(a.n)
        total = 0.0
        for b0 in range(0, a.n, a.batch):
            xb = x[perm[b0:b0 + a.batch]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xb), xb)
            loss.backward()
            opt.step()
            total += float(loss) * xb.shape[0]
        times.append(time.perf_counter() - t0)
        losses.append(total / a.n)
    print(json.dumps({"seconds": times, "loss": losses, "threads": a.threads,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
