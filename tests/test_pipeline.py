"""Pipeline steps, staging/recovery, pseudonyms, the threshold tuner and report helpers.

Fast tests (no Jupyter kernel): the notebook steps run in-process on the
small lab-assessor sample.  The notebooks themselves, the registry rows of a
whole run and the fault tests are in ``test_notebooks.py``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal import cli, publish, workflow
from pvcal._validation import PvcalError
from pvcal.publish import runner, staging
from pvcal.registry import Registry
from pvcal.report import plots
from pvcal.report.pseudonym import SAMPLE_KEY, PseudonymKey, load_key, pseudonymise, scrub
from pvcal.report.tuner import write_tuned_cuts

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "data" / "sample" / "lab-assessor"
GRADES = {"Excellent", "Good", "Pass", "Fail"}


# ----------------------------------------------------------------------------- pseudonyms
def test_pseudonym_is_keyed_hmac_sha256():
    key = PseudonymKey(b"k1", "test")
    p = pseudonymise("QMS25H1-0001", "application", key)
    expected = hmac.new(b"k1", b"application:QMS25H1-0001", hashlib.sha256).hexdigest()[:16]
    assert p == "A-" + expected
    assert pseudonymise("QMS25H1-0001", "application", key) == p  # deterministic
    assert pseudonymise("QMS25H1-0001", "application", PseudonymKey(b"k2", "t")) != p
    assert pseudonymise("CQMS00001", "candidate", key).startswith("C-")
    with pytest.raises(PvcalError, match="kind='person'"):
        pseudonymise("x", "person", key)
    with pytest.raises(PvcalError, match="empty application identifier"):
        pseudonymise("", "application", key)


def test_key_sources(tmp_path):
    if not Path("~/.config/pvcal/pseudonym.key").expanduser().exists():
        assert load_key({}).key == SAMPLE_KEY and load_key({}).source == "sample-default"
    assert load_key({"PVCAL_PSEUDONYM_KEY": "s3cret"}).key == b"s3cret"
    keyfile = tmp_path / "pvcal.key"
    keyfile.write_text("from-file\n")
    k = load_key({"PVCAL_PSEUDONYM_KEY_FILE": str(keyfile)})
    assert k.key == b"from-file" and k.source.startswith("file:")
    assert "from-file" not in repr(k)
    keyfile.write_text("")
    with pytest.raises(PvcalError, match="is empty"):
        load_key({"PVCAL_PSEUDONYM_KEY_FILE": str(keyfile)})
    with pytest.raises(PvcalError, match="not found"):
        load_key({"PVCAL_PSEUDONYM_KEY_FILE": str(tmp_path / "missing.key")})
    if (ROOT / ".git").exists():
        with pytest.raises(PvcalError, match="inside the repository"):
            load_key({"PVCAL_PSEUDONYM_KEY_FILE": str(ROOT / "README.md")})


def test_scrub_replaces_whole_tokens_only():
    mapping = {"LAB25H2-0001": "A-1", "CLAB00001": "C-1"}
    text = "LAB25H2-0001 (candidate CLAB00001) and LAB25H2-00011 at row 3"
    assert scrub(text, mapping) == "A-1 (candidate C-1) and LAB25H2-00011 at row 3"


# ----------------------------------------------------------------------------- plots helpers
def test_wilson_interval_matches_newcombe_1998():
    # Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion.
    # Statistics in Medicine 17, 857-872, Table I, method 3 (Wilson score, no correction).
    lo, hi = plots.wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    np.testing.assert_allclose(lo, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    np.testing.assert_allclose(hi, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)
    with pytest.raises(PvcalError, match="0 <= k <= n"):
        plots.wilson_interval(5, 3)


def test_rate_table_counts_pass_or_better():
    df = pd.DataFrame({"g": list("aaab"), "grade": ["Fail", "Pass", "Excellent", "Good"]})
    t = plots.rate_table(df, "g")
    assert t.loc["a", "n"] == 3 and t.loc["a", "passed"] == 2 and t.loc["b", "rate"] == 1.0
    assert (t["lo"] <= t["rate"]).all() and (t["rate"] <= t["hi"]).all()


# ----------------------------------------------------------------------------- inputs
def test_hash_inputs_ignores_truth_and_tracks_content(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(LAB, folder)
    h1, files = publish.hash_inputs(folder, {"period": "2025H2"})
    assert "rules.yml" in files and not any(f.startswith("true_") for f in files)
    (folder / "true_theta.csv").write_text("changed")
    assert publish.hash_inputs(folder, {"period": "2025H2"})[0] == h1
    assert publish.hash_inputs(folder, {"period": "2025H1"})[0] != h1
    with (folder / "responses.csv").open("a") as fh:
        fh.write("\n")
    assert publish.hash_inputs(folder, {"period": "2025H2"})[0] != h1


def test_discipline_periods_base_first():
    name, base, periods = workflow.discipline_periods(ROOT / "data" / "sample" / "qms-auditor")
    assert (name, base, periods) == ("qms-auditor", "2025H1", ["2025H1", "2025H2"])
    assert [p.name for p in workflow.discover_disciplines(ROOT / "data" / "sample")] == [
        "food-safety-inspector",
        "lab-assessor",
        "qms-auditor",
    ]


def test_notebook_params_per_discipline():
    params = publish.notebook_params(ROOT / "notebooks", "qms-auditor")
    assert params["seed"] == workflow.DEFAULT_SEED and params["n_boot"] >= 200


# ----------------------------------------------------------------------------- steps
@pytest.fixture(scope="module")
def lab_run(tmp_path_factory):
    """The three notebook steps on lab-assessor, run in-process."""
    out = tmp_path_factory.mktemp("lab-unit")
    cal = workflow.calibrate_step(LAB, "2025H2", out_dir=out, seed=7)
    setting = workflow.standard_setting_step(out, n_boot=200)
    pub = workflow.publish_step(out)
    return out, cal, setting, pub


def test_calibrate_step_scores_only_eligible(lab_run):
    out, cal, _, _ = lab_run
    elig = cal.eligibility
    assert set(cal.scores.index) <= set(elig.index[elig["eligible"].astype(bool)])
    assert not set(cal.scores.index) & set(elig.index[~elig["eligible"].astype(bool)])
    assert cal.calibration.converged and cal.linking is None and cal.is_base
    assert (out / "calibration.json").is_file()


def test_index_cuts_monotone_and_record_fields(lab_run):
    out, _, setting, pub = lab_run
    cuts = [setting.index.cuts[g] for g in ("Pass", "Good", "Excellent")]
    assert np.all(np.diff(cuts) > 0)
    record = json.loads((out / "index.json").read_text())["record"]
    for field in (
        "discipline",
        "period",
        "cuts",
        "cut_standard_scores",
        "pass_index",
        "methods",
        "conversion",
        "uncertainty",
        "method_text",
        "key_fingerprint",
    ):
        assert field in record, field
    # lab-assessor rules: Good and Excellent are fixed standard scores 75 and 90
    assert record["cut_standard_scores"]["Good"] == pytest.approx(75.0)
    assert record["cut_standard_scores"]["Excellent"] == pytest.approx(90.0)
    assert record["pass_index"] == pytest.approx(60.0)


def test_publish_step_results(lab_run):
    out, cal, _, pub = lab_run
    res = pub.results
    assert len(res) == len(cal.scores)
    assert set(res["grade"]) <= GRADES
    assert res["application"].str.match(r"^A-[0-9a-f]{16}$").all()
    assert res["candidate"].str.match(r"^C-[0-9a-f]{16}$").all()
    assert res["application"].is_unique
    # final grade is the lower of exam and peer grades (rules: combine: lower)
    order = ["Fail", "Pass", "Good", "Excellent"]
    for _, row in res.iterrows():
        d = row["detail"]
        assert order.index(row["grade"]) == min(
            order.index(d["exam_grade"]), order.index(d["peer"]["peer_grade"])
        )
    # the standard score is the rules' map of θ through the pass cut, rounded half up
    conv = pub.index.conversion
    expect = np.clip(np.floor(60 + 10 * (res["theta"] - conv.anchor_theta) + 0.5), 0, 100)
    np.testing.assert_array_equal(res["standard_score"], expect)
    # raw score is the sum of the item scores shown on the appeal sheet
    raw = res["detail"].map(lambda d: sum(v for v in d["items"].values() if v is not None))
    np.testing.assert_array_equal(res["raw_score"], raw)


def test_published_files_hold_no_raw_identifiers(lab_run):
    out, cal, _, _ = lab_run
    raw = set(cal.candidates.index) | set(cal.candidates["candidate_id"])
    for name in ("results.csv", "results.json", "index.json", "ineligible.csv"):
        text = (out / name).read_text()
        assert not [r for r in raw if r in text], name


# ----------------------------------------------------------------------------- tuner
def test_tuner_evaluates_and_pass_rate_falls_with_the_cut(lab_run):
    _, _, setting, _ = lab_run
    tuner = setting.tuner()
    base = tuner.evaluate()
    assert base.pass_rate == pytest.approx((base.grades != "Fail").mean())
    assert base.distribution.sum() == pytest.approx(1.0)
    assert (base.csem["csem_theta"] > 0).all()
    np.testing.assert_allclose(
        base.csem["csem_standard_score"], base.csem["csem_theta"] * tuner.index.conversion.scale
    )
    seed = tuner.seed_cuts
    harder = tuner.evaluate({**seed, "Pass": seed["Pass"] + 0.5})
    assert harder.pass_rate < base.pass_rate
    assert harder.index.pass_index == pytest.approx(60.0)  # the pass line stays at 60
    with pytest.raises(PvcalError, match="increasing"):
        tuner.evaluate([1.0, 0.0, 2.0])


def test_tuned_cuts_written_back_with_history(tmp_path, lab_run):
    from pvcal.data import read_rules

    _, cal, _, _ = lab_run
    rules = tmp_path / "rules.yml"
    shutil.copy(LAB / "rules.yml", rules)
    original = rules.read_text()
    write_tuned_cuts(
        rules, [-0.8, 0.6, 2.0], who="M. Ethod", why="panel review", when="2025-07-01T00:00:00Z"
    )
    write_tuned_cuts(
        rules, {"pass": -0.7, "good": 0.6, "excellent": 2.0}, who="M. Ethod", why="second look"
    )
    text = rules.read_text()
    assert text.startswith(original.rstrip("\n"))  # everything else, comments included, kept
    r = read_rules(rules)
    tuned = r.raw["tuned_cuts"]
    assert tuned["theta"] == {"pass": -0.7, "good": 0.6, "excellent": 2.0}
    assert tuned["set_by"] == "M. Ethod" and tuned["reason"] == "second look"
    assert tuned["history"][0]["theta"]["pass"] == -0.8
    assert tuned["history"][0]["set_at"] == "2025-07-01T00:00:00Z"
    plan = workflow.plan_cuts(dataclasses.replace(cal, rules=r))
    assert plan.source == "tuned" and plan.grades["Pass"] == {"method": "fixed", "theta": -0.7}
    with pytest.raises(PvcalError, match="who sets the cuts and why"):
        write_tuned_cuts(rules, [-1, 0, 1], who="", why="x")
    with pytest.raises(PvcalError, match="increasing"):
        write_tuned_cuts(rules, [0, 0, 1], who="a", why="b")


# ----------------------------------------------------------------------------- recovery
def _stage(reports: Path, run_id: str) -> Path:
    stage = reports / ".staging" / run_id
    (stage / "unit").mkdir(parents=True)
    (stage / "unit" / "report.html").write_text("<html>new</html>")
    (stage / "manifest.json").write_text(
        json.dumps({"run_id": run_id, "moves": [["unit", "d/2025H1"]]})
    )
    return stage


def test_recover_rolls_committed_runs_forward_and_sets_others_apart(tmp_path):
    reports = tmp_path / "reports"
    (reports / "d" / "2025H1").mkdir(parents=True)
    (reports / "d" / "2025H1" / "report.html").write_text("<html>old</html>")
    with Registry(reports / "registry.sqlite") as reg:
        reg.add_run(
            run_id="committed",
            command="publish",
            input_hash="h",
            code_version="t",
            parameters={},
            inputs={},
            outcome="published",
            started_at="t",
        )
        _stage(reports, "committed")
        _stage(reports, "uncommitted")
        handled = publish.recover(reports, reg)
    assert sorted(handled) == ["committed", "uncommitted"]
    assert (reports / "d" / "2025H1" / "report.html").read_text() == "<html>new</html>"
    assert (reports / "_failed" / "uncommitted" / "run.json").is_file()
    assert not (reports / ".staging").exists() and not (reports / ".trash").exists()


# ----------------------------------------------------------------------------- CLI
def test_cli_reports_errors(tmp_path, capsys):
    rc = cli.main(
        [
            "publish",
            "--discipline",
            "nope",
            "--data",
            str(ROOT / "data" / "sample"),
            "--reports",
            str(tmp_path / "r"),
            "--quiet",
        ]
    )
    assert rc == 2
    assert "discipline(s) ['nope'] not found" in capsys.readouterr().err
    rc = cli.main(
        [
            "appeal",
            "--discipline",
            "lab-assessor",
            "--application",
            "LAB25H2-0001",
            "--reports",
            str(tmp_path / "none"),
        ]
    )
    assert rc == 2
    assert "no registry" in capsys.readouterr().err
    assert publish.kernel_name("k2") == "k2"
    assert publish.kernel_name() == os.environ.get("PVCAL_KERNEL", publish.DEFAULT_KERNEL)


# ----------------------------------------------------------------------------- atomic unit
def _unit(reports: Path, register=None, input_hash: str = "h1"):
    """A publishing unit without notebooks: stage, register, commit, move."""

    def default(reg, unit, run_id):
        (unit / "report.html").write_text(f"<html>{run_id}</html>")
        return "ok"

    with Registry(reports / "registry.sqlite") as reg:
        return runner._run_unit(
            reports=reports, registry=reg, command="publish", discipline="d", period="p",
            input_hash=input_hash, inputs={}, parameters={}, notebooks=[], final_rel="d/p",
            kernel="unused", register=register or default,
        )  # fmt: skip


def _state(reports: Path) -> tuple[str, dict[str, bytes]]:
    with Registry(reports / "registry.sqlite") as reg:
        dump = reg.dump()
    files = {
        p.relative_to(reports).as_posix(): p.read_bytes()
        for p in reports.rglob("*")
        if p.is_file() and "_failed" not in p.parts and p.name != "registry.sqlite"
    }
    return dump, files


def test_unit_failures_leave_everything_as_it_was(tmp_path, monkeypatch):
    reports = tmp_path / "reports"
    first = _unit(reports)
    assert first.outcome == "published"
    assert (reports / "d" / "p" / "report.html").read_text() == f"<html>{first.run_id}</html>"
    before = _state(reports)

    def bad_register(reg, unit, run_id):
        (unit / "report.html").write_text("half-written")
        raise PvcalError("bad input in the register step")

    out = _unit(reports, bad_register, input_hash="h2")
    assert out.outcome == "failed" and "bad input" in out.message
    assert _state(reports) == before
    assert json.loads((reports / "_failed" / out.run_id / "run.json").read_text())["error"]

    def crash(self):
        raise OSError("crash between writing files and committing")

    monkeypatch.setattr(Registry, "_commit", crash)
    out = _unit(reports, input_hash="h3")
    monkeypatch.undo()
    assert out.outcome == "failed" and "crash" in out.message
    assert _state(reports) == before
    # the same inputs again: nothing to do, no duplicate
    again = _unit(reports, input_hash="h1")
    assert again.outcome == "unchanged"
    with Registry(reports / "registry.sqlite") as reg:
        assert reg.runs()["outcome"].tolist().count("published") == 1


def test_crash_after_commit_is_rolled_forward(tmp_path, monkeypatch):
    reports = tmp_path / "reports"

    def die(stage, reports):
        raise KeyboardInterrupt("process killed after the commit")

    monkeypatch.setattr(staging, "move_into_place", die)
    with pytest.raises(KeyboardInterrupt):
        _unit(reports)
    monkeypatch.undo()
    assert not (reports / "d" / "p").exists() and (reports / ".staging").is_dir()
    with Registry(reports / "registry.sqlite") as reg:
        run_id = reg.runs()["run_id"].iloc[0]
        assert publish.recover(reports, reg) == [run_id]
    assert (reports / "d" / "p" / "report.html").read_text() == f"<html>{run_id}</html>"
    assert not (reports / ".staging").exists()


def test_tuner_widget_moves_and_saves(lab_run, tmp_path):
    from pvcal.data import read_rules

    _, _, setting, _ = lab_run
    rules = tmp_path / "rules.yml"
    shutil.copy(LAB / "rules.yml", rules)
    tuner = dataclasses.replace(setting.tuner(), rules_file=rules)
    box = tuner.widget()
    sliders = box.children[:3]
    assert [s.value for s in sliders] == pytest.approx(
        [round(v, 2) for v in tuner.seed_cuts.values()]
    )
    sliders[0].value = round(sliders[0].value + 0.25, 2)
    who, why, button, status = box.children[4:8]
    button.click()  # no who/why: refused, nothing written
    assert "not saved" in status.value and "tuned_cuts" not in rules.read_text()
    who.value, why.value = "M. Ethod", "raise the pass line after the panel review"
    button.click()
    tuned = read_rules(rules).raw["tuned_cuts"]
    assert tuned["theta"]["pass"] == pytest.approx(sliders[0].value)
    assert tuned["seeded_from"]["pass"] == pytest.approx(tuner.seed_cuts["Pass"])
