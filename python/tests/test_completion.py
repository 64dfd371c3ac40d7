"""evaluate / impute against the command-line tool (the same C++ code underneath)."""
import os
import signal
import threading
import time

import numpy as np
import pytest

import cimpute

# Under leave-one-pair-out on the L1000 subset falrtc, soft-impute, ntk-ensemble, autoencoder and
# ntk-mixed take minutes each (on each side of the comparison), ntk-pcg 18 s: they run with
# CIMPUTE_SLOW_TESTS=1.
SLOW = {"falrtc", "soft-impute", "ntk-ensemble", "autoencoder", "ntk-mixed", "ntk-pcg"}
METHODS = [m for m in cimpute.completion_methods()
           if os.environ.get("CIMPUTE_SLOW_TESTS") == "1" or m not in SLOW]


def parse_tsv(text):
    lines = text.strip().splitlines()
    assert lines[0].split("\t") == ["protocol", "method", "pearson", "r2", "cosine", "seconds"]
    return {row[1]: tuple(map(float, row[2:5])) for row in (l.split("\t") for l in lines[1:])}


def test_evaluate_equals_cimpute_complete_on_the_l1000_subset(data, cli):
    l1000 = data("l1000")
    t = cimpute.read_l1000_directory(l1000)
    table = cimpute.evaluate(t, methods=METHODS, protocol="loo", reference_context="MCF7")
    assert list(table.columns)[:6] == ["protocol", "method", "pearson", "r2", "cosine", "seconds"]
    out, _ = cli("complete", "--data", l1000, "--methods", ",".join(METHODS), "--protocol", "loo",
                 "--reference-context", "MCF7", "--format", "tsv", "--digits", "17", "--quiet")
    want = parse_tsv(out)
    for row in table.itertuples():
        got = (row.pearson, row.r2, row.cosine)
        np.testing.assert_allclose(got, want[row.method], rtol=0, atol=1e-12,
                                   err_msg=row.method)


def test_random_protocols_follow_the_tool_seeds(data, cli):
    l1000 = data("l1000")
    t = cimpute.read_l1000_directory(l1000)
    table = cimpute.evaluate(t, methods=["context-mean", "dnpp"], protocol="kfold:5",
                             reference_context="none", seeds=2)
    out, _ = cli("complete", "--data", l1000, "--methods", "context-mean,dnpp", "--protocol",
                 "kfold:5", "--reference-context", "none", "--seeds", "2", "--format", "tsv",
                 "--digits", "17", "--quiet")
    want = parse_tsv(out)
    for row in table.itertuples():
        np.testing.assert_allclose((row.pearson, row.r2, row.cosine), want[row.method], atol=1e-12)
        assert row.runs == 2 and row.pearson_se >= 0


def test_ntk_priors_equal_the_tool_option(data, cli):
    l1000 = data("l1000")
    t = cimpute.read_l1000_directory(l1000)
    table = cimpute.evaluate(t, methods="ntk", protocol="kfold:5", reference_context="none",
                             seeds=1, ntk_priors=["cross-context"])
    out, _ = cli("complete", "--data", l1000, "--methods", "ntk", "--protocol", "kfold:5",
                 "--reference-context", "none", "--seeds", "1", "--ntk-priors", "cross-context",
                 "--format", "tsv", "--digits", "17", "--quiet")
    want = parse_tsv(out)["ntk"]
    row = table.iloc[0]
    np.testing.assert_allclose((row.pearson, row.r2, row.cosine), want, rtol=0, atol=1e-12)
    # A different prior list gives a different model.
    other = cimpute.evaluate(t, methods="ntk", protocol="kfold:5", reference_context="none",
                             seeds=1, ntk_priors="one-hot")
    assert abs(other.iloc[0].pearson - row.pearson) > 1e-6
    with pytest.raises(ValueError, match="unknown NTK prior 'cross'"):
        cimpute.evaluate(t, methods="ntk", ntk_priors=["cross"])


def test_impute_returns_anndata_with_variance(data):
    anndata = pytest.importorskip("anndata")
    t = cimpute.read_l1000_directory(data("l1000"))
    a = cimpute.impute(t, method="ntk")
    assert isinstance(a, anndata.AnnData)
    assert a.shape == (178, 978)  # every missing pair of the subset
    assert list(a.obs.columns) == ["perturbation", "context", "variance", "method"]
    assert ((a.obs["variance"] > 0) & (a.obs["variance"] <= 1)).all()
    some = [("BRD-A19037878", "A549")] if ("BRD-A19037878" in t.perturbations) else None
    pairs = some or [tuple(a.obs.iloc[0][["perturbation", "context"]])]
    b = cimpute.impute(t, method="ntk", pairs=pairs)
    assert b.shape == (1, 978)


def test_impute_matches_complete_predict_out(data, cli, tmp_path):
    l1000 = data("l1000")
    t = cimpute.read_l1000_directory(l1000)
    a = cimpute.impute(t, method="two-way-mean", reference_context="MCF7",
                       context_features="none")
    pred = tmp_path / "pred.gct"
    cli("complete", "--data", l1000, "--methods", "two-way-mean", "--reference-context", "MCF7",
        "--predict-out", str(pred), "--quiet")
    p = cimpute.read_gct(pred)
    ids = [f"two-way-mean:{i}" for i in a.obs_names]
    cols = [p.col_ids.index(i) for i in ids]
    np.testing.assert_allclose(a.X.T, p.data[:, cols], rtol=1e-12, atol=1e-12)


def test_impute_a_perturbation_never_measured():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("anndata")
    rng = np.random.default_rng(5)
    genes = [f"g{k}" for k in range(10)]
    perts = [f"g{k}" for k in range(5)]
    rows, P, C = [], [], []
    for c in ("c0", "c1"):
        for p in perts:
            rows.append(rng.normal(size=10))
            P.append(p)
            C.append(c)
    t = cimpute.PerturbationTensor.from_signatures(np.array(rows), P, C, genes)
    with pytest.raises(ValueError, match="'g7' is not in the tensor.*perturbation_features"):
        cimpute.impute(t, method="context-mean", pairs=[("g7", "c0")])
    a = cimpute.impute(t, method="context-mean", pairs=[("g7", "c0"), ("g7", "c1")],
                       perturbation_features="pca:2", reference_context="none",
                       context_features="none")
    X = np.array(rows)
    np.testing.assert_allclose(a.X[0], X[:5].mean(0), rtol=1e-12)  # c0's training mean
    np.testing.assert_allclose(a.X[1], X[5:].mean(0), rtol=1e-12)
    assert list(a.obs["perturbation"]) == ["g7", "g7"]
    b = cimpute.impute(t, method="ntk", pairs=[("g7", "c0")], perturbation_features="pca:2",
                       reference_context="none", context_features="none")
    assert b.shape == (1, 10) and np.isfinite(b.X).all()
    table = pd.DataFrame(rng.normal(size=(5, 3)), index=perts)
    with pytest.raises(ValueError, match="no row for perturbation 'g7'"):
        cimpute.impute(t, method="ntk", pairs=[("g7", "c0")], perturbation_features=table,
                       reference_context="none", context_features="none")
    # Two perturbations never measured, described by the rows of g1 and g2: with the
    # user-features prior alone the kernel sees only those rows, so each is predicted as the
    # in-sample fit of its twin (the numbering of the new perturbations and their prior's use).
    twins = pd.concat([table, table.loc[["g1", "g2"]].set_axis(["g7", "g8"])])
    c = cimpute.impute(t, method="ntk", pairs=[("g7", "c0"), ("g8", "c0"), ("g1", "c0"),
                                               ("g2", "c0")],
                       perturbation_features=twins, ntk_priors=["user-features"],
                       reference_context="none", context_features="none")
    np.testing.assert_allclose(c.X[0], c.X[2], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.X[1], c.X[3], rtol=1e-10, atol=1e-12)
    assert np.abs(c.X[0] - c.X[1]).max() > 1e-3
    assert np.abs(c.X[0] - X[:5].mean(0)).max() > 1e-3  # not the context mean


def test_bad_method_and_protocol(data):
    t = cimpute.read_l1000_directory(data("l1000"))
    with pytest.raises(ValueError, match="unknown method 'bogus'"):
        cimpute.evaluate(t, methods=["bogus"])
    with pytest.raises(ValueError):
        cimpute.evaluate(t, methods=["context-mean"], protocol="leave-some-out")
    with pytest.raises(ValueError, match="no context named 'XYZ'"):
        cimpute.evaluate(t, methods=["context-mean"], reference_context="XYZ")
    with pytest.raises(ValueError):
        cimpute.impute(t, method="ntk", pairs=[("not-a-drug", "A549")])


def test_ctrl_c_interrupts_a_long_evaluation():
    screen = cimpute.simulate_perturbations(drugs=200, contexts=20, genes=300, seed=3)
    t = screen["signatures"]
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        cimpute.evaluate(t, methods=["ntk", "falrtc", "ntk-ensemble"], protocol="kfold:5",
                         reference_context="none", seeds=3)
    elapsed = time.monotonic() - start
    timer.cancel()
    assert elapsed < 3.0, f"KeyboardInterrupt after {elapsed:.1f} s"


def test_progress_line(data, capsys):
    t = cimpute.read_l1000_directory(data("l1000"))
    cimpute.evaluate(t, methods=["context-mean"], progress=True)
    # tqdm or the plain line: either way something went to stderr
    assert capsys.readouterr().err != ""


def test_design_pairs_equals_cimpute_design_pairs(data, cli):
    t = cimpute.read_l1000_directory(data("l1000"))
    d = cimpute.design_pairs(t, budget=4, method="ntk-reference")
    out, _ = cli("design", "pairs", "--data", data("l1000"), "--budget", "4", "--method",
                 "ntk-reference", "--quiet")
    lines = out.strip().splitlines()
    assert lines[0] == "rank,perturbation,context,variance_before,total_variance_after"
    for row, line in zip(d.itertuples(index=False), lines[1:]):
        rank, p, c, before, after = line.split(",")
        assert (row.rank, row.perturbation, row.context) == (int(rank), p, c)
        assert row.variance_before == pytest.approx(float(before), rel=1e-5)
        assert row.total_variance_after == pytest.approx(float(after), rel=1e-5)
    # The total variance left falls with every measured pair.
    assert list(d.total_variance_after) == sorted(d.total_variance_after, reverse=True)
    with pytest.raises(ValueError, match="exceeds the 178 candidate pairs"):
        cimpute.design_pairs(t, budget=1000, method="ntk-reference")
    with pytest.raises(ValueError, match="kernel method"):
        cimpute.design_pairs(t, budget=2, method="dnpp")


def test_design_target_equals_cimpute_design_target(data, cli, tmp_path):
    # The target: the reverse of one drug's measured signature in PC3, over the data's own ids.
    t = cimpute.read_l1000_directory(data("l1000"))
    drug = t.perturbations[3]
    target = dict(zip(t.features, -t.signature(drug, "PC3")))
    path = tmp_path / "target.csv"
    path.write_text("gene,value\n" + "".join(f"{g},{v!r}\n" for g, v in target.items()))
    d = cimpute.design_target(t, "A549", target, replay=True, reverse=True, repeats=3)
    out, _ = cli("design", "target", "--data", data("l1000"), "--context", "A549", "--target",
                 str(path), "--target-id-type", "entrez", "--reverse", "--replay", "--repeats",
                 "3", "--quiet")
    lines = out.strip().splitlines()
    assert lines[0] == "context,target,best,design,greedy,random,heuristic"
    _, _, best, design, greedy, random, heuristic = lines[1].split(",")
    row = d.iloc[0]
    assert (row.context, row.best, heuristic) == ("A549", best, "na")
    assert (row.design, row.greedy, row.random) == pytest.approx(
        (float(design), float(greedy), float(random)), rel=1e-5)
    assert lines[2] == (f"experiments to the target: design {row.design:.2f} random 10.50 "
                        f"greedy {row.greedy:.2f}")
    # The best is the A549 drug whose measured signature has the largest cosine with the
    # reversed target (NumPy); random is (20 + 1) / 2.
    measured = [p for p in t.perturbations if (p, "A549") in t.observed_pairs]
    s = np.array([t.signature(p, "A549") for p in measured])
    v = np.array(list(target.values()))
    cos = s @ -v / (np.linalg.norm(s, axis=1) * np.linalg.norm(v))
    assert row.best == measured[int(np.argmax(cos))]
    assert row.random == pytest.approx((len(measured) + 1) / 2)
    assert 1 <= row.greedy <= len(measured)
    # The greedy acquisition is the greedy column.
    g = cimpute.design_target(t, "A549", target, replay=True, reverse=True, acquisition="greedy")
    assert g.design.iloc[0] == g.greedy.iloc[0] == row.greedy

    # Without replay: the next drug to measure in NOMO1 (3 unmeasured), as the tool chooses it.
    n = cimpute.design_target(t, "NOMO1", target, budget=1, reverse=True)
    out, _ = cli("design", "target", "--data", data("l1000"), "--context", "NOMO1", "--target",
                 str(path), "--target-id-type", "entrez", "--reverse", "--budget", "1", "--quiet")
    rank, p, match, sd, var = out.strip().splitlines()[1].split(",")
    assert (n["rank"][0], n["perturbation"][0]) == (int(rank), p)
    assert n["predicted_match"][0] == pytest.approx(float(match), rel=1e-5)
    assert n["relative_variance"][0] == pytest.approx(float(var), rel=1e-5)
    # The plain cosine metric, as --metric cosine: the posterior mean's cosine with the target.
    c = cimpute.design_target(t, "NOMO1", target, budget=1, reverse=True, metric="cosine")
    out, _ = cli("design", "target", "--data", data("l1000"), "--context", "NOMO1", "--target",
                 str(path), "--target-id-type", "entrez", "--reverse", "--budget", "1",
                 "--metric", "cosine", "--quiet")
    rank, p, match, sd, var = out.strip().splitlines()[1].split(",")
    assert (c["perturbation"][0], c["predicted_match"][0]) == (p, pytest.approx(float(match),
                                                                                 rel=1e-5))
    with pytest.raises(ValueError, match="metric"):
        cimpute.design_target(t, "NOMO1", target, budget=1, metric="pearson")
    with pytest.raises(ValueError, match="budget"):
        cimpute.design_target(t, "NOMO1", target)
    with pytest.raises(ValueError, match="between 1 and the 3 candidates"):
        cimpute.design_target(t, "NOMO1", target, budget=4)
    with pytest.raises(ValueError, match="no candidate left"):
        cimpute.design_target(t, "A549", target, budget=1)
    with pytest.raises(ValueError, match="kernel method"):
        cimpute.design_target(t, "NOMO1", target, budget=1, method="dnpp")
    with pytest.raises(ValueError, match="shares 0 gene"):
        cimpute.design_target(t, "NOMO1", {"x": 1.0, "y": 2.0}, budget=1)


def test_method_table_is_the_tools(cli):
    # One table (cimpute::completion_methods): the package and `cimpute complete --help` list the
    # same methods, in the same order, with the same summaries.
    table = cimpute.completion_methods(details=True)
    assert list(table["name"]) == cimpute.completion_methods()
    out, _ = cli("complete", "--help")
    for name, summary in zip(table["name"], table["summary"]):
        assert f"{name}: {summary}" in " ".join(out.split()), name
    assert set(table.loc[table["posterior"], "name"]) == {"ntk", "ntk-reference"}


def test_unseen_perturbations_and_metrics_equal_the_tool(data, cli, tmp_path):
    gct = data("l1000_shrna/lincs_shrna_knockdowns_4cells.gct")
    t = cimpute.read_signatures(gct, control="LUCIFERASE")
    methods = ["training-mean", "linear"]
    table = cimpute.evaluate(t, methods=methods, protocol="unseen-perturbation:5",
                             reference_context="none", seeds=1, perturbation_features="pca:10",
                             metrics=["pearson-delta", "pds"])
    assert list(table.columns)[-4:] == ["pearson-delta", "pearson-delta_se", "pds", "pds_se"]
    out, _ = cli("complete", "--data", gct, "--control", "LUCIFERASE", "--methods",
                 ",".join(methods), "--protocol", "unseen-perturbation:5", "--reference-context",
                 "none", "--seeds", "1", "--perturbation-features", "pca:10", "--metrics",
                 "pearson-delta,pds", "--format", "tsv", "--digits", "17", "--quiet")
    lines = out.strip().splitlines()
    assert lines[0].split("\t")[6:] == ["pearson-delta", "pds"]
    want = {r[1]: [float(x) for x in r[2:5] + r[6:8]] for r in (l.split("\t") for l in lines[1:])}
    for _, row in table.iterrows():
        got = row[["pearson", "r2", "cosine", "pearson-delta", "pds"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, want[row["method"]], rtol=0, atol=1e-12,
                                   err_msg=row["method"])
    # A perturbation table: the linear model's embedding and ntk's user-features prior; every
    # perturbation with a signature needs a row.
    import pandas as pd
    rng = np.random.default_rng(0)
    emb = pd.DataFrame(rng.normal(size=(len(t.perturbations), 4)), index=t.perturbations)
    path = tmp_path / "emb.csv"
    emb.to_csv(path)
    table = cimpute.evaluate(t, methods="linear", protocol="unseen-perturbation:5",
                             reference_context="none", seeds=1, perturbation_features=emb)
    out, _ = cli("complete", "--data", gct, "--control", "LUCIFERASE", "--methods", "linear",
                 "--protocol", "unseen-perturbation:5", "--reference-context", "none", "--seeds",
                 "1", "--perturbation-features", str(path), "--format", "tsv", "--digits", "17",
                 "--quiet")
    np.testing.assert_allclose(table.loc[0, ["pearson", "r2", "cosine"]].to_numpy(dtype=float),
                               parse_tsv(out)["linear"], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="no row for perturbation"):
        cimpute.evaluate(t, methods="linear", protocol="unseen-perturbation:5",
                         perturbation_features=emb.iloc[1:])
    with pytest.raises(ValueError, match="K must be a whole number"):
        cimpute.evaluate(t, methods="linear", perturbation_features="pca:0")
    with pytest.raises(ValueError, match="twice"):
        cimpute.evaluate(t, methods="linear", metrics=["pds", "pds"])
    # The per-perturbation means of pearson / r2 / cosine do not replace the pooled columns.
    both = cimpute.evaluate(t, methods="training-mean", protocol="unseen-perturbation:5",
                            reference_context="none", seeds=1, metrics=["pearson"])
    assert {"pearson", "mean-pearson"} <= set(both.columns)
    # The file path, as the tool reads it.
    from_file = cimpute.evaluate(t, methods="linear", protocol="unseen-perturbation:5",
                                 reference_context="none", seeds=1, perturbation_features=str(path))
    np.testing.assert_allclose(from_file.loc[0, ["pearson", "r2", "cosine"]].to_numpy(dtype=float),
                               parse_tsv(out)["linear"], rtol=0, atol=1e-12)
