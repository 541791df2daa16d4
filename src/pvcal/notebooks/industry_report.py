# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: pvcal (Python 3)
#     language: python
#     name: pvcal
# ---

# %% tags=["parameters"]
registry = "../../../reports/registry.sqlite"
out_dir = "."
min_group = 50
n_extreme = 10
lang = "zh-CN"  # page language: "zh-CN" or "en"

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from pvcal.registry import Registry
from pvcal.report import plots
from pvcal.report.i18n import translator
from pvcal.report.style import use_style

_ = translator(lang).gettext
use_style()
display(Markdown("# " + _("Industry report (Art. 19)")))
display(
    Markdown(
        _(
            "Across disciplines and periods, from the registry's published results: "
            "grade distributions, pass-rate trends with their uncertainty, and comparisons "
            "by region and employer. Candidates are pseudonymised; only aggregates are shown."
        )
    )
)

with Registry(registry) as reg:
    results = reg.results()
    indices = reg.indices(current=True)
results["discipline · period"] = results["discipline"] + " · " + results["period"]
display(
    Markdown(
        _("%(n)s published results in %(d)s disciplines and %(p)s periods.")
        % {
            "n": f"{len(results):,}",
            "d": results["discipline"].nunique(),
            "p": results["period"].nunique(),
        }
    )
)

# %%
display(Markdown("## " + _("Benchmark indices")))
display(
    Markdown(
        _(
            "The pass-line index is 60 in every period by construction (the standard score "
            "is anchored at the pass cut); the θ cut on the base scale and the raw pass mark "
            "of each form (the cut through the form's test characteristic curve) say what "
            "it stands for."
        )
    )
)
rows = []
for _i, r in indices.iterrows():
    rec = r["record"]
    u = rec["uncertainty"]
    rows.append(
        {
            "discipline": r["discipline"],
            "period": r["period"],
            "index_id": r["index_id"],
            "pass-line index": rec["pass_index"],
            "index 95% interval": "{:.2f} – {:.2f}".format(*u["pass_index_ci"]),
            "θ pass": rec["cuts"]["Pass"],
            "θ pass SE": rec["uncertainty"]["cuts_se"]["Pass"],
            "raw pass mark by form": ", ".join(
                f"{f} {v['raw_pass_mark']:.1f}/{v['max_score']:g}"
                for f, v in (rec.get("pass_line") or {}).get("forms", {}).items()
            )
            or "–",
            "θ good": rec["cuts"]["Good"],
            "θ excellent": rec["cuts"]["Excellent"],
            "N": rec["n"],
            "pass rate": rec["pass_rate"],
            "pass rate 95% interval": "{:.3f} – {:.3f}".format(*u["pass_rate_ci"]),
        }
    )
display(pd.DataFrame(rows).set_index(["discipline", "period"]).round(3))

# %%
display(Markdown("## " + _("Grade distributions")))
plots.plot_grade_distribution(results, by="discipline · period", lang=lang)
plt.xticks(rotation=20, ha="right")
plt.show()

# %%
display(Markdown("## " + _("Pass-rate trends (95% Wilson bands)")))
trend = plots.rate_table(results, ["discipline", "period"]).reset_index()
display(trend.round(3))
plots.plot_rate_trend(trend, line="discipline", lang=lang)
plt.show()

# %%
display(Markdown("## " + _("Exam only vs final, after peer comparison")))
display(
    Markdown(
        _(
            "Where a discipline has a peer-comparison part (lab assessors), two pass rates "
            "are shown: on the **exam only**, and the **final** rate after the peer "
            "comparison (the lower of the two grades). Each series' error bars (95% Wilson) "
            "are drawn in the series' own colour."
        )
    )
)
two = plots.exam_final_rates(results, lang=lang)
if len(two):
    display(two.set_index(["discipline", "period", "series"]).round(3))
    plots.plot_rate_trend(two, line="series", lang=lang)
    plt.title(_("pass rate: exam only vs final, after peer comparison"))
    plt.show()
else:
    display(Markdown(_("No discipline with a peer-comparison part has results.")))

# %%
display(Markdown("## " + _("By region")))
by_region = plots.rate_table(results, ["discipline", "region"])
display(by_region.round(3))
plots.plot_rates(by_region, title=_("pass rate by discipline and region"), lang=lang)
plt.show()

# %%
display(Markdown("## " + _("By employer")))
display(
    Markdown(
        _(
            "Employers with at least %(min)s results; the plot shows the %(n)s lowest and "
            "highest pass rates with their 95%% Wilson intervals."
        )
        % {"min": min_group, "n": n_extreme}
    )
)
by_emp = plots.rate_table(results, ["discipline", "employer"])
big = by_emp[by_emp["n"] >= min_group].sort_values("rate")
display(
    Markdown(
        _("%(big)s of %(all)s employer groups have ≥ %(min)s results.")
        % {"big": len(big), "all": len(by_emp), "min": min_group}
    )
)
if len(big):
    display(big.round(3))
    ends = (
        big if len(big) <= 2 * n_extreme else pd.concat([big.head(n_extreme), big.tail(n_extreme)])
    )
    title = _("lowest and highest employer pass rates (n ≥ %(min)s)") % {"min": min_group}
    plots.plot_rates(ends, title=title, lang=lang)
    plt.show()

# %%
from pvcal.diagnosis import training_from_results

display(Markdown("## " + _("Targeted training demand (Art. 17)")))
display(
    Markdown(
        _(
            "Candidates advised to take each training module: their domain was confidently "
            "below the pass level (the whole 95%% interval below the cut). By discipline and "
            "region, and for the %(n)s employers with most candidates in training."
        )
        % {"n": n_extreme}
    )
)

demand = training_from_results(results, by=["discipline", "region"])
if len(demand):
    display(demand.set_index(["discipline", "region", "module_code"]).round(1))
    by_emp_demand = training_from_results(results, by=["discipline", "employer"])
    top = (
        by_emp_demand.groupby(["discipline", "employer"])["candidates"]
        .sum()
        .nlargest(n_extreme)
        .index
    )
    display(
        by_emp_demand.set_index(["discipline", "employer"])
        .loc[top]
        .set_index("module_code", append=True)
        .round(1)
    )
else:
    display(Markdown(_("No published result carries a diagnosis yet.")))
