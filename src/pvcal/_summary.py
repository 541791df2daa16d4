"""A small summary object shared by pvcal results (statsmodels' ``Summary`` habit)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Summary"]


@dataclass(frozen=True)
class Summary:
    """Text and HTML rendering of a result: a title, key facts, tables and notes.

    Shows as a table in a notebook (``_repr_html_``) and as text in a terminal.
    """

    title: str
    facts: dict = field(default_factory=dict)
    tables: tuple = ()  # (caption, DataFrame) pairs, or a {caption: DataFrame} dict
    notes: tuple = ()
    float_format: str = "{:.4f}"

    def __post_init__(self) -> None:
        if isinstance(self.tables, dict):
            object.__setattr__(self, "tables", tuple(self.tables.items()))
        object.__setattr__(self, "notes", tuple(self.notes))

    def _fmt(self, v) -> str:
        if isinstance(v, float):
            return self.float_format.format(v)
        return str(v)

    def as_text(self) -> str:
        width = 78
        lines = [self.title.center(width), "=" * width]
        items = list(self.facts.items())
        half = (len(items) + 1) // 2
        for left, right in zip(items[:half], items[half:] + [None] * (2 * half - len(items))):
            row = f"{left[0] + ':':<20}{self._fmt(left[1]):>17}"
            if right is not None:
                row += f"   {right[0] + ':':<20}{self._fmt(right[1]):>15}"
            lines.append(row)
        for caption, table in self.tables:
            lines += ["-" * width, caption, "-" * width] if caption else ["-" * width]
            lines.append(
                table.to_string(float_format=lambda x: self.float_format.format(x))
                if isinstance(table, pd.DataFrame)
                else str(table)
            )
        if self.notes:
            lines.append("-" * width)
            lines += [f"Note: {n}" for n in self.notes]
        lines.append("=" * width)
        return "\n".join(lines)

    def as_html(self) -> str:
        parts = [f"<div class='pvcal-summary'><h4>{html.escape(self.title)}</h4>"]
        if self.facts:
            rows = "".join(
                f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                f"<td>{html.escape(self._fmt(v))}</td></tr>"
                for k, v in self.facts.items()
            )
            parts.append(f"<table>{rows}</table>")
        for caption, table in self.tables:
            if caption:
                parts.append(f"<h5>{html.escape(caption)}</h5>")
            if isinstance(table, pd.DataFrame):
                parts.append(
                    table.to_html(float_format=lambda x: self.float_format.format(x), na_rep="")
                )
            else:
                parts.append(f"<pre>{html.escape(str(table))}</pre>")
        if self.notes:
            parts.append(
                "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ul>"
            )
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__
