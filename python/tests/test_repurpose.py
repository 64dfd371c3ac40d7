"""repurpose against the command-line tool on the SARS-CoV-2 signature."""
import pytest

import cimpute

DISEASE = "covid/sarscov2_a549_log2fc.csv"


def test_repurpose_equals_cimpute_repurpose(data, cli):
    l1000, dz = data("l1000"), data(DISEASE)
    t = cimpute.read_l1000_directory(l1000)
    for extra, kw in (([], {}), (["--hide-context", "--score", "wtcs"],
                                 dict(hide_context=True, score="wtcs"))):
        ranking = cimpute.repurpose(t, dz, context="A549", **kw)
        assert list(ranking.columns) == ["rank", "drug", "score", "source", "uncertainty"]
        out, _ = cli("repurpose", "--disease", dz, "--context", "A549", "--data", l1000,
                     "--format", "tsv", "--quiet", *extra)
        rows = [l.split("\t") for l in out.strip().splitlines()[1:]]
        assert [r[1] for r in rows] == list(ranking["drug"])
        for r, got in zip(rows, ranking.itertuples()):
            assert float(r[2]) == pytest.approx(got.score, abs=1e-6)
            assert r[3] == got.source


def test_repurpose_with_a_series(data):
    pd = pytest.importorskip("pandas")
    t = cimpute.read_l1000_directory(data("l1000"))
    table = pd.read_csv(data(DISEASE))
    series = pd.Series(table.iloc[:, 1].values, index=table.iloc[:, 0].values)
    a = cimpute.repurpose(t, series, context="A549", impute="none")
    assert (a["source"] == "measured").all()
    with pytest.raises(ValueError, match="no context named 'XYZ'"):
        cimpute.repurpose(t, series, context="XYZ")
