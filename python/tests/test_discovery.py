"""discover against the command-line tool; graphs against hand-derived answers."""
import numpy as np
import pytest

import cimpute

SACHS = "sachs/sachs_9conditions_labeled.csv"
OPTIONS = dict(exclude_settings=["pma", "b2camp"], ignore_columns=["iv_type"], log=True)


def cli_edges(out):
    lines = out.strip().splitlines()
    assert lines[0] == "cause,effect"
    return sorted(tuple(l.split(",")) for l in lines[1:])


@pytest.mark.parametrize("method", ["igsp", "utigsp", "gsp", "pc", "gies"])
def test_discover_equals_cimpute_discover_on_sachs(data, cli, method):
    path = data(SACHS)
    res = cimpute.discover(path, method=method, alpha=1e-3, alpha_inv=1e-3, seed=1, **OPTIONS)
    out, _ = cli("discover", "--data", path, "--exclude-settings", "pma,b2camp",
                 "--ignore-columns", "iv_type", "--log", "--method", method, "--alpha", "1e-3",
                 "--alpha-inv", "1e-3", "--seed", "1", "--quiet")
    assert sorted(res.edges.itertuples(index=False, name=None)) == cli_edges(out)


def test_gies_penalty_equals_the_tool_and_thins_the_graph(data, cli):
    path = data(SACHS)
    bic = cimpute.discover(path, method="gies", **OPTIONS)
    sparse = cimpute.discover(path, method="gies", lambda_=100.0, **OPTIONS)
    out, _ = cli("discover", "--data", path, "--exclude-settings", "pma,b2camp",
                 "--ignore-columns", "iv_type", "--log", "--method", "gies", "--lambda", "100",
                 "--quiet")
    assert sorted(sparse.edges.itertuples(index=False, name=None)) == cli_edges(out)
    assert len(sparse.edges) < len(bic.edges)


def test_a_dataframe_gives_the_same_data_as_the_file(data):
    pd = pytest.importorskip("pandas")
    path = data(SACHS)
    df = pd.read_csv(path)
    a = cimpute.interventional_data(path, **OPTIONS)
    b = cimpute.interventional_data(df, **OPTIONS)
    assert a.setting_names == b.setting_names and a.targets == b.targets
    np.testing.assert_array_equal(a.observational, b.observational)
    res = cimpute.discover(df, method="igsp", **OPTIONS)
    assert set(res.targets) == set(a.setting_names)
    with pytest.raises(ValueError, match="target 'nope' is not a variable"):
        bad = df.copy()
        bad.loc[bad["target"] == "PKC", "target"] = "nope"
        cimpute.interventional_data(bad, **OPTIONS)


def test_graphs():
    # 0 -> 1 <- 2 (a collider) stays oriented; the chain 0 -> 1 -> 2 becomes undirected.
    collider = np.array([[0, 1, 0], [0, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(cimpute.cpdag(collider), collider)
    chain = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(cimpute.cpdag(chain), [[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    # An intervention on node 1 orients 0 -> 1 and 1 -> 2.
    np.testing.assert_array_equal(cimpute.interventional_cpdag(chain, [[], [1]]), chain)
    assert cimpute.shd(chain, collider) == 1
    g = cimpute.random_dag(10, 2.0, seed=4)
    assert g.shape == (10, 10) and np.trace(g) == 0


def cycle3():
    return np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]])


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        cimpute.cpdag(cycle3())


def test_sem_samples_follow_the_graph():
    dag = np.array([[0, 1], [0, 0]])
    sem = cimpute.LinearGaussianSem.random(dag, seed=2)
    X = sem.sample(20000, seed=3)
    w = sem.weights[0, 1]
    assert abs(np.cov(X.T)[0, 1] / np.var(X[:, 0]) - w) < 0.05
    Y = sem.sample(20000, seed=4, targets=[1], value=5.0, variance=0.01)
    assert abs(Y[:, 1].mean() - 5.0) < 0.01
    assert abs(np.corrcoef(Y.T)[0, 1]) < 0.05  # the intervention cut 0 -> 1


def test_sem_fit_matches_least_squares_and_refuses_collinear_parents():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    X[:, 2] = 0.5 + X[:, 0] - 2 * X[:, 1] + rng.normal(size=200)
    dag = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    sem = cimpute.LinearGaussianSem.fit(dag, X)
    coef, *_ = np.linalg.lstsq(np.c_[np.ones(200), X[:, :2]], X[:, 2], rcond=None)
    np.testing.assert_allclose(sem.weights[:2, 2], coef[1:], rtol=1e-10)
    assert sem.noise_means[2] == pytest.approx(coef[0], rel=1e-10)
    X[:, 1] = 3 * X[:, 0]
    with pytest.raises(ValueError, match=r"parents of node 2 \(0, 1\) are collinear"):
        cimpute.LinearGaussianSem.fit(dag, X)


def test_result_views(data):
    nx = pytest.importorskip("networkx")
    res = cimpute.discover(data(SACHS), method="igsp", bootstrap=3, **OPTIONS)
    g = res.to_networkx()
    assert isinstance(g, nx.DiGraph)
    assert g.number_of_edges() == len(res.edges) == int(res.adjacency.sum())
    assert set(g.nodes) == set(res.variables)
    assert res.directed_frequency.shape == (11, 11)
    assert ((res.adjacency_frequency >= 0) & (res.adjacency_frequency <= 1)).all()
    assert set(res.targets) == {"cd3cd28+akt-inhib", "cd3cd28+g0076", "cd3cd28+psitect",
                                "cd3cd28+u0126", "cd3cd28+ly"} or len(res.targets) == 5


def test_design_interventions_equals_cimpute_design_interventions(data, cli):
    path = data(SACHS)
    d = cimpute.design_interventions(path, budget=3, method="gies", **OPTIONS)
    out, _ = cli("design", "interventions", "--data", path, "--exclude-settings", "pma,b2camp",
                 "--ignore-columns", "iv_type", "--log", "--method", "gies", "--budget", "3",
                 "--quiet")
    lines = out.strip().splitlines()
    assert lines[0] == "rank,target,oriented,unoriented"
    assert [(str(r.rank), r.target, f"{r.oriented:g}", f"{r.unoriented:g}")
            for r in d.itertuples(index=False)] == [tuple(l.split(",")) for l in lines[1:]]
    with pytest.raises(ValueError, match="budget must be >= 1"):
        cimpute.design_interventions(path, budget=0, method="gies", **OPTIONS)


def test_learner_table_is_the_tools(cli):
    # One table (cimpute::discovery_methods): the package and `cimpute discover --help` list the
    # same learners with the same summaries; design interventions takes those with known targets.
    table = cimpute.discovery_methods(details=True)
    assert list(table["name"]) == cimpute.discovery_methods()
    assert cimpute.discovery_methods()[0] == "igsp"  # the default of discover(method=)
    out, _ = cli("discover", "--help")
    flat = " ".join(out.split())
    for name, summary in zip(table["name"], table["summary"]):
        assert f"{name}: {summary}" in flat, name
    out, _ = cli("design", "interventions", "--help")
    flat = " ".join(out.split())
    for name, learns in zip(table["name"], table["learns_targets"]):
        assert (f"{name}: " in flat) == (not learns), name


def _forest_cost(rows, nodes, prizes, w):
    """The objective written out: missing prizes + edge costs + w per tree (union-find)."""
    up = {n: n for n in nodes}

    def find(x):
        while up[x] != x:
            x = up[x]
        return x

    trees = len(nodes)
    for a, b, _c in rows:
        ra, rb = find(a), find(b)
        assert ra != rb, "the selected edges close a cycle"
        up[ra] = rb
        trees -= 1
    return sum(p for n, p in prizes.items() if n not in nodes) + sum(c for *_x, c in rows) + w * trees


def test_steiner_forest_hand_cases():
    rows = [("A", "X", 0.5), ("X", "B", 0.5)]
    f = cimpute.steiner_forest(rows, {"A": 4, "B": 4}, w=5, hub_penalty=False)
    assert f["nodes"] == ["A", "X", "B"] and f["trees"] == 1
    assert f["objective"] == pytest.approx(6.0, abs=1e-12)
    assert f["objective"] <= 2 * f["lower_bound"] + 1e-12
    dear = [("A", "X", 5.0), ("X", "B", 5.0)]
    f = cimpute.steiner_forest(dear, {"A": 4, "B": 4, "Q": 1}, w=1, hub_penalty=False)
    assert f["nodes"] == ["A", "B"] and f["trees"] == 2 and f["edges"] == []
    assert f["absent"] == ["Q"]
    with pytest.raises(ValueError, match="no prized name"):
        cimpute.steiner_forest(rows, {"Q": 1})
    with pytest.raises(ValueError, match="root_edges must be terminals, others or all"):
        cimpute.steiner_forest(rows, {"A": 1}, root_edges="some")


def test_steiner_forest_on_the_covid_interactome(data):
    import pandas as pd
    ppi, prizes_file = data("covid/ppi_subnetwork_252genes.csv"), data("covid/terminals_prizes.tsv")
    f = cimpute.steiner_forest(ppi, prizes_file, w=2, hub_penalty=False)
    # The same forest from a DataFrame and a dict of prizes (file rows: the largest prize kept).
    table = pd.read_csv(ppi, float_precision="round_trip")  # correctly rounded, as the reader
    table = table[table.protein1 != table.protein2]  # the reader leaves self-loops out
    prizes = pd.read_csv(prizes_file, sep="\t").groupby("name")["prize"].max().to_dict()
    g = cimpute.steiner_forest(table, prizes, w=2, hub_penalty=False)
    assert f["nodes"] == g["nodes"] and f["edges"] == g["edges"]
    known = {n: p for n, p in prizes.items() if n not in f["absent"]}
    assert f["objective"] == pytest.approx(_forest_cost(f["edges"], set(f["nodes"]), known, 2),
                                           rel=1e-12)
    assert f["objective"] <= 2 * f["lower_bound"]
    r = cimpute.steiner_forest(ppi, prizes_file, w=2, hub_penalty=False, noise_runs=4, noise=0.0)
    assert {n for n, q in r["node_frequency"].items() if q == 1.0} == set(f["nodes"])


def test_rank_targets_hand_case():
    # a -> b -> c - d (c - d undirected); disease genes b, c, d. From a: b and c downstream for
    # sure, d only through the undirected edge; from d: c only through it.
    genes = ["a", "b", "c", "d"]
    A = np.zeros((4, 4), dtype=int)
    A[0, 1] = A[1, 2] = A[2, 3] = A[3, 2] = 1
    sig = {"b": 1.0, "c": -2.0, "d": 0.5}
    drugs = [("a", "d2"), ("a", "d1"), ("d", "d3"), ("z", "d4")]
    t = cimpute.rank_targets(A, sig, drugs, genes=genes)
    assert t["target"].tolist() == ["a", "d"]
    assert t["drugs"].tolist() == ["d1;d2", "d3"]
    assert t["descendants"].tolist() == [2, 0]
    assert t["disease_descendants"].tolist() == [2, 0]
    assert t["score"].tolist() == [3.0, 0.0]
    assert t["possible_descendant_genes"].tolist() == [["d"], ["c"]]
    assert t["possible_score"].tolist() == [0.5, 2.0]
    assert np.isnan(t["log2fc"][0]) and t["log2fc"][1] == 0.5
    with pytest.raises(ValueError, match="needs genes"):
        cimpute.rank_targets(A, sig, drugs)


def test_targets_equals_the_tool(data, cli, tmp_path):
    import pandas as pd
    cov = "covid/"
    expr, ppi = data(cov + "a549_scrnaseq_252genes_log2.csv"), data(cov + "ppi_subnetwork_252genes.csv")
    sig, drugs = data(cov + "sarscov2_a549_log2fc.csv"), data(cov + "drug_targets_in_network.tsv")
    small = dict(alphas=(1e-3, 0.1), bootstrap=4, runs=1, seed=3)
    r = cimpute.targets(expr, ppi, sig, drugs, genes_in_rows=True, **small)
    out_file, edges_file = tmp_path / "targets.csv", tmp_path / "edges.csv"
    cli("targets", "--expression", expr, "--genes-in-rows", "--interactome", ppi, "--signature",
        sig, "--drug-targets", drugs, "--alphas", "0.001,0.1", "--bootstrap", "4", "--runs", "1",
        "--seed", "3", "--out", str(out_file), "--edges-out", str(edges_file), "--quiet")
    tool = pd.read_csv(out_file, keep_default_na=False)
    assert r["targets"]["target"].tolist() == tool["target"].tolist()
    assert r["targets"]["drugs"].tolist() == tool["drugs"].tolist()
    for col in ("descendants", "disease_descendants", "possible_descendants"):
        assert r["targets"][col].tolist() == tool[col].tolist()
    np.testing.assert_allclose(r["targets"]["score"], tool["score"], rtol=1e-5)
    edges = pd.read_csv(edges_file)
    assert sorted(map(tuple, r["edges"][["cause", "effect"]].values.tolist())) == \
        sorted(map(tuple, edges[["cause", "effect"]].values.tolist()))
    assert len(r["genes"]) > 100 and r["signature_genes_in_graph"] > 0
    # The targets of the stable graph are rank_targets' of that graph.
    again = cimpute.rank_targets(r["graph"], sig, drugs, genes=r["genes"])
    assert again["target"].tolist() == r["targets"]["target"].tolist()


def test_targets_with_gies_equals_the_tool(data, cli, tmp_path):
    # GIES scores and runs no tests: no alphas. On the 26 genes expressed in more than 90% of
    # the 74 cells (GIES needs more cells than genes in every resample).
    import pandas as pd
    cov = "covid/"
    expr, ppi = data(cov + "a549_scrnaseq_252genes_log2.csv"), data(cov + "ppi_subnetwork_252genes.csv")
    sig, drugs = data(cov + "sarscov2_a549_log2fc.csv"), data(cov + "drug_targets_in_network.tsv")
    r = cimpute.targets(expr, ppi, sig, drugs, genes_in_rows=True, method="gies",
                        min_expressed=0.9, bootstrap=6, seed=2)
    edges_file = tmp_path / "edges.csv"
    out, _ = cli("targets", "--expression", expr, "--genes-in-rows", "--interactome", ppi,
                 "--signature", sig, "--drug-targets", drugs, "--method", "gies",
                 "--min-expressed", "0.9", "--bootstrap", "6", "--seed", "2", "--edges-out",
                 str(edges_file), "--quiet")
    edges = pd.read_csv(edges_file)
    assert len(r["genes"]) == 26 and len(edges) > 0
    assert sorted(map(tuple, r["edges"][["cause", "effect"]].values.tolist())) == \
        sorted(map(tuple, edges[["cause", "effect"]].values.tolist()))
    assert out.splitlines()[1].split(",")[0] == r["targets"]["target"].iloc[0]
    # Every edge is an interactome pair.
    net = pd.read_csv(ppi)
    pairs = {frozenset(p) for p in net.iloc[:, :2].astype(str).values.tolist()}
    assert all(frozenset(e) in pairs for e in edges[["cause", "effect"]].values.tolist())
    with pytest.raises(ValueError, match="method gies runs no tests"):
        cimpute.targets(expr, ppi, sig, drugs, genes_in_rows=True, method="gies", alphas=[0.1])


@pytest.mark.parametrize("method", ["gsp", "gies"])
def test_discover_with_background_knowledge_equals_the_tool(data, cli, tmp_path, method):
    path, consensus = data(SACHS), data("sachs/consensus_graph.csv")
    required = tmp_path / "required.csv"
    required.write_text("cause,effect\nPKA,praf\n")
    res = cimpute.discover(path, method=method, skeleton=consensus, required=str(required),
                           **OPTIONS)
    out, _ = cli("discover", "--data", path, "--exclude-settings", "pma,b2camp",
                 "--ignore-columns", "iv_type", "--log", "--method", method, "--skeleton",
                 consensus, "--require", str(required), "--quiet")
    edges = sorted(res.edges.itertuples(index=False, name=None))
    assert edges == cli_edges(out)
    allowed = {tuple(sorted(l.split(","))) for l in open(consensus).read().split()[1:]}
    assert all(tuple(sorted(e)) in allowed for e in edges)
    assert ("PKA", "praf") in edges
    # The same knowledge as lists of names; a forbidden pair never appears.
    listed = cimpute.discover(path, method=method, skeleton=sorted(allowed),
                              required=[("PKA", "praf")], forbidden=[("PKA", "pmek")], **OPTIONS)
    assert not any(set(e) == {"PKA", "pmek"} for e in listed.edges.itertuples(index=False))
    assert ("PKA", "praf") in set(listed.edges.itertuples(index=False, name=None))
    with pytest.raises(ValueError, match="names 'nothing', not a variable"):
        cimpute.discover(path, method="gsp", required=[("PKA", "nothing")], **OPTIONS)
    with pytest.raises(ValueError, match="alphas needs bootstrap"):
        cimpute.discover(path, method="gsp", alphas=[1e-3, 0.1], **OPTIONS)


def test_match_shift_oracle_recovers_the_planted_shift():
    pytest.importorskip("pandas")
    dag = cimpute.random_dag(12, 2.0, 8)
    sem = cimpute.LinearGaussianSem.random(dag, 31)
    a = np.zeros(12)
    a[[2, 5]] = [1.5, -2.0]
    desired = np.linalg.solve(np.eye(12) - sem.weights.T, sem.noise_means + a)  # NumPy's mean
    names = [f"g{i}" for i in range(12)]
    for acquisition in ("active", "point-estimate", "random"):
        r = cimpute.match_shift(sem, desired, rounds=3, acquisition=acquisition, population=True,
                                samples_per_round=1000, prior_precision=1e-9, planted=[2, 5],
                                names=names)
        assert list(r["recommended"]["target"]) == ["g2", "g5"]
        assert np.allclose(r["recommended"]["shift"], [1.5, -2.0], atol=1e-6)
        assert r["rounds_to_tolerance"] == 1 and r["rounds_to_targets"] == 1
        assert len(r["curve"]) == 3 and r["curve"]["relative_distance"].iloc[-1] < 1e-6
        assert r["initial_relative_distance"] == pytest.approx(1.0)
    # Sampled rounds on a learner's graph: the curve has one row per round, each naming the
    # shift it ran; a wrong-sized graph is refused.
    r = cimpute.match_shift(sem, desired, graph=dag, rounds=5, samples_per_round=20, seed=3)
    assert list(r["curve"]["round"]) == [1, 2, 3, 4, 5]
    assert all(isinstance(i, dict) and i for i in r["curve"]["intervention"])
    with pytest.raises(ValueError, match="nodes"):
        cimpute.match_shift(sem, desired, graph=np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="acquisition"):
        cimpute.match_shift(sem, desired, acquisition="bogus")


def test_match_shift_over_class_members_finds_the_true_dag():
    pytest.importorskip("pandas")
    # A chain 0 -> 1 -> 2 -> 3 -> 4, whose class has 5 members; the learner is given the
    # reversed chain (same class) and holds its class: shifts put the weight on the true one.
    chain = np.zeros((5, 5), dtype=int)
    for v in range(4):
        chain[v, v + 1] = 1
    sem = cimpute.LinearGaussianSem.random(chain, 12)
    a = np.zeros(5)
    a[2] = 1.5
    desired = np.linalg.solve(np.eye(5) - sem.weights.T, sem.noise_means + a)
    r = cimpute.match_shift(sem, desired, graph=chain.T, rounds=3, population=True,
                            observational=1000, samples_per_round=1000, prior_precision=1e-9,
                            class_members=5, planted=[2])
    curve = r["curve"]
    assert list(curve.columns[-2:]) == ["graph", "graph_weight"]
    assert curve["graph"].iloc[-1] != 0  # not the reversed chain it was given
    assert curve["graph_weight"].iloc[-1] > 0.999
    assert list(r["recommended"]["target"]) == [2]
    assert np.allclose(r["recommended"]["shift"], [1.5], atol=1e-6)
    # Given the true DAG alone, the weight stays 1 on it.
    one = cimpute.match_shift(sem, desired, graph=chain, rounds=2, population=True,
                              samples_per_round=1000, prior_precision=1e-9)
    assert list(one["curve"]["graph"]) == [0, 0] and list(one["curve"]["graph_weight"]) == [1, 1]
    with pytest.raises(ValueError, match="class_members"):
        cimpute.match_shift(sem, desired, class_members=0)


def test_design_shift_recovers_a_planted_shift_computed_with_numpy():
    pytest.importorskip("pandas")
    dag = cimpute.random_dag(15, 2.0, 4)
    sem = cimpute.LinearGaussianSem.random(dag, 9)
    B = sem.weights
    a = np.zeros(15)
    a[[2, 9]] = [1.5, -0.5]
    desired = np.linalg.solve(np.eye(15) - B.T, sem.noise_means + a)  # NumPy's mean under a
    assert np.allclose(sem.mean(a), desired, atol=1e-12)
    d = cimpute.design_shift(sem, desired)
    assert list(d["target"]) == [2, 9]
    assert np.allclose(d["shift"], [1.5, -0.5], atol=1e-10)
    assert d["distance"].max() < 1e-10
    # One target: the best single node by least squares on NumPy's total effects.
    A = np.linalg.inv(np.eye(15) - B.T)
    r = desired - sem.mean()
    dist = [np.linalg.norm(A[:, [i]] @ np.linalg.lstsq(A[:, [i]], r, rcond=None)[0] - r)
            for i in range(15)]
    one = cimpute.design_shift(sem, desired, max_targets=1)
    assert one["target"][0] == int(np.argmin(dist))
    assert abs(one["distance"][0] - min(dist)) < 1e-9
    names = [f"g{i}" for i in range(15)]
    named = cimpute.design_shift(sem, dict(zip(names, desired)), names=names)
    assert list(named["target"]) == ["g2", "g9"]
    with pytest.raises(ValueError, match="no desired mean"):
        cimpute.design_shift(sem, {"g0": 1.0}, names=names)
    # A Series is read by name, not by position.
    import pandas as pd
    series = pd.Series(dict(zip(names, desired))).iloc[::-1]
    assert list(cimpute.design_shift(sem, series, names=names)["target"]) == ["g2", "g9"]
    with pytest.raises(ValueError, match="max_targets must be >= 1"):
        cimpute.design_shift(sem, desired, max_targets=0)
