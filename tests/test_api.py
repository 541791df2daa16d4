"""The public API contract: the names, signatures and result shapes the README promises.

Each check can fail: a renamed argument, a changed default, a result without
the documented columns or attributes. The numbers themselves are checked
against published values elsewhere (tests/irt, tests/equating, tests/test_peer.py);
here the data are LSAT7 (Bock & Lieberman 1970, tests/reference/lsat7.csv) and
tiny hand-made inputs.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pvcal

LSAT7 = Path(__file__).resolve().parent / "reference" / "lsat7.csv"


def test_all_is_unique_and_is_what_star_import_gives():
    """pvcal.__all__ has no duplicates and 'from pvcal import *' gives every name in it."""
    assert len(set(pvcal.__all__)) == len(pvcal.__all__)
    namespace: dict = {}
    exec("from pvcal import *", namespace)
    assert set(pvcal.__all__) <= set(namespace)


@pytest.mark.parametrize("name", [n for n in pvcal.__all__ if not n.startswith("__")])
def test_every_public_name_is_documented(name):
    """Team rules (numpydoc): every public name of pvcal has a docstring of at least a few words."""
    obj = getattr(pvcal, name)
    doc = inspect.getdoc(obj) or ""
    assert len(doc.split()) >= 3, f"pvcal.{name} has no docstring"


def test_version_is_the_installed_distribution_version():
    """pvcal.__version__ is the installed distribution's version (importlib.metadata), the one
    recorded in input hashes."""
    assert pvcal.__version__ == importlib.metadata.version("pvcal")


def _defaults(fn) -> dict:
    return {
        k: p.default
        for k, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def test_link_and_equate_signatures():
    """DESIGN.md public API contract: pvcal.link and pvcal.equate argument order and defaults
    (stocking-lord, D = 1, 40 θ points in [-4, 4]; equipercentile, w = 0.5)."""
    link = _defaults(pvcal.link)
    assert link["method"] == "stocking-lord"
    assert link["anchors"] is None and link["weights"] is None
    assert link["D"] == 1.0 and link["symmetric"] is False
    np.testing.assert_allclose(link["theta"], np.linspace(-4, 4, 40))
    assert list(inspect.signature(pvcal.link).parameters)[:2] == ["base", "new"]
    eq = _defaults(pvcal.equate)
    assert eq["method"] == "equipercentile" and eq["w"] == 0.5 and eq["external"] is False
    assert list(inspect.signature(pvcal.equate).parameters)[:2] == ["x", "y"]


def test_peer_signatures():
    """DESIGN.md public API contract: peer.performance(x, x_pt, sigma_pt, u_x_pt, u_x, U_x,
    U_x_pt) with optional uncertainties, standards.classification(theta, se, cuts)."""
    perf = inspect.signature(pvcal.peer.performance).parameters
    assert list(perf) == ["x", "x_pt", "sigma_pt", "u_x_pt", "u_x", "U_x", "U_x_pt"]
    assert all(perf[a].default is None for a in ("u_x_pt", "u_x", "U_x", "U_x_pt"))
    assert list(inspect.signature(pvcal.standards.classification).parameters) == [
        "theta",
        "se",
        "cuts",
    ]


def test_diagnosis_integrity_fairness_signatures():
    """The names DESIGN.md adds for diagnosis, integrity and fairness, reachable from ``pvcal``."""
    first = {
        pvcal.diagnosis.subscore_value: ["responses", "domains"],
        pvcal.diagnosis.domain_profile: ["calibration", "responses", "domains", "cut"],
        pvcal.integrity.omega: ["items", "responses", "pairs", "theta"],
        pvcal.dif.mantel_haenszel: ["responses", "group", "focal", "correct"],
        pvcal.dif.logistic: ["responses", "group", "focal", "kind"],
    }
    for fn, names in first.items():
        assert list(inspect.signature(fn).parameters)[: len(names)] == names, fn.__name__
    assert _defaults(pvcal.diagnosis.domain_profile)["level"] == 0.95
    assert _defaults(pvcal.integrity.omega)["theta"] is None
    assert _defaults(pvcal.dif.mantel_haenszel)["correct"] is True
    assert _defaults(pvcal.dif.logistic)["kind"] == "both"
    assert callable(pvcal.rules.load)


def test_calibration_result_shape():
    """A 2PL on LSAT7: items with a, b and their SEs; score() gives theta and se by person."""
    x = pd.read_csv(LSAT7, index_col=0)
    cal = pvcal.calibrate(x, model="2PL")
    assert isinstance(cal, pvcal.Calibration)
    assert list(cal.items.index) == list(x.columns)
    assert {"a", "b", "se_a", "se_b"} <= set(cal.items.columns)
    assert cal.converged is True and cal.n_iter > 0
    assert np.isfinite(cal.loglik) and cal.loglik < 0
    theta = cal.score(x.iloc[:10], method="EAP")
    assert list(theta.columns[:2]) == ["theta", "se"]
    assert list(theta.index) == list(x.index[:10])


def test_linking_equating_peer_and_classification_results():
    """DESIGN.md result shapes on hand-made inputs: a known mean/sigma link (A = B = 0.5) and its
    transform back, equating table, Algorithm A fields, z/z'/zeta/En columns, classification
    by cut."""
    items = pd.DataFrame({"a": [1.0, 1.2, 0.8], "b": [-1.0, 0.0, 1.0]}, index=["i1", "i2", "i3"])
    moved = items.assign(a=items["a"] / 2.0, b=(items["b"] - 0.5) * 2.0)
    lk = pvcal.link(items, moved, method="mean-sigma")
    assert isinstance(lk, pvcal.Linking)
    assert lk.A == pytest.approx(0.5) and lk.B == pytest.approx(0.5)  # θ_base = θ_new / 2 + 0.5
    back = lk.transform(moved)  # an item frame on the base scale
    np.testing.assert_allclose(back[["a", "b"]].to_numpy(), items.to_numpy())

    eq = pvcal.equate(np.array([0, 1, 1, 2, 3]), np.array([0, 1, 2, 2, 3]), method="mean")
    assert isinstance(eq, pvcal.Equating)
    assert "y_equiv" in eq.table.columns

    r = pvcal.peer.algorithm_a([1.0, 1.1, 0.9, 1.2, 5.0])
    assert {"x_star", "s_star", "u_x_pt"} <= set(dir(r))
    assert list(pvcal.peer.performance([1.0, 1.5], 1.0, 0.2).columns) == [
        "z",
        "z_prime",
        "zeta",
        "En",
    ]
    cq = pvcal.standards.classification(np.array([-1.0, 0.0, 1.0]), np.full(3, 0.3), [0.0])
    assert 0.0 <= cq.accuracy <= 1.0 and 0.0 <= cq.consistency <= 1.0
    assert {"accuracy", "consistency"} <= set(cq.by_cut.columns)


def test_errors_are_value_errors():
    """Issue 9 / team rules: every pvcal exception is a ValueError and a PvcalError."""
    for name in ("PvcalError", "DataError", "SchemaError", "ModelError", "RegistryError"):
        assert issubclass(getattr(pvcal, name), ValueError)
        assert issubclass(getattr(pvcal, name), pvcal.PvcalError)
