"""Published pages rendered in headless Chromium: not blank, plots embedded, no raw ids."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from _system import find_chromium, require_system

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium, provisioned by ``make setup`` (never installed by a test)."""
    return require_system("chromium", find_chromium)


def render(chromium: str, page: Path, tmp_path: Path, *, screenshot: Path | None = None) -> str:
    """The DOM of ``page`` after Chromium rendered it (and a screenshot if asked)."""
    args = [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    if screenshot is not None:
        subprocess.run(
            [*args, f"--screenshot={screenshot}", "--window-size=1200,1600", page.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )
    done = subprocess.run(
        [*args, "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    )
    return done.stdout


def _visible_text(dom: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", body)


def test_reviewer_report_renders(published, chromium, tmp_path):
    """Headless Chromium renders the published reviewer report: visible text with the pass-line
    index, embedded plots, no traceback, no raw identifier (Art. 15), not blank."""
    reports, _ = published
    page = reports / "qms-auditor" / "2025H2" / "report.html"
    png = tmp_path / "report.png"
    dom = render(chromium, page, tmp_path, screenshot=png)
    text = _visible_text(dom)
    assert "合格线指数" in text and len(text) > 2000  # the sample rules' locale: zh-CN
    assert '<html lang="zh-CN"' in dom
    images = re.findall(r'<img[^>]+src="data:image/(png|svg\+xml)', dom)
    assert len(images) >= 3  # the plots are embedded as images
    assert "Traceback" not in text
    raw = set()
    for d in ("qms-auditor", "food-safety-inspector", "lab-assessor"):
        c = pd.read_csv(ROOT / "data" / "sample" / d / "candidates.csv", dtype=str)
        raw |= set(c["application_id"]) | set(c["candidate_id"])
    assert not set(re.findall(r"[A-Za-z0-9_\-]+", dom)) & raw
    _not_blank(png)


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", ("Standard score", "Peer comparison")), ("zh-CN", ("标准分", "同行比对"))],
)
def test_appeal_sheet_renders(published, chromium, tmp_path, lang, words):
    """Headless Chromium renders the appeal sheet in English and zh-CN: the candidate's raw id,
    the localised headings, <html lang>, an embedded plot, not blank."""
    from pvcal.report.appeal import write_appeal_sheet
    from pvcal.report.pseudonym import pseudonymise

    reports, _ = published
    res = pd.read_csv(reports / "lab-assessor" / "2025H2" / "results.csv")
    cands = pd.read_csv(ROOT / "data" / "sample" / "lab-assessor" / "candidates.csv", dtype=str)
    graded = set(res["application"])
    app = next(a for a in cands["application_id"] if pseudonymise(a, "application") in graded)
    page = write_appeal_sheet(
        "lab-assessor", app, reports_dir=reports, out=tmp_path / "appeal.html", lang=lang
    )
    png = tmp_path / "appeal.png"
    dom = render(chromium, page, tmp_path, screenshot=png)
    text = _visible_text(dom)
    assert app in text and all(w in text for w in words)
    assert f'<html lang="{lang}">' in dom
    assert re.search(r'<img[^>]+src="data:image/png;base64,', dom)
    _not_blank(png)


def test_feedback_pages_render(published, chromium, tmp_path):
    """Issue 10: one feedback page per published result, rendered in Chromium: grade, the
    domain profile (inline SVG), training advice; no candidate id or name anywhere."""
    reports, _ = published
    unit = reports / "qms-auditor" / "2025H2"
    res = pd.read_csv(unit / "results.csv")
    pages = sorted((unit / "feedback").glob("*.html"))
    assert {p.stem for p in pages} == set(res["application"])
    weak = next(p for p in pages if 'id="training"' in p.read_text(encoding="utf-8"))
    png = tmp_path / "feedback.png"
    dom = render(chromium, weak, tmp_path, screenshot=png)
    assert '<html lang="zh-CN">' in dom and "<svg" in dom and "靶向训练" in dom
    raw = set()
    for d in ("qms-auditor", "food-safety-inspector", "lab-assessor"):
        c = pd.read_csv(ROOT / "data" / "sample" / d / "candidates.csv", dtype=str)
        raw |= set(c["application_id"]) | set(c["candidate_id"])
    assert not set(re.findall(r"[A-Za-z0-9_\-]+", dom)) & raw
    _not_blank(png)


def _not_blank(png: Path) -> None:
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(pixels[..., :3].std()) > 0.02  # not a blank page
