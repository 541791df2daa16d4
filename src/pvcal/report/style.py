"""One plotting style for every pvcal figure, with a CJK font for Chinese labels.

:func:`use_style` configures matplotlib once per process (it is cheap and
idempotent, so every plot helper calls it): a sans-serif font list that starts
with Noto Sans CJK SC (Debian ``fonts-noto-cjk``, provisioned by ``make setup``)
and falls back glyph by glyph to DejaVu Sans (matplotlib >= 3.6 font
fallback), so Chinese labels, θ and the minus sign all have a glyph.

Notes
-----
When no CJK font is installed the style still applies and a
:class:`MissingFontWarning` says what to install; plots with Chinese labels
would then warn "Glyph ... missing from font(s)" from matplotlib, which the
tests treat as an error.

Examples
--------
>>> from pvcal.report.style import use_style
>>> family = use_style()   # doctest: +SKIP
>>> family                 # doctest: +SKIP
'Noto Sans CJK SC'
"""

from __future__ import annotations

import glob
import warnings
from contextlib import contextmanager
from typing import Any

__all__ = ["CJK_FAMILIES", "MissingFontWarning", "cjk_family", "rc", "use_style", "style"]

#: CJK families tried in order (Simplified Chinese forms first).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc",
    "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
    "/usr/share/fonts/**/NotoSansCJKsc-*.otf",
    "/usr/share/fonts/**/wqy-zenhei.ttc",
)
_FALLBACK = ("DejaVu Sans",)


class MissingFontWarning(UserWarning):
    """No CJK font found: Chinese plot labels cannot be drawn (run ``make setup``)."""


def _known_families() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def cjk_family() -> str | None:
    """The first installed family of :data:`CJK_FAMILIES`, or None.

    Font files on disk that matplotlib's font cache predates (fonts installed
    after the cache was built) are registered first.
    """
    known = _known_families()
    for family in CJK_FAMILIES:
        if family in known:
            return family
    from matplotlib import font_manager

    for pattern in _FONT_FILES:
        for path in sorted(glob.glob(pattern, recursive=True)):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    known = _known_families()
    return next((f for f in CJK_FAMILIES if f in known), None)


def rc(family: str | None = None) -> dict[str, Any]:
    """The rcParams of pvcal's style (CJK family first in the sans-serif list)."""
    from matplotlib import rcParams

    first = [family] if family else []
    rest = [f for f in rcParams["font.sans-serif"] if f not in first and f not in _FALLBACK]
    return {
        "font.family": ["sans-serif"],
        "font.sans-serif": [*first, *_FALLBACK, *rest],
        "axes.unicode_minus": True,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": "medium",
        "axes.titleweight": "bold",
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
    }


_applied: str | None = None


def use_style() -> str | None:
    """Apply the style to matplotlib's rcParams (again only if someone reset them).

    Returns
    -------
    str or None
        The CJK family in use, or None (with a :class:`MissingFontWarning`).
    """
    global _applied
    from matplotlib import rcParams

    head = (rcParams["font.sans-serif"] or [None])[0]
    if _applied is not None and head == _applied:
        return _applied
    family = cjk_family()
    if family is None:
        warnings.warn(
            "no CJK font found (Noto Sans CJK SC, Debian package fonts-noto-cjk): Chinese "
            "labels cannot be drawn; run `make setup`",
            MissingFontWarning,
            stacklevel=2,
        )
    rcParams.update(rc(family))
    _applied = family if family else _FALLBACK[0]
    return family


@contextmanager
def style():
    """Context manager: pvcal's style inside, the previous rcParams restored after."""
    import matplotlib

    with matplotlib.rc_context():
        global _applied
        before = _applied
        _applied = None
        try:
            use_style()
            yield
        finally:
            _applied = before
