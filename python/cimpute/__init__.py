"""cimpute: causal imputation on NumPy, pandas and AnnData — a thin skin over the C++ library.

Perturbation screens (CMap / LINCS L1000 signatures, Perturb-seq, interventional flow cytometry)
as a :class:`PerturbationTensor`; completion methods evaluated under the protocols of
``cimpute complete`` (:func:`evaluate`) and used to fill in missing (perturbation, context) pairs
(:func:`impute`); causal structure learning from interventional data (:func:`discover`); NTK
kernels (:class:`NtkKernel`, :func:`gram`); drug repurposing (:func:`repurpose`); plots
(:mod:`cimpute.plot`). The numbers are those of the ``cimpute`` command-line tool: the same C++
code runs underneath.

Errors: bad input raises ``ValueError`` (:class:`ParseError`, a subclass, for a malformed file,
with ``file``, ``line`` and ``column``); a failed computation ``RuntimeError``; Ctrl-C during a
long computation ``KeyboardInterrupt``. Optional packages (anndata, tqdm, matplotlib, networkx)
are imported when a feature needs them.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Iterable, Optional, Sequence

import numpy as np

from . import _cimpute
from ._cimpute import LinearGaussianSem, NngpKernel, NtkKernel, ParseError
# The library's option types, constructed by keyword (each field an attribute of its C++ name).
from ._cimpute import (AutoencoderTransferOptions, CompletionSetup, DiscoveryOptions,
                       GiesOptions, HsicOptions, IgspOptions, InterventionDesignOptions,
                       MixedPriorOptions, PerturbationSimulatorParams, RepurposingOptions)
from ._progress import Progress

__all__ = [
    "PerturbationTensor", "LabeledMatrix", "DiscoveryResult", "ParseError", "NtkKernel",
    "NngpKernel", "LinearGaussianSem", "read_l1000_directory", "read_signatures", "read_gct",
    "read_gctx", "read_h5ad", "write_gct", "write_gctx", "write_h5ad", "completion_methods",
    "evaluate", "impute", "gram", "discover", "interventional_data", "repurpose",
    "simulate_perturbations", "cpdag", "interventional_cpdag", "shd", "random_dag", "Autoencoder",
    "design_interventions", "design_pairs", "discovery_methods", "AutoencoderTransferOptions",
    "CompletionSetup", "DiscoveryOptions", "GiesOptions", "HsicOptions", "IgspOptions",
    "InterventionDesignOptions", "MixedPriorOptions", "PerturbationSimulatorParams",
    "RepurposingOptions", "steiner_forest", "design_shift", "match_shift", "design_target", "rank_targets",
    "targets",
]
__version__ = _cimpute.__version__  # the C++ library's (cimpute/version.hpp)


def _need(module: str, feature: str):
    """Import an optional module or say which feature needs it."""
    try:
        return __import__(module)
    except ImportError as e:
        raise ImportError(f"{feature} needs the Python package '{module}' "
                          f"(Debian: apt-get install python3-{module})") from e


def _pandas():
    return _need("pandas", "this function")


def _anndata(X, obs, var):
    """AnnData keeping X's dtype (anndata 0.8 would convert float64 to float32 by default)."""
    import anndata
    try:
        return anndata.AnnData(X=X, obs=obs, var=var, dtype=X.dtype)
    except TypeError:  # anndata >= 0.10 has no dtype argument and keeps X's
        return anndata.AnnData(X=X, obs=obs, var=var)


# ------------------------------------------------------------------------------------- tensors
class PerturbationTensor:
    """Signatures of (perturbation, context) pairs over features: the library's shared type.

    Build one with :func:`read_l1000_directory`, :func:`read_signatures`,
    :meth:`from_anndata` or :meth:`from_signatures`.

    Attributes:
        perturbations, contexts, features: lists of str (the axes).
        observed: bool array (perturbations x contexts), True where a signature is measured.
        signatures: float array (observed pairs x features), in the order of ``observed_pairs``.
        observed_pairs: list of (perturbation, context) names.
        source: the path the tensor was read from ('' when built in memory); an L1000 directory
            also gives the contexts' control profiles to the methods that use them.
    """

    def __init__(self, core: "_cimpute.Tensor", source: str = ""):
        self._t = core
        self.source = source

    @classmethod
    def from_signatures(cls, values, perturbations: Sequence[str], contexts: Sequence[str],
                        features: Sequence[str]) -> "PerturbationTensor":
        """One signature per row of ``values`` (pairs x features) for the pair
        (``perturbations[i]``, ``contexts[i]``); a repeated pair or a NaN raises ValueError."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"from_signatures: values must be 2-D, got {values.ndim}-D")
        return cls(_cimpute.Tensor.from_signatures(values, list(map(str, perturbations)),
                                                   list(map(str, contexts)),
                                                   list(map(str, features))))

    @classmethod
    def from_anndata(cls, adata, perturbation: str = "pert_id", context: str = "cell_id",
                     filters: dict | Sequence[str] | None = None, aggregate: str = "none",
                     symbol_field: str = "") -> "PerturbationTensor":
        """From an AnnData whose obs are profiles: ``obs[perturbation]`` and ``obs[context]``
        name each profile's pair; ``filters`` and ``aggregate`` select and merge profiles as in
        :func:`read_signatures` (``aggregate="mean"`` pools cells into pseudobulk profiles).
        A sparse ``X`` (scipy, e.g. counts) is never densified as a whole: ``mean`` sums each
        pair's sparse rows, other aggregations densify only the selected profiles."""
        obs = adata.obs
        for col in (perturbation, context):
            if col not in obs.columns:
                raise ValueError(f"from_anndata: no obs column '{col}' (columns: "
                                 f"{', '.join(map(str, obs.columns)) or 'none'})")
        X = adata.X
        col_meta = {str(c): [_cell(v) for v in obs[c]] for c in obs.columns}
        row_meta = {str(c): [_cell(v) for v in adata.var[c]] for c in adata.var.columns}
        genes, profiles = list(map(str, adata.var_names)), list(map(str, adata.obs_names))
        args = (row_meta, col_meta, perturbation, context, _filter_list(filters), aggregate,
                symbol_field)
        if hasattr(X, "tocsr"):  # scipy sparse (counts): stays sparse; mean pools per pair
            csr = X.tocsr()  # profiles x genes by rows = genes x profiles by columns
            csr.sort_indices()
            core, _ = _cimpute.select_sparse_signatures(
                np.asarray(csr.data, dtype=np.float64), np.asarray(csr.indices, dtype=np.int32),
                np.asarray(csr.indptr, dtype=np.int32), csr.shape[1], csr.shape[0], genes,
                profiles, *args)
            return cls(core)
        X = np.asarray(X, dtype=np.float64)
        core, _ = _cimpute.select_signatures(np.asfortranarray(X.T), genes, profiles, *args)
        return cls(core)

    def to_anndata(self):
        """The observed signatures as AnnData: obs = pairs (columns ``perturbation``,
        ``context``), var = features (``symbol`` when known)."""
        _need("anndata", "to_anndata")
        pd = _pandas()
        pairs = self.observed_pairs
        obs = pd.DataFrame({"perturbation": [p for p, _ in pairs],
                            "context": [c for _, c in pairs]},
                           index=[f"{p}:{c}" for p, c in pairs])
        var = pd.DataFrame(index=self.features)
        if self.feature_symbols:
            var["symbol"] = self.feature_symbols
        return _anndata(self.signatures, obs, var)

    @property
    def perturbations(self) -> list[str]:
        return self._t.perturbations

    @property
    def contexts(self) -> list[str]:
        return self._t.contexts

    @property
    def features(self) -> list[str]:
        return self._t.features

    @property
    def feature_symbols(self) -> list[str]:
        return self._t.feature_symbols

    @property
    def observed(self) -> np.ndarray:
        return self._t.observed.astype(bool)

    @property
    def signatures(self) -> np.ndarray:
        return self._t.signatures

    @property
    def observed_pairs(self) -> list[tuple[str, str]]:
        p, c = self.perturbations, self.contexts
        return [(p[i], c[j]) for i, j in self._t.observed_pairs]

    @property
    def shape(self) -> tuple[int, int, int]:
        """(perturbations, contexts, features)."""
        return (len(self.perturbations), len(self.contexts), len(self.features))

    def signature(self, perturbation: str, context: str) -> np.ndarray:
        """The measured signature of one pair (ValueError when it is not observed)."""
        return self._t.signature(perturbation, context)

    def dense(self) -> np.ndarray:
        """perturbations x contexts x features, NaN where unobserved."""
        return self._t.dense()

    def __repr__(self):
        p, c, g = self.shape
        return (f"PerturbationTensor({p} perturbations x {c} contexts x {g} features, "
                f"{len(self._t.observed_pairs)} observed pairs)")


def _cell(v) -> str:
    """A metadata value as the C++ side's string (missing: empty)."""
    if v is None:
        return ""
    if isinstance(v, float) and np.isnan(v):
        return ""
    return str(v)


def _filter_list(filters) -> list[str]:
    """Filters as FIELD=V1,V2 strings: a dict {field: value or list} or a list of strings."""
    if filters is None:
        return []
    if isinstance(filters, dict):
        out = []
        for k, v in filters.items():
            vals = [v] if isinstance(v, (str, int, float)) else list(v)
            out.append(f"{k}=" + ",".join(map(str, vals)))
        return out
    if isinstance(filters, str):
        return [filters]
    return [str(f) for f in filters]


# --------------------------------------------------------------------------------------- files
@dataclass
class LabeledMatrix:
    """A matrix with ids and metadata (features x samples, as GCT files are laid out)."""
    data: np.ndarray
    row_ids: list
    col_ids: list
    row_meta: dict = field(default_factory=dict)
    col_meta: dict = field(default_factory=dict)

    def to_anndata(self):
        """As AnnData (samples as obs, features as var)."""
        _need("anndata", "to_anndata")
        pd = _pandas()
        X = self.data.T if not hasattr(self.data, "tocsr") else self.data.T.tocsr()
        return _anndata(X, pd.DataFrame(self.col_meta, index=self.col_ids),
                        pd.DataFrame(self.row_meta, index=self.row_ids))


def _labeled(d: dict) -> LabeledMatrix:
    return LabeledMatrix(d["data"], d["row_ids"], d["col_ids"], d["row_meta"], d["col_meta"])


def read_gct(path: str) -> LabeledMatrix:
    """A GCT 1.2 / 1.3 file: rows are features, columns samples, with their metadata."""
    return _labeled(_cimpute.read_gct(os.fspath(path)))


def read_gctx(path: str, rows: Sequence[str] | None = None,
              cols: Sequence[str] | None = None) -> LabeledMatrix:
    """A GCTX file, or only the rows / columns with these ids (read from disk alone)."""
    _need_hdf5("read_gctx")
    return _labeled(_cimpute.read_gctx(os.fspath(path), list(rows or []), list(cols or [])))


def read_h5ad(path: str, matrix: str = "X") -> LabeledMatrix:
    """An AnnData file as features x cells (a scipy.sparse CSC matrix when scipy is there,
    else dense); ``matrix`` is X, raw/X or layers/NAME."""
    _need_hdf5("read_h5ad")
    d = _cimpute.read_h5ad(os.fspath(path), matrix)
    n_obs, n_var = d["shape"]
    try:
        import scipy.sparse as sp
        csr = sp.csr_matrix((np.asarray(d["data"]), np.asarray(d["indices"]),
                             np.asarray(d["indptr"])), shape=(n_obs, n_var))
        data = csr.T.tocsc()
    except ImportError:
        data = np.zeros((n_var, n_obs))
        ptr, idx, val = d["indptr"], d["indices"], d["data"]
        for j in range(n_obs):
            data[idx[ptr[j]:ptr[j + 1]], j] = val[ptr[j]:ptr[j + 1]]
    return LabeledMatrix(data, d["row_ids"], d["col_ids"], d["row_meta"], d["col_meta"])


def _need_hdf5(fn: str):
    if not _cimpute.has_hdf5:
        raise RuntimeError(f"{fn}: this build of cimpute has no HDF5 support")


def _write(fn, path, m: LabeledMatrix, **kw):
    data = np.asarray(m.data.toarray() if hasattr(m.data, "toarray") else m.data, dtype=np.float64)
    meta = lambda d: {str(k): [_cell(v) for v in vals] for k, vals in d.items()}  # noqa: E731
    fn(os.fspath(path), np.asfortranarray(data), list(map(str, m.row_ids)),
       list(map(str, m.col_ids)), meta(m.row_meta), meta(m.col_meta), **kw)


def write_gct(path: str, m: LabeledMatrix) -> None:
    """Write GCT 1.3 (atomically: a temporary file, then renamed)."""
    _write(_cimpute.write_gct, path, m)


def write_gctx(path: str, m: LabeledMatrix, float64: bool = False) -> None:
    """Write GCTX (float32 unless ``float64``), atomically."""
    _need_hdf5("write_gctx")
    _write(_cimpute.write_gctx, path, m, float64=float64)


def write_h5ad(path: str, m: LabeledMatrix, float64: bool = False) -> None:
    """Write an h5ad (samples as obs, features as var), atomically."""
    _need_hdf5("write_h5ad")
    _write(_cimpute.write_h5ad, path, m, float64=float64)


def read_l1000_directory(path: str) -> PerturbationTensor:
    """An L1000 directory (drug and DMSO level-2 tables): log2 fold changes against each cell's
    DMSO profile, as ``cimpute complete --data DIR`` reads it."""
    return PerturbationTensor(_cimpute.read_l1000_directory(os.fspath(path)), os.fspath(path))


def read_signatures(path: str, perturbation: str = "", context: str = "",
                    filters: dict | Sequence[str] | None = None, aggregate: str = "none",
                    col_meta: str = "", row_meta: str = "", genes: str = "",
                    normalize: str = "none", control: str = "", matrix: str = "X",
                    report: bool = False):
    """One signature per (perturbation, context) pair from a GCT, GCTX, h5ad or 10x file,
    with the options of ``cimpute complete``:

    perturbation, context: the column (obs) fields of a pair (default CMap's pert_id, cell_id;
        the 2020 release's names are used when absent).
    filters: {field: value or [values]} or strings ``"FIELD=V1,V2"``, ``"FIELD!=V"``,
        ``"FIELD>X"`` (``>=``, ``<``, ``<=``); applied before values are read (GCTX).
    aggregate: none, mean, median, first or best:FIELD for pairs with several profiles.
    col_meta, row_meta: sidecar tables (CMap's sig_info.txt / gene_info.txt, ...).
    genes: '' (all), 'landmark', or a file listing gene ids or symbols.
    normalize: none or log1p-cp10k (single-cell counts); control: the perturbation subtracted
        in each context (e.g. 'non-targeting').
    report: also return a dict of what was read, filtered out and merged, and notes.
    """
    core, rep = _cimpute.read_signatures(os.fspath(path), perturbation, context,
                                         _filter_list(filters), aggregate, os.fspath(col_meta),
                                         os.fspath(row_meta), os.fspath(genes), normalize,
                                         control, matrix)
    t = PerturbationTensor(core, os.fspath(path))
    return (t, rep) if report else t


# ---------------------------------------------------------------------------------- completion
def completion_methods(details: bool = False):
    """The completion methods' names, in the library's table order (as ``cimpute complete
    --methods``). With ``details``, a pandas.DataFrame of the table instead: name, summary,
    posterior (a kernel posterior: imputed variance, :func:`design_pairs`), sharded_fit (fits
    over MPI processes on each one's shard) and perturbation_prior (uses
    ``perturbation_features``: tells apart perturbations never measured)."""
    if details:
        return _pandas().DataFrame(_cimpute.completion_method_table())
    return _cimpute.completion_method_names()


def _methods_with(capability: str) -> list[str]:
    return [m["name"] for m in _cimpute.completion_method_table() if m[capability]]


def _side_information(t: PerturbationTensor, context_features):
    """(context features, control profiles) as the command-line tool derives them ('auto' as
    the library resolves it: baseline for a tensor read from an L1000 directory, else none)."""
    baselines = np.zeros((0, 0))
    if _cimpute.is_l1000_directory(t.source):
        baselines = _cimpute.read_l1000_baselines(t.source, t.contexts)
    if isinstance(context_features, str):
        mode = _cimpute.resolve_context_features(context_features, t.source)
        if mode == "none":
            return np.zeros((0, 0)), baselines
        if mode == "baseline":
            if baselines.size == 0:
                raise ValueError("context_features='baseline' needs a tensor read from an L1000 "
                                 "directory")
            return _cimpute.context_features_from_baselines(baselines), baselines
        raise ValueError(f"context_features must be 'auto', 'none', 'baseline' or an array, "
                         f"got '{context_features}'")
    f = np.asarray(context_features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] != len(t.contexts):
        raise ValueError(f"context_features must have one row per context ({len(t.contexts)}), "
                         f"got shape {f.shape}")
    return f, baselines


def _reference(t: PerturbationTensor, reference_context: str | None, target: str = "") -> str:
    """reference_context resolved as the tool resolves --reference-context (one rule, in the
    library): None or 'auto' is the CMap reference context (MCF7) when ``t`` has it and it is not
    ``target``, else none; 'none' is none; anything else must name a context."""
    value = "auto" if reference_context is None else str(reference_context)
    return _cimpute.resolve_reference_context(t._t, value, target)


def _ntk_priors(priors) -> list:
    """The priors' names (the library's CompletionSetup checks each one)."""
    if priors is None:
        return []
    names = [priors] if isinstance(priors, str) else list(priors)
    if not names:
        raise ValueError("ntk_priors is empty (None searches every prior that applies)")
    return names


def _setup(reference: str, features, baselines, priors=()) -> "_cimpute.CompletionSetup":
    """The library's CompletionSetup of a run: reference context, context features, the
    autoencoder's control profiles and the priors ``ntk`` searches."""
    return _cimpute.CompletionSetup(
        reference_context=reference, context_features=features, ntk_priors=list(priors),
        autoencoder=_cimpute.AutoencoderTransferOptions(baselines=baselines))


def _metric_column(name: str) -> str:
    """A response metric's column in evaluate(): its name, or mean-NAME for pearson, r2 and
    cosine (the pooled completion columns' names), as ``cimpute complete --metrics``."""
    return "mean-" + name if name in ("pearson", "r2", "cosine") else name


def _perturbation_features(t: PerturbationTensor, value, setup, required=()) -> None:
    """Put ``perturbation_features`` (as ``--perturbation-features``) into a CompletionSetup:
    'none', 'pca:K', 'signatures', or a pandas.DataFrame indexed by perturbation id (one row per
    perturbation with a signature but a combination A+B, and per perturbation of ``required``;
    numbers)."""
    if value is None or (isinstance(value, str) and value == "none"):
        return
    if isinstance(value, str) and value == "signatures":
        setup.perturbation_signatures = True
        return
    if isinstance(value, str) and value.startswith("pca:"):
        k = value[4:]
        if not re.fullmatch(r"[0-9]{1,6}", k) or not 1 <= int(k) <= 100000:
            raise ValueError(f"perturbation_features '{value}': K must be a whole number >= 1")
        setup.perturbation_pca = int(k)
        return
    if isinstance(value, (str, os.PathLike)):  # a CSV / TSV file: id, then numbers
        pd = _pandas()
        value = pd.read_csv(value, sep=None, engine="python", index_col=0)
        value.index = value.index.astype(str)
    table = value.apply(lambda col: col.astype(float))
    observed = {p for p, _ in t.observed_pairs}
    known = set(t.perturbations)
    combination = {p for p in t.perturbations if "+" in p and all(q in known for q in p.split("+"))}
    missing = [p for p in t.perturbations
               if (p in observed or p in required) and p not in combination
               and p not in table.index]
    if missing:
        raise ValueError(f"perturbation_features has no row for perturbation '{missing[0]}'"
                         + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    ours = table.index[table.index.isin(known)]
    if ours.duplicated().any():
        raise ValueError(f"perturbation_features lists perturbation "
                         f"'{ours[ours.duplicated()][0]}' twice")
    table = table[table.index.isin(known)]
    rows = table.reindex(t.perturbations).fillna(0.0).to_numpy(dtype=float)
    if not np.isfinite(rows).all():
        raise ValueError("perturbation_features has a non-finite value")
    setup.perturbation_table = rows


def evaluate(t: PerturbationTensor, methods: Sequence[str] | str = "all",
             protocol: str = "loo", reference_context: str | None = None, seeds: int = 3,
             progress: bool = False, context_features="none",
             ntk_priors: Sequence[str] | None = None, perturbation_features="none",
             metrics: Sequence[str] = ()):
    """Evaluate completion methods under a protocol, exactly as ``cimpute complete``.

    protocol: loo (leave one pair out), loco (leave one context out), kfold:K, sparse:B,
        unseen-perturbation:K (K folds of perturbations, each held out of every context) or
        unseen-combination[:K] (each combination A+B, or K folds of them, held out).
    reference_context: the training-only context, never evaluated ('none' for none; default:
        MCF7 when the data has it, as the tool's default for real data, else none).
    seeds: runs of a random protocol (seed 1000 + run), ignored for loo / loco.
    ntk_priors: the feature priors ``ntk`` searches over (``--ntk-priors``): one-hot,
        train-context-average, user-features, train-averages, cross-context; None: every one
        that applies but train-averages.
    perturbation_features: the perturbations' prior without a measurement
        (``--perturbation-features``): 'none', 'pca:K', 'signatures', a CSV / TSV file (id, then
        numbers) or a DataFrame indexed by perturbation.
    metrics: the field's response metrics of the held-out pairs (``--metrics``): mae, mse,
        pearson, cosine, r2, pearson-delta, pearson-delta-de20, mse-de20, pds (pearson, r2 and
        cosine as the columns mean-pearson, mean-r2, mean-cosine).
    Returns a pandas.DataFrame: protocol, method, pearson, r2, cosine, seconds, and the
    standard errors pearson_se, r2_se, cosine_se over the runs, and runs; then each metric and
    its standard error (``<metric>_se``).
    """
    pd = _pandas()
    names = completion_methods() if methods == "all" else (
        [methods] if isinstance(methods, str) else list(methods))
    for n in names:
        if not _cimpute.is_completion_method(n):
            raise ValueError(f"unknown method '{n}' (available: {', '.join(completion_methods())})")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    available = _cimpute.pseudobulk_response_metrics()
    for m in metrics:
        if m not in available:
            raise ValueError(f"unknown metric '{m}' (available: {', '.join(available)}; the "
                             f"single-cell metrics need cells: cimpute.metrics.score)")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics names a metric twice: {metrics}")
    ref = _reference(t, reference_context)
    features, baselines = _side_information(t, context_features)
    setup = _setup(ref, features, baselines, _ntk_priors(ntk_priors))
    _perturbation_features(t, perturbation_features, setup)
    runs = seeds if _cimpute.protocol_is_random(protocol) else 1
    rows = []
    bar = Progress(len(names) * runs, "cimpute.evaluate", enabled=progress)
    try:
        for name in names:
            per_seed, extra = [], []
            for s in range(runs):
                bar.describe(f"{name}, {protocol}" + (f" run {s + 1}/{runs}" if runs > 1 else ""))
                summary, values = _cimpute.evaluate_one(t._t, name, protocol, setup, s,
                                                        bar.callback(), metrics)
                per_seed.append(summary)
                extra.append(values)
                bar.advance()
            row = _cimpute.combine_runs(protocol, name, per_seed)
            if metrics:
                for m, (mean, se) in _cimpute.combine_response_runs(extra).items():
                    row[_metric_column(m)] = mean
                    row[_metric_column(m) + "_se"] = se
            rows.append(row)
    finally:
        bar.close()
    cols = ["protocol", "method", "pearson", "r2", "cosine", "seconds", "pearson_se", "r2_se",
            "cosine_se", "runs"]
    for m in metrics:
        cols += [_metric_column(m), _metric_column(m) + "_se"]
    return pd.DataFrame(rows, columns=cols)


def design_pairs(t: PerturbationTensor, budget: int, method: str = "ntk",
                 reference_context: str | None = None, candidates="missing",
                 context_features="auto", progress: bool = False):
    """The next (perturbation, context) pairs to measure, as ``cimpute design pairs``: greedy
    reduction of the NTK posterior variance summed over the unmeasured candidates ('missing', or
    a list of (perturbation, context)). Returns a DataFrame rank, perturbation, context,
    variance_before, total_variance_after (fractions of the prior variance)."""
    kernel = _methods_with("posterior")
    if method not in kernel:
        raise ValueError(f"design_pairs needs a kernel method: "
                         f"{' or '.join(repr(k) for k in kernel)}, got '{method}'")
    ref = _reference(t, reference_context)
    features, baselines = _side_information(t, context_features)
    listed = [] if isinstance(candidates, str) and candidates == "missing" else \
        [(str(p), str(c)) for p, c in candidates]
    bar = Progress(1, f"cimpute.design_pairs ({method})", enabled=progress)
    try:
        d = _cimpute.design_pairs(t._t, method, int(budget), listed,
                                  _setup(ref, features, baselines), bar.callback())
        bar.advance()
    finally:
        bar.close()
    pd = _pandas()
    return pd.DataFrame({"rank": range(1, len(d["perturbation"]) + 1),
                         "perturbation": d["perturbation"], "context": d["context"],
                         "variance_before": d["variance_before"],
                         "total_variance_after": d["total_variance_after"]})


def design_target(t: PerturbationTensor, context, target=None, budget: int | None = None,
                  reverse: bool = False, method: str = "ntk", acquisition: str = "ucb",
                  confidence: float = 2.0, seed: int = 1, replay: bool = False,
                  replay_targets: int = 20, repeats: int = 1,
                  reference_context: str | None = None, context_features="auto",
                  metric: str = "auto"):
    """The perturbations to measure in ``context`` to find one whose signature matches
    ``target`` (cosine; its reverse with ``reverse``), as ``cimpute design target``.
    Candidates are scored in ``metric``: 'whitened' (cosine after whitening by the training
    signatures' shrunk gene covariance), 'cosine', or 'auto' (whitened up to 5000 features).

    ``target``: a pandas Series or mapping gene -> value over ``t``'s feature ids. Without
    ``replay``: returns a DataFrame rank, perturbation, predicted_match, match_sd,
    relative_variance of the next ``budget`` perturbations unmeasured in ``context`` (Thompson,
    'ucb' or 'greedy' choices over the NTK posterior, each conditioned on before the next). With
    ``replay``: ``context`` may be a list (or 'all'); each context's measurements are hidden and
    revealed only when chosen; without ``target`` the targets are ``replay_targets`` of its
    measured signatures. Returns a DataFrame context, target, best, design, greedy, random,
    heuristic: experiments until the best-matching perturbation is measured (design averaged
    over ``repeats`` seeds, random its expectation, heuristic the order of the target's value at
    each perturbation's own gene, NaN when none names a gene)."""
    kernel = _methods_with("posterior")
    if method not in kernel:
        raise ValueError(f"design_target needs a kernel method: "
                         f"{' or '.join(repr(k) for k in kernel)}, got '{method}'")
    if acquisition not in ("thompson", "ucb", "greedy"):
        raise ValueError(f"design_target: acquisition must be 'thompson', 'ucb' or 'greedy', "
                         f"got '{acquisition}'")
    if metric not in ("auto", "whitened", "cosine"):
        raise ValueError(f"design_target: metric must be 'auto', 'whitened' or 'cosine', "
                         f"got '{metric}'")
    if isinstance(context, str):
        contexts = list(t.contexts) if replay and context == "all" else [context]
    else:
        contexts = [str(c) for c in context]
    if not replay:
        if len(contexts) != 1:
            raise ValueError("design_target takes one context without replay")
        if target is None:
            raise ValueError("design_target needs a target (or replay=True)")
        if budget is None or int(budget) < 1:
            raise ValueError(f"design_target needs a budget >= 1, got {budget}")
    genes, values = [], np.zeros(0)
    if target is not None:
        items = list(target.items())
        if not items:
            raise ValueError("design_target: the target is empty")
        genes = [str(g) for g, _ in items]
        values = np.asarray([float(v) for _, v in items], dtype=np.float64)
    features, baselines = _side_information(t, context_features)
    setups = [_setup(_reference(t, reference_context, c), features, baselines) for c in contexts]
    d = _cimpute.design_target(t._t, contexts, genes, values, int(budget or 0), bool(replay),
                               method, acquisition, metric, float(confidence), bool(reverse),
                               int(seed), int(replay_targets), int(repeats), setups)
    pd = _pandas()
    if not replay:
        return pd.DataFrame({"rank": range(1, len(d["perturbation"]) + 1), **d})
    return pd.DataFrame(d)


def impute(t: PerturbationTensor, method: str = "ntk", reference_context: str | None = None,
           pairs="missing", context_features="auto", progress: bool = False,
           ntk_priors: Sequence[str] | None = None, perturbation_features="none"):
    """Fit ``method`` on every observed pair and predict the requested pairs, as
    ``cimpute impute``.

    pairs: 'missing' (every unobserved pair of an observed perturbation and context), 'all', or
        a list of (perturbation, context). With ``perturbation_features``, a listed perturbation
        absent from ``t`` (never measured) is predicted from its prior.
    reference_context: the training-only context (default: MCF7 when present, else none).
    ntk_priors: the feature priors ``ntk`` searches over, as for :func:`evaluate`.
    perturbation_features: the perturbations' prior without a measurement, as for
        :func:`evaluate` ('none', 'pca:K', 'signatures', a DataFrame or a CSV / TSV path; a table
        needs a row for each perturbation never measured).
    Returns AnnData (obs: perturbation, context, method, and for the NTK methods variance: the
    fraction of the prior variance left; var: the features) when anndata is importable,
    otherwise (values pairs x features, obs DataFrame, feature list).
    """
    if not _cimpute.is_completion_method(method):
        raise ValueError(f"unknown method '{method}' (available: {', '.join(completion_methods())})")
    ref = _reference(t, reference_context)
    features, baselines = _side_information(t, context_features)
    if isinstance(pairs, str):
        mode, listed = pairs, []
    else:
        mode, listed = "list", [(str(p), str(c)) for p, c in pairs]
    known = set(t.perturbations)
    unseen = list(dict.fromkeys(p for p, _ in listed if p not in known))
    priors = not (perturbation_features is None or
                  (isinstance(perturbation_features, str) and perturbation_features == "none"))
    if unseen and not priors:
        raise ValueError(f"impute: perturbation '{unseen[0]}' is not in the tensor (a "
                         "perturbation never measured needs perturbation_features)")
    if unseen:
        t = PerturbationTensor(t._t.with_labels(list(t.perturbations) + unseen, list(t.contexts)),
                               t.source)
    setup = _setup(ref, features, baselines, _ntk_priors(ntk_priors))
    _perturbation_features(t, perturbation_features, setup, required=unseen)
    bar = Progress(1, f"cimpute.impute ({method})", enabled=progress)
    try:
        values, ids, meta = _cimpute.impute(t._t, method, mode, listed, setup, bar.callback())
        bar.advance()
    finally:
        bar.close()
    pd = _pandas()
    obs = pd.DataFrame(meta, index=ids)
    obs["method"] = method
    if "variance" in obs:
        obs["variance"] = obs["variance"].astype(float)
    X = np.ascontiguousarray(values.T)
    try:
        import anndata  # noqa: F401
    except ImportError:
        return X, obs, list(t.features)
    var = pd.DataFrame(index=t.features)
    if t.feature_symbols:
        var["symbol"] = t.feature_symbols
    return _anndata(X, obs, var)


# ------------------------------------------------------------------------------------- kernels
def gram(kernel, X, Y=None) -> np.ndarray:
    """The Gram matrix K[i, j] = k(X[i], Y[j]) (Y = X when omitted); points are rows. A
    float64 Fortran-ordered X is used in place; other arrays are copied once to that layout."""
    X = np.asarray(X, dtype=np.float64)
    if Y is None:
        return _cimpute.gram(kernel, X)
    return _cimpute.gram(kernel, X, np.asarray(Y, dtype=np.float64))


# ----------------------------------------------------------------------------------- discovery
class DiscoveryResult:
    """What :func:`discover` learned.

    Attributes:
        variables: the variable names.
        adjacency: p x p int array of the learned graph (DAG; PC: CPDAG): A[i, j] = 1 and
            A[j, i] = 0 for i -> j, both 1 for an undirected edge.
        essential: the I-CPDAG (GSP, PC: CPDAG) in the same encoding.
        targets: per interventional setting, the target variables it is taken under (the known
            ones for IGSP, the learned ones for UT-IGSP).
        edges: pandas.DataFrame cause, effect of the learned graph's arcs (and, for an
            undirected edge, both directions).
        directed_frequency, adjacency_frequency: with bootstrap, p x p frequencies.
    """

    def __init__(self, d: dict, variables: list[str], setting_names: list[str]):
        self.variables = variables
        self.setting_names = setting_names
        self.adjacency = np.asarray(d["graph"])
        self.essential = np.asarray(d["essential"])
        self.targets = {s: [variables[i] for i in ts] for s, ts in zip(setting_names, d["targets"])}
        self.directed_frequency = d["directed_frequency"]
        self.adjacency_frequency = d["adjacency_frequency"]
        self.bootstrap = d["bootstrap"]

    @property
    def edges(self):
        pd = _pandas()
        A, v = self.adjacency, self.variables
        rows = [(v[i], v[j]) for i in range(len(v)) for j in range(len(v)) if A[i, j]]
        return pd.DataFrame(rows, columns=["cause", "effect"])

    def to_networkx(self):
        """The learned graph as a networkx.DiGraph (an undirected edge as two arcs)."""
        nx = _need("networkx", "to_networkx")
        g = nx.DiGraph()
        g.add_nodes_from(self.variables)
        g.add_edges_from(self.edges.itertuples(index=False, name=None))
        return g

    def __repr__(self):
        return (f"DiscoveryResult({len(self.variables)} variables, "
                f"{int(self.adjacency.sum())} arcs)")


def interventional_data(data, setting_column: str = "condition", target_column: str = "target",
                        control: str = "none", separator: str = ";",
                        exclude_settings: Sequence[str] = (), ignore_columns: Sequence[str] = (),
                        log: bool = False):
    """Samples grouped by setting, as ``cimpute discover`` reads a CSV: ``data`` is a path or
    a pandas.DataFrame with a setting column, a target column (``control`` for observational
    samples; several targets separated by ``separator``) and numeric variable columns."""
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        table = _need("pandas", "interventional_data").read_csv(path, sep=None, engine="python",
                                                                dtype=str, keep_default_na=False)
        name = path
    else:
        table, name = data, "DataFrame"
    header = [str(c) for c in table.columns]
    rows = [[_number_text(v) for v in r] for r in table.itertuples(index=False, name=None)]
    return _cimpute.interventional_data(header, rows, setting_column, target_column, control,
                                        separator, list(exclude_settings), list(ignore_columns),
                                        log, name)


def _number_text(v) -> str:
    """A value as text that the C++ parser reads back exactly (repr of a float round-trips)."""
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return str(v)


def discovery_methods(details: bool = False):
    """The structure learners' names, in the library's table order (as ``cimpute discover
    --method``; the first is the default). With ``details``, a pandas.DataFrame of the table:
    name, summary, uses_tests, interventional, learns_targets."""
    table = _cimpute.discovery_method_table()
    if details:
        return _pandas().DataFrame(table)
    return [m["name"] for m in table]


def _name_pairs(pairs) -> list:
    """Named pairs (a, b, file, line) from a file path, a DataFrame or pairs of names."""
    if pairs is None:
        return []
    if isinstance(pairs, (str, os.PathLike)):
        return _cimpute.read_name_pairs(os.fspath(pairs))
    if hasattr(pairs, "columns"):
        pairs = zip(pairs.iloc[:, 0], pairs.iloc[:, 1])
    return [(str(a), str(b), "", 0) for a, b, *_rest in pairs]


def _discovery_options(method, tests, alpha, alpha_inv, seed, lambda_, bootstrap):
    """The library's DiscoveryOptions of the keyword arguments both discovery functions share."""
    return _cimpute.DiscoveryOptions(
        method=method, tests=tests, bootstrap=int(bootstrap),
        search=_cimpute.IgspOptions(alpha=float(alpha), alpha_invariance=float(alpha_inv),
                                    seed=int(seed)),
        gies=_cimpute.GiesOptions(lambda_=float(lambda_)))


def discover(data, setting_column: str = "condition", target_column: str = "target",
             control: str = "none", method: str = "igsp", tests: str = "gaussian",
             alpha: float = 1e-3, alpha_inv: float = 1e-3, seed: int = 1, runs: int = 0,
             depth: int = 0, bootstrap: int = 0, unknown_targets: bool = False,
             exclude_settings: Sequence[str] = (), ignore_columns: Sequence[str] = (),
             log: bool = False, max_samples: int = 0, progress: bool = False,
             lambda_: float = 1.0, skeleton=None, forbidden=None, required=None,
             fixed_gaps: bool = False, alphas: Sequence[float] | None = None) -> DiscoveryResult:
    """Learn a causal graph from observational + interventional samples, as ``cimpute
    discover`` with the same options (method pc, gsp, igsp, utigsp or gies; tests gaussian or
    kernel; runs / depth / max_samples 0 keep the tool's defaults; ``lambda_`` is GIES's
    penalty multiplier, ``--lambda``). ``data`` is a path, a DataFrame
    (see :func:`interventional_data`) or the result of :func:`interventional_data`.

    Background knowledge (``--skeleton``, ``--forbid``, ``--require``, ``--fixed-gaps``): each of
    ``skeleton`` (the pairs that may be adjacent; pairs naming other genes are left out),
    ``forbidden`` (never adjacent) and ``required`` (arcs cause -> effect always present) is a
    file whose first two columns name variables, a DataFrame (its first two columns) or a list of
    name pairs. ``alphas`` with ``bootstrap``: stability selection over these test levels (an
    edge's frequency is its largest over them)."""
    if not isinstance(data, _cimpute.InterventionalData):
        data = interventional_data(data, setting_column, target_column, control,
                                   exclude_settings=exclude_settings,
                                   ignore_columns=ignore_columns, log=log)
    options = _discovery_options(method, tests, alpha, alpha_inv, seed, lambda_, bootstrap)
    options.unknown_targets = bool(unknown_targets)
    if runs > 0:
        options.search.runs = int(runs)
    if depth > 0:
        options.search.depth = int(depth)
    if max_samples > 0:
        options.hsic.max_samples = int(max_samples)
    if alphas:
        if bootstrap <= 0:
            raise ValueError("discover: alphas needs bootstrap > 0 (stability selection over "
                             "the levels)")
        options.alphas = [float(a) for a in alphas]
    if skeleton is not None or forbidden is not None or required is not None:
        _cimpute.set_knowledge(options, list(data.variables),
                               None if skeleton is None else _name_pairs(skeleton),
                               _name_pairs(forbidden), _name_pairs(required), bool(fixed_gaps))
    elif fixed_gaps:
        raise ValueError("discover: fixed_gaps needs skeleton or forbidden")
    bar = Progress(None, f"cimpute.discover ({method})", enabled=progress)
    try:
        d = _cimpute.discover(data, options, bar.callback() if progress else None)
    finally:
        bar.close()
    return DiscoveryResult(d, list(data.variables), list(data.setting_names))


def design_interventions(data, budget: int, method: str = "igsp", batch: bool = False,
                         objective: str = "expected", bootstrap: int = 0,
                         class_samples: int = 200, candidates: Sequence[str] = (),
                         setting_column: str = "condition", target_column: str = "target",
                         control: str = "none", tests: str = "gaussian", alpha: float = 1e-3,
                         alpha_inv: float = 1e-3, seed: int = 1, lambda_: float = 1.0,
                         exclude_settings: Sequence[str] = (), ignore_columns: Sequence[str] = (),
                         log: bool = False):
    """The next single-node interventions, as ``cimpute design interventions``: learn the graph
    with ``method`` (igsp, gies, gsp or pc), then rank (or with ``batch``, jointly choose)
    ``budget`` interventions by the edges of the interventional essential graph they orient
    (``objective`` expected or worst over the DAGs of the learned class, or of the classes of
    ``bootstrap`` resamples). Returns a DataFrame rank, target, oriented, unoriented."""
    if not isinstance(data, _cimpute.InterventionalData):
        data = interventional_data(data, setting_column, target_column, control,
                                   exclude_settings=exclude_settings,
                                   ignore_columns=ignore_columns, log=log)
    d = _cimpute.design_interventions(
        data, _discovery_options(method, tests, alpha, alpha_inv, seed, lambda_, bootstrap),
        _cimpute.InterventionDesignOptions(budget=int(budget), batch=bool(batch),
                                           objective=objective,
                                           class_samples=int(class_samples)),
        [str(c) for c in candidates])
    pd = _pandas()
    return pd.DataFrame({"rank": range(1, len(d["target"]) + 1), "target": d["target"],
                         "oriented": d["oriented"], "unoriented": d["unoriented"]})


def design_shift(sem: LinearGaussianSem, desired, max_targets: int | None = None,
                 names: Sequence[str] | None = None):
    """The shift intervention that moves a linear SEM's mean to ``desired``, as ``cimpute
    design shift``: the exact shift a = (I - B^T) desired - mu (its targets are the nodes it
    moves), or with ``max_targets`` the best shift on at most that many nodes (every set of 1
    or 2, greedy beyond). ``desired``: one value per node, or a mapping (or pandas Series)
    name -> value with ``names`` (every node listed). Fit the SEM first, e.g.
    ``LinearGaussianSem.fit(dag, X)``. Returns a DataFrame target, shift, distance, relative_distance (distance: |mean -
    desired| under the shift; relative: over the observational mean's distance)."""
    p = sem.weights.shape[0]
    if names is not None and len(names) != p:
        raise ValueError(f"design_shift: {len(names)} names for {p} nodes")
    if max_targets is not None and int(max_targets) < 1:
        raise ValueError(f"design_shift: max_targets must be >= 1, got {max_targets}")
    if isinstance(desired, Mapping) or hasattr(desired, "to_dict"):  # a mapping or a Series
        desired = dict(desired.items())
        if names is None:
            raise ValueError("design_shift: a mapping of desired means needs names=")
        missing = [n for n in names if n not in desired]
        unknown = [k for k in desired if k not in set(names)]
        if missing or unknown:
            raise ValueError("design_shift: " + (f"no desired mean for {missing[:5]}"
                                                  if missing else f"unknown nodes {unknown[:5]}"))
        desired = [desired[n] for n in names]
    d = _cimpute.shift_design(sem, np.asarray(desired, dtype=np.float64),
                              int(max_targets) if max_targets is not None else 0)
    labels = [names[t] if names is not None else t for t in d["targets"]]
    pd = _pandas()
    return pd.DataFrame({"target": labels, "shift": [d["shift"][t] for t in d["targets"]],
                         "distance": [d["distance"]] * len(labels),
                         "relative_distance": [d["relative"]] * len(labels)})


def match_shift(truth: LinearGaussianSem, desired, graph=None, rounds: int = 50,
                acquisition: str = "active", samples_per_round: int = 1, observational: int = 0,
                prior_precision: float = 1.0, population: bool = False, tolerance: float = 0.05,
                credible: float = 0.0, planted: Sequence[int] = (), seed: int = 1,
                names: Sequence[str] | None = None, class_members: int = 1) -> dict:
    """The active matching loop of ``cimpute design shift --active`` against a known SEM
    ``truth`` (which draws each round's samples, seeded): a posterior over the weights and noise
    means of ``graph`` (a DAG adjacency; default: the truth's), each round the next shift chosen by
    ``acquisition`` ('active': the shift whose outcome most reduces the posterior spread of the
    recommended shift; 'point-estimate': the current recommendation; 'random': one node at
    random), its samples observed, the recommendation updated. ``population=True`` adds each
    round's expected statistics (an oracle, no noise). ``planted``: the targets of the shift that
    defines ``desired``, when known. ``class_members`` > 1: the learner does not trust the DAG's
    orientations and holds it and up to ``class_members - 1`` other DAGs of its Markov
    equivalence class, weighted by the BIC of the samples (as ``--class-members``).

    Returns a dict: ``curve`` (DataFrame round, intervention, relative_distance, targets,
    spread, graph, graph_weight: the recommended shift's |E[X | shift] - desired| / |E[X] -
    desired| under the truth after each round, the most probable DAG (0: ``graph``) and its
    probability), ``initial_relative_distance``, ``rounds_to_tolerance`` and
    ``rounds_to_targets`` (first round within ``tolerance`` / with the planted targets; -1:
    never), ``recommended`` (DataFrame target, shift after the last round) and its
    ``relative_distance``."""
    p = truth.weights.shape[0]
    if names is not None and len(names) != p:
        raise ValueError(f"match_shift: {len(names)} names for {p} nodes")
    label = (lambda v: names[v]) if names is not None else (lambda v: v)
    g = None if graph is None else np.asarray(graph, dtype=np.int32)
    r = _cimpute.shift_matching(truth, g, np.asarray(desired, dtype=np.float64), str(acquisition),
                                int(rounds), int(samples_per_round), int(observational),
                                float(prior_precision), bool(population), float(tolerance),
                                float(credible), int(seed), [int(v) for v in planted],
                                int(class_members))
    pd = _pandas()
    rows = r["rounds"]
    curve = pd.DataFrame({
        "round": range(1, len(rows) + 1),
        "intervention": [{label(v): float(x[0][v]) for v in np.flatnonzero(x[0])} for x in rows],
        "relative_distance": [x[1] for x in rows],
        "targets": [[label(v) for v in x[2]] for x in rows],
        "spread": [x[3] for x in rows],
        "graph": [x[4] for x in rows],
        "graph_weight": [x[5] for x in rows]})
    return {"curve": curve, "initial_relative_distance": r["initial_relative_distance"],
            "rounds_to_tolerance": r["rounds_to_tolerance"],
            "rounds_to_targets": r["rounds_to_targets"],
            "recommended": pd.DataFrame({"target": [label(t) for t in r["targets"]],
                                         "shift": [r["shift"][t] for t in r["targets"]]}),
            "relative_distance": r["relative"]}


def cpdag(dag) -> np.ndarray:
    """The CPDAG (Markov equivalence class) of a DAG given as a 0/1 adjacency matrix."""
    return _cimpute.cpdag(np.asarray(dag, dtype=np.int32))


def interventional_cpdag(dag, targets: Sequence[Sequence[int]]) -> np.ndarray:
    """The I-CPDAG of a DAG under intervention target sets (lists of node indices; include []
    for the observational setting)."""
    return _cimpute.interventional_cpdag(np.asarray(dag, dtype=np.int32),
                                         [list(map(int, t)) for t in targets])


def shd(a, b) -> int:
    """Structural Hamming distance between two graphs (DAG / PDAG adjacency matrices)."""
    return _cimpute.shd(np.asarray(a, dtype=np.int32), np.asarray(b, dtype=np.int32))


def _interactome(interactome):
    """An _cimpute.UndirectedNetwork from a file path or from rows (protein1, protein2, cost)."""
    if isinstance(interactome, (str, os.PathLike)):
        net, _repeated, _loops = _cimpute.read_interactome(os.fspath(interactome))
        return net
    if hasattr(interactome, "columns"):  # a DataFrame
        rows = zip(interactome["protein1"], interactome["protein2"], interactome["cost"])
    else:
        rows = interactome
    net = _cimpute.UndirectedNetwork()
    for a, b, c in rows:
        net.add_edge(str(a), str(b), float(c))
    return net


def _prize_vector(prizes, net, fn: str):
    """(one prize per node of ``net``, the prized names absent from it) from a file (name,
    prize, ...) or a mapping name -> prize."""
    if isinstance(prizes, (str, os.PathLike)):
        values, absent, _repeated = _cimpute.read_node_prizes(os.fspath(prizes), net)
        return np.asarray(values, dtype=np.float64), list(absent)
    index = {n: i for i, n in enumerate(net.names)}
    values = np.zeros(len(index))
    absent = []
    for name, prize in dict(prizes).items():
        if str(name) in index:
            values[index[str(name)]] = float(prize)
        else:
            absent.append(str(name))
    if len(absent) == len(dict(prizes)):
        raise ValueError(f"{fn}: no prized name is a node of the interactome")
    return values, absent


def steiner_forest(interactome, prizes, w: float = 5.0, b: float = 1.0, g: float = 3.0,
                   hub_penalty: bool = True, root_edges: str = "terminals",
                   noise_runs: int = 0, noise: float = 0.1, seed: int = 0) -> dict:
    """The prize-collecting Steiner forest of an interactome (OmicsIntegrator2's model).

    ``interactome``: a file with the columns protein1, protein2, cost, a DataFrame with those
    columns, or rows (protein1, protein2, cost). ``prizes``: a file (name, prize, ...), or a
    mapping name -> prize. ``w`` is the cost of each tree, ``b`` the prize scale, ``g`` the hub
    penalty (an edge a - b costs cost + 10**g d_a d_b / ((N - d_a - 1)(N - d_b - 1) + d_a d_b);
    ``hub_penalty=False`` turns it off), ``root_edges`` the nodes a tree may start at
    ("terminals", "others", "all"). With ``noise_runs > 0`` the forest is recomputed that many
    times with Gaussian noise of standard deviation ``noise`` on the costs.

    Returns a dict: ``nodes`` (names), ``edges`` (rows protein1, protein2, cost with the
    penalised cost), ``trees``, ``objective``, ``lower_bound`` (objective / lower_bound <= 2 bounds
    the distance to the optimum), ``absent`` (prized names that are not in the interactome) and,
    with noise runs, ``node_frequency`` / ``edge_frequency`` (name -> share of runs).

    >>> import cimpute
    >>> f = cimpute.steiner_forest([("A", "X", 0.5), ("X", "B", 0.5)], {"A": 4, "B": 4},
    ...                            w=5, hub_penalty=False)
    >>> f["nodes"], f["trees"], f["objective"]
    (['A', 'X', 'B'], 1, 6.0)
    """
    net = _interactome(interactome)
    names = net.names
    values, absent = _prize_vector(prizes, net, "steiner_forest")
    r = _cimpute.steiner_forest(net, np.asarray(values, dtype=np.float64), float(w), float(b),
                                float(g), bool(hub_penalty), str(root_edges), int(noise_runs),
                                float(noise), int(seed))
    edges = net.edges
    out = {
        "nodes": [names[v] for v in r["nodes"]],
        "edges": [(edges[e][0], edges[e][1], float(r["costs"][e])) for e in r["edges"]],
        "trees": r["trees"], "objective": r["objective"], "lower_bound": r["lower_bound"],
        "absent": absent,
    }
    if noise_runs > 0:
        out["node_frequency"] = dict(zip(names, r["node_frequency"].tolist()))
        out["edge_frequency"] = {(a, b_): f for (a, b_, _c), f in
                                 zip(edges, r["edge_frequency"].tolist())}
    return out



def _signature_pairs(signature, fn: str):
    """(ids, values) of a signature given as a file (gene, value), a dict or a pandas.Series."""
    if isinstance(signature, (str, os.PathLike)):
        ids, values = _cimpute.read_gene_signature(os.fspath(signature))
    elif isinstance(signature, dict):
        ids, values = list(map(str, signature.keys())), list(signature.values())
    else:
        ids, values = list(map(str, signature.index)), list(signature.values)
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{fn}: the disease signature has a non-finite value")
    return list(ids), values


def _drug_target_pairs(drug_targets):
    """(gene, drug) pairs from a file (as ``cimpute targets --drug-targets``: the columns gene
    and drug, else the first two), a DataFrame (the same columns) or rows (gene, drug)."""
    if isinstance(drug_targets, (str, os.PathLike)):
        return _cimpute.read_drug_targets(os.fspath(drug_targets))
    if hasattr(drug_targets, "columns"):
        cols = list(drug_targets.columns)
        gene = "gene" if "gene" in cols else cols[0]
        drug = "drug" if "drug" in cols else cols[1]
        return [(str(a), str(b)) for a, b in zip(drug_targets[gene], drug_targets[drug])]
    return [(str(a), str(b)) for a, b in drug_targets]


def _target_table(rows):
    """rank_targets' rows as the DataFrame of ``cimpute targets --out`` (counts, drugs joined by
    ';', log2fc NaN for a gene outside the signature) with the gene lists added."""
    pd = _pandas()
    return pd.DataFrame({
        "target": [r["target"] for r in rows],
        "drugs": [";".join(r["drugs"]) for r in rows],
        "descendants": [len(r["descendants"]) for r in rows],
        "disease_descendants": [r["disease_descendants"] for r in rows],
        "score": [r["score"] for r in rows],
        "possible_descendants": [len(r["possible_descendants"]) for r in rows],
        "possible_disease_descendants": [r["possible_disease_descendants"] for r in rows],
        "possible_score": [r["possible_score"] for r in rows],
        "log2fc": [np.nan if r["log2fc"] is None else r["log2fc"] for r in rows],
        "descendant_genes": [list(r["descendants"]) for r in rows],
        "possible_descendant_genes": [list(r["possible_descendants"]) for r in rows],
    }, columns=["target", "drugs", "descendants", "disease_descendants", "score",
                "possible_descendants", "possible_disease_descendants", "possible_score",
                "log2fc", "descendant_genes", "possible_descendant_genes"])


def rank_targets(graph, signature, drug_targets, genes: Sequence[str] | None = None):
    """Rank the drug targets of a causal graph by the disease genes downstream of them (the
    library's ``rank_targets``, the last step of ``cimpute targets``).

    ``graph``: a :class:`DiscoveryResult` (its graph and variables) or a p x p adjacency array
    (A[i, j] = 1 and A[j, i] = 0 for i -> j, both 1 for an undirected edge) with ``genes``.
    ``signature``: the disease signature (a file gene, log2fc; a dict or a pandas.Series).
    ``drug_targets``: a file or DataFrame with the columns gene and drug (else the first two), or
    rows (gene, drug); genes outside the graph are skipped.

    Returns a DataFrame target, drugs, descendants, disease_descendants, score,
    possible_descendants, possible_disease_descendants, possible_score, log2fc (the columns of
    ``cimpute targets``: descendants along arcs; those reachable only through undirected edges
    counted apart as possible), with the lists descendant_genes and possible_descendant_genes;
    sorted by score, then possible score, then name.

    >>> import numpy as np, cimpute
    >>> A = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])          # a -> b -> c
    >>> t = cimpute.rank_targets(A, {"c": -2.0}, [("a", "drug1")], genes=["a", "b", "c"])
    >>> t[["target", "drugs", "descendants", "disease_descendants", "score"]].values.tolist()
    [['a', 'drug1', 2, 1, 2.0]]
    """
    if isinstance(graph, DiscoveryResult):
        adjacency, names = graph.adjacency, list(graph.variables)
    else:
        if genes is None:
            raise ValueError("rank_targets: an adjacency array needs genes (its node names)")
        adjacency, names = graph, [str(g) for g in genes]
    ids, values = _signature_pairs(signature, "rank_targets")
    rows = _cimpute.rank_targets(np.asarray(adjacency, dtype=np.int32), names, ids, values,
                                 _drug_target_pairs(drug_targets))
    return _target_table(rows)


def targets(expression, interactome, signature, drug_targets, prizes=None,
            genes_in_rows: bool = False, min_expressed: float = 0.1, method: str = "gsp",
            alphas: Optional[Sequence[float]] = None, bootstrap: int = 100,
            runs: int = 5, threshold: float = 0.3, shrinkage="auto", fixed_gaps: bool = False,
            seed: int = 1, w: float = 5.0, b: float = 1.0, g: float = 3.0,
            progress: bool = False) -> dict:
    """Putative causal drug targets, as ``cimpute targets`` with the same options and defaults
    (the published SARS-CoV-2 analysis's: GSP over the genes non-zero in more than 10% of the
    cells, the interactome as the allowed skeleton, stability selection over ``alphas`` (None:
    1e-4, 1e-3, 1e-2, 0.1, 0.2, 0.3) x ``bootstrap`` resamples x ``runs`` starting orders, edges
    adjacent in at least ``threshold`` of the resamples, Schafer-Strimmer shrinkage with
    ``shrinkage="auto"``). ``method="gies"`` scores with the BIC and runs no tests: ``alphas``
    must then be None, and ``runs``, ``shrinkage`` and ``fixed_gaps`` do not apply.

    ``expression``: a file (CSV / TSV, first column the row names) or a DataFrame, cells x genes
    (genes x cells with ``genes_in_rows``). ``interactome``: as :func:`steiner_forest`; with
    ``prizes`` (as :func:`steiner_forest`, parameters ``w``, ``b``, ``g``) the Steiner forest
    first selects its genes. ``signature`` and ``drug_targets``: as :func:`rank_targets`.

    Returns a dict: ``targets`` (the DataFrame of :func:`rank_targets`), ``edges`` (DataFrame
    cause, effect, frequency as ``--edges-out``), ``graph`` (the stable graph's adjacency),
    ``genes`` (its nodes), ``forest`` (with prizes), and the counts ``unexpressed``,
    ``outside_network``, ``skeleton_left_out``, ``signature_genes_in_graph``.
    """
    pd = _pandas()
    if method not in ("gsp", "igsp", "utigsp", "pc", "gies"):
        raise ValueError(
            f"targets: method must be gsp, igsp, utigsp, pc or gies, got '{method}'")
    if alphas is None:
        alphas = () if method == "gies" else (1e-4, 1e-3, 1e-2, 0.1, 0.2, 0.3)
    elif method == "gies":
        raise ValueError("targets: alphas are test levels; method gies runs no tests "
                         "(leave alphas out)")
    table = expression
    if isinstance(expression, (str, os.PathLike)):
        table = pd.read_csv(os.fspath(expression), sep=None, engine="python", index_col=0)
    if genes_in_rows:
        table = table.T
    cells = np.asarray(table.values, dtype=np.float64)
    genes = [str(c) for c in table.columns]
    net = _interactome(interactome)
    prize_values = None if prizes is None else _prize_vector(prizes, net, "targets")[0]
    options = _cimpute.DiscoveryOptions(
        method=method, bootstrap=int(bootstrap), alphas=[float(a) for a in alphas],
        shrinkage=-1.0 if shrinkage == "auto" else float(shrinkage),
        search=_cimpute.IgspOptions(runs=int(runs), seed=int(seed)))
    ids, values = _signature_pairs(signature, "targets")
    bar = Progress(int(bootstrap), "cimpute.targets", enabled=progress)
    try:
        r = _cimpute.causal_targets(cells, genes, net, ids, values,
                                    _drug_target_pairs(drug_targets), options,
                                    float(min_expressed), float(threshold), bool(fixed_gaps),
                                    float(w), float(b), float(g), prize_values,
                                    bar.callback() if progress else None)
    finally:
        bar.close()
    names, graph = r["genes"], np.asarray(r["graph"])
    return {
        "targets": _target_table(r["targets"]),
        "edges": pd.DataFrame(r["edges"], columns=["cause", "effect", "frequency"]),
        "graph": graph, "genes": list(names), "forest": list(r["forest"]),
        "unexpressed": r["unexpressed"], "outside_network": r["outside_network"],
        "skeleton_left_out": r["skeleton_left_out"],
        "signature_genes_in_graph": r["signature_genes_in_graph"],
    }

def random_dag(p: int, expected_degree: float, seed: int) -> np.ndarray:
    """An Erdős–Rényi DAG's adjacency matrix (random topological order)."""
    return _cimpute.random_dag(int(p), float(expected_degree), int(seed))


def simulate_perturbations(**params) -> dict:
    """A simulated perturbation screen on a gene regulatory network (the C++
    ``PerturbationSimulatorParams``: genes, drugs, contexts, density, replicates, seed, ...).
    Returns {'signatures', 'samples', 'truth': PerturbationTensor, 'adjacency': the network}."""
    d = _cimpute.simulate_perturbations(_cimpute.PerturbationSimulatorParams(**params))
    return {"signatures": PerturbationTensor(d["signatures"]),
            "samples": PerturbationTensor(d["samples"]),
            "truth": PerturbationTensor(d["truth"]), "adjacency": d["adjacency"]}


# -------------------------------------------------------------------------------- connectivity
def _gene_symbols_of(t: PerturbationTensor, gene_map) -> dict:
    """Feature id -> symbol: ``gene_map`` (a dict or a file), the tensor's symbols, or (an L1000
    directory) the first GCT of the folder with pr_gene_id / pr_gene_symbol, as the tool does."""
    if isinstance(gene_map, dict):
        return gene_map
    if gene_map:
        return _cimpute.read_id_mapping(os.fspath(gene_map), "pr_gene_id", "pr_gene_symbol")
    if t.feature_symbols:
        return dict(zip(t.features, t.feature_symbols))
    if _cimpute.is_l1000_directory(t.source):
        for f in sorted(os.listdir(t.source)):
            if f.endswith(".gct"):
                try:
                    return _cimpute.read_id_mapping(os.path.join(t.source, f), "pr_gene_id",
                                                    "pr_gene_symbol")
                except ValueError:
                    continue
    if os.path.isfile(t.source):
        return _cimpute.read_id_mapping(t.source, "id", "pr_gene_symbol")
    raise ValueError("no gene symbols for the tensor's features: give gene_map or "
                     "id_type='entrez'")


def repurpose(t: PerturbationTensor, disease, context: str, score: str = "cosine",
              impute: str = "ntk", reference_context: str | None = None,
              hide_context: bool = False, id_type: str = "symbol", gene_map=None,
              set_size: int = 100, context_features="auto", top: int = 0):
    """Rank the drugs of ``t`` by how strongly their signature in ``context`` reverses a disease
    signature, as ``cimpute repurpose``.

    disease: a pandas.Series (gene -> log fold change), a dict, or a file (gene, value).
    id_type: 'symbol' (features mapped to symbols: ``gene_map``, the tensor's symbols, or the
        L1000 folder's GCT) or 'entrez' (the features' own ids).
    Returns a pandas.DataFrame rank, drug, score, source (measured / imputed), uncertainty.
    """
    pd = _pandas()
    ids, values = _signature_pairs(disease, "repurpose")
    if context not in t.contexts:
        raise ValueError(f"no context named '{context}'")
    ref = _reference(t, reference_context, context)
    core = t._t
    if id_type == "symbol":
        mapping = _gene_symbols_of(t, gene_map)
        core = _cimpute.rename_features(core, {str(k): str(v) for k, v in mapping.items()}, True)
    elif id_type != "entrez":
        raise ValueError(f"id_type must be 'symbol' or 'entrez', got '{id_type}'")
    mapped = PerturbationTensor(core, t.source)
    features, baselines = _side_information(mapped, context_features)
    options = _cimpute.RepurposingOptions(
        context=context, score=score, impute=impute, reference_context=ref,
        hide_context=bool(hide_context), set_size=int(set_size), context_features=features,
        autoencoder=_cimpute.AutoencoderTransferOptions(baselines=baselines))
    rows, unscored, shared = _cimpute.repurpose(core, ids, values, options)
    out = pd.DataFrame(rows, columns=["rank", "drug", "score", "source", "uncertainty"])
    out.attrs["unscored"] = unscored
    out.attrs["shared_genes"] = shared
    return out.head(top) if top > 0 else out


# ------------------------------------------------------------------------------------------ nn
class Autoencoder:
    """A fully connected autoencoder trained to interpolation, as the C++
    ``cimpute::Autoencoder``: ``features -> hidden... -> features``, activation ``leaky_relu``
    or ``tanh``, without bias by default (the reference network of the attractor experiments);
    ``dtype`` ``"float64"`` (default) or ``"float32"`` (half the memory, PyTorch's usual
    precision; arrays are returned in that dtype).

    >>> ae = cimpute.Autoencoder(978, hidden=[512, 512, 512], activation="tanh", bias=True)
    >>> history = ae.train(X, max_epochs=2000, learning_rate=1e-4)   # a pandas.DataFrame
    >>> report = ae.attractors(X)   # which training examples are attractors
    """

    def __init__(self, features: int, hidden: Sequence[int] = (1024,), activation: str = "leaky_relu",
                 bias: bool = False, seed: int = 0, dtype: str = "float64"):
        kinds = {("leaky_relu", "float64"): _cimpute.AutoencoderLeakyRelu,
                 ("tanh", "float64"): _cimpute.AutoencoderTanh,
                 ("leaky_relu", "float32"): _cimpute.AutoencoderLeakyRelu32,
                 ("tanh", "float32"): _cimpute.AutoencoderTanh32}
        dtype = np.dtype(dtype).name
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be float64 or float32, got '{dtype}'")
        if (activation, dtype) not in kinds:
            raise ValueError(f"activation must be leaky_relu or tanh, got '{activation}'")
        if not hidden or any(int(h) < 1 for h in hidden) or int(features) < 1:
            raise ValueError("features and every hidden width must be >= 1")
        self.activation, self.dtype = activation, np.dtype(dtype)
        self._ae = kinds[(activation, dtype)](int(features), [int(h) for h in hidden], bool(bias),
                                              int(seed))

    def _x(self, X, n):
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != n:
            raise ValueError(f"expected samples x {n} features, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("the data have a non-finite value")
        return X

    def train(self, X, max_epochs: int = 1000, batch_size: int = 128,
              learning_rate: float = 1e-4, loss_threshold: float = 1e-15,
              validation_fraction: float = 0.1, seed: int = 0, progress: bool = False):
        """Adam on the mean squared reconstruction error (rows of X are samples); stops at
        ``max_epochs`` or when the training loss falls below ``loss_threshold``. Returns a
        pandas.DataFrame epoch, train_loss, validation_loss, seconds (attrs: best_epoch,
        reached_threshold)."""
        X = self._x(X, self._ae.features)
        bar = Progress(max_epochs, "cimpute.Autoencoder.train", enabled=progress)
        try:
            epochs, best, reached = self._ae.train(X, int(max_epochs), int(batch_size),
                                                   float(learning_rate), float(loss_threshold),
                                                   float(validation_fraction), int(seed),
                                                   bar.callback())
        finally:
            bar.close()
        out = _pandas().DataFrame(epochs, columns=["epoch", "train_loss", "validation_loss",
                                                   "seconds"])
        out.attrs.update(best_epoch=best, reached_threshold=reached)
        return out

    def reconstruct(self, X) -> np.ndarray:
        return self._ae.reconstruct(self._x(X, self._ae.features))

    def encode(self, X) -> np.ndarray:
        return self._ae.encode(self._x(X, self._ae.features))

    def decode(self, Z) -> np.ndarray:
        return self._ae.decode(self._x(Z, self._ae.code_size))

    def loss(self, X) -> float:
        """Mean squared reconstruction error."""
        return self._ae.loss(self._x(X, self._ae.features))

    def attractors(self, X, tolerance: float = 1e-3):
        """Per row of X: whether it is an attractor (a fixed point, relative residual below
        ``tolerance``, whose Jacobian has spectral radius below 1). A pandas.DataFrame
        attractor, residual, spectral_radius."""
        d = self._ae.attractors(self._x(X, self._ae.features), float(tolerance))
        return _pandas().DataFrame(d)


from . import plot  # noqa: E402  (matplotlib is imported when a plot is drawn)
