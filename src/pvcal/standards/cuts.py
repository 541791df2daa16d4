"""The three cuts of a discipline, each set by the method its rules file names.

:func:`set_cuts` dispatches the ``grades:`` block of a rules file to the panel,
compromise and normative methods and returns :class:`CutScores`, whose
:meth:`CutScores.bootstrap` resamples candidates and panelists together. See
:mod:`pvcal.standards` for the methods and their options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import rules as _rules
from .._validation import DataError, PvcalError, SchemaError, check_1d, check_rng
from ..rules import CUT_GRADES, METHOD_OPTIONS, STANDARD_SETTING_METHODS
from .compromise import beuk, hofstee
from .normative import normative_cut, robust_location_scale
from .panel import (
    angoff,
    bookmark,
    borderline_group,
    borderline_regression,
    contrasting_groups,
    max_scores,
    tcc_inverse,
)

#: The three cuts of every discipline, lowest first (Art. 12: Excellent, Good, Pass, Fail).
GRADES = CUT_GRADES
# method -> (required, optional) options of a grade spec, as pvcal.rules defines them
_OPTIONS: dict[str, tuple[set[str], set[str]]] = {
    m: (set(required), set(optional)) for m, (required, optional) in METHOD_OPTIONS.items()
}
METHODS = STANDARD_SETTING_METHODS
_ALIASES = {
    "modified_angoff": "angoff",
    "borderline": "borderline_group",
    "contrasting": "contrasting_groups",
    "percentile": "normative",
    "robust": "normative",
}
_DEFAULT_SCALE = {"hofstee": "raw", "beuk": "raw"}


def _canon(name: Any, grade: str) -> str:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in _OPTIONS:
        raise SchemaError(
            f"rules file, grades: {grade!r} names unknown standard-setting method {name!r}; "
            f"expected one of {list(METHODS)}"
        )
    return key


def parse_grades(rules_grades: Any) -> dict[str, dict]:
    """Normalise a rules file's ``grades:`` block to ``{grade: {"method": ..., options}}``.

    Accepts the block itself (a mapping grade -> spec, or a list of specs with
    a ``grade``/``name`` key) or a whole rules mapping holding ``grades:`` (or
    ``cuts:``). A spec may be a mapping with ``method``, a bare method name, or
    a number (a fixed θ cut). Grades keep the order of the file unless they are
    the three standard grades, which are put in the order Pass, Good, Excellent.

    A typed :class:`pvcal.rules.Rules` or :class:`pvcal.rules.Grades` (already
    validated at load) is taken as it is.

    Raises
    ------
    SchemaError
        Unknown methods, missing or unknown options, an empty block.
    """
    block = rules_grades
    if isinstance(block, _rules.Rules):
        block = block.grades
    if isinstance(block, _rules.Grades):
        block = {c: spec.options() for c, spec in block.by_cut().items()}
    if isinstance(block, dict):
        for key in ("grades", "cuts"):
            if key in block and isinstance(block[key], dict | list):
                block = block[key]
                break
    if isinstance(block, list):
        items = {}
        for i, spec in enumerate(block):
            if not isinstance(spec, dict) or not ({"grade", "name"} & set(spec)):
                raise SchemaError(f"rules file, grades[{i}]: expected a mapping with 'grade'")
            spec = dict(spec)
            name = spec.pop("grade", None) or spec.pop("name")
            items[str(name)] = spec
        block = items
    if not isinstance(block, dict) or not block:
        raise SchemaError(f"rules file: 'grades' must be a non-empty mapping, got {block!r}")
    out: dict[str, dict] = {}
    for grade, spec in block.items():
        g = str(grade)
        if isinstance(spec, _rules.GradeSpecBase):
            spec = spec.options()
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            spec = {"method": "fixed", "theta": float(spec)}
        elif isinstance(spec, str):
            spec = {"method": spec}
        if not isinstance(spec, dict) or "method" not in spec:
            raise SchemaError(f"rules file, grades: {g!r} needs a mapping with a 'method' key")
        spec = dict(spec)
        method = _canon(spec.pop("method"), g)
        for doc_key in ("description", "labels", "note"):  # documentation only
            spec.pop(doc_key, None)
        if method == "borderline_regression" and "rating" in spec and "borderline" not in spec:
            spec["borderline"] = spec.pop("rating")
        required, optional = _OPTIONS[method]
        if spec.get("from_panel"):  # judges' values come from the compromise panel file
            optional = optional | required
            required = set()
        missing = sorted(required - set(spec))
        unknown = sorted(set(spec) - required - optional)
        if missing:
            raise SchemaError(
                f"rules file, grades: {g!r} ({method}) is missing option(s) {missing}"
            )
        if unknown:
            raise SchemaError(
                f"rules file, grades: {g!r} ({method}) has unknown option(s) {unknown}; "
                f"allowed: {sorted(required | optional)}"
            )
        if method == "normative" and ("percentile" in spec) == ("k" in spec):
            raise SchemaError(f"rules file, grades: {g!r} (normative) needs one of percentile, k")
        if method == "fixed" and ("theta" in spec) == ("standard_score" in spec):
            raise SchemaError(
                f"rules file, grades: {g!r} (fixed) needs exactly one of theta, standard_score"
            )
        spec.setdefault("scale", _DEFAULT_SCALE.get(method, "theta"))
        if method in ("angoff", "bookmark", "fixed"):
            spec.pop("scale")
        elif spec["scale"] not in ("theta", "raw"):
            raise SchemaError(
                f"rules file, grades: {g!r} scale must be 'theta' or 'raw', got {spec['scale']!r}"
            )
        out[g] = {"method": method, **spec}
    canon = {g.lower(): g for g in out}
    if set(canon) == {g.lower() for g in GRADES}:
        out = {G: out[canon[G.lower()]] for G in GRADES}
    return out


@dataclass(frozen=True, eq=False)
class BootstrapCuts:
    """Bootstrap replicates of the cuts.

    Attributes
    ----------
    theta : DataFrame
        ``(n_boot, n_grades)`` θ cuts per replicate.
    candidate_index : ndarray or None
        ``(n_boot, N)`` resampled candidate positions (None without candidate data).
    resampled : tuple of str
        What was resampled (``"candidates"``, ``"panelists"``).
    seed : object
    """

    theta: pd.DataFrame
    candidate_index: np.ndarray | None
    resampled: tuple[str, ...]
    seed: Any


@dataclass(frozen=True, eq=False)
class CutScores:
    """The cuts of a discipline, each set by its rules-file method.

    Attributes
    ----------
    table : DataFrame
        Indexed by grade: ``method``, ``theta``, ``raw`` (raw-score cut where the
        method has one), ``se`` (panel / model standard error where the method
        gives one), ``n`` (panelists or candidates used).
    specs : dict
        Normalised method specification of each grade (with defaults filled in).
    details : dict
        The method result object of each grade.
    """

    table: pd.DataFrame
    specs: dict
    details: dict
    n_candidates: int | None = None
    _boot: dict = field(default_factory=dict, repr=False)

    @property
    def theta(self) -> pd.Series:
        """θ cut of each grade."""
        return self.table["theta"].astype(float)

    def to_dict(self) -> dict:
        """JSON-ready cuts and method specifications."""
        return {
            g: {
                "method": self.specs[g]["method"],
                "params": {k: v for k, v in self.specs[g].items() if k != "method"},
                "theta": float(self.table.loc[g, "theta"]),
                "raw": _num(self.table.loc[g, "raw"]),
                "se": _num(self.table.loc[g, "se"]),
                "n": _num(self.table.loc[g, "n"]),
            }
            for g in self.table.index
        }

    def summary(self):
        """The cuts with their methods and options (``as_text()``, ``as_html()``)."""
        from .._summary import Summary

        opts = pd.Series(
            {
                g: ", ".join(f"{k}={v}" for k, v in sp.items() if k != "method") or "-"
                for g, sp in self.specs.items()
            },
            name="options",
        )
        return Summary(
            "Cut scores",
            {"cuts": len(self.table), "candidates": self.n_candidates or 0},
            (("Cuts", self.table.assign(options=opts)),),
            ("θ on the base scale; raw-score cuts map to θ through the inverse TCC",),
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def bootstrap(
        self,
        n_boot: int = 1000,
        *,
        seed: Any = None,
        min_panelists: int = 5,
        n_candidates: int | None = None,
        chunk: int = 250,
    ) -> BootstrapCuts:
        """Resample candidates (with replacement) and, for panel methods, panelists.

        Candidates are resampled jointly for all grades (one index matrix), and
        panelists jointly for grades set from the same panel.

        Parameters
        ----------
        n_boot : int
            Number of replicates.
        seed : None, int or Generator
        min_panelists : int, default 5
            Fewest panelists a panel method may have for a bootstrap.
        n_candidates : int, optional
            Number of candidates to resample when no cut uses candidate data.
        chunk : int
            Replicates processed together by vectorised methods.

        Raises
        ------
        DataError
            Too few panelists, or no candidates.
        """
        if int(n_boot) < 2:
            raise PvcalError(f"n_boot must be >= 2, got {n_boot!r}")
        n_boot = int(n_boot)
        rng = check_rng(seed)
        N = self.n_candidates if self.n_candidates is not None else n_candidates
        resampled: list[str] = []
        cand_idx = None
        if N is not None:
            if N < 2:
                raise DataError(f"bootstrap over candidates needs >= 2 candidates, got {N}")
            cand_idx = rng.integers(0, N, size=(n_boot, N), dtype=np.int32)
            resampled.append("candidates")
        pan_cache: dict[tuple, np.ndarray] = {}
        out = {}
        # cuts fixed as standard scores follow the cut they hang on: do them last
        order = sorted(self.table.index, key=lambda k: self._boot[k][0] == "offset")
        for g in order:
            kind, fn, panelists = self._boot[g]
            if kind == "panel":
                if len(panelists) < min_panelists:
                    raise DataError(
                        f"grade {g!r} ({self.specs[g]['method']}): {len(panelists)} panelist(s) "
                        f"in the final round; a bootstrap over panelists needs >= {min_panelists}"
                    )
                key = (self.specs[g]["method"], tuple(map(str, panelists)))
                if key not in pan_cache:
                    pan_cache[key] = rng.integers(0, len(panelists), size=(n_boot, len(panelists)))
                out[g] = fn(pan_cache[key])
                if "panelists" not in resampled:
                    resampled.append("panelists")
            elif kind == "candidates":
                if cand_idx is None:
                    raise DataError(f"grade {g!r}: no candidate data to resample")
                out[g] = np.concatenate(
                    [fn(cand_idx[i : i + chunk]) for i in range(0, n_boot, chunk)]
                )
            elif kind == "both":  # candidates and the compromise panel's judges
                if cand_idx is None:
                    raise DataError(f"grade {g!r}: no candidate data to resample")
                if len(panelists) < min_panelists:
                    raise DataError(
                        f"grade {g!r} ({self.specs[g]['method']}): {len(panelists)} judge(s); "
                        f"a bootstrap over panelists needs >= {min_panelists}"
                    )
                key = (self.specs[g]["method"], tuple(map(str, panelists)))
                if key not in pan_cache:
                    pan_cache[key] = rng.integers(0, len(panelists), size=(n_boot, len(panelists)))
                out[g] = fn(cand_idx, pan_cache[key])
                if "panelists" not in resampled:
                    resampled.append("panelists")
            elif kind == "offset" and panelists:  # fixed standard score, moves with Pass
                ref = panelists[0]
                out[g] = out[ref] + (
                    float(self.table.loc[g, "theta"]) - self.table.loc[ref, "theta"]
                )
            else:
                out[g] = np.full(n_boot, float(self.table.loc[g, "theta"]))
        theta = pd.DataFrame(out, columns=list(self.table.index))
        theta.index.name = "replicate"
        return BootstrapCuts(theta, cand_idx, tuple(resampled), seed)


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _panel_rows(frame: pd.DataFrame | None, grade: str, spec: dict, name: str) -> pd.DataFrame:
    if frame is None:
        raise DataError(f"grade {grade!r} uses {spec['method']} but no {name} data were given")
    if "cut" in frame.columns:
        want = str(spec.get("panel_cut", grade)).lower()
        rows = frame[frame["cut"].astype(str).str.lower() == want]
        if rows.empty:
            raise DataError(
                f"{name}: no rows with cut == {want!r} for grade {grade!r}; "
                f"cuts present: {sorted(frame['cut'].astype(str).unique().tolist())}"
            )
        return rows.drop(columns="cut")
    return frame


def _judgments(judgments, grade: str, spec: dict, n: int) -> np.ndarray:
    if judgments is None:
        raise DataError(f"grade {grade!r} uses {spec['method']} but no judgments were given")
    if isinstance(judgments, pd.DataFrame):
        col = spec.get("column", grade)
        if col not in judgments.columns:
            raise DataError(
                f"judgments: no column {col!r} for grade {grade!r}; found {list(judgments.columns)}"
            )
        j = judgments[col].to_numpy()
    else:
        j = np.asarray(judgments)
    if len(j) != n:
        raise DataError(f"judgments has {len(j)} rows but there are {n} candidates")
    return j


def set_cuts(
    rules_grades: Any,
    *,
    items: Any = None,
    panel: pd.DataFrame | None = None,
    bookmark: pd.DataFrame | None = None,  # noqa: F811 - the data, not the function
    theta=None,
    scores=None,
    judgments=None,
    conversion: Any = None,
    booklet: pd.DataFrame | None = None,
    hofstee_panel: pd.DataFrame | None = None,
    beuk_panel: pd.DataFrame | None = None,
    D: float = 1.0,
) -> CutScores:
    """Set every cut of a discipline by the method its rules file names.

    Parameters
    ----------
    rules_grades : dict or list
        The rules file's ``grades:`` block (or the whole rules mapping); see
        :func:`parse_grades` and the module docstring for the methods and options.
    items : DataFrame or Calibration, optional
        Item parameters; needed by Angoff, Bookmark and raw-score cuts.
    panel : DataFrame, optional
        Angoff ratings: ``panelist``, ``round``, ``item_id``, ``rating`` and
        optionally ``cut`` (grade name) when one file holds several cuts.
    bookmark : DataFrame, optional
        Bookmark placements: ``panelist``, ``round``, ``page`` and optionally ``cut``.
    theta : array_like, optional
        Candidates' θ̂ (normative and examinee-centred methods on the θ scale).
    scores : array_like, optional
        Candidates' summed scores (compromise and raw-scale methods), aligned
        with ``theta``.
    judgments : array_like or DataFrame, optional
        Judges' classification of each candidate (examinee-centred methods);
        a DataFrame has one column per grade (or the spec's ``column``).
        Candidates whose judgement is missing (NaN/None) are left out of that
        method (and of its bootstrap replicates).
    conversion : StandardScore or dict, optional
        The rules file's ``standard_score:`` block (:class:`pvcal.rules.StandardScore`:
        ``pass_score``, ``scale``, optional ``anchor_theta``), needed by ``fixed`` cuts given as a
        ``standard_score``: ``θ = θ_anchor + (standard_score - pass_score) / scale``
        with ``θ_anchor`` the Pass cut unless ``anchor_theta`` is fixed (such a cut
        then moves with the Pass cut in the bootstrap).
    booklet : DataFrame, optional
        The Bookmark booklet the panel used (``page``, ``item_id``[, ``category``]);
        see :func:`pvcal.standards.bookmark`.
    hofstee_panel : DataFrame, optional
        Judges' Hofstee values, one row per panelist: ``panelist``, ``k_min``,
        ``k_max``, ``f_min``, ``f_max``; used by a Hofstee spec with
        ``from_panel: true`` (the means are used; panelists are resampled in the
        bootstrap). Units as the spec's ``units`` (``percent`` needs
        ``max_score``, default the items' maximum summed score).
    beuk_panel : DataFrame, optional
        Judges' Beuk values: ``panelist``, ``cut``, ``pass_rate``; used by a Beuk
        spec with ``from_panel: true``.
    D : float, default 1.0

    Returns
    -------
    CutScores

    Raises
    ------
    SchemaError
        A method the package does not know, missing or unknown options.
    DataError
        Data a method needs are missing or malformed.
    PvcalError
        Cuts that are not increasing.

    Examples
    --------
    >>> import pandas as pd
    >>> cs = set_cuts({"Pass": -0.5, "Good": 0.5, "Excellent": {"method": "normative",
    ...                "percentile": 90}}, theta=[-1.0, 0.0, 1.0, 2.0, 3.0])
    >>> cs.theta.round(2).tolist()
    [-0.5, 0.5, 2.6]
    """
    specs = parse_grades(rules_grades)
    th = None if theta is None else check_1d("theta", np.asarray(theta, float).ravel())
    sc = None if scores is None else check_1d("scores", np.asarray(scores, float).ravel())
    if th is not None and sc is not None and th.size != sc.size:
        raise DataError(f"theta has {th.size} candidates but scores has {sc.size}")
    n_cand = th.size if th is not None else (sc.size if sc is not None else None)
    rows, details, boot = {}, {}, {}

    def need_items(g):
        if items is None:
            raise DataError(f"grade {g!r} ({specs[g]['method']}) needs item parameters (items=)")
        return items

    deferred = [g for g, sp in specs.items() if sp["method"] == "fixed" and "standard_score" in sp]
    for g, spec in specs.items():
        m = spec["method"]
        opts = {k: v for k, v in spec.items() if k not in ("method", "scale", "panel_cut")}
        raw = se = np.nan
        n = np.nan
        if g in deferred:
            continue
        if m == "fixed":
            cut = float(spec["theta"])
            det = None
            boot[g] = ("fixed", None, [])
        elif m == "angoff":
            rows_g = _panel_rows(panel, g, spec, "angoff ratings")
            det = angoff(rows_g, need_items(g), D=D, **opts)
            cut, raw, se, n = det.cut, det.raw_cut, det.se, len(det.final)
            raws = det.final["raw"].to_numpy()
            it = items
            boot[g] = (
                "panel",
                lambda idx, raws=raws, it=it: tcc_inverse(it, raws[idx].mean(axis=1), D=D),
                list(det.final.index),
            )
        elif m == "bookmark":
            rows_g = _panel_rows(bookmark, g, spec, "bookmark placements")
            det = bookmark_fn(rows_g, need_items(g), booklet=booklet, D=D, **opts)
            cut, se, n = det.cut, det.se, len(det.final)
            th_p = det.final["theta"].to_numpy()
            agg = np.median if det.params["aggregate"] == "median" else np.mean
            boot[g] = (
                "panel",
                lambda idx, th_p=th_p, agg=agg: agg(th_p[idx], axis=1),
                list(det.final.index),
            )
        else:
            scale = spec["scale"]
            vals = th if scale == "theta" else sc
            if vals is None:
                raise DataError(
                    f"grade {g!r} ({m}) works on {'theta' if scale == 'theta' else 'scores'} "
                    f"but no {'theta' if scale == 'theta' else 'scores'} were given"
                )

            def to_theta(x, g=g, scale=scale):
                if scale == "theta":
                    return np.asarray(x, float)
                return tcc_inverse(need_items(g), x, D=D)

            if m == "normative":
                det = normative_cut(vals, **opts)
                value = det.cut
                if "percentile" in opts:
                    qm = opts.get("quantile_method", "linear")
                    pc = float(opts["percentile"])

                    def f(idx, vals=vals, pc=pc, qm=qm, to_theta=to_theta):
                        return to_theta(np.percentile(vals[idx], pc, axis=1, method=qm))
                else:
                    rb, kk = det.params["robust"], det.params["k"]

                    def f(idx, vals=vals, rb=rb, kk=kk, to_theta=to_theta):
                        c, s = robust_location_scale(vals[idx], rb, axis=1)
                        return to_theta(c - kk * s)

                n = det.n
            elif m in ("hofstee", "beuk"):
                fn = hofstee if m == "hofstee" else beuk
                opts.pop("from_panel", None)
                if opts.get("units") == "percent" and "max_score" not in opts and items is not None:
                    opts["max_score"] = float(max_scores(items).sum())
                judges = None
                if spec.get("from_panel"):
                    judges = _compromise_panel(
                        m, hofstee_panel if m == "hofstee" else beuk_panel, g
                    )
                    opts.update({k: v.to_numpy() for k, v in judges.items()})
                det = fn(vals, **opts)
                value = det.pass_score
                raw = value if scale == "raw" else np.nan
                n = vals.size
                if judges is None:

                    def f(idx, vals=vals, fn=fn, opts=opts, to_theta=to_theta):
                        return to_theta(np.array([fn(vals[r], **opts).pass_score for r in idx]))
                else:
                    jv = {k: v.to_numpy() for k, v in judges.items()}

                    def f(idx, pidx, vals=vals, fn=fn, opts=opts, jv=jv, to_theta=to_theta):
                        out = []
                        for r, pr in zip(idx, pidx, strict=True):
                            o = {**opts, **{k: v[pr] for k, v in jv.items()}}
                            out.append(fn(vals[r], **o).pass_score)
                        return to_theta(np.array(out))

                    boot[g] = ("both", f, list(judges.index))
                    rows[g] = {
                        "method": m,
                        "theta": float(to_theta(np.asarray(value))),
                        "raw": float(value) if scale == "raw" else np.nan,
                        "se": np.nan,
                        "n": n,
                    }
                    details[g] = det
                    continue
            else:
                jd = _judgments(judgments, g, spec, vals.size)
                keep = ~pd.isna(pd.Series(jd)).to_numpy()  # candidates with a judgement
                if m == "borderline_group":
                    kw = {k: opts[k] for k in ("statistic", "borderline_value") if k in opts}
                    det = borderline_group(vals[keep], jd[keep], **kw)
                    one = lambda v, j, kw=kw: borderline_group(v, j, **kw).cut  # noqa: E731
                elif m == "borderline_regression":
                    det = borderline_regression(vals[keep], jd[keep], borderline=opts["borderline"])
                    bl = opts["borderline"]

                    def one(v, j, bl=bl):
                        return _ols_at(v, j, bl)
                else:
                    kw = {"p": opts["p"]} if "p" in opts else {}
                    det = contrasting_groups(vals[keep], jd[keep], **kw)
                    one = lambda v, j, kw=kw: contrasting_groups(v, j, **kw).cut  # noqa: E731
                value, se, n = det.cut, det.se, det.n

                def f(idx, vals=vals, jd=jd, keep=keep, one=one, to_theta=to_theta):
                    return to_theta(np.array([one(vals[r][keep[r]], jd[r][keep[r]]) for r in idx]))

            cut = float(to_theta(np.asarray(value)))
            if scale == "raw":
                raw = float(value)
                se = np.nan if scale == "raw" else se
            boot[g] = ("candidates", f, [])
        rows[g] = {"method": m, "theta": cut, "raw": raw, "se": se, "n": n}
        details[g] = det
    if deferred:
        conv = _conversion(conversion)
        pass_grade = next((k for k in rows if k.lower() == "pass"), None)
        if "anchor_theta" in conv:
            anchor, ref = float(conv["anchor_theta"]), None
        elif pass_grade is None:
            raise SchemaError(
                f"rules file, grades: {deferred} are fixed standard scores; they need a "
                "'Pass' grade set on θ (or standard_score.anchor_theta)"
            )
        else:
            anchor, ref = rows[pass_grade]["theta"], pass_grade
        for g in deferred:
            value = float(specs[g]["standard_score"])
            cut = anchor + (value - conv["pass_score"]) / conv["scale"]
            rows[g] = {"method": "fixed", "theta": cut, "raw": np.nan, "se": np.nan, "n": np.nan}
            details[g] = None
            boot[g] = ("offset", None, [ref] if ref is not None else [])
    rows = {g: rows[g] for g in specs}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "grade"
    cuts = table["theta"].to_numpy(float)
    if np.any(np.diff(cuts) <= 0):
        listing = ", ".join(f"{g}={c:.4g}" for g, c in zip(table.index, cuts, strict=True))
        raise PvcalError(f"cuts must increase from grade to grade, got {listing}")
    return CutScores(table, specs, details, n_cand, boot)


def _compromise_panel(method: str, frame: pd.DataFrame | None, grade: str) -> pd.DataFrame:
    """Per-judge values of a Hofstee/Beuk panel file, renamed to the function's arguments."""
    cols = (
        {"k_min": "k_min", "k_max": "k_max", "f_min": "f_min", "f_max": "f_max"}
        if method == "hofstee"
        else {"cut": "k", "pass_rate": "p"}
    )
    name = f"{method}_panel"
    if frame is None:
        raise DataError(f"grade {grade!r} uses {method} from_panel but no {name} was given")
    from .._validation import check_columns

    check_columns(frame, ["panelist", *cols], file=name)
    vals = frame.set_index("panelist")[list(cols)].apply(pd.to_numeric, errors="coerce")
    if vals.isna().any().any():
        row = vals.index[np.flatnonzero(vals.isna().any(axis=1).to_numpy())[0]]
        raise DataError(f"{name}: panelist {row!r} has a missing or non-numeric value")
    return vals.rename(columns=cols)


def _conversion(block: Any) -> dict:
    """``pass_score``, ``scale`` (and ``anchor_theta``) of a ``standard_score`` block.

    ``block`` is a :class:`pvcal.rules.StandardScore` or a mapping validated as one.
    """
    if block is None:
        raise SchemaError(
            "a fixed cut given as a standard_score needs the rules file's standard_score "
            "block (set_cuts(conversion=...))"
        )
    ss = _rules.section(_rules.StandardScore, block, "scale.standard_score")
    out = {"pass_score": ss.pass_score, "scale": ss.scale}
    if ss.anchor_theta is not None:
        out["anchor_theta"] = ss.anchor_theta
    return out


def _ols_at(v: np.ndarray, r: np.ndarray, at: float) -> float:
    """OLS prediction of ``v`` at rating ``at`` (closed form, for bootstrap replicates)."""
    r = np.asarray(r, float)
    rc = r - r.mean()
    denom = rc @ rc
    if denom == 0:
        return float("nan")
    slope = (rc @ (v - v.mean())) / denom
    return float(v.mean() + slope * (at - r.mean()))


# ``bookmark`` the argument of set_cuts shadows the function inside it.
bookmark_fn = bookmark
