"""Every published page is in the rules' language, reads on a phone and prints; no plot in
the publishing notebooks drew a glyph its font lacks.

The sample rules leave ``locale`` at its default, zh-CN (issue 14); matplotlib
writes "Glyph N (...) missing from font(s) ..." to the notebook's stderr output
when a label has a character none of the configured fonts has.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.notebook


def test_published_pages_are_zh_cn_with_viewport_and_print_css(published):
    """Every page `make run` publishes is in the sample rules' locale (<html lang="zh-CN">, issue
    14) with a phone viewport and print CSS."""
    reports, _ = published
    pages = sorted(p for p in reports.rglob("*.html") if "appeals" not in p.parts)
    assert len(pages) >= 4
    for page in pages:
        head = page.read_text(encoding="utf-8")
        assert '<html lang="zh-CN"' in head, page
        assert 'name="viewport"' in head, page
        assert "@media print" in head, page


def test_no_plot_in_the_publishing_notebooks_misses_a_glyph(published):
    """No publishing notebook's output carries matplotlib's 'missing from font' message: every
    label's glyphs are in the configured fonts."""
    reports, _ = published
    notebooks = sorted(reports.rglob("notebooks/*.ipynb"))
    assert notebooks
    for nb in notebooks:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        text = json.dumps([c.get("outputs", []) for c in cells], ensure_ascii=False)
        assert "missing from font" not in text, nb
