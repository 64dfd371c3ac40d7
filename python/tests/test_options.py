"""The library's option types as keyword-constructible classes: defaults are the C++ ones, every
field reads back what was set, nested options change in place, an unknown field or a bad enum
name is an error, and an options object drives a run exactly as the keyword functions do."""
import numpy as np
import pytest

import cimpute
from cimpute import _cimpute


def test_defaults_are_the_libraries_and_fields_read_back():
    o = cimpute.DiscoveryOptions()
    assert (o.method, o.tests, o.bootstrap, o.unknown_targets) == ("igsp", "gaussian", 0, False)
    assert (o.search.alpha, o.search.depth, o.search.runs, o.search.candidates) == (1e-3, 4, 5, 10)
    assert o.gies.lambda_ == 1.0 and o.hsic.max_samples == 1000
    o = cimpute.DiscoveryOptions(method="gies", bootstrap=3,
                                 search=cimpute.IgspOptions(alpha=0.01, runs=2))
    assert (o.method, o.bootstrap, o.search.alpha, o.search.runs) == ("gies", 3, 0.01, 2)
    o.search.seed = 7  # a nested option is changed in place, not on a copy
    o.gies.lambda_ = 4.0
    assert o.search.seed == 7 and o.gies.lambda_ == 4.0
    assert "method='gies'" in repr(o) and "bootstrap=3" in repr(o)


def test_every_listed_field_round_trips():
    for cls in (cimpute.PerturbationSimulatorParams, cimpute.InterventionDesignOptions,
                cimpute.CompletionSetup, cimpute.RepurposingOptions, cimpute.MixedPriorOptions,
                cimpute.AutoencoderTransferOptions, cimpute.IgspOptions, cimpute.HsicOptions,
                cimpute.GiesOptions):
        fields = cls._fields
        assert fields, cls
        a = cls()
        b = cls(**{f: getattr(a, f) for f in fields})
        assert repr(a) == repr(b), cls


def test_enum_fields_read_and_write_the_tools_names():
    s = cimpute.CompletionSetup(ntk_priors=["one-hot", "cross-context"], reference_context="X")
    assert s.ntk_priors == ["one-hot", "cross-context"] and s.reference_context == "X"
    assert cimpute.RepurposingOptions(score="wtcs").score == "wtcs"
    assert cimpute.InterventionDesignOptions(objective="worst").objective == "worst"
    assert cimpute.DiscoveryOptions(tests="kernel").tests == "kernel"
    with pytest.raises(ValueError, match="bogus"):
        cimpute.DiscoveryOptions(method="bogus")
    with pytest.raises(ValueError, match="bogus"):
        cimpute.CompletionSetup(ntk_priors=["bogus"])
    with pytest.raises(ValueError, match="worst"):
        cimpute.InterventionDesignOptions(objective="best")


def test_unknown_fields_and_wrong_types_are_errors():
    with pytest.raises(TypeError, match="PerturbationSimulatorParams.*'gene'"):
        cimpute.PerturbationSimulatorParams(gene=10)
    with pytest.raises(TypeError, match="_fields"):
        cimpute.IgspOptions(_fields=[])
    with pytest.raises(TypeError):
        cimpute.IgspOptions(runs="many")
    with pytest.raises(TypeError, match="unexpected keyword"):
        cimpute.simulate_perturbations(drug=3)


def test_an_options_object_runs_as_the_keyword_function():
    dag = cimpute.random_dag(6, 2, 4)
    sem = cimpute.LinearGaussianSem.random(dag, seed=3)
    rows = [sem.sample(400, 5)] + [sem.sample(400, 6 + t, targets=[t], value=2.0) for t in (1, 3)]
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.vstack(rows), columns=[f"x{i}" for i in range(6)])
    frame["condition"] = ["obs"] * 400 + ["a"] * 400 + ["b"] * 400
    frame["target"] = ["none"] * 400 + ["x1"] * 400 + ["x3"] * 400
    data = cimpute.interventional_data(frame)
    by_keywords = cimpute.discover(data, method="gies", seed=2, lambda_=2.0)
    options = cimpute.DiscoveryOptions(method="gies", search=cimpute.IgspOptions(seed=2),
                                       gies=cimpute.GiesOptions(lambda_=2.0))
    direct = _cimpute.discover(data, options, None)
    assert np.array_equal(direct["graph"], by_keywords.adjacency)
    assert np.array_equal(direct["essential"], by_keywords.essential)
