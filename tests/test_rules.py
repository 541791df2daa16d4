"""pvcal.rules: the rules file is validated once, at load, against one typed model.

Source of truth for every expectation here: the key table in the module docstring of
:mod:`pvcal.rules` (pvcal's own file format; Art. 10-12 of the verification measures
for the grades and cuts, ISO 13528:2022 for the peer-comparison keys).
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path

import pytest
import yaml

from pvcal import rules
from pvcal._validation import RulesError, SchemaError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SAMPLES = ("qms-auditor", "food-safety-inspector", "lab-assessor")


def sample(name: str) -> dict:
    return yaml.safe_load((SAMPLE / name / "rules.yml").read_text(encoding="utf-8"))


def mutate(raw: dict, changes: dict) -> dict:
    """Apply ``{"a.b.c": value}`` changes (value ``DELETE`` removes the key)."""
    raw = copy.deepcopy(raw)
    for key, value in changes.items():
        *head, last = key.split(".")
        node = raw
        for h in head:
            node = node.setdefault(h, {})
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return raw


DELETE = object()
TUNED = {
    "theta": {"pass": -0.4, "good": 0.6, "excellent": 1.4},
    "set_by": "panel chair",
    "set_at": "2026-01-05T10:00:00Z",
    "reason": "agreed at the review meeting",
}

# (sample, changes, key path named in the message, what the message says was expected)
INVALID = [
    ("qms-auditor", {"discipline": DELETE}, "missing required key 'discipline'", ""),
    ("qms-auditor", {"model": "4PL"}, "key 'model'", "'4PL' is not one of"),
    ("qms-auditor", {"periods": "2025H1"}, "key 'periods'", "non-empty list"),
    ("qms-auditor", {"periods": ["2025H1", "2025H1"]}, "key 'periods'", "duplicate period"),
    ("qms-auditor", {"base_period": "2024H2"}, "key 'base_period'", "is not one of periods"),
    ("qms-auditor", {"forms.2025H2": DELETE}, "key 'forms.2025H2'", "has no forms"),
    ("qms-auditor", {"forms.2026H1": ["E"]}, "key 'forms.2026H1'", "is not one of periods"),
    ("qms-auditor", {"files.responses": []}, "key 'files.responses'", "non-empty list"),
    (
        "qms-auditor",
        {"scale.standard_score.rounding": "floor"},
        "key 'scale.standard_score.rounding'",
        "'floor' is not one of 'half_up'",
    ),
    (
        "qms-auditor",
        {"scale.standard_score.scale": 0},
        "key 'scale.standard_score.scale'",
        "expected a number > 0",
    ),
    (
        "qms-auditor",
        {"scale.standard_score.pass_score": 100},
        "key 'scale.standard_score'",
        "min < pass_score < max",
    ),
    (
        "qms-auditor",
        {"scale.standard_score.decimals": 1.5},
        "key 'scale.standard_score.decimals'",
        "integer",
    ),
    ("qms-auditor", {"scale.standard_score.offset": 3}, "key 'scale.standard_score'", "'offset'"),
    ("qms-auditor", {"grades.excellent": DELETE}, "missing required key 'grades.excellent'", ""),
    ("qms-auditor", {"grades.best": {"method": "fixed", "theta": 3}}, "key 'grades'", "'best'"),
    ("qms-auditor", {"grades.good.method": "delphi"}, "key 'grades.good.method'", "'delphi'"),
    (
        "qms-auditor",
        {"grades.good.method": DELETE},
        "missing required key 'grades.good.method'",
        "",
    ),
    ("qms-auditor", {"grades.good": "bookmark"}, "key 'grades.good'", "expected a mapping"),
    ("qms-auditor", {"grades.good.rp": 1.2}, "key 'grades.good.rp'", "expected a number < 1"),
    ("qms-auditor", {"grades.good.rpp": 0.5}, "key 'grades.good'", "unknown key(s) ['rpp']"),
    ("qms-auditor", {"grades.pass.round": 0}, "key 'grades.pass.round'", "integer >= 1"),
    (
        "qms-auditor",
        {"grades.excellent.percentile": 100},
        "key 'grades.excellent.percentile'",
        "< 100",
    ),
    (
        "qms-auditor",
        {"grades.excellent": {"method": "fixed", "theta": 1, "standard_score": 80}},
        "key 'grades.excellent'",
        "exactly one of 'theta' or 'standard_score'",
    ),
    (
        "lab-assessor",
        {"grades.excellent.standard_score": 70},
        "key 'grades.excellent.standard_score'",
        "cuts must increase",
    ),
    (
        "lab-assessor",
        {"grades.good.standard_score": 101},
        "key 'grades.good.standard_score'",
        "outside the scale 0..100",
    ),
    (
        "food-safety-inspector",
        {"grades.good.rating": DELETE},
        "missing required key 'grades.good.borderline'",
        "",
    ),
    ("qms-auditor", {"grades.pass": {"method": "hofstee"}}, "grades.pass.", "missing required key"),
    (
        "qms-auditor",
        {"eligibility.min_study_hours": -1},
        "key 'eligibility.min_study_hours'",
        ">= 0",
    ),
    ("qms-auditor", {"anchors.linking": "equipercentile"}, "key 'anchors.linking'", "not one of"),
    ("qms-auditor", {"anchors.drift.statistic": "chi2"}, "key 'anchors.drift.statistic'", "chi2"),
    ("qms-auditor", {"anchors.drift.threshold": -1}, "key 'anchors.drift.threshold'", "> 0"),
    ("qms-auditor", {"anchors.policy": "none"}, "key 'anchors.policy'", "unlinked"),
    ("qms-auditor", {"missing.omitted": "wrong"}, "key 'missing.omitted'", "'ignore'"),
    ("qms-auditor", {"combine": "lower"}, "key 'combine'", "'peer' section"),
    ("lab-assessor", {"combine": "mean"}, "key 'combine'", "'mean' is not one of"),
    ("lab-assessor", {"peer.method": "trimmed"}, "key 'peer.method'", "'trimmed'"),
    ("lab-assessor", {"peer.sigma_pt.rule": "fixed"}, "key 'peer.sigma_pt.rule'", "'fixed'"),
    ("lab-assessor", {"peer.sigma_pt.rule": "robust_sd"}, "key 'peer.sigma_pt.rule'", "robust_sd"),
    (
        "lab-assessor",
        {"peer.sigma_pt.value": DELETE},
        "missing required key 'peer.sigma_pt.value'",
        "",
    ),
    ("lab-assessor", {"peer.sigma_pt.value": 1.5}, "key 'peer.sigma_pt.value'", "in (0, 1]"),
    (
        "lab-assessor",
        {"peer.sigma_pt": {"rule": "absolute", "value": {"S1": 0.5, "S9": 1}}},
        "key 'peer.sigma_pt.value.S9'",
        "not one of peer.samples",
    ),
    ("lab-assessor", {"peer.aggregate": "mean_abs"}, "key 'peer.aggregate'", "'max_abs'"),
    ("lab-assessor", {"peer.samples.S1.sigma_pt": 0.2}, "key 'peer.samples.S1'", "'sigma_pt'"),
    ("lab-assessor", {"peer.grading.statistic": "t"}, "key 'peer.grading.statistic'", "'t'"),
    ("lab-assessor", {"peer.grading.one_sided": True}, "key 'peer.grading.unfavourable'", "low"),
    ("lab-assessor", {"peer.grading.one_sided": "left"}, "key 'peer.grading.one_sided'", "left"),
    ("lab-assessor", {"peer.grading.cuts.good": 0.5}, "key 'peer.grading.cuts'", "increase"),
    ("qms-auditor", {"tuned_cuts": {**TUNED, "set_by": ""}}, "key 'tuned_cuts.set_by'", "string"),
    (
        "qms-auditor",
        {"tuned_cuts": {**TUNED, "theta": {"pass": 1.0, "good": 0.5, "excellent": 2.0}}},
        "key 'tuned_cuts.theta'",
        "cuts must increase",
    ),
    ("qms-auditor", {"locale": "fr"}, "key 'locale'", "'fr' is not one of 'zh-CN' or 'en'"),
    ("qms-auditor", {"diagnosis.level": 0.9999}, "key 'diagnosis.level'", "<= 0.999"),
    ("qms-auditor", {"diagnosis.min_items": 1}, "key 'diagnosis.min_items'", ">= 2"),
    ("qms-auditor", {"diagnosis.method": "mle"}, "key 'diagnosis.method'", "'mle'"),
    (
        "qms-auditor",
        {"diagnosis.modules": {"audit": {"module": "M1", "hours": 0}}},
        "key 'diagnosis.modules.audit.hours'",
        "> 0",
    ),
    ("qms-auditor", {"integrity.alpha": 0.5}, "key 'integrity.alpha'", "< 0.5"),
    ("qms-auditor", {"integrity.control": "holm"}, "key 'integrity.control'", "'holm'"),
    ("qms-auditor", {"integrity.min_shared_items": 0}, "key 'integrity.min_shared_items'", ">= 1"),
    (
        "qms-auditor",
        {"certificates.validity_months": 121},
        "key 'certificates.validity_months'",
        "<= 120",
    ),
    (
        "qms-auditor",
        {"certificates.public_notice": ["number", "name"]},
        "key 'certificates.public_notice[1]'",
        "'name' is not one of",
    ),
    ("qms-auditor", {"dif.groupings": []}, "key 'dif.groupings'", "non-empty list"),
    ("qms-auditor", {"dif.min_group": 1}, "key 'dif.min_group'", ">= 2"),
    ("qms-auditor", {"dif.alpha": 0}, "key 'dif.alpha'", "> 0"),
    ("qms-auditor", {"colour": "blue"}, "unknown key(s) ['colour']", "expected some of"),
]


@pytest.mark.parametrize(
    "name, changes, key, expected", INVALID, ids=[str(c) for _, c, _, _ in INVALID]
)
def test_invalid_rules_file_is_refused_at_load(tmp_path, name, changes, key, expected):
    """Each mutation of a valid sample breaks one documented rule of the key table; the
    file is refused by ``load`` with the file, the key path and what was expected."""
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(mutate(sample(name), changes)), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        rules.load(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: "), msg
    assert key in msg and expected in msg, msg
    assert isinstance(info.value, SchemaError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_rules_are_accepted_unchanged(name):
    """The three sample rules files load as they are, every key they use is kept in
    the typed model, and the unchanged file is what ``raw`` gives back."""
    r = rules.load(SAMPLE / name / "rules.yml")
    raw = sample(name)
    assert r.discipline == raw["discipline"] == name
    assert r.raw == raw
    assert list(r.periods) == raw["periods"] and r.base_period == raw["base_period"]
    assert {p: list(f) for p, f in r.forms.items()} == raw["forms"]
    assert r.standard_score.rounding == raw["scale"]["standard_score"]["rounding"]
    assert r.min_study_hours == raw["eligibility"]["min_study_hours"]
    for cut in rules.CUTS:
        assert r.grades.spec(cut).method == raw["grades"][cut]["method"]
    assert r.missing.not_reached == raw["missing"]["not_reached"]
    assert r.anchors.policy == raw["anchors"]["policy"]
    if "drift" in raw["anchors"]:
        assert r.anchors.drift.threshold == raw["anchors"]["drift"]["threshold"]
    if "files" in raw:
        assert list(r.files.responses) == raw["files"]["responses"]
    if "peer" in raw:
        assert r.peer.sigma_pt.value == raw["peer"]["sigma_pt"]["value"]
        assert r.combine == raw["combine"]
        assert set(r.peer.samples) == set(raw["peer"]["samples"])


def test_typed_values_of_the_lab_assessor():
    """lab-assessor rules.yml by hand: relative sigma_pt 10 % of x_pt, worst |z| over
    samples, z cuts 1 / 2 / 3 two-sided, fixed Good 75 and Excellent 90 standard scores."""
    r = rules.load(SAMPLE / "lab-assessor" / "rules.yml")
    assert (r.peer.method, r.peer.sigma_pt.rule, r.peer.sigma_pt.value) == (
        "algorithm_a",
        "relative",
        0.10,
    )
    assert r.peer.grading.config() == {
        "statistic": "z",
        "one_sided": False,
        "cuts": {"excellent": 1.0, "good": 2.0, "pass": 3.0},
        "boundary": "closed",
    }
    assert (
        r.grades.spec("good").standard_score == 75 and r.grades.spec("Excellent").method == "fixed"
    )
    assert r.grades.methods() == {"angoff", "fixed"}


def test_defaults_of_the_optional_sections():
    """The defaults documented in the key table (a sample file has none of these sections)."""
    r = rules.load(SAMPLE / "qms-auditor" / "rules.yml")
    assert r.locale == "zh-CN"
    assert (r.diagnosis.level, r.diagnosis.min_items, r.diagnosis.method) == (0.95, 5, "augmented")
    assert r.diagnosis.modules is None
    assert (r.integrity.alpha, r.integrity.control, r.integrity.min_shared_items) == (
        0.001,
        "bh",
        10,
    )
    assert r.certificates.validity_months == 36
    assert r.certificates.public_notice == rules.NOTICE_FIELDS
    assert r.dif.groupings == ("gender", "region", "employer")
    assert (r.dif.min_group, r.dif.alpha) == (100, 0.05)
    assert r.tuned_cuts is None and r.peer is None and r.combine == "lower"


def test_optional_sections_when_given(tmp_path):
    """Values given in the file replace the defaults; case of a choice is normalised."""
    raw = mutate(
        sample("qms-auditor"),
        {
            "locale": "EN",
            "diagnosis": {"level": 0.9, "modules": {"audit": {"module": "M-7", "hours": 8}}},
            "integrity": {"control": "bonferroni"},
            "certificates": {"public_notice": ["number", "date"]},
            "dif": {"groupings": ["region"], "min_group": 50},
            "tuned_cuts": TUNED,
        },
    )
    r = rules.validate(raw)
    assert r.locale == "en" and r.diagnosis.level == 0.9
    assert r.diagnosis.modules["audit"].hours == 8.0
    assert r.integrity.control == "bonferroni"
    assert r.certificates.public_notice == ("number", "date")
    assert r.dif.groupings == ("region",) and r.dif.min_group == 50
    assert r.tuned_cuts.theta.as_grades() == {"Pass": -0.4, "Good": 0.6, "Excellent": 1.4}


def test_unsupported_rounding_fails_at_load_not_mid_run(tmp_path):
    """``rounding: floor`` used to pass the loader and fail inside StandardScoreMap
    mid-run; the rounding modes the loader accepts are exactly those StandardScoreMap
    implements."""
    from pvcal.index import StandardScoreMap

    path = tmp_path / "rules.yml"
    path.write_text(
        (SAMPLE / "qms-auditor" / "rules.yml")
        .read_text(encoding="utf-8")
        .replace("rounding: half_up", "rounding: floor")
    )
    with pytest.raises(RulesError, match=r"key 'scale.standard_score.rounding': 'floor'"):
        rules.load(path)
    for mode in rules.ROUNDING:
        m = StandardScoreMap.from_rules(
            {"pass_score": 60, "scale": 10, "rounding": mode}, pass_theta=0.0
        )
        assert m(0.05) == 61.0  # 60.5 rounded half up


def test_implemented_peer_rules_only():
    """Every sigma_pt rule and aggregate the loader accepts is one the workflow's peer
    part implements (relative / absolute; worst |statistic|); the consensus methods are
    those of pvcal.peer."""
    from pvcal import peer, robust

    assert set(rules.PEER_METHODS) == set(robust.CONSENSUS_METHODS)
    assert set(rules.PEER_STATISTICS) == set(peer.STATISTICS)
    assert rules.SIGMA_PT_RULES == ("relative", "absolute")
    assert rules.PEER_AGGREGATES == ("max_abs",)


def test_vocabulary_is_shared():
    """The modules that name grades, cuts, models and methods use pvcal.rules' lists."""
    from pvcal import data, peer, standards
    from pvcal.equating import linking
    from pvcal.irt import models as irt_models

    assert data.MODELS is rules.MODELS and data.CUTS is rules.CUTS
    assert data.METHODS == rules.STANDARD_SETTING_METHODS == standards.METHODS
    assert peer.GRADES == rules.GRADES and standards.GRADES == rules.CUT_GRADES
    assert tuple(linking.METHODS) == rules.LINKING_METHODS
    assert irt_models.MODELS is rules.MODELS
    assert irt_models.DICHOTOMOUS == set(rules.DICHOTOMOUS_MODELS)


def test_method_options_are_arguments_of_the_methods():
    """Each option a grade spec may carry is an argument of the standard-setting
    function it is passed to, or an option set_cuts itself reads (scale, panel_cut,
    from_panel, column)."""
    from pvcal import standards

    funcs = {
        "angoff": standards.angoff,
        "bookmark": standards.bookmark,
        "borderline_group": standards.borderline_group,
        "borderline_regression": standards.borderline_regression,
        "contrasting_groups": standards.contrasting_groups,
        "hofstee": standards.hofstee,
        "beuk": standards.beuk,
        "normative": standards.normative_cut,
    }
    for method, fn in funcs.items():
        required, optional = rules.METHOD_OPTIONS[method]
        args = set(inspect.signature(fn).parameters)
        assert (required | optional) - {"scale", "panel_cut", "from_panel", "column"} <= args, (
            method
        )


def test_no_mapping_view():
    """DESIGN.md / issue 9: every consumer reads the typed attributes; a dict-style read of
    a section fails instead of handing back a plain mapping to re-parse."""
    r = rules.load(SAMPLE / "qms-auditor" / "rules.yml")
    assert r.grades.good.method == "bookmark" and r.grades.good.rp == 0.67
    assert r.anchors.drift.statistic == "robust_z" and r.anchors.drift.threshold == 2.7
    with pytest.raises(TypeError):
        r.grades["good"]
    with pytest.raises(TypeError):
        r["scale"]
    with pytest.raises(AttributeError):
        r.anchors.get("drift")
    # the dump for hashes and display keeps the file's spelling (unset optional keys left out)
    assert r.grades.good.as_dict() == {"method": "bookmark", "rp": 0.67, "round": 2}
    assert "anchor_theta" not in r.standard_score.as_dict()


def test_file_problems(tmp_path):
    """Missing file, invalid YAML (with its line), empty file, a list at the top."""
    with pytest.raises(RulesError, match="file not found"):
        rules.load(tmp_path / "none.yml")
    bad = tmp_path / "rules.yml"
    bad.write_text("a: 1\nb: [1, 2\nc: 3")
    with pytest.raises(RulesError, match=r"rules.yml, line 3: invalid YAML"):
        rules.load(bad)
    bad.write_text("# nothing")
    with pytest.raises(RulesError, match="empty rules file"):
        rules.load(bad)
    bad.write_text("- a\n- b")
    with pytest.raises(RulesError, match="expected a mapping of rules at the top level"):
        rules.load(bad)


def test_rules_are_frozen():
    """A loaded Rules cannot be changed in place (results are immutable)."""
    r = rules.load(SAMPLE / "qms-auditor" / "rules.yml")
    with pytest.raises(Exception, match="frozen"):
        r.base_period = "2025H2"


@pytest.mark.parametrize("name", SAMPLES)
def test_json_round_trip(name):
    """``Rules.from_json(r.to_json())`` equals ``r`` and writes the same JSON again."""
    r = rules.load(SAMPLE / name / "rules.yml")
    back = rules.Rules.from_json(r.to_json())
    assert back == r and back.file == r.file and back.to_json() == r.to_json()
