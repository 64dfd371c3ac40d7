#!/usr/bin/env python3
"""Why the NTK trailed DNPP on the L1000 shRNA table, and which pair kernels close the gap.

A NumPy prototype (issue 30), independent of the C++ code: the 4-line shRNA knock-down table,
`--control LUCIFERASE`, 5 folds within each cell line (its own seeded split, so figures differ from
`cimpute complete` in the third decimal), pooled Pearson / mean R^2 / mean cosine as
`completion_scores`. Rows: the context mean, DNPP (k = 10), the perturbation's own mean residual in
the other lines, kernel ridge regression on the context-mean residuals with
  - a Kronecker product kernel k_P(p, q) (delta_cd + rho), k_P the depth-1 NTK of the perturbation's
    standardised training residuals averaged over all its training contexts,
  - the regularised-Laplacian kernel of DNPP's 10-nearest-neighbour similarity network,
  - the cross-context kernel [c = d] k_NTK(e_p^(-c), e_q^(-c)) (features from the other contexts
    only: `NtkPrior::CrossContext`).

    python3 benchmarks/reference/shrna_ntk_ablation.py [../shared/data/l1000_shrna/...gct]
"""
import sys
import numpy as np

PATH = sys.argv[1] if len(sys.argv) > 1 else \
    "../shared/data/l1000_shrna/lincs_shrna_knockdowns_4cells.gct"


def load(path):
    with open(path) as f:
        f.readline()
        f.readline()
        hdr = f.readline().rstrip("\n").split("\t")
        meta = {}
        for _ in range(3):
            row = f.readline().rstrip("\n").split("\t")
            meta[row[0]] = row[2:]
        data = np.loadtxt(f, delimiter="\t", usecols=range(2, len(hdr)))
    pert, cell = np.array(meta["pert_id"]), np.array(meta["cell_id"])
    cells = sorted(set(cell))
    perts = sorted(set(pert) - {"LUCIFERASE"})
    pi = {p: i for i, p in enumerate(perts)}
    ci = {c: i for i, c in enumerate(cells)}
    Y = np.zeros((len(perts), len(cells), data.shape[0]))
    M = np.zeros((len(perts), len(cells)), bool)
    ctrl = {c: data[:, (pert == "LUCIFERASE") & (cell == c)].mean(1) for c in cells}
    for j in range(data.shape[1]):
        if pert[j] != "LUCIFERASE":
            Y[pi[pert[j]], ci[cell[j]]] = data[:, j] - ctrl[cell[j]]
            M[pi[pert[j]], ci[cell[j]]] = True
    return Y, M


def scores(pred, truth):
    p, t = pred - pred.mean(), truth - truth.mean()
    pearson = (p * t).sum() / np.sqrt((p * p).sum() * (t * t).sum())
    tc = truth - truth.mean(1, keepdims=True)
    r2 = np.mean(1 - ((truth - pred) ** 2).sum(1) / (tc ** 2).sum(1))
    cos = np.mean((pred * truth).sum(1) / np.linalg.norm(pred, axis=1) / np.linalg.norm(truth, axis=1))
    return pearson, r2, cos


def ntk(u, depth=1):  # the ReLU NTK of unit vectors, bias 0 (kernels/ntk.hpp)
    s, k = u.copy(), u.copy()
    for _ in range(depth):
        uc = np.clip(s, -1, 1)
        th = np.arccos(uc)
        s_new = (np.sin(th) + (np.pi - th) * uc) / np.pi
        k = k * (np.pi - th) / np.pi + s_new
        s = s_new
    return k


Y, M = load(PATH)
P, C, G = Y.shape
rng = np.random.default_rng(0)
F = -np.ones(M.shape, int)
for c in range(C):
    idx = np.where(M[:, c])[0]
    rng.shuffle(idx)
    F[idx, c] = np.arange(len(idx)) % 5


def standardised(Tr, cm):
    Z = np.zeros_like(Y)
    for c in range(C):
        R = (Y[:, c] - cm[c]) * Tr[:, c, None]
        Z[:, c] = R / np.sqrt((R[Tr[:, c]] ** 2).mean())
    return Z


def unit(E):
    n = np.linalg.norm(E, axis=1)
    return E / np.where(n > 0, n, 1)[:, None]


def krr(KP_of_context, Tr, Te, cm, lam, KC=None):
    """Kernel ridge regression on the residuals; KP_of_context(c) is the perturbation kernel used
    within context c (KC, if given, couples contexts as a Kronecker product with one KP)."""
    preds, truths = [], []
    if KC is not None:
        KP = KP_of_context(0)
        tp, tc = np.where(Tr)
        sp, sc = np.where(Te)
        a = np.linalg.solve(KP[np.ix_(tp, tp)] * KC[np.ix_(tc, tc)] + lam * np.eye(len(tp)),
                            Y[tp, tc] - cm[tc])
        return KP[np.ix_(sp, tp)] * KC[np.ix_(sc, tc)] @ a + cm[sc], Y[sp, sc]
    for c in range(C):
        KP = KP_of_context(c)
        tq, sq = np.where(Tr[:, c])[0], np.where(Te[:, c])[0]
        a = np.linalg.solve(KP[np.ix_(tq, tq)] + lam * np.eye(len(tq)), Y[tq, c] - cm[c])
        preds.append(KP[np.ix_(sq, tq)] @ a + cm[c])
        truths.append(Y[sq, c])
    return np.vstack(preds), np.vstack(truths)


def dnpp_similarity(Tr):
    Z = Y - Y.mean(2, keepdims=True)
    Z /= np.maximum(np.linalg.norm(Z, axis=2, keepdims=True), 1e-12)
    S, N = np.zeros((P, P)), np.zeros((P, P))
    for c in range(C):
        z = Z[:, c] * Tr[:, c, None]
        S += z @ z.T
        N += np.outer(Tr[:, c], Tr[:, c])
    S = np.maximum(np.where(N > 0, S / np.maximum(N, 1), 0), 0)
    np.fill_diagonal(S, 0)
    return S


def method(name, Tr, Te, cm):
    sp, sc = np.where(Te)
    if name == "context mean":
        return cm[sc], Y[sp, sc]
    if name == "DNPP (k = 10)":
        S, out = dnpp_similarity(Tr), []
        for p, c in zip(sp, sc):
            cand = np.where(Tr[:, c])[0]
            o = np.argsort(-S[p, cand], kind="stable")[:10]
            w = S[p, cand][o]
            out.append(w @ Y[cand[o], c] / w.sum() if w.sum() > 0 else cm[c])
        return np.array(out), Y[sp, sc]
    if name == "own mean residual elsewhere x 0.3":
        out = []
        for p, c in zip(sp, sc):
            o = [d for d in range(C) if Tr[p, d]]
            out.append(cm[c] + 0.3 * (np.mean([Y[p, d] - cm[d] for d in o], 0) if o else 0))
        return np.array(out), Y[sp, sc]
    Z = standardised(Tr, cm)
    if name.startswith("Kronecker"):
        E = unit(Z.sum(1) / np.maximum(Tr.sum(1), 1)[:, None])
        KP = ntk(E @ E.T)
        return krr(lambda c: KP, Tr, Te, cm, 1.0, KC=np.eye(C) + 0.3)
    if name.startswith("graph"):
        S = dnpp_similarity(Tr)
        W = np.zeros_like(S)
        idx = np.argsort(-S, 1)[:, :10]
        W[np.arange(P)[:, None], idx] = S[np.arange(P)[:, None], idx]
        W = np.maximum(W, W.T)
        d = W.sum(1)
        dn = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
        KP = np.linalg.inv(np.eye(P) + 5 * (np.eye(P) - dn[:, None] * W * dn[None, :]))
        return krr(lambda c: KP, Tr, Te, cm, 0.1)
    depth = 2 if "depth 2" in name else 1

    def cross(c):
        o = [d for d in range(C) if d != c]
        E = unit(Z[:, o].sum(1) / np.maximum(Tr[:, o].sum(1), 1)[:, None])
        return ntk(E @ E.T, depth)
    return krr(cross, Tr, Te, cm, 1.0)


names = ["context mean", "DNPP (k = 10)", "own mean residual elsewhere x 0.3",
         "Kronecker: NTK of all-context features x (delta + 0.3), ridge 1",
         "graph: regularised Laplacian of DNPP's 10-NN network, beta 5, ridge 0.1",
         "cross-context, depth 1, ridge 1", "cross-context, depth 2, ridge 1"]
print("| kernel / method | Pearson | R^2 | cosine |\n|---|---|---|---|")
for name in names:
    pr, tr = [], []
    for k in range(5):
        Tr, Te = M & (F != k), M & (F == k)
        cm = np.stack([Y[Tr[:, c], c].mean(0) for c in range(C)])
        a, b = method(name, Tr, Te, cm)
        pr.append(a)
        tr.append(b)
    s = scores(np.vstack(pr), np.vstack(tr))
    print(f"| {name} | {s[0]:.4f} | {s[1]:.4f} | {s[2]:.4f} |", flush=True)
