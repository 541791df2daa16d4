"""Data flows one way (DESIGN.md, issue 9 item 4): no import against it.

Reads the imports of every module (``ast``, nothing is executed): nothing in
``workflow/`` imports the runner (``publish/``) or the CLI; ``report/`` reads
results and the registry, never ``workflow/``, ``publish/`` or the CLI; and no
module below them imports any of the three.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pvcal"
UPPER = ("workflow", "publish", "cli", "cli_integrity", "cli_monitor")


def _imports(path: Path) -> set[str]:
    """Top-level pvcal subpackage/module names imported by one module (absolute or relative)."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts  # ("pvcal", "report", "x")
    if module[-1] == "__init__":
        module = module[:-1] + ("__init__",)
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(module[: len(module) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                names = [".".join(target + [a.name]) if not node.module else ".".join(target)
                         for a in node.names]  # fmt: skip
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pvcal" and len(parts) > 1:
                out.add(parts[1])
    return out


def _modules(*areas: str) -> list[Path]:
    return [p for area in areas for p in sorted((PACKAGE / area).rglob("*.py"))]


@pytest.mark.parametrize("path", _modules("workflow"), ids=lambda p: p.name)
def test_workflow_never_imports_the_runner(path):
    """DESIGN.md data flow: no module of workflow/ imports publish/ or the CLI."""
    assert not _imports(path) & {"publish", "cli", "cli_integrity", "cli_monitor"}


@pytest.mark.parametrize("path", _modules("report"), ids=lambda p: p.name)
def test_report_reads_results_never_the_runner(path):
    """DESIGN.md data flow: no module of report/ imports workflow/, publish/ or the CLI."""
    assert not _imports(path) & set(UPPER)


def test_nothing_below_imports_workflow_publish_or_cli():
    """DESIGN.md data flow: no module outside workflow/, publish/, the CLI and notebooks imports
    any of them."""
    below = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.relative_to(PACKAGE).parts[0] not in (*UPPER, "notebooks")
        and p.stem not in UPPER
        and p.name != "__init__.py"
    ]
    assert len(below) > 20
    offenders = {p.relative_to(PACKAGE).as_posix(): _imports(p) & set(UPPER) for p in below}
    assert not {k: v for k, v in offenders.items() if v}


DOMAIN = (
    "data",
    "irt",
    "equating",
    "standards",
    "index",
    "peer",
    "diagnosis",
    "integrity",
    "dif",
    "drift",
    "cases",
    "certificates",
)


def _domain_modules() -> list[Path]:
    out = []
    for name in DOMAIN:
        pkg, mod = PACKAGE / name, PACKAGE / f"{name}.py"
        out += sorted(pkg.rglob("*.py")) if pkg.is_dir() else [mod]
    return out


def test_domain_modules_never_import_report_workflow_publish_or_cli():
    """DESIGN.md data flow (data -> irt -> equating -> standards -> index -> diagnosis,
    integrity, dif, peer -> registry/report -> workflow/publish -> cli): no domain module
    imports report, workflow, publish or the CLI (e.g. cases pseudonymises through
    pvcal.pseudonym, not pvcal.report.pseudonym)."""
    paths = _domain_modules()
    assert all(p.is_file() for p in paths) and len(paths) > len(DOMAIN)
    upper = {"report", *UPPER}
    offenders = {p.relative_to(PACKAGE).as_posix(): _imports(p) & upper for p in paths}
    assert not {k: v for k, v in offenders.items() if v}


def test_layout_check_sees_an_import_against_the_flow(tmp_path, monkeypatch):
    """The check above can fail: a module importing pvcal.report.pseudonym is reported."""
    fake = tmp_path / "pvcal" / "cases.py"
    fake.parent.mkdir()
    fake.write_text("from .report.pseudonym import pseudonymise\nfrom .rules import CUTS\n")
    monkeypatch.setitem(globals(), "PACKAGE", fake.parent)  # _imports reads PACKAGE
    assert _imports(fake) == {"report", "rules"}
