"""Pass-rate plots of the industry report: series colours and the exam/final rates.

The exam-only and final pass rates are counted by hand on a small frame and their
intervals checked against the Wilson (1927) formula of ``plots.wilson_interval``;
each series' error bars must be drawn in the colour of its line (issue 12, item 5).
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from pvcal._validation import PvcalError  # noqa: E402
from pvcal.report import plots  # noqa: E402


def _results() -> pd.DataFrame:
    """lab P1: 4 results, exam grades Pass, Good, Fail, Pass; final Pass, Fail, Fail, Fail
    (peer comparison lowered two) -> exam 3/4, final 1/4. lab P2: exam 2/2, final 1/2.
    qms has no peer part and is left out."""
    rows = [
        ("lab", "P1", "Pass", {"exam_grade": "Pass", "peer": {"z": 0.1}}),
        ("lab", "P1", "Fail", {"exam_grade": "Good", "peer": {"z": 3.5}}),
        ("lab", "P1", "Fail", {"exam_grade": "Fail", "peer": {"z": 0.0}}),
        ("lab", "P1", "Fail", {"exam_grade": "Pass", "peer": None}),
        ("lab", "P2", "Good", {"exam_grade": "Good", "peer": {"z": 0.2}}),
        ("lab", "P2", "Fail", {"exam_grade": "Pass", "peer": {"z": 3.1}}),
        ("qms", "P1", "Pass", {"exam_grade": "Pass"}),
    ]
    return pd.DataFrame(
        [{"discipline": d, "period": p, "grade": g, "detail": json.dumps(x)} for d, p, g, x in rows]
    )


def test_exam_final_rates_by_hand():
    """Exam only 3/4 and 2/2, final 1/4 and 1/2; Wilson limits as plots.wilson_interval."""
    t = plots.exam_final_rates(_results(), lang="en").set_index(["series", "period"])
    assert set(t.index.get_level_values(0)) == {
        "lab · exam only",
        "lab · final, after peer comparison",
    }
    assert t.loc[("lab · exam only", "P1"), "rate"] == 0.75
    assert t.loc[("lab · exam only", "P2"), "rate"] == 1.0
    assert t.loc[("lab · final, after peer comparison", "P1"), "rate"] == 0.25
    assert t.loc[("lab · final, after peer comparison", "P2"), "rate"] == 0.5
    lo, hi = plots.wilson_interval(3, 4)
    assert t.loc[("lab · exam only", "P1"), "lo"] == pytest.approx(float(lo))
    assert t.loc[("lab · exam only", "P1"), "hi"] == pytest.approx(float(hi))
    with pytest.raises(PvcalError, match="missing column 'detail'"):
        plots.exam_final_rates(_results().drop(columns="detail"))


def test_each_error_bar_in_its_series_colour():
    """Every series' error-bar lines have the colour of its line, and the legend names
    both lab-assessor rates."""
    t = plots.exam_final_rates(_results(), lang="en")
    ax = plots.plot_rate_trend(t, line="series", lang="en")
    lines = {ln.get_label(): ln.get_color() for ln in ax.get_lines()}
    lines = {k: v for k, v in lines.items() if not k.startswith("_")}
    assert set(lines) == {"lab · exam only", "lab · final, after peer comparison"}
    bars = [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]
    assert len(bars) == 2
    for bar, (_, colour) in zip(bars, sorted(lines.items()), strict=True):
        segs = bar.lines[2][0]  # the vertical bar segments
        assert np.allclose(segs.get_colors()[0], to_rgba(colour))
    legend = [tx.get_text() for tx in ax.get_legend().get_texts()]
    assert "lab · exam only" in legend and "lab · final, after peer comparison" in legend
    plt.close(ax.figure)
