"""The diagnosis step of a publication: records, cohort file and feedback pages by pseudonym."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pvcal.workflow.calibrate import calibrate_step
from pvcal.workflow.diagnosis import (
    DIAGNOSIS_FILE,
    diagnosis_step,
    load_diagnosis,
    write_feedback,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def step(tmp_path_factory):
    """The QMS sample's base period, calibrated by the workflow (no item fit)."""
    out = tmp_path_factory.mktemp("calibrate")
    return calibrate_step(SAMPLE / "qms-auditor", "2025H1", out_dir=out, item_fit=False)


@pytest.mark.slow
def test_diagnosis_step_keys_everything_by_pseudonym(step, tmp_path):
    """Issue 10: the cohort diagnosis, the per-result records and the feedback pages carry
    pseudonyms only; each page is feedback/<pseudonym>.html with its own form's pass mark;
    the rules' defaults (level 0.95, min_items 5, augmented) and the item bank's modules."""
    apps = step.wide.index
    pseud = pd.Series([f"ps{i:05d}" for i in range(len(apps))], index=apps)
    diag = diagnosis_step(step, -0.25, pseud, tmp_path)
    assert diag.diagnosis.settings["method"] == "augmented"
    assert diag.diagnosis.settings["level"] == 0.95
    assert set(diag.diagnosis.profile["person"]) <= set(pseud)
    text = (tmp_path / DIAGNOSIS_FILE).read_text(encoding="utf-8")
    assert apps[0] not in text and str(step.persons["candidate_id"].iloc[0]) not in text
    assert load_diagnosis(tmp_path) == diag.diagnosis
    weak = diag.recommendations
    assert len(weak) > 0 and weak["module_code"].str.startswith("QMS-").all()
    assert set(diag.records) <= set(pseud)
    assert diag.subscores is not None and {"A", "B"} <= set(
        diag.subscores.index.get_level_values(0)
    )
    demand = diag.demand(step.candidates.rename(index=pseud), by="region")
    assert demand["candidates"].sum() == weak.drop_duplicates(["person", "module"]).shape[0]

    first = weak["person"].iloc[0]
    app = pseud.index[pseud == first][0]
    results = pd.DataFrame(
        {
            "application": [first, pseud.iloc[1]],
            "form": step.persons["form"].reindex([app, pseud.index[1]]).astype(str).to_numpy(),
            "standard_score": [52, 68],
            "grade": ["Fail", "Pass"],
            "raw_score": [15.0, 27.0],
            "max_score": [40.0, 40.0],
        }
    )
    pages = write_feedback(tmp_path, step, diag, results, title="QMS auditor", lang="en")
    assert [p.name for p in pages] == [f"{first}.html", f"{pseud.iloc[1]}.html"]
    page = pages[0].read_text(encoding="utf-8")
    assert app not in page and weak["module"].iloc[0] in page
    record = json.loads(json.dumps(diag.records[first]))
    assert record["training"][0]["module"] == weak["module"].iloc[0]
