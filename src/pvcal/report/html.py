"""HTML helpers: the package's Jinja templates, tables and embedded figures."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["render", "table"]


@lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pvcal.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """Render one of the package templates (``pvcal/report/templates``)."""
    return _environment().get_template(template).render(**context)


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
