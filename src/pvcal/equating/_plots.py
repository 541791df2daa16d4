"""Presentation helpers shared by the equating results: summary tables and plots.

matplotlib is imported lazily inside the plotting functions so that importing
:mod:`pvcal.equating` stays cheap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._summary import Summary  # re-exported for the equating modules

__all__ = ["Summary", "plot_anchor_parameters", "plot_equating_function"]


def plot_anchor_parameters(table: pd.DataFrame, A: float, B: float, ax=None, title=None):
    """Scatter of old (base) against new anchor parameters, flagged anchors in red.

    ``table`` needs columns ``b_base``, ``b_new`` and ``flagged`` (and optionally
    ``a_base``, ``a_new``). The line drawn is ``b_base = A b_new + B``.
    """
    import matplotlib.pyplot as plt

    has_a = {"a_base", "a_new"} <= set(table.columns)
    if ax is None:
        _, axes = plt.subplots(1, 2 if has_a else 1, figsize=(9 if has_a else 4.5, 4))
        axes = np.atleast_1d(axes)
    else:
        axes = np.atleast_1d(ax)
    flagged = table["flagged"].to_numpy(bool)
    ax_b = axes[0]
    ax_b.scatter(table.loc[~flagged, "b_new"], table.loc[~flagged, "b_base"], label="kept")
    ax_b.scatter(
        table.loc[flagged, "b_new"], table.loc[flagged, "b_base"], color="red", label="flagged"
    )
    for item, row in table.loc[flagged].iterrows():
        ax_b.annotate(str(item), (row["b_new"], row["b_base"]), fontsize=8, color="red")
    lo = float(np.nanmin(table[["b_new"]].to_numpy()))
    hi = float(np.nanmax(table[["b_new"]].to_numpy()))
    xs = np.linspace(lo, hi, 2)
    ax_b.plot(xs, A * xs + B, color="grey", lw=1, label=f"b_base = {A:.3f} b_new + {B:.3f}")
    ax_b.set_xlabel("b, new calibration")
    ax_b.set_ylabel("b, base calibration")
    ax_b.legend(fontsize=8)
    if has_a and len(axes) > 1:
        ax_a = axes[1]
        ax_a.scatter(table.loc[~flagged, "a_new"], table.loc[~flagged, "a_base"])
        ax_a.scatter(table.loc[flagged, "a_new"], table.loc[flagged, "a_base"], color="red")
        xs = np.linspace(float(table["a_new"].min()), float(table["a_new"].max()), 2)
        ax_a.plot(xs, xs / A, color="grey", lw=1)
        ax_a.set_xlabel("a, new calibration")
        ax_a.set_ylabel("a, base calibration")
    if title:
        axes[0].set_title(title)
    return axes[0] if len(axes) == 1 else axes


def plot_equating_function(table: pd.DataFrame, ax=None, title=None, level: float = 0.95):
    """Equated score minus raw score against the raw score, with an SE band if present."""
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = table.index.to_numpy(float)
    diff = table["y_equiv"].to_numpy(float) - x
    ax.plot(x, diff, marker=".", label="equated − raw")
    if "se" in table.columns and np.isfinite(table["se"]).any():
        z = norm.ppf(0.5 + level / 2)
        se = table["se"].to_numpy(float)
        ax.fill_between(x, diff - z * se, diff + z * se, alpha=0.25, label=f"{level:.0%} band")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlabel("raw score on the new form (x)")
    ax.set_ylabel("equivalent on the base form − x")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
