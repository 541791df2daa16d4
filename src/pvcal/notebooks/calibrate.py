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
discipline = "qms-auditor"
period = "2025H1"
base_period = "2025H1"
data_dir = "../../../data/sample/qms-auditor"
registry = "../../../reports/registry.sqlite"
out_dir = None  # None: a fresh temporary folder (interactive use)
seed = 20250601
base_index_id = None
lang = "zh-CN"  # page language: "zh-CN" or "en" (pvcal publish passes the rules' locale)

# %%
import tempfile

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from pvcal import workflow
from pvcal.report.i18n import translate_summary, translator
from pvcal.report.style import use_style

_ = translator(lang).gettext
use_style()
display(Markdown("# " + _("Calibration")))
display(
    Markdown(
        _(
            "Loads and validates the discipline's data, calibrates the period's items by "
            "marginal maximum likelihood, links the period onto the base scale through the "
            "anchor items, and shows fit and drift diagnostics. All logic lives in "
            "`pvcal.workflow.calibrate_step`; this notebook shows its results."
        )
    )
)

out_dir = out_dir or tempfile.mkdtemp(prefix="pvcal-")

step = workflow.calibrate_step(data_dir, period, registry=registry, out_dir=out_dir, seed=seed)
cal = step.calibration
display(Markdown(f"## {step.rules.title or discipline}: {period}"))

# %%
display(Markdown("## " + _("Data and eligibility (Art. 6)")))
elig = step.eligibility
counts = pd.Series(
    {
        _("applications in the period"): len(elig),
        _("eligible (study hours met)"): int(elig["eligible"].sum()),
        _("ineligible: not scored"): int((~elig["eligible"].astype(bool)).sum()),
        _("eligible with responses (calibrated)"): len(step.wide),
        _("items with responses"): step.wide.shape[1],
    },
    name=_("count"),
)
display(counts.to_frame())
display(step.persons["form"].value_counts().sort_index().rename(_("applications")).to_frame())
if step.warnings:
    display(Markdown(_("**Data notes** (identifiers pseudonymised):")))
    display(pd.DataFrame(step.warnings, columns=["warning", "message"]))

# %%
display(Markdown("## " + _("Calibration")))
display(translate_summary(cal.summary(), lang))

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
cal.plot_information(ax=axes[0])
cal.plot_icc(items=list(cal.items.index[:6]), ax=axes[1])
plt.show()

# %%
cal.plot_wright_map(step.wide)
plt.show()

# %%
display(Markdown("## " + _("Item fit (Orlando–Thissen S-X², per form, complete responders)")))
if step.item_fit is None:
    display(Markdown(_("Too few complete responders for S-X².")))
else:
    fit = step.item_fit
    flagged = fit[fit["p"] < 0.01]
    display(
        Markdown(
            _(
                "%(n)s item-form fits; %(flagged)s with p < 0.01 "
                "(about %(expected).1f expected by chance)."
            )
            % {"n": len(fit), "flagged": len(flagged), "expected": 0.01 * len(fit)}
        )
    )
    display(flagged.round(4) if len(flagged) else fit.sort_values("p").head(5).round(4))

# %%
display(Markdown("## " + _("Person fit (lz* or lz, aberrance screen for review, Art. 14)")))
display(
    Markdown(
        _(
            "Flagged response patterns fit the model poorly (below −1.645); about 5 % are "
            "expected by chance. A flag is a reason to look, never a finding by itself."
        )
    )
)
dichotomous = bool((step.bank.loc[step.wide.columns, "max_score"] == 1).all())
statistic = "lz*" if dichotomous else "lz"  # lz* is defined for dichotomous items only
pfit = cal.person_fit(step.wide, method=statistic).join(step.persons["form"])
flags = pfit.groupby("form")["flagged"].agg(["size", "sum", "mean"])
flags.columns = [_("applications"), _("flagged"), _("share flagged")]
display(Markdown(_("Statistic: %(statistic)s.") % {"statistic": statistic}))
display(flags.round(3))
column = "lz_star" if dichotomous else "lz"
ax = pfit[column].plot.hist(bins=40, color="#2166ac", figsize=(6.4, 3.2))
ax.axvline(-1.645, color="#c51b7d")
ax.set_xlabel(statistic)
plt.show()

# %%
display(Markdown("## " + _("Linking to the base scale and anchor drift")))
if step.linking is None:
    display(
        Markdown(
            _("%(period)s is the base period: its calibration fixes the θ scale.")
            % {"period": period}
        )
    )
else:
    display(step.linking.summary())
    if step.linking.screen is not None:
        display(step.linking.screen.summary())
        step.linking.screen.plot()
        plt.show()

# %%
display(
    step.scores.describe().T.round(3).rename(index={"theta": _("θ (base scale)"), "se": _("SE")})
)
