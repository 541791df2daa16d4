"""The notebooks run through papermill on the sample data, and what they publish.

One publication of every sample discipline (``published`` in conftest.py, the
same path as ``make run``) feeds the checks of the index records, results,
registry rows, reports and appeal sheets.  Fault tests start from a private
copy of that state and check that a corrupt response file, a notebook that
raises, and a crash between writing the files and committing the registry
each leave the registry and ``reports/`` exactly as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from pvcal import cli, publish
from pvcal.registry import Registry

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
NOTEBOOKS = ROOT / "src" / "pvcal" / "notebooks"
UNITS = [
    ("food-safety-inspector", "2025H1"),
    ("food-safety-inspector", "2025H2"),
    ("lab-assessor", "2025H2"),
    ("qms-auditor", "2025H1"),
    ("qms-auditor", "2025H2"),
]
GRADES = {"Excellent", "Good", "Pass", "Fail"}
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")


def raw_identifiers() -> set[str]:
    ids: set[str] = set()
    for folder in SAMPLE.iterdir():
        if (folder / "candidates.csv").is_file():
            c = pd.read_csv(folder / "candidates.csv", dtype=str)
            ids |= set(c["application_id"]) | set(c["candidate_id"])
    return ids


def snapshot(reports: Path) -> dict[str, str]:
    """sha256 of every file under ``reports`` except the failure area and the registry."""
    out = {}
    for p in sorted(reports.rglob("*")):
        rel = p.relative_to(reports).as_posix()
        if p.is_file() and not rel.startswith("_failed/") and rel != "registry.sqlite":
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def registry_dump(reports: Path) -> str:
    """The registry as SQL text, all but the audit log (which records failed runs)."""
    with Registry(reports / "registry.sqlite") as reg:
        return "\n".join(line for line in reg.dump().splitlines() if '"audit_log"' not in line)


def failure_audit(reports: Path, run_id: str) -> dict:
    """The detail of the audit log's ``run_failed`` event of a run (exactly one)."""
    with Registry(reports / "registry.sqlite") as reg:
        log = reg.audit_log("run")
    rows = log[(log["object_id"] == run_id) & (log["action"] == "run_failed")]
    assert len(rows) == 1, log
    return json.loads(rows["detail"].iloc[0])


# ----------------------------------------------------------------------------- a whole run
def test_every_unit_published(published):
    """A whole `make run` on the sample data publishes every discipline-period unit and the
    industry report, with every page and file and no papermill exception, staging or failure
    left behind."""
    reports, outcomes = published
    got = {(o.discipline, o.period): o.outcome for o in outcomes}
    for unit in UNITS:
        assert got[unit] == "published", [o for o in outcomes if not o.ok]
    assert got[(None, None)] == "published"  # the industry report
    for d, p in UNITS:
        folder = reports / d / p
        for name in (
            "calibration.html",
            "threshold_setting.html",
            "report.html",
            "index.json",
            "results.csv",
            "results.json",
            "run.json",
        ):
            assert (folder / name).is_file(), folder / name
        assert not (folder / "work").exists()  # internal hand-over files are not published
        for nb in folder.glob("notebooks/*.ipynb"):
            assert nbformat.read(nb, as_version=4).metadata["papermill"]["exception"] is None
    assert (reports / "industry" / "industry_report.html").is_file()
    assert not (reports / ".staging").exists() and not (reports / "_failed").exists()


def test_index_records_and_registry_rows(published):
    """After a whole run the registry matches the published files: increasing cuts, pass index =
    pass score, one result per application (Art. 8), later periods linked (Stocking-Lord) to
    the base cuts, runs audited with input hash and version."""
    reports, _ = published
    with Registry(reports / "registry.sqlite") as reg:
        indices = reg.indices()
        results = reg.results()
        runs = reg.runs()
    assert len(indices) == len(UNITS)
    assert set(zip(indices["discipline"], indices["period"], strict=True)) == set(UNITS)
    for _, row in indices.iterrows():
        rec = row["record"]
        cuts = [rec["cuts"][g] for g in ("Pass", "Good", "Excellent")]
        assert np.all(np.diff(cuts) > 0), rec["discipline"]
        assert rec["pass_index"] == pytest.approx(rec["conversion"]["pass_score"])
        assert 0 < rec["pass_rate"] < 1 and rec["method_text"]
        assert set(rec["distribution"]) == GRADES
        assert rec["uncertainty"]["pass_index_ci"][0] <= rec["pass_index"]
        published_file = json.loads(
            (reports / row["discipline"] / row["period"] / "index.json").read_text()
        )["record"]
        assert published_file["cuts"] == rec["cuts"]
    # one result per application; every grade one of the four
    assert results["application"].is_unique
    assert set(results["grade"]) <= GRADES
    for d, p in UNITS:
        csv = pd.read_csv(reports / d / p / "results.csv")
        sub = results[(results["discipline"] == d) & (results["period"] == p)]
        assert len(sub) == len(csv) > 0
        assert set(sub["application"]) == set(csv["application"])
    # later periods keep the base period's cuts on the base scale and record their link
    for d in ("qms-auditor", "food-safety-inspector"):
        h1 = indices[(indices["discipline"] == d) & (indices["period"] == "2025H1")].iloc[0]
        h2 = indices[(indices["discipline"] == d) & (indices["period"] == "2025H2")].iloc[0]
        assert h2["record"]["cuts"] == pytest.approx(h1["record"]["cuts"])
        link = h2["record"]["linking"]
        assert link["method"] == "stocking-lord" and link["base_index_id"] == h1["index_id"]
        assert 0.5 < link["A"] < 2
    # the audit log: inputs hashed, code version and parameters recorded
    pub = runs[runs["outcome"] == "published"]
    assert len(pub) == len(UNITS) + 1
    assert pub["input_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert pub["code_version"].str.startswith("0.").all()
    assert all("seed" in json.loads(p) for p in pub.loc[pub["command"] == "publish", "parameters"])


def test_no_raw_identifier_in_published_files(published):
    """Art. 15: no raw application or candidate identifier of the sample data appears in any
    published HTML, JSON, CSV or notebook."""
    reports, _ = published
    raw = raw_identifiers()
    assert len(raw) > 10_000
    for p in reports.rglob("*"):
        if p.is_file() and p.suffix in {".html", ".json", ".csv", ".ipynb"}:
            leaked = set(_TOKEN.findall(p.read_text(encoding="utf-8", errors="ignore"))) & raw
            assert not leaked, f"{p}: {sorted(leaked)[:3]}"


def test_publishing_the_same_inputs_twice_adds_nothing(reports_copy, kernel):
    """Publishing the same inputs again records 'unchanged' runs and changes no file, index or
    result."""
    before_files = snapshot(reports_copy)
    with Registry(reports_copy / "registry.sqlite") as reg:
        n_idx, n_res = len(reg.indices()), len(reg.results())
    outcomes = publish.publish(SAMPLE, reports_dir=reports_copy, kernel=kernel, progress=False)
    assert {o.outcome for o in outcomes} == {"unchanged"}
    with Registry(reports_copy / "registry.sqlite") as reg:
        assert (len(reg.indices()), len(reg.results())) == (n_idx, n_res)
        assert (reg.runs()["outcome"] == "unchanged").sum() == len(UNITS) + 1
    assert snapshot(reports_copy) == before_files


# ----------------------------------------------------------------------------- appeal sheets
def test_appeal_sheet_from_registry(published, tmp_path):
    """`pvcal appeal` builds a candidate's sheet from the registry: raw id shown to the
    candidate, grade and linking method, embedded plot; another discipline's application is
    refused."""
    reports, _ = published
    cands = pd.read_csv(SAMPLE / "qms-auditor" / "candidates.csv", dtype=str)
    res = pd.read_csv(reports / "qms-auditor" / "2025H2" / "results.csv")
    from pvcal.report.pseudonym import pseudonymise

    graded = set(res["application"])
    app = next(a for a in cands["application_id"] if pseudonymise(a, "application") in graded)
    out = tmp_path / "appeal.html"
    rc = cli.main(
        [
            "appeal",
            "--discipline",
            "qms-auditor",
            "--application",
            app,
            "--reports",
            str(reports),
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    assert rc == 0
    html = out.read_text()
    assert app in html  # the candidate's own sheet shows the raw id
    assert "matches" in html and "DOES NOT MATCH" not in html and "differs" not in html
    assert "data:image/png;base64," in html
    row = res[res["application"] == pseudonymise(app, "application")].iloc[0]
    assert f"Grade: {row['grade']}" in html
    assert "Stocking" in html or "stocking" in html  # the method text names the linking
    # another discipline's application is refused
    rc = cli.main(
        [
            "appeal",
            "--discipline",
            "lab-assessor",
            "--application",
            app,
            "--reports",
            str(reports),
            "--out",
            str(tmp_path / "x.html"),
        ]
    )
    assert rc == 2


# ----------------------------------------------------------------------------- faults
def _lab_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE / "lab-assessor", data / "lab-assessor")
    return data / "lab-assessor"


def test_corrupt_response_file_changes_nothing(reports_copy, tmp_path, kernel):
    """DESIGN.md conventions: a corrupt response file fails the unit naming the file and value,
    changes no published file or registry row, and is audited with pseudonymised identifiers."""
    folder = _lab_copy(tmp_path)
    lines = (folder / "responses.csv").read_text().splitlines()
    head = lines[0].split(",")
    cells = lines[5].split(",")
    cells[head.index("score")] = "7"  # a 0/1 item
    lines[5] = ",".join(cells)
    (folder / "responses.csv").write_text("\n".join(lines) + "\n")
    files, dump = snapshot(reports_copy), registry_dump(reports_copy)
    out = publish.publish_unit(folder, "2025H2", reports_dir=reports_copy, kernel=kernel)
    assert out.outcome == "failed"
    assert "responses.csv" in out.message and "7" in out.message
    assert snapshot(reports_copy) == files and registry_dump(reports_copy) == dump
    info = json.loads((reports_copy / "_failed" / out.run_id / "run.json").read_text())
    assert info["outcome"] == "failed" and "responses.csv" in info["error"]
    audit = failure_audit(reports_copy, out.run_id)  # recorded, identifiers pseudonymised
    assert "responses.csv" in audit["error"] and audit["discipline"] == "lab-assessor"
    assert not set(_TOKEN.findall(audit["error"])) & raw_identifiers()
    # with the file repaired the same inputs are already published: nothing to do
    shutil.copy(SAMPLE / "lab-assessor" / "responses.csv", folder / "responses.csv")
    again = publish.publish_unit(folder, "2025H2", reports_dir=reports_copy, kernel=kernel)
    assert again.outcome == "unchanged" and again.ok


def test_notebook_that_raises_changes_nothing(reports_copy, tmp_path, kernel):
    """A notebook that raises fails the unit, names the notebook, changes nothing published, and
    keeps the executed notebook under _failed/ for diagnosis."""
    nbs = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, nbs)
    nb = nbformat.read(nbs / "publish_index.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(nb, nbs / "publish_index.ipynb")
    files, dump = snapshot(reports_copy), registry_dump(reports_copy)
    out = publish.publish_unit(
        SAMPLE / "lab-assessor",
        "2025H2",
        reports_dir=reports_copy,
        notebooks=nbs,
        kernel=kernel,
        force=True,
    )
    assert out.outcome == "failed" and "planted failure" in out.message
    assert "publish_index.ipynb" in out.message
    assert snapshot(reports_copy) == files and registry_dump(reports_copy) == dump
    kept = reports_copy / "_failed" / out.run_id
    assert (kept / "unit" / "notebooks" / "publish_index.ipynb").is_file()  # for diagnosis
    assert "planted failure" in failure_audit(reports_copy, out.run_id)["error"]


def test_crash_before_commit_changes_nothing_and_rerun_succeeds(reports_copy, kernel, monkeypatch):
    """A crash before the registry commit changes nothing; a rerun publishes a superseding index
    while published results stay final (Art. 8)."""
    files, dump = snapshot(reports_copy), registry_dump(reports_copy)

    def crash(self):
        raise OSError("simulated crash between writing files and committing")

    monkeypatch.setattr(Registry, "_commit", crash)
    out = publish.publish_unit(
        SAMPLE / "lab-assessor", "2025H2", reports_dir=reports_copy, kernel=kernel, force=True
    )
    assert out.outcome == "failed" and "simulated crash" in out.message
    monkeypatch.undo()
    assert snapshot(reports_copy) == files and registry_dump(reports_copy) == dump
    # the registry could not commit, so neither could the audit row: run.json says so
    info = json.loads((reports_copy / "_failed" / out.run_id / "run.json").read_text())
    assert "simulated crash" in info["audit_error"]
    # a rerun succeeds: a new index supersedes the old one; published results stay final
    with Registry(reports_copy / "registry.sqlite") as reg:
        old = reg.current_index("lab-assessor", "2025H2")
        n_results = len(reg.results("lab-assessor"))
    again = publish.publish_unit(
        SAMPLE / "lab-assessor", "2025H2", reports_dir=reports_copy, kernel=kernel, force=True
    )
    assert again.outcome == "published", again.message
    with Registry(reports_copy / "registry.sqlite") as reg:
        new = reg.current_index("lab-assessor", "2025H2")
        assert new["supersedes"] == old["index_id"]
        assert len(reg.results("lab-assessor")) == n_results  # Art. 8: no second result
        assert reg.index(old["index_id"])["record"] == old["record"]  # never overwritten


def test_threshold_notebook_shows_the_tuner_when_interactive(tmp_path, kernel):
    """The threshold-setting notebook shows the tuner widget when run interactively and leaves
    rules.yml untouched."""
    import papermill as pm

    out = tmp_path / "threshold_setting.ipynb"
    rules_before = (SAMPLE / "lab-assessor" / "rules.yml").read_bytes()
    pm.execute_notebook(
        str(NOTEBOOKS / "threshold_setting.ipynb"),
        str(out),
        parameters={
            "discipline": "lab-assessor",
            "period": "2025H2",
            "base_period": "2025H2",
            "data_dir": str(SAMPLE / "lab-assessor"),
            "registry": str(tmp_path / "registry.sqlite"),
            "n_boot": 100,
            "interactive": True,
        },
        kernel_name=kernel,
        progress_bar=False,
    )
    outputs = [o for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widgets  # the sliders/button box was displayed
    assert (SAMPLE / "lab-assessor" / "rules.yml").read_bytes() == rules_before  # nothing saved
