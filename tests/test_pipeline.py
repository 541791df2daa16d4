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
from pvcal.report.tuner import read_proposal, save_proposal

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "data" / "sample" / "lab-assessor"
GRADES = {"Excellent", "Good", "Pass", "Fail"}


# ----------------------------------------------------------------------------- pseudonyms
def test_pseudonym_is_keyed_hmac_sha256():
    """Art. 15 pseudonyms by hand: A-/C- + the first 16 hex digits of HMAC-SHA256(key,
    "kind:id"), deterministic, key-dependent; unknown kinds and empty ids refused."""
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
    """The key-source order of pvcal.pseudonym (env key, key file, sample default), the key never
    in repr, empty/missing files and a key file inside the repository refused."""
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
    """scrub() replaces whole identifier tokens only (LAB25H2-00011 is not LAB25H2-0001), by
    hand."""
    mapping = {"LAB25H2-0001": "A-1", "CLAB00001": "C-1"}
    text = "LAB25H2-0001 (candidate CLAB00001) and LAB25H2-00011 at row 3"
    assert scrub(text, mapping) == "A-1 (candidate C-1) and LAB25H2-00011 at row 3"


# ----------------------------------------------------------------------------- plots helpers
def test_wilson_interval_matches_newcombe_1998():
    # Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion.
    # Statistics in Medicine 17, 857-872, Table I, method 3 (Wilson score, no correction).
    """Newcombe (1998, Statistics in Medicine 17, 857-872) Table I, method 3: Wilson score
    intervals for 81/263, 15/148, 0/20, 1/29 to 5e-5."""
    lo, hi = plots.wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    np.testing.assert_allclose(lo, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    np.testing.assert_allclose(hi, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)
    with pytest.raises(PvcalError, match="0 <= k <= n"):
        plots.wilson_interval(5, 3)


def test_rate_table_counts_pass_or_better():
    """Hand count: pass rate = share of Pass or better per group, inside its Wilson interval."""
    df = pd.DataFrame({"g": list("aaab"), "grade": ["Fail", "Pass", "Excellent", "Good"]})
    t = plots.rate_table(df, "g")
    assert t.loc["a", "n"] == 3 and t.loc["a", "passed"] == 2 and t.loc["b", "rate"] == 1.0
    assert (t["lo"] <= t["rate"]).all() and (t["rate"] <= t["hi"]).all()


# ----------------------------------------------------------------------------- inputs
def test_hash_inputs_ignores_truth_and_tracks_content(tmp_path, monkeypatch):
    """Issue 9 item 2: the input hash ignores the true_* files, changes with the period, the data
    content and the pvcal version."""
    folder = tmp_path / "d"
    shutil.copytree(LAB, folder)
    h1, files = publish.hash_inputs(folder, {"period": "2025H2"})
    assert "rules.yml" in files and not any(f.startswith("true_") for f in files)
    (folder / "true_theta.csv").write_text("changed")
    assert publish.hash_inputs(folder, {"period": "2025H2"})[0] == h1
    assert publish.hash_inputs(folder, {"period": "2025H1"})[0] != h1
    with (folder / "responses.csv").open("a") as fh:
        fh.write("\n")
    h2 = publish.hash_inputs(folder, {"period": "2025H2"})[0]
    assert h2 != h1
    import pvcal

    monkeypatch.setattr(pvcal, "__version__", "99.0")  # another pvcal: another hash
    assert publish.hash_inputs(folder, {"period": "2025H2"})[0] != h2


def test_discipline_periods_base_first():
    """The sample disciplines are discovered in order and each lists its base period first
    (rules.yml periods and base_period)."""
    name, base, periods = workflow.discipline_periods(ROOT / "data" / "sample" / "qms-auditor")
    assert (name, base, periods) == ("qms-auditor", "2025H1", ["2025H1", "2025H2"])
    assert [p.name for p in workflow.discover_disciplines(ROOT / "data" / "sample")] == [
        "food-safety-inspector",
        "lab-assessor",
        "qms-auditor",
    ]


def test_notebook_params_per_discipline():
    """The notebook parameters of a discipline carry the default seed and at least 200 bootstrap
    replications."""
    params = publish.notebook_params(publish.notebooks_dir(), "qms-auditor")
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
    """Art. 6: the calibrate step scores only eligible applications; the base period is
    calibrated unlinked and converged."""
    out, cal, _, _ = lab_run
    elig = cal.eligibility
    assert set(cal.scores.index) <= set(elig.index[elig["eligible"].astype(bool)])
    assert not set(cal.scores.index) & set(elig.index[~elig["eligible"].astype(bool)])
    assert cal.calibration.converged and cal.linking is None and cal.is_base
    assert (out / "calibration.json").is_file()


def test_index_cuts_monotone_and_record_fields(lab_run):
    """The published index record has every field, cuts increase, and the lab-assessor rules'
    fixed standard-score cuts give Good 75, Excellent 90 and pass index 60."""
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
    """Published results by hand: pseudonyms of the Art. 15 form, final grade = the lower of exam
    and peer grade (combine: lower), standard score 60 + 10(θ - θ_pass) rounded half up, raw
    score = item sum."""
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
    """Art. 15: no raw application or candidate identifier appears in any published results or
    index file."""
    out, cal, _, _ = lab_run
    raw = set(cal.candidates.index) | set(cal.candidates["candidate_id"])
    for name in ("results.csv", "results.json", "index.json", "ineligible.csv"):
        text = (out / name).read_text()
        assert not [r for r in raw if r in text], name


def test_steps_hand_over_json_not_pickles(lab_run, tmp_path):
    """The calibrate step's hand-over reloads to the same results (JSON round trip, exact)."""
    from pvcal.workflow import CalibrationStep, StepError, StepRecord

    out, cal, _, _ = lab_run
    assert not list(out.rglob("*.pkl"))
    text = (out / "work" / "step.json").read_text()
    record = StepRecord.from_json(text)
    assert record.to_json() == text and record == cal.record
    assert record.pvcal_version and record.inputs == cal.inputs
    back = CalibrationStep.load(out)
    pd.testing.assert_frame_equal(back.scores, cal.scores)
    pd.testing.assert_frame_equal(back.items, cal.items)
    pd.testing.assert_frame_equal(back.item_fit, cal.item_fit)
    assert back.calibration.to_json() == cal.calibration.to_json()
    assert (out / "calibration.json").read_text() == cal.on_base.to_json()
    pd.testing.assert_frame_equal(back.wide, cal.wide)
    assert back.linking is None and back.base_index is None and back.seed == 7
    # data changed between the steps: the next step refuses to mix them
    folder = tmp_path / "lab-assessor"
    shutil.copytree(LAB, folder)
    step_dir = tmp_path / "unit"
    workflow.calibrate_step(folder, "2025H2", out_dir=step_dir, item_fit=False)
    with (folder / "candidates.csv").open("a") as fh:
        fh.write("\n")
    with pytest.raises(StepError, match="candidates.csv"):
        CalibrationStep.load(step_dir)
    with pytest.raises(StepError, match="run calibrate.ipynb first"):
        CalibrationStep.load(tmp_path / "nothing")


# ----------------------------------------------------------------------------- tuner
def test_tuner_evaluates_and_pass_rate_falls_with_the_cut(lab_run):
    """The threshold tuner: pass rate = share not failing, distribution sums to 1, CSEM on the
    score scale = scale x CSEM(θ), a higher pass cut lowers the pass rate, the pass line stays
    60."""
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


def test_tuner_saves_proposals_and_apply_writes_rules_with_audit(tmp_path, lab_run):
    """The tuner leaves rules.yml alone; `pvcal rules apply-proposal` applies and audits.

    Hand check: the applied block carries the proposal's cuts, who, when and why;
    the earlier block moves to ``history``; the audit row's SHA-256 before/after are
    those of the file's bytes before and after.
    """
    from pvcal import rules as pvrules
    from pvcal.publish.proposals import apply_proposal

    _, cal, _, _ = lab_run
    rules = tmp_path / "lab-assessor" / "rules.yml"
    rules.parent.mkdir()
    shutil.copy(LAB / "rules.yml", rules)
    original = rules.read_bytes()
    p1 = save_proposal(
        rules, [-0.8, 0.6, 2.0], who="M. Ethod", why="panel review", when="2025-07-01T00:00:00Z"
    )
    p2 = save_proposal(
        rules, {"pass": -0.7, "good": 0.6, "excellent": 2.0}, who="M. Ethod", why="second look"
    )
    assert p1 == rules.parent / "proposals" / "cuts-20250701T000000Z.yml"
    assert p2.parent == p1.parent and p2 != p1
    assert rules.read_bytes() == original  # the tuner never edits the rules
    assert read_proposal(p1).theta == {"pass": -0.8, "good": 0.6, "excellent": 2.0}
    reports = tmp_path / "reports"
    rc = cli.main(["rules", "apply-proposal", str(p1), "--reports", str(reports), "--by", "L. Ead"])
    assert rc == 0
    after_first = rules.read_bytes()
    apply_proposal(p2, reports_dir=reports, actor="L. Ead")
    text = rules.read_text()
    assert text.startswith(original.decode().rstrip("\n"))  # the rest, comments included, kept
    r = pvrules.load(rules)
    tuned = r.raw["tuned_cuts"]
    assert tuned["theta"] == {"pass": -0.7, "good": 0.6, "excellent": 2.0}
    assert tuned["set_by"] == "M. Ethod" and tuned["reason"] == "second look"
    assert tuned["history"][0]["theta"]["pass"] == -0.8
    assert tuned["history"][0]["set_at"] == "2025-07-01T00:00:00Z"
    with Registry(reports / "registry.sqlite") as reg:
        log = reg.audit_log("rules")
    assert log["action"].tolist() == ["cuts_applied", "cuts_applied"]
    assert log["actor"].tolist() == ["L. Ead", "L. Ead"]
    first, second = (json.loads(d) for d in log["detail"])
    assert first["proposal"] == p1.name and second["proposal"] == p2.name
    assert first["rules_sha256_before"] == hashlib.sha256(original).hexdigest()
    assert first["rules_sha256_after"] == hashlib.sha256(after_first).hexdigest()
    assert second["rules_sha256_before"] == first["rules_sha256_after"]
    step = dataclasses.replace(cal, data=dataclasses.replace(cal.data, rules=r))
    plan = workflow.plan_cuts(step)
    assert plan.source == "tuned"
    assert plan.grades.pass_.options() == {"method": "fixed", "theta": -0.7}
    with pytest.raises(PvcalError, match="who sets the cuts and why"):
        save_proposal(rules, [-1, 0, 1], who="", why="x")
    with pytest.raises(PvcalError, match="increasing"):
        save_proposal(rules, [0, 0, 1], who="a", why="b")
    # a proposal edited into nonsense is refused: rules and audit log unchanged
    bad = p1.with_name("cuts-bad.yml")
    bad.write_text(p1.read_text().replace("pass: -0.8", "pass: 3.0"))
    before = rules.read_bytes()
    with pytest.raises(PvcalError, match="increasing"):
        apply_proposal(bad, reports_dir=reports)
    assert rules.read_bytes() == before
    with Registry(reports / "registry.sqlite") as reg:
        assert len(reg.audit_log("rules")) == 2


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
    """Staging recovery: a run committed in the registry is moved into place, an uncommitted one
    set apart under _failed/, staging and trash cleaned."""
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
    """The CLI exits with 2 and a clear message for an unknown discipline and a missing registry;
    kernel_name follows its argument or PVCAL_KERNEL."""
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
    assert publish.kernel_name() == (os.environ.get("PVCAL_KERNEL") or None)


def test_default_kernel_is_this_python_and_notebooks_are_package_data(monkeypatch):
    """No kernel named: a kernelspec for sys.executable, found through JUPYTER_PATH."""
    import sys
    from importlib.resources import files

    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.delenv("PVCAL_KERNEL", raising=False)
    name = publish.ensure_kernel()
    assert name == publish.CURRENT_KERNEL
    assert KernelSpecManager().get_kernel_spec(name).argv[0] == sys.executable
    with pytest.raises(PvcalError, match="not installed"):
        publish.ensure_kernel("no-such-kernel-pvcal")
    folder = publish.notebooks_dir()
    assert folder == files("pvcal") / "notebooks"
    for name, _ in (*publish.UNIT_NOTEBOOKS, (publish.INDUSTRY_NOTEBOOK, "")):
        assert (folder / f"{name}.ipynb").is_file()


def test_package_data_globs_cover_the_notebooks():
    """pyproject's [tool.setuptools.package-data] ships every notebook and params file."""
    import tomllib

    package = ROOT / "src" / "pvcal"
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["pvcal"]
    shipped = {p for g in globs for p in package.glob(g) if p.is_file()}
    wanted = set((package / "notebooks").glob("*.ipynb")) | set(
        (package / "notebooks" / "params").glob("*.yaml")
    )
    assert len(wanted) >= 7 and wanted <= shipped


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
    """Registry (all but the audit log, which records failures) and files outside _failed/."""
    with Registry(reports / "registry.sqlite") as reg:
        dump = "\n".join(line for line in reg.dump().splitlines() if '"audit_log"' not in line)
    files = {
        p.relative_to(reports).as_posix(): p.read_bytes()
        for p in reports.rglob("*")
        if p.is_file() and "_failed" not in p.parts and p.name != "registry.sqlite"
    }
    return dump, files


def test_unit_failures_leave_everything_as_it_was(tmp_path, monkeypatch):
    """DESIGN.md conventions: a failing run leaves registry and published files as they were, is
    recorded in the audit log (or run.json when the registry cannot commit), and a rerun of
    the same inputs is 'unchanged'."""
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
    with Registry(reports / "registry.sqlite") as reg:  # the failure is in the audit log
        log = reg.audit_log("run")
    assert log[["action", "object_id", "actor"]].values.tolist() == [
        ["run_failed", out.run_id, "pvcal"]
    ]
    detail = json.loads(log["detail"].iloc[0])
    assert detail["error"] == "bad input in the register step" and detail["input_hash"] == "h2"
    kept = json.loads((reports / "_failed" / out.run_id / "run.json").read_text())
    assert kept["error_pseudonymised"] == detail["error"]  # what pvcal monitor shows

    def crash(self):
        raise OSError("crash between writing files and committing")

    monkeypatch.setattr(Registry, "_commit", crash)
    out = _unit(reports, input_hash="h3")
    monkeypatch.undo()
    assert out.outcome == "failed" and "crash" in out.message
    assert _state(reports) == before
    # the registry itself could not commit: the failure could not be audited, run.json says so
    info = json.loads((reports / "_failed" / out.run_id / "run.json").read_text())
    assert "crash" in info["audit_error"]
    with Registry(reports / "registry.sqlite") as reg:
        assert len(reg.audit_log("run")) == 1
    # the same inputs again: nothing to do, no duplicate
    again = _unit(reports, input_hash="h1")
    assert again.outcome == "unchanged"
    with Registry(reports / "registry.sqlite") as reg:
        assert reg.runs()["outcome"].tolist().count("published") == 1


def test_crash_after_commit_is_rolled_forward(tmp_path, monkeypatch):
    """A process killed after the registry commit but before the move is rolled forward by
    recover() on the next run."""
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


def test_tuner_widget_moves_and_saves_a_proposal(lab_run, tmp_path):
    """The widget's button saves a proposal (who and why required); rules.yml is untouched."""
    _, _, setting, _ = lab_run
    rules = tmp_path / "rules.yml"
    shutil.copy(LAB / "rules.yml", rules)
    original = rules.read_bytes()
    tuner = dataclasses.replace(setting.tuner(), rules_file=rules)
    box = tuner.widget()
    sliders = box.children[:3]
    assert [s.value for s in sliders] == pytest.approx(
        [round(v, 2) for v in tuner.seed_cuts.values()]
    )
    sliders[0].value = round(sliders[0].value + 0.25, 2)
    who, why, button, status = box.children[-4:]
    button.click()  # no who/why: refused, nothing written
    assert "not saved" in status.value and not (tmp_path / "proposals").exists()
    who.value, why.value = "M. Ethod", "raise the pass line after the panel review"
    button.click()
    (saved,) = (tmp_path / "proposals").glob("cuts-*.yml")
    proposal = read_proposal(saved)
    assert proposal.theta["pass"] == pytest.approx(sliders[0].value)
    assert proposal.seeded_from["pass"] == pytest.approx(tuner.seed_cuts["Pass"])
    assert proposal.discipline == "lab-assessor" and proposal.period == "2025H2"
    assert rules.read_bytes() == original
