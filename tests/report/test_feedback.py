"""Candidate feedback pages (issue 10): content, no candidate id, rendered in Chromium."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from pvcal._validation import DataError, PvcalError
from pvcal.diagnosis import diagnose, recommend
from pvcal.report.feedback import (
    feedback_context,
    form_pass_mark,
    render_feedback,
    write_feedback_page,
    write_feedback_pages,
)


def _case(seed=11):
    """3 domains x 12 2PL items; the first person is at θ = 0.3 except in "law" (-3.5)."""
    rng = np.random.default_rng(seed)
    n, D, J = 400, 3, 12
    theta = rng.normal(size=(n, 1)) + np.zeros((1, D))
    theta[0] = [0.3, 0.3, -3.5]
    a = rng.lognormal(0.2, 0.2, D * J)
    b = rng.normal(size=D * J)
    ids = [f"Q{j:02d}" for j in range(D * J)]
    items = pd.DataFrame({"a": a, "b": b}, index=ids)
    domains = pd.Series(np.repeat(["haccp", "hygiene", "law"], J), index=ids)
    p = 1 / (1 + np.exp(-a * (np.repeat(theta, J, axis=1) - b)))
    wide = pd.DataFrame((rng.random(p.shape) < p).astype(float), columns=ids)
    wide.index = [f"FSI25H1-{i:04d}" for i in range(n)]
    return items, domains, wide


def _context(**kw):
    kw.setdefault("lang", "en")
    items, domains, wide = _case()
    diag = diagnose(items, wide, domains, cut=-0.4, min_items=5, method="eap")
    person = wide.index[0]
    rows = diag.person(person)
    rec = recommend(rows, {"law": {"module": "FSI-410 Food law and enforcement", "hours": 6}})
    ctx = feedback_context(
        title="Food safety inspector",
        period="2025H1",
        standard_score=54,
        grade="Fail",
        raw_score=float(wide.loc[person].sum()),
        max_score=36,
        pass_mark=form_pass_mark(items, -0.4),
        profile=rows,
        cut=-0.4,
        level=0.95,
        recommendations=rec,
        **kw,
    )
    return ctx, person


def test_form_pass_mark_is_the_tcc_at_the_cut():
    """Lord (1980): the expected raw score at θ is Σ_j P_j(θ); two 2PL items with b = ±1,
    a = 1 at θ = 0 give 1/(1+e) + 1/(1+e^-1) = 1 exactly; at θ = b every item gives 1/2."""
    items = pd.DataFrame({"a": [1.0, 1.0], "b": [-1.0, 1.0]}, index=["Q1", "Q2"])
    assert form_pass_mark(items, 0.0) == pytest.approx(1.0)
    items = pd.DataFrame({"a": [0.7, 1.9, 1.2], "b": [0.5, 0.5, 0.5]}, index=["a", "b", "c"])
    assert form_pass_mark(items, 0.5) == pytest.approx(1.5)
    with pytest.raises(PvcalError):
        form_pass_mark(items, np.nan)


def test_feedback_page_content_and_no_candidate_id(tmp_path):
    """The page shows grade, standard score, raw score and pass mark, the profile plot, the
    planted weak domain with its module first; it never shows the application id."""
    ctx, person = _context()
    assert [d["domain"] for d in ctx["weak"]] == ["law"]
    out = write_feedback_page(tmp_path, "food-safety-inspector", "2025H1", "ps-abc123", ctx)
    assert out == tmp_path / "food-safety-inspector" / "2025H1" / "feedback" / "ps-abc123.html"
    page = out.read_text(encoding="utf-8")
    assert person not in page and "FSI25H1" not in page
    assert "Fail" in page and ">54<" in page
    assert '<div id="profile-plot"' in page and page.count("<circle") == 3
    assert re.search(r'id="training".*FSI-410 Food law and enforcement', page, re.S)
    assert f"{ctx['pass_mark']:.1f}" in page
    with pytest.raises(PvcalError):
        write_feedback_page(tmp_path, "x", "2025H1", "../evil", ctx)
    with pytest.raises(DataError):
        feedback_context(**{**_kwargs(ctx), "profile": pd.DataFrame({"domain": ["a"]})})


def _kwargs(ctx):
    return {
        "title": ctx["title"],
        "period": ctx["period"],
        "standard_score": ctx["standard_score"],
        "grade": ctx["grade"],
        "raw_score": ctx["raw_score"],
        "max_score": ctx["max_score"],
        "pass_mark": ctx["pass_mark"],
        "cut": ctx["cut"],
        "level": 0.95,
    }


def test_feedback_page_text_goes_through_gettext():
    """Every page string is wrapped in _(): a translation reaches the rendered page."""
    ctx, _ = _context(gettext=lambda s: "«" + s + "»")
    page = render_feedback(ctx)
    assert "«Targeted training»" in page and "«Your profile by content domain»" in page


@pytest.mark.browser
def test_feedback_page_renders_in_chromium(tmp_path):
    """Headless Chromium renders the page: the profile image loads and the text is there."""
    from _system import find_chromium, require_system

    chromium = require_system("chromium", find_chromium)
    ctx, person = _context()
    page = write_feedback_page(tmp_path, "fsi", "2025H1", "ps-1", ctx)
    png = tmp_path / "page.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags.append(f"--user-data-dir={tmp_path / 'profile'}")
    subprocess.run(
        [chromium, *flags, f"--screenshot={png}", "--window-size=1000,1400", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert png.stat().st_size > 20_000  # not a blank page
    assert 'id="profile-plot"' in dom and "Targeted training" in dom
    assert person not in dom


def test_write_feedback_pages_one_per_result(tmp_path):
    """Every result gets its page under its pseudonym, with its own form's pass mark."""
    items, domains, wide = _case()
    diag = diagnose(items, wide, domains, cut=-0.4, min_items=5)
    results = pd.DataFrame(
        {
            "pseudonym": ["ps-a", "ps-b"],
            "form": ["F1", "F2"],
            "standard_score": [54, 71],
            "grade": ["Fail", "Good"],
            "raw_score": wide.iloc[:2].sum(axis=1).to_numpy(),
            "max_score": [36, 36],
        },
        index=wide.index[:2],
    )
    forms = {"F1": items, "F2": items.assign(b=items["b"] + 0.5)}
    rec = diag.recommend({"law": "FSI-410 Food law"})
    pages = write_feedback_pages(
        tmp_path / "fsi" / "2025H1",
        period="2025H1",
        title="FSI",
        results=results,
        diagnosis=diag,
        form_items=forms,
        recommendations=rec,
        lang="en",
    )
    assert [p.name for p in pages] == ["ps-a.html", "ps-b.html"]
    assert pages[0].parent == tmp_path / "fsi" / "2025H1" / "feedback"
    texts = [p.read_text(encoding="utf-8") for p in pages]
    assert f"{form_pass_mark(items, -0.4):.1f}" in texts[0]
    assert f"{form_pass_mark(forms['F2'], -0.4):.1f}" in texts[1]
    assert all(str(pid) not in t for pid, t in zip(results.index, texts))
    with pytest.raises(DataError, match="form"):
        write_feedback_pages(
            tmp_path,
            period="2025H1",
            title="FSI",
            results=results,
            diagnosis=diag,
            form_items={"F1": items},
        )


def test_diagnosis_section_from_a_stored_record():
    """The appeal sheet's path: the diagnosis stored with a result (Diagnosis.records,
    JSON) gives the same section as the live profile (same rows, same training order)."""
    import json

    from pvcal.diagnosis import profile_from_record
    from pvcal.report.feedback import diagnosis_context

    items, domains, wide = _case()
    diag = diagnose(items, wide, domains, cut=-0.4, min_items=5, method="eap")
    rec = diag.recommend({"law": {"module": "FSI-410 Food law", "hours": 6}})
    person = wide.index[0]
    stored = json.loads(json.dumps(diag.records(rec)[person]))
    prof, training = profile_from_record(stored)
    section = diagnosis_context(prof, stored["cut"], stored["level"], training)
    live = diagnosis_context(diag.person(person), -0.4, 0.95, rec[rec["person"] == person])
    assert section["domains"] == live["domains"] and section["training"] == live["training"]
    assert [t["module"] for t in section["training"]] == ["FSI-410 Food law"]
    assert section["figure"].startswith("<svg") and section["figure"].count("<circle") == 3
