# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
n_boot = 1000
lang = "zh-CN"  # page language: "zh-CN" or "en" (pvcal publish passes the rules' locale)

# %%
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from pvcal import workflow
from pvcal.report import plots
from pvcal.report.i18n import grade_label, translate_summary, translator
from pvcal.report.style import use_style

_ = translator(lang).gettext
use_style()
display(Markdown("# " + _("Discipline report: benchmark index and results")))
display(
    Markdown(
        _(
            "Publishes the period's benchmark index (pass-line index, Art. 11), converts "
            "every eligible candidate's ability to a standard score and a grade (Art. 12), "
            "and summarises the results. Candidates appear only by keyed pseudonyms (Art. 15)."
        )
    )
)

out_dir = out_dir or tempfile.mkdtemp(prefix="pvcal-")
if not (Path(out_dir) / "work" / "index.json").exists():  # interactive: earlier steps first
    workflow.calibrate_step(data_dir, period, registry=registry, out_dir=out_dir, seed=seed)
    workflow.standard_setting_step(out_dir, n_boot=n_boot)
pub = workflow.publish_step(out_dir, registry=registry)
index, results = pub.index, pub.results
display(
    Markdown(
        "## "
        + _("%(discipline)s %(period)s: pass-line index %(index).2f")
        % {"discipline": discipline, "period": period, "index": index.pass_index}
    )
)

# %%
display(translate_summary(index.summary(), lang))
index.plot()
plt.show()

# %%
display(Markdown("## " + _("What the pass line means")))
display(
    Markdown(
        _(
            "The standard score is anchored at the pass cut, so the pass line reads the "
            "same number (60) in every period by construction. What it stands for: the "
            "pass cut on the base θ scale and the raw score at the cut on each form of "
            "the period, with their uncertainty."
        )
    )
)
pass_line = json.loads((Path(out_dir) / "index.json").read_text())["record"]["pass_line"]
display(Markdown(pass_line["meaning"]))
th = pass_line["theta"]
level = f"{th['level']:.0%}"
marks = pd.DataFrame(
    [
        {
            _("form"): form,
            _("items"): f["n_items"],
            _("max score"): f["max_score"],
            _("raw pass mark"): f["raw_pass_mark"],
            _("SE"): f["se"],
            _("%(level)s interval") % {"level": level}: "–"
            if f["ci"] is None
            else "{:.2f} – {:.2f}".format(*f["ci"]),
        }
        for form, f in pass_line["forms"].items()
    ]
).set_index(_("form"))
theta_ci = "–" if th["ci"] is None else "{:.3f} – {:.3f}".format(*th["ci"])
display(
    pd.Series(
        {
            _("standard score of the pass line"): pass_line["standard_score"],
            _("θ cut (base scale)"): round(th["value"], 3),
            _("θ cut SE"): "–" if th["se"] is None else round(th["se"], 3),
            _("θ cut %(level)s interval") % {"level": level}: theta_ci,
            _("cut set by"): th["source"],
        },
        name=_("value"),
    ).to_frame()
)
display(marks.round(2))
display(Markdown(_("*Uncertainty:* %(text)s.") % {"text": pass_line["uncertainty"]}))

# %%
display(Markdown("## " + _("Results")))
facts = pd.Series(
    {
        _("results published"): len(results),
        _("already published earlier (kept, Art. 8)"): pub.already,
        _("ineligible (not scored, Art. 6)"): len(pub.ineligible),
        _("pass rate"): f"{results['grade'].ne('Fail').mean():.1%}" if len(results) else "–",
        _("within 1 SE of the pass line"): int(
            index.near_pass_line(results["theta"], results["se"]).sum()
        )
        if len(results)
        else 0,
    },
    name=_("value"),
)
display(facts.to_frame())

# %%
if len(results):
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    plots.plot_grade_distribution(results, by="form", ax=axes[0], lang=lang)
    axes[0].set_title(_("grades by form"))
    lo, hi = results["standard_score"].min(), results["standard_score"].max()
    axes[1].hist(results["standard_score"], bins=np.arange(lo, hi + 2) - 0.5, color="#2166ac")
    for g, v in index.cut_scores.items():
        axes[1].axvline(v, color="k", lw=1)
        label = grade_label(g, lang)
        axes[1].annotate(label, (v, axes[1].get_ylim()[1] * 0.9), rotation=90, fontsize=8)
    axes[1].set_xlabel(_("standard score"))
    axes[1].set_title(_("standard scores"))
    plt.show()

# %%
if len(results):
    by_region = plots.rate_table(results, "region")
    display(by_region.round(3))
    plots.plot_rates(by_region, title=_("pass rate by region"), lang=lang)
    plt.show()

# %%
display(Markdown("## " + _("Diagnosis and targeted training (Art. 4, 17)")))
display(
    Markdown(
        _(
            "Each candidate's θ in every content domain (rules `diagnosis`: interval level, "
            "minimum answered items, method), flagged weak when the whole interval lies below "
            "the pass cut; weak domains lead to training modules. The domain table gives the "
            "mean domain θ against the cut, the share flagged, the precision of the domain θ "
            "(PRMSE) and whether the raw domain subscore has value beyond the total score "
            "(Haberman 2008, averaged over the forms). Every result has its feedback page "
            "(`feedback/<pseudonym>.html`)."
        )
    )
)
diag = pub.diagnosis
if diag is not None and diag.diagnosis is not None:
    display(diag.diagnosis.domain_table(diag.subscores).round(3))
    demand = diag.demand()
    display(demand.round(1) if len(demand) else Markdown(_("No domain was flagged weak.")))
else:
    display(Markdown(_("The item bank has no content domains: no diagnosis.")))

# %%
display(Markdown("## " + _("Peer comparison (where the rules have one)")))
if pub.peer is not None:
    display(pub.peer.summary())
    pub.peer.plot()
    plt.show()
    combined = pd.crosstab(
        results["detail"].map(lambda d: grade_label(d["exam_grade"], lang)).rename(_("exam grade")),
        results["grade"].map(lambda g: grade_label(g, lang)).rename(_("final grade")),
    )
    display(combined)
else:
    display(Markdown(_("This discipline has no peer-comparison part.")))

# %%
from pvcal.workflow.fairness import dif_step

display(Markdown("## " + _("Fairness: differential item functioning (Art. 19)")))
display(
    Markdown(
        _(
            "Mantel-Haenszel DIF of every item, form by form, for each grouping of the "
            "rules (`dif.groupings`): ETS classes A (negligible), B (moderate), C (large). "
            "Items classed C go to review by the item committee; nothing is removed "
            "automatically. Each flagged item is shown with its proportions correct by "
            "total score in each group."
        )
    )
)

fairness = dif_step(out_dir)
display(fairness.screen.summary())
for row in fairness.screen.flagged().index[:8]:
    fairness.plot(row)
    plt.show()

# %%
from pvcal.workflow.integrity import integrity_step

display(Markdown("## " + _("Integrity screening (Art. 14)")))
display(
    Markdown(
        _(
            "Every ordered pair of candidates in the same sitting (site, session) is "
            "tested for answer copying with Wollack's ω, p-values controlled across all "
            "pairs (rules: `integrity.alpha`, `integrity.control`); every candidate's "
            "person fit (lz*, lz for polytomous tests) is compared with critical values "
            "simulated at the candidate's θ. Flags open cases for review when the results "
            "are published; nothing is decided or revoked automatically. Candidates appear "
            "by pseudonym only."
        )
    )
)

integrity = integrity_step(out_dir)
display(integrity.summary())

# %%
display(Markdown("## " + _("Ineligible applications (pseudonymised)")))
display(pub.ineligible if len(pub.ineligible) else Markdown(_("None.")))

# %%
display(Markdown("## " + _("How results were reached")))
record = json.loads((Path(out_dir) / "index.json").read_text())["record"]
display(Markdown(record["method_text"]))
