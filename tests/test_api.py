"""The public API contract of ../shared/DESIGN.md: every promised name exists and resolves."""

from __future__ import annotations

import inspect

import pvcal


def test_every_public_name_resolves():
    for name in pvcal.__all__:
        assert getattr(pvcal, name) is not None, name


def test_contract_names_and_signatures():
    assert callable(pvcal.calibrate) and callable(pvcal.link) and callable(pvcal.equate)
    link = inspect.signature(pvcal.link).parameters
    for arg, default in [("method", None), ("anchors", None), ("D", 1.0), ("symmetric", False)]:
        assert arg in link
        if default is not None or arg == "anchors":
            assert link[arg].default == default
    perf = inspect.signature(pvcal.peer.performance).parameters
    assert list(perf)[:3] == ["x", "x_pt", "sigma_pt"]
    for arg in ("u_x_pt", "u_x", "U_x", "U_x_pt"):
        assert perf[arg].default is None
    assert callable(pvcal.standards.classification)
    assert callable(pvcal.peer.algorithm_a)
    for attr in ("items", "loglik", "converged", "n_iter", "score", "summary", "to_json"):
        assert hasattr(pvcal.Calibration, attr) or attr in pvcal.Calibration.__dataclass_fields__


def test_errors_are_value_errors():
    for name in ("PvcalError", "DataError", "SchemaError", "ModelError", "RegistryError"):
        assert issubclass(getattr(pvcal, name), ValueError)
