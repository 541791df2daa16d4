"""The appeal sheet's diagnosis section (issue 10): the record stored with the result."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pvcal.diagnosis import diagnose
from pvcal.report.feedback import diagnosis_context
from pvcal.report.html import render
from pvcal.report.i18n import translator

APPEAL = dict(
    title="QMS auditor",
    period="2025H2",
    application_id="APP-1",
    pseudonym="p-1",
    form="A",
    grade="Fail",
    published_at="2026-12-01",
    run_id="r1",
    index_id=3,
    index_published_at="2026-11-30",
    n_answered=36,
    n_items=36,
    raw_score="14",
    max_score="36",
    domains_table=None,
    items_tables=[],
    theta=-0.9,
    se=0.3,
    calculation="…",
    recomputed="54",
    stored="54",
    standard_score_ok=True,
    figure="data:image/png;base64,APPEALFIG",
    pass_index=60.0,
    level=0.95,
    pass_ci=[58.0, 62.0],
    cuts_table="",
    grade_rule="…",
    exam_grade="Fail",
    grade_ok=True,
    peer=None,
    combine=None,
    method_text="",
    conventions={},
)


def _record():
    """A stored diagnosis record (as publish_step writes it into the result's detail) of a
    person at θ = 0.3 except in 'law' (θ = -3.5), 12 2PL items a domain."""
    rng = np.random.default_rng(3)
    n, J = 300, 12
    theta = rng.normal(size=(n, 1)) + np.zeros((1, 3))
    theta[0] = [0.3, 0.3, -3.5]
    a, b = rng.lognormal(0.2, 0.2, 3 * J), rng.normal(size=3 * J)
    ids = [f"Q{j:02d}" for j in range(3 * J)]
    p = 1 / (1 + np.exp(-a * (np.repeat(theta, J, axis=1) - b)))
    wide = pd.DataFrame((rng.random(p.shape) < p).astype(float), columns=ids)
    domains = pd.Series(np.repeat(["haccp", "hygiene", "law"], J), index=ids)
    items = pd.DataFrame({"a": a, "b": b}, index=ids)
    diag = diagnose(items, wide, domains, cut=-0.4, method="eap")
    rec = diag.recommend({"law": {"module": "FSI-410 Food law", "hours": 6}})
    return json.loads(json.dumps(diag.records(rec)[0]))


def test_appeal_sheet_shows_the_stored_diagnosis():
    """The section lists every reported domain, marks the weak one and names its module, in
    both languages; the appeal's own standard-score figure is kept (template scoping)."""
    record = _record()
    assert [d["domain"] for d in record["domains"] if d["weak"]] == ["law"]
    for lang in ("en", "zh-CN"):
        gettext = translator(lang).gettext
        diag = diagnosis_context(
            record["domains"], record["cut"], record["level"], record["training"], gettext
        )
        page = render("appeal.html.j2", lang=lang, diagnosis=diag, **APPEAL)
        assert 'id="diagnosis"' in page and page.count("<circle") == 3
        assert "FSI-410 Food law" in page and "data:image/png;base64,APPEALFIG" in page
    assert "Targeted training" in render("appeal.html.j2", lang="en", diagnosis=diag, **APPEAL)
    assert 'id="diagnosis"' not in render("appeal.html.j2", lang="en", diagnosis=None, **APPEAL)
