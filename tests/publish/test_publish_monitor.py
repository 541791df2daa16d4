"""Tests of pvcal.publish.monitor and ``pvcal monitor``: runs, alerts, config, --check.

A reports folder is built by hand with planted problems of every kind (a failed
run, a slow run, a volume drop, non-convergence, a left-out anchor, one item moved
by 1.0 logit on the base scale, a pass-rate fall from 70 % to 50 % of 1,000, a θ
distribution shifted by 0.8 SD, a DIF item of class C, two undecided integrity
cases); each must give exactly its alert, and a clean folder none.  The drift
statistics themselves are checked in tests/test_drift.py.

No test reads the wall clock: every run's start and end times are written
down (``Registry.add_run(finished_at=...)``), the report's time is given
(``monitor(now=...)``), and the module's ``wall_clock`` fixture pins the
registry's and the monitor's clock to a time at which a hidden use of it would
change the results (a run ending 5 minutes after 10:00 is not slow).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import PvcalError, SchemaError
from pvcal.publish import monitor as mon
from pvcal.publish.runs import run_facts
from pvcal.registry import Registry, registry_path
from pvcal.serialize import dumps, frame_to_json


def _items(shift: dict | None = None, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"c{k:02d}" for k in range(20)]
    b = np.linspace(-2, 2, 20)
    items = pd.DataFrame(
        {"model": "2PL", "a": 1.2, "b": b + rng.normal(0, 0.03, 20), "se_b": 0.05}, index=ids
    )
    for item, d in (shift or {}).items():
        items.loc[item, "b"] += d
    return items


def _unit(
    reports: Path,
    reg: Registry,
    d: str,
    p: str,
    *,
    items: pd.DataFrame,
    n: int,
    pass_rate: float,
    theta_mean: float,
    converged: bool = True,
    excluded: tuple = (),
    dif: list | None = None,
    started: str = "2026-12-04T10:00:00Z",
    finished: str = "2026-12-04T10:45:00Z",
) -> None:
    run_id = f"run-{d}-{p}"
    folder = reports / d / p
    folder.mkdir(parents=True)
    cal = {"items": frame_to_json(items), "n_persons": n, "n_iter": 500 if not converged else 20,
           "converged": converged, "loglik": -1.0}  # fmt: skip
    (folder / "calibration.json").write_text(dumps(cal), encoding="utf-8")
    theta = np.random.default_rng(len(p)).normal(theta_mean, 1, 300)
    rows = [{"theta": float(t), "n_answered": 20} for t in theta]
    (folder / "results.json").write_text(json.dumps(rows), encoding="utf-8")
    linking = None
    if p != "P1":
        linking = {"A": 1.0, "B": 0.0, "base": "P1", "anchors": ["c00", "c01"],
                   "excluded": list(excluded)}  # fmt: skip
    record = {"n": n, "pass_rate": pass_rate, "linking": linking}
    (folder / "index.json").write_text(json.dumps({"record": record}), encoding="utf-8")
    if dif is not None:
        (folder / "dif.json").write_text(json.dumps({"table": dif}), encoding="utf-8")
    run = {"run_id": run_id, "command": "publish", "discipline": d, "period": p,
           "input_hash": "h" + p, "code_version": "test", "parameters": {}, "inputs": {},
           "started_at": started}  # fmt: skip
    reg.add_run(**run, outcome="published", finished_at=finished)
    (folder / "run.json").write_text(json.dumps({**run, **run_facts(folder)}), encoding="utf-8")
    reg.add_index(discipline=d, period=p, run_id=run_id, input_hash="h" + p, record=record)


@pytest.fixture(autouse=True)
def wall_clock(monkeypatch) -> str:
    """Pin the clock of the registry (a run's default end time, migrations) and of the monitor
    (the report's default time) to 10:05 on the planted day: before this, the planted runs'
    end times were the wall clock, and the 'duration' alerts needed it to be past 10:30."""
    pinned = "2026-12-04T10:05:00Z"
    monkeypatch.setattr("pvcal.registry.utcnow", lambda: pinned)
    monkeypatch.setattr("pvcal.publish.monitor.utcnow", lambda: pinned)
    return pinned


def _clean(reports: Path) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    with Registry(registry_path(reports)) as reg:
        for p, seed in (("P1", 0), ("P2", 1)):
            _unit(reports, reg, "qms", p, items=_items(seed=seed), n=1000, pass_rate=0.70,
                  theta_mean=0.0, started="2026-12-04T10:00:00Z",
                  finished="2026-12-04T10:01:00Z")  # fmt: skip


def test_clean_reports_have_no_alert(tmp_path):
    """Two stable periods (same items up to noise sd 0.03, same pass rate and θ
    distribution, runs of 60 s): no alert; the run rows carry the facts."""
    _clean(tmp_path)
    m = mon.monitor(tmp_path, now="2026-12-04T11:00:00Z")
    assert m.ok, m.alerts
    assert m.generated_at == "2026-12-04T11:00:00Z"
    assert m.runs["duration_s"].tolist() == [60.0, 60.0]
    assert list(m.runs["period"]) == ["P1", "P2"]
    assert m.runs["n_persons"].tolist() == [1000, 1000]
    assert m.runs["n_responses"].tolist() == [300 * 20, 300 * 20]
    assert m.runs["converged"].tolist() == [True, True]
    assert m.runs["em_iterations"].tolist() == [20, 20]


@pytest.fixture
def planted(tmp_path) -> Path:
    reports = tmp_path / "reports"
    reports.mkdir()
    row = {"grouping": "gender", "focal": "F", "form": "F1"}
    dif = [{**row, "item": "c05", "ets_class": "C"}, {**row, "item": "c06", "ets_class": "B"}]
    with Registry(registry_path(reports)) as reg:
        _unit(reports, reg, "qms", "P1", items=_items(), n=1000, pass_rate=0.70, theta_mean=0.0)
        _unit(reports, reg, "qms", "P2", items=_items({"c10": 1.0}), n=400, pass_rate=0.50,
              theta_mean=0.8, converged=False, excluded=("c09",), dif=dif)  # fmt: skip
        for k in range(2):
            reg.add_case(discipline="qms", period="P2", application=f"a{k}", candidate=f"c{k}",
                         kind="copying", evidence={})  # fmt: skip
    failed = reports / "_failed" / "run-x"
    failed.mkdir(parents=True)
    (failed / "run.json").write_text(
        json.dumps({"run_id": "run-x", "command": "publish", "discipline": "lab", "period": "P1",
                    "outcome": "failed", "error": "bad input", "started_at": "2026-12-04T11:00:00Z",
                    "finished_at": "2026-12-04T11:00:05Z"}),  # fmt: skip
        encoding="utf-8",
    )
    return reports


def test_every_planted_problem_alerts(planted):
    """Each planted problem gives its alert, on the right discipline and period."""
    m = mon.monitor(planted)
    got = {(a.kind, a.discipline, a.period) for a in m.alerts}
    assert got == {
        ("failure", "lab", "P1"),
        ("duration", "qms", "P1"),  # started 10:00, finished 10:45: 2700 s > 1800 s
        ("duration", "qms", "P2"),
        ("volume", "qms", "P2"),  # 400 vs 1000 persons: -60 % > 50 %
        ("convergence", "qms", "P2"),
        ("anchor_drift", "qms", "P2"),
        ("item_drift", "qms", "P2"),
        ("pass_rate", "qms", "P2"),
        ("score_drift", "qms", "P2"),
        ("dif", "qms", "P2"),
        ("integrity_cases", "qms", "P2"),
    }
    text = {a.kind: a.message for a in m.alerts}
    assert "c10" in text["item_drift"] and "1 of 20 common items" in text["item_drift"]
    assert "c09" in text["anchor_drift"]
    assert "c05" in text["dif"] and "c06" not in text["dif"]  # B is not alerted
    assert "70.0% in P1 -> 50.0%" in text["pass_rate"]
    assert "2 integrity case(s)" in text["integrity_cases"]
    assert "bad input" in text["failure"]
    failed = m.runs[m.runs["outcome"] == "failed"].iloc[0]
    assert failed["duration_s"] == 5.0
    assert m.runs.loc[m.runs["discipline"] == "qms", "duration_s"].tolist() == [2700.0, 2700.0]
    drift = m.tables["item_drift"]
    assert len(drift) == 20 and drift.loc[drift["alert"].astype(bool), "item"].tolist() == ["c10"]
    assert m.tables["pass_rate"]["change"].round(6).tolist() == [-0.2]


def test_config_thresholds_and_disabled_kinds(planted, tmp_path):
    """Raising thresholds or disabling kinds removes exactly those alerts; a YAML file is read."""
    cfg_file = tmp_path / "monitor.yml"
    cfg_file.write_text(
        "max_duration_s: 1.0e9\nvolume_change: 0.7\nmax_open_cases: 5\n"
        "pass_rate: {threshold: 0.25}\ndisabled: [score_drift, dif]\n",
        encoding="utf-8",
    )
    cfg = mon.load_config(cfg_file)
    assert cfg.pass_rate.threshold == 0.25 and cfg.pass_rate.alpha == 0.01  # default kept
    kinds = {a.kind for a in mon.monitor(planted, cfg).alerts}
    assert kinds == {"failure", "convergence", "anchor_drift", "item_drift"}


def test_config_errors_name_file_and_key(tmp_path):
    """Unknown keys, out-of-range values and unknown kinds are refused with the key path."""
    bad = tmp_path / "m.yml"
    bad.write_text("pass_rate: {threshold: 2}\nmax_duraton_s: 5\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"m\.yml: .*'pass_rate\.threshold'.*max_duraton_s"):
        mon.load_config(bad)
    with pytest.raises(SchemaError, match="unknown alert kind"):
        mon.load_config(disabled=["weather"])
    with pytest.raises(SchemaError, match="not found"):
        mon.load_config(tmp_path / "none.yml")
    with pytest.raises(PvcalError, match="no registry"):
        mon.monitor(tmp_path / "empty")


def test_pluggable_source(planted):
    """A source given in ``sources`` replaces the built-in one (e.g. another DIF reader)."""

    def dif_elsewhere(ctx, cfg):
        return [mon.Alert("dif", "qms", "P2", "from elsewhere")]

    m = mon.monitor(planted, sources={"dif": dif_elsewhere})
    assert [(a.kind, a.message) for a in m.alerts] == [("dif", "from elsewhere")]


def test_write_and_cli_check(planted, tmp_path, capsys):
    """monitoring.json has the documented keys; --check exits 1 with alerts, 0 without."""
    from pvcal.cli import main

    out = tmp_path / "mon"
    assert main(["monitor", "--reports", str(planted), "--out", str(out), "--check"]) == 1
    data = json.loads((out / "monitoring.json").read_text(encoding="utf-8"))
    assert set(data) >= {"runs", "alerts", "config"}
    need = {"discipline", "period", "started", "duration_s", "outcome", "n_responses",
            "em_iterations", "converged"}  # fmt: skip
    assert need <= set(data["runs"][0])
    assert {"kind", "discipline", "period", "message"} == set(data["alerts"][0])
    assert len(data["drift"]["item_drift"]) == 20
    page = (out / "monitoring.html").read_text(encoding="utf-8")
    assert "平台运行情况监测" in page  # the default language: zh-CN
    clean = tmp_path / "clean"
    _clean(clean)
    assert main(["monitor", "--reports", str(clean), "--out", str(out), "--check"]) == 0
    assert main(["monitor", "--reports", str(planted), "--out", str(out)]) == 0  # no --check
    assert "alert" in capsys.readouterr().out


def test_failed_run_message_is_the_pseudonymised_one(tmp_path):
    """Art. 15: a failed run's raw error (which may name an application) stays in
    _failed/<run>/run.json for the operators; the monitor shows the runner's pseudonymised
    text (the audit log's copy)."""
    with Registry(registry_path(tmp_path)):
        pass  # an empty registry: nothing published yet
    kept = tmp_path / "_failed" / "run-z"
    kept.mkdir(parents=True)
    (kept / "run.json").write_text(
        json.dumps({"run_id": "run-z", "command": "publish", "discipline": "qms", "period": "P1",
                    "outcome": "failed", "error": "person 'QMS25H1-0001': score 'x'",
                    "error_pseudonymised": "person 'A-0123456789ab': score 'x'",
                    "started_at": "2026-12-04T11:00:00Z",
                    "finished_at": "2026-12-04T11:00:05Z"}),  # fmt: skip
        encoding="utf-8",
    )
    m = mon.monitor(tmp_path)
    (message,) = m.runs.loc[m.runs["outcome"] == "failed", "message"].tolist()
    assert message == "person 'A-0123456789ab': score 'x'"
    assert "QMS25H1-0001" not in json.dumps(m.to_dict(), default=str)


def test_failed_runs_from_the_audit_log(tmp_path):
    """A failure recorded only in the registry's audit log (run_failed) is a run row and a
    failure alert; one recorded in both the log and _failed/ appears once."""
    _clean(tmp_path)
    detail = {"command": "publish", "discipline": "qms", "period": "P3", "error": "boom",
              "started_at": "2026-12-04T09:00:00Z",
              "failed_at": "2026-12-04T09:00:30Z"}  # fmt: skip
    with Registry(registry_path(tmp_path)) as reg:
        for run_id in ("run-a", "run-b"):
            reg.add_audit_event("run_failed", object_type="run", object_id=run_id,
                                actor="pvcal", detail=detail)  # fmt: skip
    kept = tmp_path / "_failed" / "run-b"
    kept.mkdir(parents=True)
    (kept / "run.json").write_text(json.dumps({"run_id": "run-b", **detail}), encoding="utf-8")
    m = mon.monitor(tmp_path)
    failed = m.runs[m.runs["outcome"] == "failed"].set_index("run_id")
    assert sorted(failed.index) == ["run-a", "run-b"]
    assert failed.loc["run-a", "duration_s"] == 30.0
    assert [(a.kind, a.period) for a in m.alerts] == [("failure", "P3"), ("failure", "P3")]


def test_volume_from_the_calibration_when_run_json_lacks_the_facts(planted):
    """A unit published before run facts were recorded: persons calibrated are read from
    its calibration.json (400 against 1000: still a volume alert)."""
    run = planted / "qms" / "P2" / "run.json"
    rec = json.loads(run.read_text(encoding="utf-8"))
    for k in ("n_persons", "n_results", "n_responses", "em_iterations", "converged"):
        rec.pop(k)
    run.write_text(json.dumps(rec), encoding="utf-8")
    vol = [a for a in mon.monitor(planted).alerts if a.kind == "volume"]
    assert len(vol) == 1 and "400 persons calibrated against 1000" in vol[0].message


def test_monitoring_page_language(planted, tmp_path):
    """DESIGN.md/issue 14: ``pvcal monitor --lang``; zh-CN by default in the regulation's
    words (Art. 20: 平台运行情况监测; DOMAIN.md glossary), English with ``--lang en``;
    <html lang>, the phone viewport and page.css; monitoring.json the same in both."""
    from pvcal.cli import main

    zh_dir, en_dir = tmp_path / "zh", tmp_path / "en"
    assert main(["monitor", "--reports", str(planted), "--out", str(zh_dir)]) == 0
    assert main(["monitor", "--reports", str(planted), "--out", str(en_dir), "--lang", "en"]) == 0
    zh = (zh_dir / "monitoring.html").read_text(encoding="utf-8")
    en = (en_dir / "monitoring.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    for page in (zh, en):
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
        assert "@media print" in page  # page.css
    assert "<h1>平台运行情况监测（第二十条）</h1>" in zh
    assert "<h1>Platform monitoring (Art. 20)</h1>" in en
    # the fixed part of an alert translated, its values kept (the planted 1000 -> 400 drop)
    assert "本期参与校准 400 人，上期 1000 人（-60%；阈值 ±50%）" in zh
    assert "400 persons calibrated against 1000 the period before" in en
    assert "Platform monitoring" not in zh and "persons calibrated against" not in zh
    assert "平台" not in en
    js = [json.loads((d / "monitoring.json").read_text(encoding="utf-8")) for d in (zh_dir, en_dir)]
    assert js[0]["alerts"] == js[1]["alerts"]  # language-neutral: English messages, same kinds
    assert "400 persons calibrated against 1000 the period before (-60%; threshold ±50%)" in [
        a["message"] for a in js[0]["alerts"]
    ]


def test_monitoring_page_follows_the_rules_locale(tmp_path):
    """Without --lang the page takes the ``locale`` recorded with the published indexes
    (as ``pvcal appeal`` does), else zh-CN; the alert text is msgid % params in English."""
    _clean(tmp_path)
    m = mon.monitor(tmp_path)
    assert m.locales == ()  # the hand-built records carry no locale: zh-CN
    _, page = mon.write_monitoring(m, tmp_path / "a")
    assert '<html lang="zh-CN">' in page.read_text(encoding="utf-8")
    for f in tmp_path.glob("qms/*/index.json"):  # the rules said locale: en
        doc = json.loads(f.read_text(encoding="utf-8"))
        doc["record"]["locale"] = "en"
        f.write_text(json.dumps(doc), encoding="utf-8")
    m_en = mon.monitor(tmp_path)
    assert m_en.locales == ("en", "en")
    _, page = mon.write_monitoring(m_en, tmp_path / "b")
    assert '<html lang="en">' in page.read_text(encoding="utf-8")
    mixed = mon.Monitoring(m.runs, m.alerts, m.config, m.generated_at, m.tables, ("en", "zh-CN"))
    _, page = mon.write_monitoring(mixed, tmp_path / "c")
    assert '<html lang="zh-CN">' in page.read_text(encoding="utf-8")
    a = mon._alert("convergence", "qms", "P2", "EM did not converge (%(cycles)s cycles)", cycles=7)
    assert a.message == "EM did not converge (7 cycles)" == a.text("en")
    assert a.text("zh-CN") == "EM 未收敛（7 次迭代）"
    assert a.to_dict() == {"kind": "convergence", "discipline": "qms", "period": "P2",
                           "message": "EM did not converge (7 cycles)"}  # fmt: skip


@pytest.mark.parametrize(("table", "drop"), [("cases", "case_events"), ("audit_log", "audit_log")])
def test_an_unreadable_registry_table_is_an_error_and_nothing_is_written(
    tmp_path, capsys, table, drop
):
    """DESIGN.md (errors are never swallowed): a registry table the monitor cannot read is a
    RegistryError naming the registry and the table, and ``pvcal monitor`` exits 2 without
    writing a report (before: the integrity cases or the audited failed runs were silently
    left out and the report said "no alerts")."""
    import sqlite3

    from pvcal._validation import RegistryError
    from pvcal.cli import main

    _clean(tmp_path)
    con = sqlite3.connect(registry_path(tmp_path))
    con.execute(f"DROP TABLE {drop}")
    con.commit()
    con.close()
    message = rf"registry\.sqlite: cannot read the registry table '{table}' \(OperationalError"
    with pytest.raises(RegistryError, match=message):
        mon.monitor(tmp_path)
    out = tmp_path / "mon"
    assert main(["monitor", "--reports", str(tmp_path), "--out", str(out)]) == 2
    assert f"'{table}'" in capsys.readouterr().err
    assert not out.exists()


def test_unreadable_json_is_named_in_a_warning_and_in_the_report(tmp_path, capsys):
    """A corrupt run record, results file, failed-run record or audit-log detail is named in a
    DataWarning and in the report's notes (monitoring.json and a "could not read" section on
    the page), the failed run still counts, and the report is not ok (before: each was
    skipped silently and the report came out clean)."""
    import sqlite3

    from pvcal._validation import DataWarning
    from pvcal.cli import main

    _clean(tmp_path)
    (tmp_path / "qms" / "P2" / "run.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "qms" / "P2" / "results.json").write_text('{"theta": 1}', encoding="utf-8")
    kept = tmp_path / "_failed" / "run-q"
    kept.mkdir(parents=True)
    (kept / "run.json").write_text("garbage", encoding="utf-8")
    con = sqlite3.connect(registry_path(tmp_path))
    con.execute(
        "INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) "
        "VALUES ('2026-12-04T09:00:00Z', 'pvcal', 'run_failed', 'run', 'run-r', '{bad')"
    )
    con.commit()
    con.close()
    with pytest.warns(DataWarning) as record:
        m = mon.monitor(tmp_path)
    named = ["qms/P2/run.json", "qms/P2/results.json", "_failed/run-q/run.json", "(run run-r)"]
    for what in named:
        assert any(what in str(w.message) for w in record), what
        assert sum(what in n for n in m.notes) == 1, (what, m.notes)
    assert all(n.startswith("could not read ") for n in m.notes) and len(m.notes) == 4
    assert not m.ok and m.to_dict()["notes"] == list(m.notes)
    failed = m.runs.loc[m.runs["outcome"] == "failed", "run_id"].tolist()
    assert sorted(failed) == ["run-q", "run-r"]  # both still counted as failed runs
    assert len(m.tables["score_drift"]) == 0  # P2's θ could not be read: no comparison
    out = tmp_path / "mon"
    with pytest.warns(DataWarning):
        assert main(["monitor", "--reports", str(tmp_path), "--out", str(out), "--check",
                     "--lang", "en"]) == 1  # fmt: skip
    printed = capsys.readouterr().out
    assert "could not read qms/P2/results.json" in printed and "4 could not be read" in printed
    page = (out / "monitoring.html").read_text(encoding="utf-8")
    assert "<h2>Could not read</h2>" in page and "4 file(s) or record(s) could not be read" in page
    assert "could not read _failed/run-q/run.json" in page
    data = json.loads((out / "monitoring.json").read_text(encoding="utf-8"))
    assert data["notes"] == list(m.notes)
    with pytest.warns(DataWarning):
        main(["monitor", "--reports", str(tmp_path), "--out", str(out)])
    assert "<h2>无法读取</h2>" in (out / "monitoring.html").read_text(encoding="utf-8")


def test_run_facts_name_an_unreadable_file_and_the_monitor_shows_it(tmp_path):
    """run_facts no longer passes over a calibration.json it cannot read: ``unreadable``
    names it, and the monitor lists it as not read when the run ended."""
    from pvcal._validation import DataWarning

    _clean(tmp_path)
    unit = tmp_path / "qms" / "P2"
    (unit / "calibration.json").write_text('{"n_persons": "many"}', encoding="utf-8")
    facts = run_facts(unit)
    assert set(facts["unreadable"]) == {"calibration.json"} and "n_persons" not in facts
    rec = json.loads((unit / "run.json").read_text(encoding="utf-8"))
    (unit / "run.json").write_text(json.dumps({**rec, **facts}), encoding="utf-8")
    with pytest.warns(DataWarning, match="qms/P2/calibration.json"):
        m = mon.monitor(tmp_path)
    assert any("qms/P2/calibration.json" in n and "when the run ended" in n for n in m.notes)


def test_write_monitoring_writes_both_files_or_neither(planted, tmp_path, monkeypatch):
    """A page that fails to render leaves no monitoring.json either (and an earlier pair
    untouched): nothing half-written."""
    m = mon.monitor(planted)
    out = tmp_path / "mon"
    js, page = mon.write_monitoring(m, out)
    before = js.read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(mon, "_html", broken)
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError, match="template error"):
        mon.write_monitoring(m, fresh)
    assert not fresh.exists() or not any(fresh.iterdir())
    with pytest.raises(RuntimeError):
        mon.write_monitoring(m, out)
    assert js.read_text(encoding="utf-8") == before and page.is_file()
    assert sorted(p.name for p in out.iterdir()) == ["monitoring.html", "monitoring.json"]


def test_a_failed_move_leaves_the_earlier_pair_and_no_temporary(planted, tmp_path, monkeypatch):
    """Review of f29105b: the two files were replaced one after the other, so a move that
    failed on the second (a full disk, a locked page) left a new monitoring.json beside the
    old page, and a .tmp file. Now both temporaries are written first, a failed move puts
    the earlier json back, and no temporary stays; in a fresh folder neither file appears."""
    out = tmp_path / "mon"
    js, page = mon.write_monitoring(mon.monitor(planted), out)
    before = {p.name: p.read_bytes() for p in (js, page)}
    later = mon.monitor(planted, now="2031-01-01T00:00:00Z")  # another generated_at
    real = os.replace

    def full_disk(src, dst):
        if Path(dst).name == "monitoring.html":
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(mon.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        mon.write_monitoring(later, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError, match="No space left"):
        mon.write_monitoring(later, fresh)
    assert list(fresh.iterdir()) == []
    monkeypatch.setattr(mon.os, "replace", real)
    mon.write_monitoring(later, out)
    assert json.loads(js.read_text(encoding="utf-8"))["generated_at"] == "2031-01-01T00:00:00Z"
    assert sorted(p.name for p in out.iterdir()) == ["monitoring.html", "monitoring.json"]


def test_the_report_time_is_given_or_the_pinned_clock(planted, wall_clock):
    """``now`` stamps the report (any time zone, written in UTC); without it the (pinned)
    clock; a time without a zone or not a time is refused. The alerts do not change
    with ``now``: durations come from the recorded start and end times."""
    m = mon.monitor(planted, now="2026-12-05T09:30:00+08:00")
    assert m.generated_at == "2026-12-05T01:30:00Z" == m.to_dict()["generated_at"]
    assert mon.monitor(planted).generated_at == wall_clock
    later = mon.monitor(planted, now=pd.Timestamp("2031-01-01", tz="UTC"))
    assert later.alerts == m.alerts
    for bad in ("2026-12-05T09:30:00", "yesterday", 5):
        with pytest.raises(PvcalError, match="expected an ISO 8601 date-time with a time zone"):
            mon.monitor(planted, now=bad)
