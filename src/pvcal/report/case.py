"""Reviewer pages of integrity cases and the public revocation notice (Art. 14, 15).

Everything here is read from the registry, which holds pseudonyms only: a
case page names persons by their keyed pseudonym, never by raw id or name; the
public notice shows only the fields rules.yml allows (number, discipline,
period, date, reason category), never a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..registry import Registry
from .i18n import N_, translator

__all__ = [
    "render_case_page",
    "render_case_list",
    "render_revocation_notice",
    "write_case_pages",
]

_NOTICE_LABELS = {
    "number": N_("Certificate number"),
    "discipline": N_("Discipline"),
    "period": N_("Period"),
    "date": N_("Date of revocation"),
    "reason_category": N_("Reason"),
}

#: Display names of the published reason categories (Art. 14: 弄虚作假 for fraud).
_REASON_LABELS = {
    "fraud": N_("fraud"),
    "error": N_("error"),
    "other": N_("other reason"),
}

#: Display names of a case's kind, status and pair role (the registry keeps the ids).
_CASE_LABELS = {
    "copying": N_("suspected copying"),
    "aberrant": N_("aberrant responses"),
    "copying+aberrant": N_("suspected copying and aberrant responses"),
    "open": N_("open"),
    "under_review": N_("under review"),
    "cleared": N_("cleared"),
    "confirmed": N_("confirmed"),
    "copier": N_("copier"),
    "source": N_("source"),
}

#: Display names of the sitting's fields on a case page.
_SITTING_LABELS = {
    "period": N_("period"),
    "site": N_("site"),
    "session": N_("session"),
    "form": N_("form"),
}


def _label(value: Any, labels: dict[str, str], lang: str | None) -> Any:
    """The display name of an id in ``lang`` (other values unchanged)."""
    if isinstance(value, str) and value in labels:
        return translator(lang).gettext(labels[value])
    return value


def _environment(lang: str | None):
    """The report environment of ``lang`` (pvcal.report.i18n when present)."""
    try:
        from .i18n import environment, normalise

        return environment(normalise(lang)), normalise(lang)
    except ImportError:  # pragma: no cover - before the i18n module existed
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.PackageLoader("pvcal.report", "templates"),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
        )
        env.globals["_"] = lambda text, **kw: text % kw if kw else text
        return env, lang or "zh-CN"


def _render(template: str, lang: str | None, **context: Any) -> str:
    env, lang = _environment(lang)
    return env.get_template(template).render(lang=lang, **context)


def _fmt(v: Any, digits: int = 4) -> Any:
    if isinstance(v, (bool, np.bool_)) or v is None:
        return v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return "–" if not np.isfinite(v) else f"{float(v):.{digits}g}"
    return v


def render_case_page(case: dict[str, Any], *, lang: str | None = None) -> str:
    """HTML page of one case (``Registry.case(case_id)``): evidence and review history.

    Parameters
    ----------
    case : dict
        As :meth:`pvcal.registry.Registry.case` returns it.
    lang : {"zh-CN", "en"}, optional

    Returns
    -------
    str
    """
    ev = case["evidence"]
    pairs = [{k: _fmt(v) for k, v in p.items()} for p in ev.get("pairs", [])]
    for p in pairs:
        p["role"] = _label(p.get("role"), _CASE_LABELS, lang)
    events = case["events"].to_dict("records")
    for e in events:
        e["status"] = _label(e.get("status"), _CASE_LABELS, lang)
    fit = {k: _fmt(v) for k, v in ev.get("person_fit", {}).items()}
    return _render(
        "case.html.j2",
        lang,
        case_id=case["case_id"],
        discipline=case["discipline"],
        period=case["period"],
        application=case["application"],
        candidate=case["candidate"],
        kind=_label(case["kind"], _CASE_LABELS, lang),
        status=_label(case["status"], _CASE_LABELS, lang),
        opened_at=case["opened_at"],
        events=events,
        sitting={_label(k, _SITTING_LABELS, lang): v for k, v in ev.get("sitting", {}).items()},
        theta=_fmt(ev.get("theta")),
        pairs=pairs,
        person_fit=fit,
        items=ev.get("items", []),
        strongest_partner=ev.get("strongest_partner"),
        screening=ev.get("screening", {}),
    )


def render_case_list(cases: pd.DataFrame, *, lang: str | None = None) -> str:
    """HTML list of cases (``Registry.cases()``), linking to ``case-<id>.html``."""
    rows = cases.to_dict("records")
    for r in rows:
        for key in ("kind", "status"):
            r[key] = _label(r.get(key), _CASE_LABELS, lang)
    return _render("cases.html.j2", lang, cases=rows)


def render_revocation_notice(
    notice: pd.DataFrame, fields: Sequence[str] | None = None, *, lang: str | None = None
) -> str:
    """HTML public revocation notice of :func:`pvcal.certificates.revocation_notice`."""
    fields = list(notice.columns) if fields is None else list(fields)
    gettext = translator(lang).gettext
    labels = {f: gettext(_NOTICE_LABELS.get(f, f)) for f in fields}
    rows = notice[fields].to_dict("records")
    if "reason_category" in fields:
        for r in rows:
            r["reason_category"] = _label(r["reason_category"], _REASON_LABELS, lang)
    return _render("revoked.html.j2", lang, fields=fields, labels=labels, rows=rows)


def write_case_pages(
    registry: Registry, out_dir: str | Path, *, lang: str | None = None
) -> list[Path]:
    """Write ``index.html`` and ``case-<id>.html`` for every case into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cases = registry.cases()
    paths = [out / "index.html"]
    paths[0].write_text(render_case_list(cases, lang=lang), encoding="utf-8")
    for case_id in cases["case_id"]:
        path = out / f"case-{int(case_id)}.html"
        path.write_text(render_case_page(registry.case(int(case_id)), lang=lang), encoding="utf-8")
        paths.append(path)
    return paths
