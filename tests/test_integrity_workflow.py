"""The integrity step of a publication and the certificates/cases opened at publication.

lab-assessor (96 assessors, 18 items, one period) runs the real calibrate step, then
:func:`pvcal.workflow.integrity.integrity_step`; the published files are checked for
raw identifiers (Art. 15), and :func:`pvcal.publish.certify.register_integrity` is run in
the publishing transaction: one certificate per passing result (validity from the
rules' ``certificates.validity_months``), one case per record of ``cases.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pvcal import certificates as certs
from pvcal.integrity import Screening
from pvcal.publish.certify import register_integrity
from pvcal.registry import RESULT_COLUMNS, Registry
from pvcal.report.pseudonym import load_key, pseudonymise
from pvcal.workflow.integrity import CASES_FILE, INTEGRITY_FILE, integrity_step

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "data" / "sample" / "lab-assessor"


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    from pvcal.workflow import calibrate_step

    out = tmp_path_factory.mktemp("unit")
    calibrate_step(LAB, "2025H2", out_dir=out, item_fit=False)
    step = integrity_step(out, n_sim=30)
    return out, step


def test_integrity_step_writes_pseudonymised_files(unit):
    """integrity.json reloads as a Screening; neither file holds a raw application or
    candidate id of the register; every pair stays within a sitting."""
    out, step = unit
    text = (out / INTEGRITY_FILE).read_text(encoding="utf-8")
    cases_text = (out / CASES_FILE).read_text(encoding="utf-8")
    screening = Screening.from_json(text)
    assert screening == step.screening
    assert len(screening.candidates) > 50
    register = pd.read_csv(LAB / "candidates.csv")
    for raw in list(register["application_id"]) + list(register["candidate_id"]):
        assert raw not in text and raw not in cases_text
    key = load_key()
    assert pseudonymise(register["application_id"].iloc[0], "application", key) in text
    assert (screening.pairs.groupby("copier")["session"].nunique() == 1).all()
    assert isinstance(json.loads(cases_text), list)


def test_register_integrity_issues_certificates_and_opens_cases(unit, tmp_path):
    """In the publishing transaction: certificates for Pass/Good/Excellent only, validity
    36 months from rules.yml (2025-07-01 -> 2028-06-30); cases.json records become cases."""
    out, step = unit
    cases = [
        {
            "application": "A-0000000000000001",
            "candidate": "C-0000000000000001",
            "kind": "copying",
            "evidence": {"pairs": []},
        }
    ]
    (out / CASES_FILE).write_text(json.dumps(cases), encoding="utf-8")
    grades = ["Pass", "Fail", "Good", "Excellent"]
    rows = [
        dict.fromkeys(RESULT_COLUMNS)
        | {"application": f"A-{i:016d}", "candidate": f"C-{i:016d}", "grade": g, "detail": {}}
        for i, g in enumerate(grades, start=1)
    ]
    with Registry(tmp_path / "registry.sqlite") as reg:
        with reg.transaction():
            reg.add_run(run_id="r1", command="publish", input_hash="h", code_version="t",
                        parameters={}, inputs={}, outcome="published",
                        started_at="2025-07-01T00:00:00Z")  # fmt: skip
            idx = reg.add_index(
                discipline="lab-assessor", period="2025H2", run_id="r1", input_hash="h", record={}
            )
            reg.add_results(pd.DataFrame(rows), discipline="lab-assessor", period="2025H2",
                            index_id=idx, run_id="r1")  # fmt: skip
            msg = register_integrity(
                reg,
                out,
                discipline="lab-assessor",
                period="2025H2",
                run_id="r1",
                folder=LAB,
                key=b"k",
                issued_on="2025-07-01",
            )
        assert msg == "3 certificate(s) issued, 1 integrity case(s) opened"
        listed = certs.listing(reg, "lab-assessor", today="2025-08-01")
        assert sorted(listed["grade"]) == ["Excellent", "Good", "Pass"]
        assert set(listed["valid_until"]) == {"2028-06-30"}
        assert reg.cases()["kind"].tolist() == ["copying"]
