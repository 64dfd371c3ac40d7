"""PerturbationTensor: construction, views, AnnData round trips, bad input."""
import numpy as np
import pytest

import cimpute


def small():
    x = np.array([[1.0, 2, 3], [2, 2, 5], [1, 1, 1]])
    return cimpute.PerturbationTensor.from_signatures(
        x, ["drugA", "drugB", "drugA"], ["A549", "A549", "MCF7"], ["g1", "g2", "g3"])


def test_axes_and_dense():
    t = small()
    assert t.perturbations == ["drugA", "drugB"] and t.contexts == ["A549", "MCF7"]
    assert t.observed.tolist() == [[True, True], [True, False]]
    d = t.dense()
    assert d.shape == (2, 2, 3)
    np.testing.assert_array_equal(d[0, 1], [1, 1, 1])
    assert np.isnan(d[1, 1]).all()
    np.testing.assert_array_equal(t.signature("drugB", "A549"), [2, 2, 5])


def test_anndata_round_trip():
    anndata = pytest.importorskip("anndata")
    t = small()
    a = t.to_anndata()
    assert a.shape == (3, 3) and list(a.obs["context"]) == ["A549", "A549", "MCF7"]
    back = cimpute.PerturbationTensor.from_anndata(a, perturbation="perturbation",
                                                  context="context")
    np.testing.assert_array_equal(back.signatures, t.signatures)
    assert back.observed_pairs == t.observed_pairs
    again = back.to_anndata()
    np.testing.assert_array_equal(again.X, a.X)
    assert list(again.obs_names) == list(a.obs_names)


def test_from_anndata_merges_and_filters():
    anndata = pytest.importorskip("anndata")
    pd = pytest.importorskip("pandas")
    X = np.array([[1.0, 0], [3, 2], [5, 4], [7, 7]])
    obs = pd.DataFrame({"drug": ["a", "a", "b", "b"], "cell": ["X", "X", "X", "X"],
                        "dose": ["1", "10", "1", "10"]}, index=["s1", "s2", "s3", "s4"])
    a = anndata.AnnData(X=X, obs=obs, var=pd.DataFrame(index=["g1", "g2"]))
    t = cimpute.PerturbationTensor.from_anndata(a, "drug", "cell", aggregate="mean")
    np.testing.assert_array_equal(t.signature("a", "X"), [2, 1])
    t = cimpute.PerturbationTensor.from_anndata(a, "drug", "cell", filters={"dose": "10"})
    np.testing.assert_array_equal(t.signature("b", "X"), [7, 7])
    with pytest.raises(ValueError, match="no obs column 'cell_line'"):
        cimpute.PerturbationTensor.from_anndata(a, "drug", "cell_line")
    with pytest.raises(ValueError, match="has 2 signatures"):
        cimpute.PerturbationTensor.from_anndata(a, "drug", "cell")


def test_bad_input():
    with pytest.raises(ValueError):
        cimpute.PerturbationTensor.from_signatures([[np.nan, 1.0]], ["a"], ["x"], ["g1", "g2"])
    with pytest.raises(ValueError):
        cimpute.PerturbationTensor.from_signatures([["a", "b"]], ["a"], ["x"], ["g1", "g2"])
    with pytest.raises(ValueError):
        cimpute.PerturbationTensor.from_signatures([[1.0, 2.0]], ["a"], ["x"], ["g1"])
    with pytest.raises(ValueError, match="appears twice|repeated|twice"):
        cimpute.PerturbationTensor.from_signatures([[1.0], [2.0]], ["a", "a"], ["x", "x"], ["g"])


def test_version_is_the_library_and_tool_version(cli):
    # One source of truth (include/cimpute/version.hpp): the package, its extension and the tool.
    out, _ = cli("--version")
    assert cimpute.__version__ == out.split()[-1]
    assert cimpute._cimpute.__version__ == cimpute.__version__
