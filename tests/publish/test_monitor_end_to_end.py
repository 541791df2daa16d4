"""End to end through the publishing notebooks (issue 12, items 4 and 5).

After publishing the sample data (the session's ``published`` fixture): every
index record carries ``pass_line`` (the θ cut equal to the record's pass cut, and a
raw pass mark per form equal to that form's test characteristic curve at the cut,
recomputed here from the published base-scale calibration); the discipline report
says what 60 means; the industry report labels the lab assessors' two pass rates;
each run.json carries the run facts; ``pvcal monitor`` reads it all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pvcal.equating.irt import tcc
from pvcal.irt import Calibration
from pvcal.publish.monitor import monitor, write_monitoring
from pvcal.report.i18n import gettext

pytestmark = pytest.mark.notebook
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _units(reports):
    return sorted(p.parent for p in reports.glob("*/*/index.json"))


def test_index_records_carry_the_pass_line(published):
    """θ cut = record cut; each form's mark = τ_f(θ_cut) from calibration.json; the report
    and the record's method text say what 60 means."""
    reports, _ = published
    units = _units(reports)
    assert units
    for unit in units:
        rec = json.loads((unit / "index.json").read_text(encoding="utf-8"))["record"]
        pl = rec["pass_line"]
        assert pl["theta"]["value"] == pytest.approx(rec["cuts"]["Pass"], abs=1e-12)
        assert pl["theta"]["se"] == pytest.approx(rec["uncertainty"]["cuts_se"]["Pass"])
        items = Calibration.from_json((unit / "calibration.json").read_text()).items
        bank_forms = {r["form"] for r in json.loads((unit / "results.json").read_text())}
        assert set(pl["forms"]) == bank_forms
        bank = pd.read_csv(SAMPLE / unit.parent.name / "items.csv", index_col="item_id")
        for form, f in pl["forms"].items():
            lo, hi = f["ci"]
            assert lo < f["raw_pass_mark"] < hi and 0 < f["raw_pass_mark"] < f["max_score"]
            assert f["se"] > 0
            on_form = [i for i in items.index if form in str(bank.loc[i, "forms"]).split(";")]
            assert f["n_items"] == len(on_form)
            mark = float(tcc(items.loc[on_form], [pl["theta"]["value"]])[0])
            assert f["raw_pass_mark"] == pytest.approx(mark, rel=1e-10)
        # the sample rules' locale is zh-CN: "reads 60 in every period by construction"
        assert "按构造" in pl["meaning"] and pl["meaning"] in rec["method_text"]
        page = (unit / "report.html").read_text(encoding="utf-8")  # the rules' locale: zh-CN
        assert gettext("What the pass line means", "zh-CN") in page
    html = (reports / "industry" / "industry_report.html").read_text(encoding="utf-8")
    labels = [gettext(t, "zh-CN") for t in ("exam only", "final, after peer comparison")]
    assert all(label in html for label in labels)  # the industry report is in zh-CN


def test_run_facts_and_monitor(published, tmp_path):
    """Each unit's run.json has the EM facts and data volume; the monitor lists every run
    with them and writes both files."""
    reports, outcomes = published
    for unit in _units(reports):
        run = json.loads((unit / "run.json").read_text(encoding="utf-8"))
        assert run["converged"] is True and run["em_iterations"] >= 1
        assert run["n_responses"] > run["n_results"] > 0
    m = monitor(reports)
    pub = m.runs[m.runs["command"] == "publish"]
    assert len(pub) == len(_units(reports))
    assert pub["n_responses"].notna().all() and pub["converged"].astype(bool).all()
    assert not any(a.kind in ("failure", "convergence") for a in m.alerts)
    js, page = write_monitoring(m, tmp_path)
    assert json.loads(js.read_text())["runs"] and page.is_file()
