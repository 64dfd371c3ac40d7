"""Readers and writers: shapes and values of the shared fixtures, round trips, errors."""
import numpy as np
import pytest

import cimpute


def test_gct_fixture_and_round_trips(data, tmp_path):
    m = cimpute.read_gct(data("gct_fixtures/test_n5x10.gct"))
    assert m.data.shape == (10, 5)  # rows are features
    assert len(m.row_ids) == 10 and len(m.col_ids) == 5
    for ext, write, read in (("gct", cimpute.write_gct, cimpute.read_gct),
                             ("gctx", cimpute.write_gctx, cimpute.read_gctx),
                             ("h5ad", cimpute.write_h5ad, None)):
        path = tmp_path / f"out.{ext}"
        write(path, m)
        if read is None:
            anndata = pytest.importorskip("anndata")
            a = anndata.read_h5ad(path)  # as scanpy reads it: samples as obs
            assert list(a.obs_names) == m.col_ids and list(a.var_names) == m.row_ids
            np.testing.assert_allclose(a.X.T, m.data, rtol=1e-6)
            continue
        back = read(path)
        assert back.row_ids == m.row_ids and back.col_ids == m.col_ids
        assert back.col_meta.keys() == m.col_meta.keys()
        np.testing.assert_allclose(back.data, m.data, rtol=1e-6)


def test_gctx_subset_is_read_by_id(data):
    path = data("gct_fixtures/modzs_n25x50.gctx")
    whole = cimpute.read_gctx(path)
    cols = [whole.col_ids[7], whole.col_ids[2]]
    rows = [whole.row_ids[3]]
    sub = cimpute.read_gctx(path, rows=rows, cols=cols)
    assert sub.col_ids == cols and sub.row_ids == rows
    np.testing.assert_array_equal(sub.data, whole.data[[3]][:, [7, 2]])
    with pytest.raises(ValueError, match="no column id 'nope'"):
        cimpute.read_gctx(path, cols=["nope"])


def test_h5ad_matches_the_matrix_market_copy(data):
    m = cimpute.read_h5ad(data("perturbseq/papalexi/papalexi_lowmoi.h5ad"))
    assert m.data.shape == (299, 20729)
    assert m.data.nnz == 1390126  # the Matrix Market copy's non-zeros
    assert abs(m.data.sum() - 4299765) < 1e-6
    assert "grna_target" in m.col_meta


def test_read_signatures_with_the_level5_options(data):
    path = data("gct_fixtures/modzs_n25x50.gctx")
    with pytest.raises(ValueError, match="appears twice|has 2 signatures"):
        cimpute.read_signatures(path)
    t, rep = cimpute.read_signatures(path, aggregate="best:distil_cc_q75", report=True)
    assert rep["read"] == 25 and rep["merged"] == 1 and rep["pairs"] == 24
    assert t.signatures.shape == (24, 50)
    with pytest.raises(ValueError, match="matches no column"):
        cimpute.read_signatures(path, filters={"pert_itime": "48 h"}, aggregate="mean")


def test_perturbseq_pseudobulk(data):
    t = cimpute.read_signatures(data("perturbseq/papalexi/papalexi_lowmoi.h5ad"),
                                perturbation="grna_target", context="bio_rep",
                                filters=["grna_max_frac>0.8"], aggregate="mean",
                                normalize="log1p-cp10k", control="non-targeting")
    assert t.shape == (26, 3, 299)
    assert t.signatures.shape == (75, 299)
    # The published knock-down of JAK2 (about 1.34 vs 4.13 log1p-CP10k against non-targeting).
    jak2 = t.features.index("JAK2")
    assert -3.2 < t.signature("JAK2", "rep_1")[jak2] < -2.4


def test_from_anndata_keeps_sparse_counts_sparse(data):
    # The same pseudobulk as read_signatures' own sparse path, from the AnnData scanpy reads
    # (its X is a scipy CSR matrix of counts), and the same as from a dense copy.
    anndata = pytest.importorskip("anndata")
    scipy_sparse = pytest.importorskip("scipy.sparse")
    path = data("perturbseq/papalexi/papalexi_lowmoi.h5ad")
    a = anndata.read_h5ad(path)
    assert scipy_sparse.issparse(a.X)
    got = cimpute.PerturbationTensor.from_anndata(a, "grna_target", "bio_rep",
                                                 filters=["grna_max_frac>0.8"], aggregate="mean")
    want = cimpute.read_signatures(path, perturbation="grna_target", context="bio_rep",
                                   filters=["grna_max_frac>0.8"], aggregate="mean")
    assert got.observed_pairs == want.observed_pairs and got.features == want.features
    np.testing.assert_allclose(got.signatures, want.signatures, rtol=1e-12, atol=0)
    small = a[:400]
    dense = anndata.AnnData(X=small.X.toarray(), obs=small.obs, var=small.var)
    for agg in ("mean", "median"):
        s = cimpute.PerturbationTensor.from_anndata(small, "grna_target", "bio_rep", aggregate=agg)
        d = cimpute.PerturbationTensor.from_anndata(dense, "grna_target", "bio_rep", aggregate=agg)
        assert s.observed_pairs == d.observed_pairs
        np.testing.assert_allclose(s.signatures, d.signatures, rtol=1e-12, atol=1e-12)


def test_malformed_file_raises_parse_error_with_file_and_line(data):
    path = data("gct_fixtures/modzs_n25x50_bad_header.gct")
    with pytest.raises(cimpute.ParseError) as e:
        cimpute.read_gct(path)
    assert isinstance(e.value, ValueError)
    assert e.value.file == path and e.value.line > 0


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError):
        cimpute.read_gct(tmp_path / "none.gct")
