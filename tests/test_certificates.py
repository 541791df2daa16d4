"""Certificates, integrity cases, the audit log and their CLI (issue 11; Art. 14, 15, 22).

Checks: certificates only for passing results, validity from the rules' months,
verification code = HMAC of the record (a changed field or key no longer verifies),
append-only records enforced by the database (UPDATE/DELETE refused), revocation
refused without a reason and shown in ``verify`` and the public notice, the case
life cycle open -> under review -> cleared/confirmed with every step in the audit log,
and confidentiality: no raw id, name or key in any case page, list or notice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3

import numpy as np
import pandas as pd
import pytest

from pvcal import certificates as certs
from pvcal._validation import RegistryError
from pvcal.cases import open_cases
from pvcal.integrity import screen
from pvcal.irt.simulate import simulate
from pvcal.registry import RESULT_COLUMNS, Registry, registry_path
from pvcal.report.pseudonym import pseudonymise

PSEUDO_KEY = b"test-pseudonym-key-0123456789"
CERT_KEY = b"test-certificate-key-9876543210"
GRADES = ["Pass", "Fail", "Good", "Excellent", "Fail", "Pass"]


def _raw_ids(n: int) -> tuple[list[str], list[str]]:
    return [f"QMS25H1-{i:04d}" for i in range(1, n + 1)], [f"CQMS{i:05d}" for i in range(1, n + 1)]


def _publish(reg: Registry, apps: list[str], cands: list[str], grades: list[str]) -> None:
    rows = []
    for app, cand, grade in zip(apps, cands, grades):
        rows.append(
            {
                "application": pseudonymise(app, "application", PSEUDO_KEY),
                "candidate": pseudonymise(cand, "candidate", PSEUDO_KEY),
                "form": "A",
                "region": "East",
                "employer": "E1",
                "n_items": 20,
                "n_answered": 20,
                "raw_score": 10.0,
                "max_score": 20.0,
                "theta": 0.0,
                "se": 0.3,
                "standard_score": 60.0,
                "grade": grade,
                "detail": {},
            }
        )
    with reg.transaction():
        reg.add_run(
            run_id="r1",
            command="publish",
            input_hash="h",
            code_version="test",
            parameters={},
            inputs={},
            outcome="published",
            started_at="2025-07-01T00:00:00Z",
            discipline="qms-auditor",
            period="2025H1",
        )
        index_id = reg.add_index(
            discipline="qms-auditor", period="2025H1", run_id="r1", input_hash="h", record={}
        )
        reg.add_results(
            pd.DataFrame(rows, columns=list(RESULT_COLUMNS)),
            discipline="qms-auditor",
            period="2025H1",
            index_id=index_id,
            run_id="r1",
        )


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


@pytest.fixture
def reg(reports):
    with Registry(registry_path(reports)) as r:
        apps, cands = _raw_ids(len(GRADES))
        _publish(r, apps, cands, GRADES)
        yield r


def _issue(reg: Registry, day="2025-07-01", months=36) -> pd.DataFrame:
    return certs.issue(
        reg,
        discipline="qms-auditor",
        period="2025H1",
        run_id="r1",
        validity_months=months,
        key=CERT_KEY,
        issued_on=day,
    )


# --------------------------------------------------------------------------- issuing


def test_certificates_for_passing_results_only_with_rules_validity(reg):
    """4 of 6 results pass (Pass, Good, Excellent, Pass): 4 certificates, none for Fail.
    36 months from 2025-07-01: valid until 2028-06-30. Issuing again adds nothing."""
    issued = _issue(reg)
    assert len(issued) == 4
    assert sorted(issued["grade"]) == ["Excellent", "Good", "Pass", "Pass"]
    assert set(issued["valid_until"]) == {"2028-06-30"}
    assert issued["number"].tolist() == [f"qms-auditor-2025H1-{i:05d}" for i in range(1, 5)]
    failing = reg.results()
    failing = set(failing.loc[failing["grade"] == "Fail", "application"])
    assert not failing & set(issued["application"])
    assert _issue(reg).empty  # nothing left to issue
    assert certs.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_verification_code_is_hmac_of_the_record(reg):
    """The code is the first 16 hex digits of HMAC-SHA256(key, "pvcal-certificate-v1|number|
    discipline|period|grade|issued_on|valid_until|candidate"), grouped by 4."""
    row = _issue(reg).iloc[0]
    msg = "|".join(
        ["pvcal-certificate-v1"]
        + [
            str(row[f])
            for f in (
                "number",
                "discipline",
                "period",
                "grade",
                "issued_on",
                "valid_until",
                "candidate",
            )
        ]
    )
    digest = hmac.new(CERT_KEY, msg.encode(), hashlib.sha256).hexdigest()[:16].upper()
    assert row["verification_code"] == "-".join(digest[i : i + 4] for i in range(0, 16, 4))
    changed = dict(row) | {"grade": "Excellent" if row["grade"] != "Excellent" else "Pass"}
    assert certs.verification_code(changed, CERT_KEY) != row["verification_code"]
    assert certs.verification_code(dict(row), b"another key") != row["verification_code"]


def test_verify_valid_wrong_unknown_expired_revoked(reg):
    """Certificate verification by hand: a valid code (any case or dashes), a wrong code, an
    unknown number, an altered record (other key), expiry after the rules' validity (36
    months) and revocation each give their status."""
    row = _issue(reg).iloc[0]
    number, code = row["number"], row["verification_code"]
    v = certs.verify(reg, number, code.lower().replace("-", ""), key=CERT_KEY, today="2026-01-01")
    assert v.ok and v.status == "valid"
    assert certs.verify(reg, number, "0000-0000", key=CERT_KEY).status == "wrong_code"
    assert certs.verify(reg, "nope-1", code, key=CERT_KEY).status == "unknown"
    assert certs.verify(reg, number, code, key=b"other", today="2026-01-01").status == "altered"
    assert certs.verify(reg, number, code, key=CERT_KEY, today="2028-07-01").status == "expired"
    certs.revoke(reg, number, reason="clerical error in the grade", actor="admin")
    v = certs.verify(reg, number, code, key=CERT_KEY, today="2026-01-01")
    assert v.status == "revoked" and not v.ok and "other" in v.message


def test_certificate_records_are_append_only(reg):
    """The database itself refuses UPDATE and DELETE on certificate records, cases,
    their events and the audit log (SQLite triggers, schema version 3)."""
    issued = _issue(reg)
    reg.add_case(
        discipline="qms-auditor",
        period="2025H1",
        application=issued["application"].iloc[0],
        candidate=issued["candidate"].iloc[0],
        kind="copying",
        evidence={},
    )
    con = reg._con
    for sql in (
        "UPDATE certificates SET grade = 'Excellent'",
        "DELETE FROM certificates",
        "UPDATE certificate_events SET status = 'issued'",
        "DELETE FROM certificate_events",
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "UPDATE cases SET kind = 'aberrant'",
        "DELETE FROM cases",
        "UPDATE case_events SET reason = 'x'",
        "DELETE FROM case_events",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)


def test_revocation_needs_a_reason_and_a_confirmed_case(reg):
    """Revocation needs a reason (also a database constraint); revoking on a case needs it
    confirmed and for the same application, only once; the public notice shows the fraud
    category and the chosen fields."""
    issued = _issue(reg)
    number = issued["number"].iloc[0]
    with pytest.raises(RegistryError, match="reason"):
        certs.revoke(reg, number, reason="  ", actor="admin")
    with pytest.raises(sqlite3.IntegrityError):  # the constraint holds without pvcal too
        reg._con.execute(
            "INSERT INTO certificate_events (certificate_id, at, status, actor, reason,"
            " reason_category) VALUES (1, 'now', 'revoked', 'x', '', 'fraud')"
        )
    case_id = reg.add_case(
        discipline="qms-auditor",
        period="2025H1",
        application=issued["application"].iloc[0],
        candidate=issued["candidate"].iloc[0],
        kind="copying",
        evidence={"W": 5.0},
    )
    with pytest.raises(RegistryError, match="confirmed"):
        certs.revoke(reg, number, reason="copying", actor="admin", case_id=case_id)
    reg.decide_case(case_id, "under_review", reviewer="R. Li", reason="assigned")
    reg.decide_case(case_id, "confirmed", reviewer="R. Li", reason="hearing held")
    other = issued["number"].iloc[1]
    with pytest.raises(RegistryError, match="another application"):
        certs.revoke(reg, other, reason="copying", actor="admin", case_id=case_id)
    certs.revoke(reg, number, reason="copying confirmed", actor="admin", case_id=case_id)
    with pytest.raises(RegistryError, match="already revoked"):
        certs.revoke(reg, number, reason="again", actor="admin")
    notice = certs.revocation_notice(reg)
    assert notice.to_dict("records")[0]["reason_category"] == "fraud"
    assert list(notice.columns) == list(certs.NOTICE_FIELDS)
    assert list(certs.revocation_notice(reg, ["number", "date"]).columns) == ["number", "date"]


def test_case_life_cycle_and_audit_log(reg):
    """open -> under_review -> cleared; skipping a step or changing a final decision is
    refused; every opening, decision, issue and revocation is in the audit log."""
    app = reg.results()["application"].iloc[0]
    cand = reg.results()["candidate"].iloc[0]
    cid = reg.add_case(
        discipline="qms-auditor",
        period="2025H1",
        application=app,
        candidate=cand,
        kind="aberrant",
        evidence={},
    )
    assert (
        reg.add_case(
            discipline="qms-auditor",
            period="2025H1",
            application=app,
            candidate=cand,
            kind="aberrant",
            evidence={},
        )
        is None
    )  # one case per application and period
    with pytest.raises(RegistryError, match="under_review"):
        reg.decide_case(cid, "cleared", reviewer="R. Li", reason="fine")
    with pytest.raises(RegistryError, match="reason"):
        reg.decide_case(cid, "under_review", reviewer="R. Li", reason="")
    reg.decide_case(cid, "under_review", reviewer="R. Li", reason="assigned")
    reg.decide_case(cid, "cleared", reviewer="R. Li", reason="answers explained by training")
    with pytest.raises(RegistryError, match="final"):
        reg.decide_case(cid, "confirmed", reviewer="X", reason="changed mind")
    case = reg.case(cid)
    assert case["status"] == "cleared"
    assert case["events"]["status"].tolist() == ["open", "under_review", "cleared"]
    assert reg.cases(status="cleared")["case_id"].tolist() == [cid]
    issued = _issue(reg)
    certs.revoke(reg, issued["number"].iloc[0], reason="error", actor="admin", category="error")
    log = reg.audit_log()
    assert log["action"].value_counts().to_dict() == {
        "certificate_issued": 4,
        "case_decision": 2,
        "case_opened": 1,
        "certificate_revoked": 1,
    }


# --------------------------------------------------------------------------- cases + CLI


def _screened(reg: Registry):
    """A small screen on simulated data where person 0 copies 80 % of person 1."""
    apps, cands = _raw_ids(len(GRADES))
    rng = np.random.default_rng(3)
    bank = pd.DataFrame(
        {"a": rng.uniform(0.8, 2, 30), "b": rng.normal(0, 1, 30)},
        index=[f"Q{j:02d}" for j in range(30)],
    )
    theta = np.array([-1.5, 1.5, 0.0, 0.3, -0.2, 0.1])
    x, _ = simulate(bank, theta=theta, seed=4)
    x.iloc[0, :24] = x.iloc[1, :24].to_numpy()
    x.index = apps
    people = pd.DataFrame({"site": "S1", "session": "am", "candidate_id": cands}, index=apps)
    # the true θ keeps the example deterministic (the copier's EAP would be pulled up)
    true_theta = pd.Series(theta, index=apps)
    res = screen(bank, x, people, theta=true_theta, alpha=0.05, n_sim=30, seed=1)
    ids = open_cases(
        reg,
        res,
        discipline="qms-auditor",
        period="2025H1",
        candidates=people["candidate_id"],
        responses=x,
        key=PSEUDO_KEY,
        run_id="r1",
    )
    return res, ids, apps, cands


def test_cases_opened_from_screening_carry_pseudonymised_evidence(reg):
    """Cases opened from an integrity screening of planted copying carry pseudonymised evidence
    (partner, pairs with W > 3, 30 items), and opening them again adds nothing."""
    res, ids, apps, cands = _screened(reg)
    assert res.candidates.loc[apps[0], "flag_copying"]
    assert len(ids) == int(res.candidates["review"].sum()) >= 1
    copier = reg.cases()
    copier = copier[copier["application"] == pseudonymise(apps[0], "application", PSEUDO_KEY)]
    case = reg.case(int(copier["case_id"].iloc[0]))
    assert case["kind"].startswith("copying")
    assert case["evidence"]["strongest_partner"] == pseudonymise(apps[1], "application", PSEUDO_KEY)
    assert case["evidence"]["pairs"][0]["W"] > 3
    assert len(case["evidence"]["items"]) == 30
    # opening again adds nothing
    assert open_cases(reg, res, discipline="qms-auditor", period="2025H1",
                      candidates=pd.Series(cands, index=apps), key=PSEUDO_KEY) == []  # fmt: skip


def test_certificate_key_sources(tmp_path, monkeypatch):
    """The certificate key is read like the pseudonym key (pvcal.pseudonym.read_secret): the
    environment first, then the named key file, else the public sample key; a missing or empty
    file, or one inside the repository, is refused (Art. 15: keys stay out of the code)."""
    from pathlib import Path

    from pvcal._validation import PvcalError

    assert certs.load_certificate_key({"PVCAL_CERTIFICATE_KEY": "s3cret"}).key == b"s3cret"
    keyfile = tmp_path / "cert.key"
    keyfile.write_bytes(b"  from-file\n")
    k = certs.load_certificate_key({"PVCAL_CERTIFICATE_KEY_FILE": str(keyfile)})
    assert (k.key, k.source) == (b"from-file", f"file:{keyfile}")
    assert "from-file" not in repr(k)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/pvcal/certificate.key
    default = certs.load_certificate_key({})
    assert (default.key, default.source) == (certs.SAMPLE_CERTIFICATE_KEY, "sample-default")
    (tmp_path / "empty.key").write_bytes(b"\n")
    with pytest.raises(PvcalError, match="certificate key file .* is empty"):
        certs.load_certificate_key({"PVCAL_CERTIFICATE_KEY_FILE": str(tmp_path / "empty.key")})
    with pytest.raises(PvcalError, match="not found"):
        certs.load_certificate_key({"PVCAL_CERTIFICATE_KEY_FILE": str(tmp_path / "no.key")})
    readme = Path(certs.__file__).resolve().parents[2] / "README.md"  # the tests run in a checkout
    with pytest.raises(PvcalError, match="inside the repository"):
        certs.load_certificate_key({"PVCAL_CERTIFICATE_KEY_FILE": str(readme)})
