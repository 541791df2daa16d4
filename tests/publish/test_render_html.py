"""Rendered notebook pages: code hidden, <html lang>, a phone viewport and print CSS.

Hand check on a two-cell notebook; the rules' ``locale`` (zh-CN by default,
issue 14) decides the language when none is given.
"""

from __future__ import annotations

import nbformat

from pvcal.publish.notebooks import render_html


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 合格线指数"),
        nbformat.v4.new_code_cell("secret_code = 1", outputs=[]),
    ]
    nbformat.write(nb, path)
    return path


def test_render_html_marks_the_language_and_adds_phone_and_print_rules(tmp_path):
    """Rendered notebook pages carry <html lang>, one viewport tag, the print and page CSS, the
    zh-CN term 合格线指数, and the code hidden (the code cell source does not show)."""
    nb = _notebook(tmp_path / "n.ipynb")
    zh = render_html(nb, tmp_path / "zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in zh
    assert zh.count('name="viewport"') == 1
    assert "@media print" in zh and 'id="pvcal-page-css"' in zh
    assert "合格线指数" in zh and "secret_code" not in zh
    en = render_html(nb, tmp_path / "en.html", lang="en").read_text(encoding="utf-8")
    assert '<html lang="en">' in en
