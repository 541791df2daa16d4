"""HTML helpers: the package's Jinja templates, tables and embedded figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["render", "table"]


def render(template: str, **context: Any) -> str:
    """Render one of the package templates (``pvcal/report/templates``) in ``context["lang"]``.

    The environment is :func:`pvcal.report.i18n.environment` of the context's
    ``lang`` (default zh-CN): templates translate with ``_()`` and format with
    the ``decimal``/``percent``/``datetime`` filters.
    """
    from .i18n import environment, normalise

    lang = normalise(context.pop("lang", None))
    return environment(lang).get_template(template).render(lang=lang, **context)


def table(frame: pd.DataFrame, *, float_format: str = "{:.4g}", index: bool = True) -> str:
    """A DataFrame as an HTML table with pvcal's classes (values escaped)."""
    return frame.to_html(
        classes="pvcal-table",
        border=0,
        index=index,
        na_rep="–",
        float_format=lambda v: float_format.format(v),
        escape=True,
    )
