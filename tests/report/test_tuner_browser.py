"""The cut tuner in a real browser: threshold_setting.ipynb served by Voilà, driven by Playwright.

A methodologist's session, end to end: Voilà executes the notebook (with
``interactive = True``) on a private copy of the lab-assessor sample; headless
Chromium (Debian's, through Playwright's ``executable_path``; no browser
download) moves the pass-cut slider; the page's pass rate and grade table must
become exactly what :meth:`pvcal.report.tuner.CutTuner.evaluate` computes for the
same cuts; the save button writes a proposal beside the rules and leaves
``rules.yml`` untouched (issue 9: the tuner never rewrites the rules).

The expected values are computed here, independently of the page, from the
same calibration the notebook made (its ``out_dir``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from _system import find_chromium, require_system

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DISCIPLINE, PERIOD = "lab-assessor", "2025H2"
N_BOOT = 50
TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_system("chromium", find_chromium)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(tmp: Path, kernel: str) -> tuple[Path, Path, Path]:
    """A parameterised copy of the notebook over a private copy of the discipline."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    data = tmp / "data" / DISCIPLINE
    shutil.copytree(ROOT / "data" / "sample" / DISCIPLINE, data)
    out = tmp / "out"
    from pvcal.publish.notebooks import notebooks_dir

    nb = load_notebook_node(str(notebooks_dir() / "threshold_setting.ipynb"))  # as shipped
    nb = parameterize_notebook(
        nb,
        {
            "discipline": DISCIPLINE,
            "period": PERIOD,
            "base_period": PERIOD,
            "data_dir": str(data),
            "registry": str(tmp / "registry.sqlite"),
            "out_dir": str(out),
            "n_boot": N_BOOT,
            "interactive": True,
        },
        kernel_name=kernel,
    )
    path = tmp / "nb" / "threshold_setting.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path, data, out


@pytest.fixture
def voila(tmp_path, kernel):
    """(url, discipline folder, notebook out_dir) of the notebook served by Voilà."""
    nb, data, out = _notebook(tmp_path, kernel)
    port = _free_port()
    log = open(tmp_path / "voila.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            str(nb),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=True",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=nb.parent,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("Voilà did not start:\n" + (tmp_path / "voila.log").read_text())
                time.sleep(0.5)
        yield url, data, out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _readout(page, grade: str) -> float:
    text = page.locator(f".pvcal-cut-{grade} .widget-readout").inner_text()
    return float(text.replace("\u2212", "-"))  # d3-format writes a true minus sign


def _pass_rate(page) -> float:
    return float(page.locator("[data-pass-rate]").get_attribute("data-pass-rate"))


def _grade_table(page) -> dict[str, float]:
    rows = page.locator(".pvcal-grade-table tr[data-grade]")
    return {
        rows.nth(i).get_attribute("data-grade"): float(rows.nth(i).get_attribute("data-share"))
        for i in range(rows.count())
    }


def test_tuner_in_voila_moves_the_pass_cut_and_saves_a_proposal(voila, chromium, tmp_path):
    """Headless Chromium on the Voilà tuner: moving the pass cut +0.30 shows the pass rate and
    grade table pvcal computes for those cuts (a higher cut lowers the rate), and saving
    writes a proposal beside rules.yml, which stays unchanged."""
    from playwright.sync_api import sync_playwright

    from pvcal import workflow

    url, data, out = voila
    rules_before = (data / "rules.yml").read_bytes()
    files_before = {p for p in data.rglob("*") if p.is_file()}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url, timeout=TIMEOUT_MS)
            page.wait_for_selector(".pvcal-cut-pass .widget-readout")
            page.wait_for_selector("[data-pass-rate]")
            cuts = {g: _readout(page, g.lower()) for g in ("Pass", "Good", "Excellent")}
            before = _pass_rate(page)

            moved = round(cuts["Pass"] + 0.30, 2)
            assert moved < cuts["Good"]
            readout = page.locator(".pvcal-cut-pass .widget-readout")
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(f"{moved:.2f}")
            page.keyboard.press("Enter")
            page.wait_for_function(
                "([v]) => { const e = document.querySelector('[data-pass-rate]');"
                " return e && e.getAttribute('data-cut-pass') === v; }",
                arg=[f"{moved:.2f}"],
            )
            assert _readout(page, "pass") == pytest.approx(moved)
            shown_rate, shown_table = _pass_rate(page), _grade_table(page)
            page.screenshot(path=str(tmp_path / "tuner.png"), full_page=True)

            page.locator(".pvcal-who input").fill("Test Methodologist")
            page.locator(".pvcal-why textarea").fill("browser test: pass cut +0.30")
            page.locator(".pvcal-save").click()
            page.wait_for_function(
                "() => { const e = document.querySelector('.pvcal-status');"
                " return e && e.innerText.trim().length > 0; }"
            )
            status = page.locator(".pvcal-status").inner_text()
        finally:
            browser.close()

    # what pvcal computes for the same cuts, from the notebook's own calibration
    tuner = workflow.standard_setting_step(out, n_boot=N_BOOT).tuner()
    expected = tuner.evaluate({**cuts, "Pass": moved})
    assert shown_rate == pytest.approx(expected.pass_rate, abs=5e-7)
    assert shown_rate < before  # a higher pass cut fails more candidates
    assert shown_table == pytest.approx(expected.distribution.to_dict(), abs=5e-7)

    # the proposal sits beside the rules; rules.yml itself is unchanged
    assert (data / "rules.yml").read_bytes() == rules_before, status
    new_files = sorted({p for p in data.rglob("*") if p.is_file()} - files_before)
    assert new_files, f"no proposal written beside the rules; page said: {status}"
    proposal = yaml.safe_load(new_files[0].read_text(encoding="utf-8"))
    text = yaml.safe_dump(proposal)
    assert f"{moved:.2f}".rstrip("0") in text and "Test Methodologist" in text
