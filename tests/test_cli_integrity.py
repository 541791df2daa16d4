"""The ``pvcal certificate`` and ``pvcal cases`` commands (issue 11) and confidentiality:
no raw candidate id, name or HMAC key in any reviewer page, case page or public list."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from test_certificates import (
    CERT_KEY,
    GRADES,
    PSEUDO_KEY,
    _issue,
    _publish,
    _raw_ids,
    _screened,
)

from pvcal import certificates as certs
from pvcal.cli import main
from pvcal.registry import Registry, registry_path
from pvcal.report.case import render_case_list, render_case_page, write_case_pages

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


@pytest.fixture
def reg(reports):
    with Registry(registry_path(reports)) as r:
        apps, cands = _raw_ids(len(GRADES))
        _publish(r, apps, cands, GRADES)
        yield r


def test_confidentiality_no_raw_id_or_key_in_pages_lists_or_notice(reg, reports, capsys):
    """Raw application and candidate ids never appear in a case page, the case list,
    the certificate list or the public notice; neither HMAC key appears anywhere."""
    _, ids, apps, cands = _screened(reg)
    issued = _issue(reg)
    certs.revoke(reg, issued["number"].iloc[0], reason=f"copying by {cands[0]}", actor="a")
    pages = [render_case_page(reg.case(i), lang="en") for i in ids]
    pages += [render_case_page(reg.case(i), lang="zh-CN") for i in ids]
    pages.append(render_case_list(reg.cases(), lang="en"))
    pages += [p.read_text(encoding="utf-8") for p in write_case_pages(reg, reports / "cases")]
    out = []
    for argv in (
        ["certificate", "list", "--discipline", "qms-auditor", "--format", "json"],
        ["certificate", "list", "--discipline", "qms-auditor", "--format", "csv"],
        ["certificate", "revoked", "--format", "json"],
        ["certificate", "revoked", "--format", "csv"],
        ["certificate", "revoked", "--format", "html", "--lang", "en"],
        ["cases", "list", "--format", "json"],
        ["cases", "show", str(ids[0])],
    ):
        assert main([*argv, "--reports", str(reports)]) == 0
        out.append(capsys.readouterr().out)
    out += [p.read_text(encoding="utf-8") for p in (reports / "cases").glob("*.html")]
    text = "\n".join(pages + out)
    for raw in apps + cands:
        assert raw not in text
    for key in (PSEUDO_KEY, CERT_KEY, certs.SAMPLE_CERTIFICATE_KEY):
        assert key.decode() not in text
    assert "copying by" not in "\n".join(out[2:5])  # free-text reasons are not published


def test_cli_certificate_commands(reg, reports, capsys, monkeypatch):
    """list (json: number, verification_code, grade, status), verify exit codes, revoke
    refused without a reason, the revocation then shows in verify and the notice."""
    monkeypatch.setenv("PVCAL_CERTIFICATE_KEY", CERT_KEY.decode())
    issued = _issue(reg, day=dt.date.today().isoformat())
    r = ["--reports", str(reports)]
    assert main(["certificate", "list", "--discipline", "qms-auditor", "--format", "json", *r]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"number", "verification_code", "grade", "status"} <= set(listed[0])
    assert [c["status"] for c in listed] == ["valid"] * 4
    number, code = issued["number"].iloc[0], issued["verification_code"].iloc[0]
    assert main(["certificate", "verify", number, code, *r]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["certificate", "verify", number, "AAAA-BBBB", *r]) == 6
    assert "wrong" in capsys.readouterr().err
    assert main(["certificate", "verify", "no-such-1", code, *r]) == 5
    assert "unknown" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: --reason is required
        main(["certificate", "revoke", number, *r])
    capsys.readouterr()
    assert main(["certificate", "revoke", number, "--reason", " ", *r]) == 2
    assert "reason" in capsys.readouterr().err
    assert main(["certificate", "revoke", number, "--reason", "fraud proven", "--by", "a", *r]) == 0
    capsys.readouterr()
    assert main(["certificate", "verify", number, code, *r]) == 3
    assert "revoked" in capsys.readouterr().err
    assert main(["certificate", "revoked", "--format", "json", *r]) == 0
    notice = json.loads(capsys.readouterr().out)
    assert [n["number"] for n in notice] == [number]
    assert set(notice[0]) == set(certs.NOTICE_FIELDS)


def test_cli_cases_decide_and_show(reg, reports, capsys):
    """`pvcal cases decide` refuses skipping a step (open -> cleared), accepts under_review, and
    `cases list/show` give the case with its reviewer and reason."""
    _, ids, _, _ = _screened(reg)
    r = ["--reports", str(reports)]
    assert main(["cases", "decide", str(ids[0]), "--status", "cleared", "--reviewer", "R",
                 "--reason", "x", *r]) == 2  # fmt: skip
    assert "under_review" in capsys.readouterr().err
    assert main(["cases", "decide", str(ids[0]), "--status", "under_review", "--reviewer",
                 "R. Li", "--reason", "assigned", *r]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["cases", "list", "--status", "under_review", "--format", "json", *r]) == 0
    assert [c["case_id"] for c in json.loads(capsys.readouterr().out)] == [ids[0]]
    assert main(["cases", "show", str(ids[0]), "--lang", "en", *r]) == 0
    shown = json.loads(capsys.readouterr().out)
    page = (reports / "cases" / f"case-{ids[0]}.html").read_text(encoding="utf-8")
    assert shown["status"] == "under_review" and "R. Li" in page and "assigned" in page



def test_case_pages_and_notice_in_both_languages(reg, reports, tmp_path, capsys):
    """DESIGN.md/issue 14: `cases show` and `certificate revoked --format html` write
    zh-CN by default in the regulation's words (DOMAIN.md glossary, Art. 14: 证书撤销通报,
    弄虚作假), English with --lang en; <html lang>; kind, status and reason category shown by
    name, the registry keeping the ids."""
    _, ids, _, _ = _screened(reg)
    issued = _issue(reg)
    certs.revoke(reg, issued["number"].iloc[0], reason="x", actor="a", category="fraud")
    r = ["--reports", str(reports)]
    pages = {}
    for lang in ("zh-CN", "en"):
        out = tmp_path / lang / "case.html"
        extra = ["--lang", "en"] if lang == "en" else []  # zh-CN is the default
        assert main(["cases", "show", str(ids[0]), "--out", str(out), *extra, *r]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "open"  # the id, not a label
        pages[lang] = out.read_text(encoding="utf-8"), (out.parent / "index.html").read_text(
            encoding="utf-8"
        )
        argv = ["certificate", "revoked", "--format", "html", "--data", str(tmp_path), *extra]
        assert main([*argv, *r]) == 0
        pages[lang] += (capsys.readouterr().out,)
    case_zh, list_zh, notice_zh = pages["zh-CN"]
    case_en, list_en, notice_en = pages["en"]
    assert all('<html lang="zh-CN">' in p for p in pages["zh-CN"])
    assert all('<html lang="en">' in p for p in pages["en"])
    assert f"<h1>诚信审查案件 {ids[0]}</h1>" in case_zh and "待审查" in case_zh
    assert "疑似抄袭" in case_zh and "Integrity case" not in case_zh
    assert f"<h1>Integrity case {ids[0]}</h1>" in case_en and "suspected copying" in case_en
    assert "<h1>诚信审查案件</h1>" in list_zh and "<h1>Integrity cases</h1>" in list_en
    assert "<h1>证书撤销通报</h1>" in notice_zh and "证书编号" in notice_zh
    assert "<td>弄虚作假</td>" in notice_zh and "fraud" not in notice_zh
    assert "<h1>Certificate revocation notice</h1>" in notice_en and "<td>fraud</td>" in notice_en
    assert "Certificate number" in notice_en and "诚信" not in case_en + list_en + notice_en


def test_case_page_and_notice_default_to_the_rules_locale(reg, reports, tmp_path, capsys):
    """Without --lang, `cases show` takes the locale recorded with the case's index and
    the notice the locale of the disciplines' rules.yml (as `pvcal appeal`/`publish`)."""
    _, ids, _, _ = _screened(reg)
    r = ["--reports", str(reports)]
    reg.add_index(discipline="qms-auditor", period="2025H1", run_id="r1", input_hash="h2",
                  record={"locale": "en"})  # fmt: skip
    out = tmp_path / "case.html"
    assert main(["cases", "show", str(ids[0]), "--out", str(out), *r]) == 0
    assert '<html lang="en">' in out.read_text(encoding="utf-8")
    assert main(["cases", "show", str(ids[0]), "--out", str(out), "--lang", "zh-CN", *r]) == 0
    assert '<html lang="zh-CN">' in out.read_text(encoding="utf-8")
    capsys.readouterr()
    data = tmp_path / "data"
    (data / "qms-auditor").mkdir(parents=True)
    rules = (ROOT / "data" / "sample" / "qms-auditor" / "rules.yml").read_text(encoding="utf-8")
    (data / "qms-auditor" / "rules.yml").write_text(rules + "\nlocale: en\n", encoding="utf-8")
    _issue(reg)
    argv = ["certificate", "revoked", "--format", "html", "--data"]
    assert main([*argv, str(data), *r]) == 0
    assert '<html lang="en">' in capsys.readouterr().out
    assert main([*argv, str(tmp_path / "none"), *r]) == 0  # no rules: zh-CN
    assert '<html lang="zh-CN">' in capsys.readouterr().out

@pytest.mark.notebook
def test_publication_issues_certificates_and_a_revocation_shows(reports_copy, capsys):
    """End to end on the published sample (``make run``): one certificate per passing
    result and none for Fail, in every unit; revoking one shows in ``verify`` (exit 3)
    and in the public notice; the integrity files and case pages hold no raw id."""
    import pandas as pd

    with Registry(registry_path(reports_copy)) as reg:
        results, issued = reg.results(), reg.certificates()
    for (d, p), g in results.groupby(["discipline", "period"]):
        mine = issued[(issued["discipline"] == d) & (issued["period"] == p)]
        assert set(mine["application"]) == set(g.loc[g["grade"] != "Fail", "application"]), d
    r = ["--reports", str(reports_copy)]
    number, code = issued["number"].iloc[0], issued["verification_code"].iloc[0]
    assert main(["certificate", "verify", number, code, *r]) == 0
    assert main(["certificate", "revoke", number, "--reason", "test", "--by", "t", *r]) == 0
    assert main(["certificate", "verify", number, code, *r]) == 3
    capsys.readouterr()
    assert main(["certificate", "revoked", "--format", "json", *r]) == 0
    assert [n["number"] for n in json.loads(capsys.readouterr().out)] == [number]
    raw = []
    for cand in (ROOT / "data" / "sample").glob("*/candidates.csv"):
        reg_ = pd.read_csv(cand)
        raw += list(reg_["application_id"]) + list(reg_["candidate_id"])
    with Registry(registry_path(reports_copy)) as reg:
        for case_id in reg.cases()["case_id"].head(3):
            assert main(["cases", "show", str(int(case_id)), *r]) == 0
    texts = [p.read_text(encoding="utf-8") for p in reports_copy.rglob("integrity.json")]
    texts += [p.read_text(encoding="utf-8") for p in reports_copy.rglob("cases.json")]
    texts += [p.read_text(encoding="utf-8") for p in (reports_copy / "cases").glob("*.html")]
    assert texts
    tokens = set(re.findall(r"[A-Za-z0-9_.\-]+", "\n".join(texts)))
    assert not tokens & set(raw)
