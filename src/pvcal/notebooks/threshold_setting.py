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
n_boot = 1000
interactive = False
lang = "zh-CN"  # page language: "zh-CN" or "en" (pvcal publish passes the rules' locale)

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from pvcal import workflow
from pvcal.report.i18n import translate_summary, translator
from pvcal.report.style import use_style

_ = translator(lang).gettext
use_style()
display(Markdown("# " + _("Threshold setting")))
display(
    Markdown(
        _(
            "Sets the three cuts (Pass, Good, Excellent) by the methods of the rules file "
            "and estimates the benchmark index with its bootstrap uncertainty."
        )
    )
)
display(
    Markdown(
        _(
            "**Methodologists:** open this notebook in JupyterLab with `interactive = True` "
            "to get sliders for the three cuts (seeded from the standard-setting result); "
            "the grade distribution, pass rate, classification accuracy/consistency, CSEM "
            "at the cuts and the standard-score map update live, and the button saves the "
            "chosen cuts with who, when and why as a proposal beside the discipline's "
            "`rules.yml` (`proposals/cuts-<UTC time>.yml`); the rules change only when "
            "someone applies it: `pvcal rules apply-proposal FILE --reports DIR` (audited). "
            "Under papermill (`pvcal publish`) it runs non-interactively with the rules' cuts."
        )
    )
)

out_dir = out_dir or tempfile.mkdtemp(prefix="pvcal-")

if not (Path(out_dir) / "work" / "step.json").exists():
    workflow.calibrate_step(data_dir, period, registry=registry, out_dir=out_dir, seed=seed)
setting = workflow.standard_setting_step(out_dir, n_boot=n_boot)
index = setting.index
display(
    Markdown(
        "## "
        + _("%(discipline)s %(period)s: cuts from **%(source)s**")
        % {"discipline": discipline, "period": period, "source": setting.plan.source}
    )
)
for note in setting.plan.notes:
    display(Markdown(f"- {note}"))

# %%
display(translate_summary(index.summary(), lang))
index.plot()
plt.show()

# %%
display(Markdown("## " + _("Decision quality at the cuts")))
tuner = setting.tuner()
state = tuner.evaluate()
display(state.facts().round(4).to_frame(_("value")))
display(state.table().round(4))
fig = tuner.plot(state, lang=lang)
plt.show()

# %%
display(Markdown("## " + _("Tuner (interactive sessions only)")))
if interactive:
    display(tuner.widget(lang=lang))
else:
    display(Markdown(_("Non-interactive run: the rules' cuts above are used.")))
