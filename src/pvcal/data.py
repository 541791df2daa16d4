"""Response containers and loaders (the rules file itself: :mod:`pvcal.rules`).

Everything a discipline brings in (``rules.yml``, the item bank, responses in
long format, candidates, panel judgements, peer-comparison results) is read
and validated here, before any estimation.  Bad input raises a pvcal exception
(:class:`~pvcal._validation.DataError`, or :class:`~pvcal._validation.RulesError` for
``rules.yml``)
that names the file, the line or row, the column or item, and what was
expected; a loader either returns a complete, valid object or raises, never a
half-loaded one.

Row numbers in messages: for CSV files they are the file's **line numbers**
(header = line 1, first data row = line 2); for Parquet files and in-memory
frames they are **0-based data rows**.  Every message says which.

Examples
--------
>>> import pvcal
>>> d = pvcal.data.load_discipline("data/sample/qms-auditor")   # doctest: +SKIP
>>> d.responses.subset(period="2025H1").wide.shape                # doctest: +SKIP
(3000, 70)
>>> d.eligibility().query("not eligible")                         # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from pvcal import rules as _rules
from pvcal._validation import DataError, DataWarning, SchemaError
from pvcal.rules import (
    CUTS,
    DICHOTOMOUS_MODELS,
    MODELS,
    STANDARD_SETTING_METHODS,
    Rules,
)

__all__ = [
    "MODELS",
    "DICHOTOMOUS_MODELS",
    "METHODS",
    "CUTS",
    "PANEL_KINDS",
    "RESPONSE_COLUMNS",
    "Responses",
    "Rules",
    "Discipline",
    "read_responses",
    "read_items",
    "read_candidates",
    "read_rules",
    "read_panel",
    "read_peer",
    "read_forms",
    "load_discipline",
    "eligibility",
]

# The vocabulary of the rules is defined once, in pvcal.rules (re-exported here).
METHODS = STANDARD_SETTING_METHODS
#: Columns of a long response file (``administered_on`` optional).
RESPONSE_COLUMNS = (
    "application_id",
    "candidate_id",
    "period",
    "form",
    "item_id",
    "score",
    "administered_on",
)
_PERSON_COLUMNS = ("candidate_id", "period", "form", "administered_on")
_ITEM_COLUMNS = ("item_id", "domain", "max_score", "anchor", "forms", "model")
_CANDIDATE_COLUMNS = ("candidate_id", "application_id", "period", "study_hours")
_PEER_COLUMNS = ("application_id", "candidate_id", "sample_id", "value", "u_value", "period")
_FORM_COLUMNS = ("form", "period", "position", "item_id")
_ID_COLUMNS = (
    "application_id",
    "candidate_id",
    "item_id",
    "period",
    "form",
    "panelist",
    "rater",
    "sample_id",
    "cut",
    "domain",
    "model",
    "forms",
    "administered_on",
    "training_module",
    "region",
    "employer",
)

#: Panel-judgement files: kind -> required columns.
PANEL_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "angoff": ("panelist", "round", "item_id", "rating"),
        "bookmark": ("panelist", "round", "cut", "page"),
        "bookmark_booklet": ("page", "item_id"),
        "hofstee": ("panelist", "k_min", "k_max", "f_min", "f_max"),
        "beuk": ("panelist", "cut", "pass_rate"),
        "global_ratings": ("application_id", "rater", "rating"),
    }
)
# which panel file each standard-setting method needs
_METHOD_PANEL = {
    "angoff": ("angoff",),
    "bookmark": ("bookmark", "bookmark_booklet"),
    "borderline_group": ("global_ratings",),
    "borderline_regression": ("global_ratings",),
    "contrasting_groups": ("global_ratings",),
    "hofstee": ("hofstee",),
    "beuk": ("beuk",),
}


# =================================================================== helpers
def _name(file: Any) -> str | None:
    return None if file is None else str(file)


def _is_csv(file: str | None) -> bool:
    return file is not None and any(
        str(file).lower().endswith(s) for s in (".csv", ".csv.gz", ".txt", ".tsv")
    )


def _at(file: str | None, pos: int) -> str:
    """Location of the 0-based data row ``pos``: a line number for CSV files."""
    if _is_csv(file):
        return f"{file}, line {int(pos) + 2} (header = line 1)"
    prefix = f"{file}, " if file else ""
    return f"{prefix}row {int(pos)} (0-based data row)"


def _at_rows(file: str | None, positions: Sequence[int], limit: int = 5) -> str:
    positions = [int(p) for p in positions]
    if _is_csv(file):
        lines = ", ".join(str(p + 2) for p in positions[:limit])
        more = f" (+{len(positions) - limit} more)" if len(positions) > limit else ""
        return f"{file}, line(s) {lines}{more} (header = line 1)"
    prefix = f"{file}, " if file else ""
    rows = ", ".join(str(p) for p in positions[:limit])
    more = f" (+{len(positions) - limit} more)" if len(positions) > limit else ""
    return f"{prefix}row(s) {rows}{more} (0-based data rows)"


def _show(value: Any) -> str:
    """repr of a cell value without numpy's type wrapper (``2.5``, not ``np.float64(2.5)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _prefix(file: str | None) -> str:
    return f"{file}: " if file else ""


def _read_table(path: str | Path, *, error: type[Exception] = DataError) -> pd.DataFrame:
    """Read a CSV or Parquet file (by suffix); identifier columns stay strings."""
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise error(f"{name}: file not found")
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix.lower() == ".gz" else p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
            for c in df.columns:
                if (
                    c in _ID_COLUMNS
                    and df[c].dtype != object
                    and not isinstance(df[c].dtype, pd.StringDtype)
                ):
                    df[c] = df[c].astype("string").astype(str).where(df[c].notna())
        elif suffix in (".csv", ".csv.gz", ".txt", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            df = pd.read_csv(
                p,
                sep=sep,
                dtype={c: str for c in _ID_COLUMNS},
                skip_blank_lines=False,
            )
        else:
            raise error(f"{name}: unsupported file type {p.suffix!r}; expected .csv or .parquet")
    except pd.errors.EmptyDataError:
        raise error(f"{name}: empty file; expected a header line and data rows") from None
    except pd.errors.ParserError as exc:
        raise error(f"{name}: cannot parse as CSV ({exc})") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, DataError | SchemaError):
            raise
        raise error(f"{name}: cannot read file ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _require(df: pd.DataFrame, required: Iterable[str], file: str | None, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{_prefix(file)}expected a pandas DataFrame, got {type(df).__name__}")
    required = list(required)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(
            f"{_prefix(file)}missing column(s) {missing} in {what}; expected columns "
            f"{required}, found {list(df.columns)}"
        )
    if len(df) == 0:
        raise DataError(f"{_prefix(file)}{what} is empty: no data rows")


def _ids(df: pd.DataFrame, col: str, file: str | None) -> pd.Series:
    """An identifier column as strings; missing or blank identifiers raise."""
    s = df[col]
    blank = s.isna().to_numpy() | (s.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        pos = np.flatnonzero(blank)
        raise DataError(
            f"{_at(file, pos[0])}, column {col!r}: missing identifier; expected a non-empty "
            f"{col} on every row ({blank.sum()} row(s) affected)"
        )
    return s.astype(str).str.strip()


def _numbers(
    df: pd.DataFrame,
    col: str,
    file: str | None,
    *,
    allow_missing: bool,
    integer: bool = False,
    lo: float | None = None,
    hi: float | None = None,
    what: str = "a number",
    item_col: str | None = None,
) -> np.ndarray:
    """A numeric column as float (NaN = missing), checked row by row.

    ``item_col`` names the column whose value (the item) a message also gives.
    """
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    given = np.array(s.notna(), dtype=bool)
    if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
        given &= (s.astype(str).str.strip() != "").to_numpy()
    checks = [
        (given & np.isnan(num), "not a number"),
        (given & ~np.isnan(num) & ~np.isfinite(num), "not finite"),
    ]
    if not allow_missing:
        checks.insert(0, (~given, "missing"))
    fin = np.isfinite(num)
    if integer:
        checks.append((fin & (num != np.round(num)), "not an integer"))
    if lo is not None:
        checks.append((fin & (num < lo), f"below {lo:g}"))
    if hi is not None:
        checks.append((fin & (num > hi), f"above {hi:g}"))
    for bad, why in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            item = f", item {df[item_col].iloc[i]!r}" if item_col in df.columns else ""
            raise DataError(
                f"{_at(file, i)}, column {col!r}{item}: value {_show(s.iloc[i])} is {why}; "
                f"expected {what} ({int(bad.sum())} row(s) affected)"
            )
    return num


def _duplicates(df: pd.DataFrame, keys: list[str], file: str | None, what: str) -> None:
    dup = df.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        pos = np.flatnonzero(dup)
        first = df.iloc[pos[0]][keys].tolist()
        same = np.flatnonzero((df[keys] == df.iloc[pos[0]][keys]).all(axis=1).to_numpy())
        raise DataError(
            f"{_at_rows(file, same)}: duplicate {what} {dict(zip(keys, first, strict=True))}; "
            f"expected one row per ({', '.join(keys)}) ({len(pos)} duplicated row(s) in all)"
        )


def _canonical_model(value: Any, where: str, error: type[Exception] = DataError) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return pd.NA
    lookup = {m.lower(): m for m in MODELS}
    key = str(value).strip().lower()
    if key not in lookup:
        raise error(f"{where}: model {value!r} is not one of {list(MODELS)}")
    return lookup[key]


# =================================================================== items
def _normalize_items(items: pd.DataFrame, file: str | None = None) -> pd.DataFrame:
    """Check an item bank frame and return it indexed by ``item_id``."""
    if not isinstance(items, pd.DataFrame):
        raise DataError(f"{_prefix(file)}items must be a DataFrame, got {type(items).__name__}")
    df = items.copy()
    if "item_id" not in df.columns:
        if df.index.name == "item_id":
            df = df.reset_index()
        else:
            raise DataError(
                f"{_prefix(file)}missing column(s) ['item_id'] in the item bank; expected an "
                f"'item_id' column or index, found {list(df.columns)}"
            )
    _require(df, ["item_id", "max_score"], file, "the item bank")
    df = df.reset_index(drop=True)
    df["item_id"] = _ids(df, "item_id", file)
    _duplicates(df, ["item_id"], file, "item")
    ms = _numbers(
        df, "max_score", file, allow_missing=False, integer=True, lo=1, what="an integer >= 1"
    )
    df["max_score"] = ms.astype(int)
    if "anchor" in df.columns:
        anc = _numbers(
            df, "anchor", file, allow_missing=False, integer=True, lo=0, hi=1, what="0 or 1"
        )
        df["anchor"] = anc.astype(int)
    if "model" in df.columns:
        models = []
        for i, m in enumerate(df["model"].tolist()):
            models.append(_canonical_model(m, f"{_at(file, i)}, column 'model'"))
        df["model"] = pd.array(models, dtype=object)
        for i, (m, k) in enumerate(zip(df["model"], df["max_score"], strict=True)):
            if m in DICHOTOMOUS_MODELS and k != 1:
                raise DataError(
                    f"{_at(file, i)}, item {df['item_id'].iloc[i]!r}: max_score {k} with model "
                    f"{m!r}; a {m} item takes 0 or 1 (use GRM or GPCM for polytomous items)"
                )
    return df.set_index("item_id")


def read_items(path: str | Path) -> pd.DataFrame:
    """Read and check an item bank (``items.csv`` or Parquet).

    Parameters
    ----------
    path : str or Path
        File with columns ``item_id, domain, max_score, anchor, forms, model``
        and optionally ``training_module`` (and any others, kept as they are).

    Returns
    -------
    DataFrame
        Indexed by ``item_id`` (strings); ``max_score`` and ``anchor`` integer,
        ``model`` in canonical spelling (one of :data:`MODELS`).

    Raises
    ------
    DataError
        Missing columns, empty file, duplicate or missing item ids, a
        ``max_score`` that is not an integer >= 1, an ``anchor`` not 0/1, an
        unknown model, or a dichotomous model with ``max_score`` != 1.

    Examples
    --------
    >>> items = read_items("data/sample/qms-auditor/items.csv")   # doctest: +SKIP
    >>> items.loc["Q001", "forms"]                                 # doctest: +SKIP
    'A;B;C;D'
    """
    file = str(path)
    df = _read_table(path)
    _require(df, _ITEM_COLUMNS, file, "the item bank")
    return _normalize_items(df, file)


# =================================================================== responses
def _clean_long(
    df: pd.DataFrame, items: pd.DataFrame | None, file: str | None, *, full: bool
) -> pd.DataFrame:
    """Row-level checks of long responses; returns a normalised copy.

    Adds private columns ``_file`` and ``_row`` (0-based data row) for messages.
    """
    required = list(RESPONSE_COLUMNS[:-1]) if full else ["application_id", "item_id", "score"]
    _require(df, required, file, "the response data")
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    out["application_id"] = _ids(df, "application_id", file).to_numpy()
    for col in _PERSON_COLUMNS:
        if col in df.columns:
            out[col] = (
                _ids(df, col, file).to_numpy()
                if col in required
                else df[col].astype(object).where(df[col].notna(), None).to_numpy()
            )
    out["item_id"] = _ids(df, "item_id", file).to_numpy()
    out["score"] = _numbers(
        df,
        "score",
        file,
        allow_missing=True,
        integer=True,
        lo=0,
        what="an integer score >= 0 or empty (missing)",
        item_col="item_id",
    )
    if items is not None:
        known = out["item_id"].isin(items.index).to_numpy()
        if not known.all():
            pos = np.flatnonzero(~known)
            unknown = list(dict.fromkeys(out["item_id"].to_numpy()[pos]))
            raise DataError(
                f"{_at(file, pos[0])}, column 'item_id': unknown item(s) {unknown[:5]} not in "
                f"the item bank ({len(pos)} row(s) affected); expected one of the bank's "
                f"{len(items)} item ids"
            )
        ms = items["max_score"].reindex(out["item_id"]).to_numpy(dtype=float)
        over = np.isfinite(out["score"].to_numpy()) & (out["score"].to_numpy() > ms)
        if over.any():
            i = int(np.flatnonzero(over)[0])
            item = out["item_id"].iloc[i]
            raise DataError(
                f"{_at(file, i)}, column 'score', item {item!r}: score "
                f"{int(out['score'].iloc[i])} is out of range; expected an integer 0..{int(ms[i])} "
                f"(max_score in the item bank) or empty ({int(over.sum())} row(s) affected)"
            )
    out["_file"] = file
    out["_row"] = np.arange(len(df))
    return out


def _check_duplicates_long(long: pd.DataFrame) -> None:
    dup = long.duplicated(["application_id", "item_id"], keep=False).to_numpy()
    if not dup.any():
        return
    first = np.flatnonzero(dup)[0]
    app, item = long["application_id"].iloc[first], long["item_id"].iloc[first]
    same = np.flatnonzero(((long["application_id"] == app) & (long["item_id"] == item)).to_numpy())
    places = "; ".join(_at(long["_file"].iloc[j], long["_row"].iloc[j]) for j in same[:3])
    raise DataError(
        f"duplicate response rows for application {app!r}, item {item!r} at {places}; "
        f"expected one row per (application_id, item_id) ({int(dup.sum())} duplicated row(s) "
        "in all)"
    )


def _person_table(long: pd.DataFrame, order: pd.Index) -> pd.DataFrame:
    cols = [c for c in _PERSON_COLUMNS if c in long.columns]
    if not cols:
        return pd.DataFrame(index=order)
    for c in cols:
        n = long.groupby("application_id", sort=False)[c].nunique(dropna=False)
        bad = n[n > 1]
        if len(bad):
            app = bad.index[0]
            rows = long.loc[long["application_id"] == app]
            vals = list(dict.fromkeys(rows[c].tolist()))
            j = int(np.flatnonzero((rows[c] != rows[c].iloc[0]).to_numpy())[0])
            raise DataError(
                f"{_at(rows['_file'].iloc[j], rows['_row'].iloc[j])}, column {c!r}: application "
                f"{app!r} has {c} values {vals[:5]}; expected one {c} per application "
                f"({len(bad)} application(s) affected)"
            )
    persons = long.drop_duplicates("application_id").set_index("application_id")[cols]
    return persons.reindex(order)


def _infer_items(wide: pd.DataFrame) -> pd.DataFrame:
    ms = wide.max(axis=0).fillna(1).clip(lower=1).astype(int)
    return pd.DataFrame(
        {"max_score": ms, "domain": pd.NA, "model": pd.NA},
        index=pd.Index(wide.columns, name="item_id"),
    )


def _finish(
    wide: pd.DataFrame,
    items: pd.DataFrame,
    persons: pd.DataFrame,
    file: str | None,
    drop_single_category: bool,
) -> Responses:
    """Item- and person-level checks shared by every constructor."""
    where = _prefix(file)
    if wide.shape[0] == 0 or wide.shape[1] == 0:
        raise DataError(f"{where}empty response data (shape {wide.shape}); expected responses")
    values = wide.to_numpy(dtype=float)
    observed = np.isfinite(values)
    n_obs = observed.sum(axis=0)
    if (n_obs == 0).any():
        empty = wide.columns[n_obs == 0].tolist()
        raise DataError(
            f"{where}item(s) {empty[:5]} answered by nobody (every score empty, "
            f"{len(empty)} item(s)); expected at least one observed score per item"
        )
    lo = np.nanmin(values, axis=0)
    hi = np.nanmax(values, axis=0)
    single = lo == hi
    excluded = pd.DataFrame({"reason": pd.Series(dtype=str)}, index=pd.Index([], name="item_id"))
    if single.any():
        names = wide.columns[single].tolist()
        cats = [int(v) for v in lo[single]]
        detail = ", ".join(f"{n!r} (all {c})" for n, c in list(zip(names, cats, strict=True))[:5])
        if not drop_single_category:
            raise DataError(
                f"{where}item(s) with a single observed score category: {detail}"
                f"{' ...' if len(names) > 5 else ''}; such an item carries no information. "
                "Pass drop_single_category=True to exclude it (listed in Responses.excluded)"
            )
        warnings.warn(
            f"{where}excluded {len(names)} item(s) with a single observed score category: {detail}",
            DataWarning,
            stacklevel=3,
        )
        excluded = pd.DataFrame(
            {"reason": [f"single observed category (all {c})" for c in cats]},
            index=pd.Index(names, name="item_id"),
        )
        wide = wide.loc[:, ~single]
        values = values[:, ~single]
        observed = observed[:, ~single]
        if wide.shape[1] == 0:
            raise DataError(f"{where}no item left after excluding single-category items")
    n_per = observed.sum(axis=1)
    if (n_per == 0).any():
        empty = wide.index[n_per == 0].tolist()
        raise DataError(
            f"{where}application(s) {empty[:5]} have no observed response "
            f"({len(empty)} in all); expected at least one scored item per person"
        )
    items = items.loc[wide.columns]
    over = values > items["max_score"].to_numpy(dtype=float)[None, :]
    if over.any():  # only reachable via from_wide
        r, c = np.argwhere(over)[0]
        raise DataError(
            f"{where}application {wide.index[r]!r}, item {wide.columns[c]!r}: score "
            f"{values[r, c]:g} is out of range; expected 0..{int(items['max_score'].iloc[c])}"
        )
    wide = wide.astype(float)
    wide.index.name = "application_id"
    wide.columns.name = "item_id"
    persons = persons.reindex(wide.index)
    persons.index.name = "application_id"
    items = items.copy()
    items.index.name = "item_id"
    return Responses(wide=wide, items=items, persons=persons, file=file, excluded=excluded)


@dataclass(frozen=True, eq=False, repr=False)
class Responses:
    """Scored responses: a persons x items frame with item and person metadata.

    Build one with :meth:`from_long` (long data: one row per application and
    item) or :meth:`from_wide`; every constructor validates.  Instances are
    immutable values; :meth:`subset` returns a new one.

    Attributes
    ----------
    wide : DataFrame
        Index ``application_id``, columns ``item_id``; float scores with NaN
        for missing (not presented, not reached or omitted).  Every item has at
        least two observed score categories, every person at least one score.
    items : DataFrame
        Indexed by item id in the column order of ``wide``: ``max_score`` and,
        when an item bank was given, its other columns (``domain``, ``model``,
        ``anchor``, ``forms``, ``training_module``).
    persons : DataFrame
        Indexed by application id in the row order of ``wide``: whichever of
        ``candidate_id``, ``period``, ``form``, ``administered_on`` the data had.
    file : str or None
        Source file name(s), for messages and provenance.
    excluded : DataFrame
        Items excluded while loading (``drop_single_category=True``), with a
        ``reason`` column; empty otherwise.
    """

    wide: pd.DataFrame
    items: pd.DataFrame
    persons: pd.DataFrame
    file: str | None = None
    excluded: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"reason": pd.Series(dtype=str)}, index=pd.Index([], name="item_id")
        )
    )

    # ----------------------------------------------------------- builders
    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        items: pd.DataFrame | None = None,
        file: str | None = None,
        *,
        drop_single_category: bool = False,
    ) -> Responses:
        """Build from long data: one row per (application, item).

        Parameters
        ----------
        df : DataFrame
            Columns ``application_id, item_id, score`` (required) and any of
            ``candidate_id, period, form, administered_on``. Identifiers are
            taken as strings (surrounding blanks stripped).  ``score`` is an
            integer 0..max_score or missing (NaN / empty = not presented, not
            reached or omitted).
        items : DataFrame, optional
            Item bank (as from :func:`read_items`, or with an ``item_id``
            column) with at least ``max_score``.  Without it, an item's
            ``max_score`` is its highest observed score and its model unknown.
        file : str, optional
            Source name used in messages; a name ending in ``.csv`` makes
            messages give line numbers, otherwise 0-based data rows.
        drop_single_category : bool, default False
            Exclude items with a single observed score category (with a
            :class:`~pvcal._validation.DataWarning`; listed in ``excluded``)
            instead of raising.

        Returns
        -------
        Responses
            Persons in order of first appearance; items in item-bank order
            (order of first appearance without a bank).

        Raises
        ------
        DataError
            Missing columns, empty data, missing identifiers, non-numeric,
            non-integer, negative or out-of-range scores, unknown items,
            duplicate (application_id, item_id) rows, an application with two
            candidate ids / periods / forms, items nobody answered, items with a
            single observed category, persons with no responses.

        Examples
        --------
        >>> long = pd.DataFrame({"application_id": ["a1", "a1", "a2", "a2"],
        ...                      "item_id": ["i1", "i2", "i1", "i2"],
        ...                      "score": [1, 0, 0, 1]})
        >>> Responses.from_long(long).wide.to_numpy().tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        file = _name(file)
        bank = None if items is None else _normalize_items(items)
        long = _clean_long(df, bank, file, full=False)
        return _assemble(long, bank, file, drop_single_category)

    @classmethod
    def from_wide(
        cls,
        wide: pd.DataFrame,
        items: pd.DataFrame | None = None,
        persons: pd.DataFrame | None = None,
        file: str | None = None,
        *,
        drop_single_category: bool = False,
    ) -> Responses:
        """Build from a wide persons x items frame (integer scores or NaN).

        Parameters
        ----------
        wide : DataFrame
            Persons in rows (index = application id), items in columns.
        items : DataFrame, optional
            Item bank with ``max_score`` covering every column.
        persons : DataFrame, optional
            Person metadata indexed by application id.
        file : str, optional
            Source name used in messages.
        drop_single_category : bool, default False
            As in :meth:`from_long`.

        Returns
        -------
        Responses

        Raises
        ------
        DataError
            As :meth:`from_long`, locating bad cells by application and item.
        """
        file = _name(file)
        if not isinstance(wide, pd.DataFrame):
            raise DataError(f"{_prefix(file)}expected a wide DataFrame, got {type(wide).__name__}")
        if wide.shape[0] == 0 or wide.shape[1] == 0:
            raise DataError(f"{_prefix(file)}empty response data (shape {wide.shape})")
        for axis, labels in (("application id", wide.index), ("item", wide.columns)):
            if labels.has_duplicates:
                dup = labels[labels.duplicated()].unique().tolist()
                raise DataError(f"{_prefix(file)}duplicate {axis}(s) {dup[:5]} in the wide frame")
        try:
            values = wide.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            for c in wide.columns:
                col = wide[c]
                bad = col.notna() & pd.to_numeric(col, errors="coerce").isna()
                if bad.any():
                    r = int(np.flatnonzero(bad.to_numpy())[0])
                    raise DataError(
                        f"{_prefix(file)}application {wide.index[r]!r} (row {r}, 0-based), "
                        f"item {c!r}: value {_show(col.iloc[r])} is not a number; expected an "
                        f"integer score >= 0 or NaN ({int(bad.sum())} cell(s) in this item)"
                    ) from None
            raise
        fin = np.isfinite(values)
        bad = (~fin & ~np.isnan(values)) | (fin & ((values != np.round(values)) | (values < 0)))
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(
                f"{_prefix(file)}application {wide.index[r]!r}, item {wide.columns[c]!r}: score "
                f"{values[r, c]:g}; expected an integer score >= 0 or NaN"
            )
        w = pd.DataFrame(values, index=wide.index.copy(), columns=wide.columns.copy())
        if items is None:
            bank = _infer_items(w)
        else:
            bank = _normalize_items(items)
            unknown = [c for c in w.columns if c not in bank.index]
            if unknown:
                raise DataError(
                    f"{_prefix(file)}unknown item(s) {unknown[:5]} not in the item bank"
                )
        if persons is None:
            persons = pd.DataFrame(index=w.index)
        return _finish(w, bank, persons, file, drop_single_category)

    # ----------------------------------------------------------- views
    @property
    def max_score(self) -> pd.Series:
        """Highest possible score per item (int Series indexed by item id)."""
        return self.items["max_score"].astype(int)

    @property
    def models(self) -> list[str] | None:
        """Per-item model names in column order, or None if any is unknown."""
        if "model" not in self.items.columns or self.items["model"].isna().any():
            return None
        return [str(m) for m in self.items["model"]]

    @property
    def n_persons(self) -> int:
        """Number of persons (rows of ``wide``)."""
        return int(self.wide.shape[0])

    @property
    def n_items(self) -> int:
        """Number of items (columns of ``wide``)."""
        return int(self.wide.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_persons, n_items)``."""
        return self.wide.shape

    def to_long(self, *, dropna: bool = True) -> pd.DataFrame:
        """Long data: one row per (application, item), persons first.

        Parameters
        ----------
        dropna : bool, default True
            Leave out missing cells (the default makes ``from_long`` /
            ``to_long`` a lossless round trip).

        Returns
        -------
        DataFrame
            Columns ``application_id``, the person metadata columns,
            ``item_id`` and ``score`` (nullable integer ``Int64``), in the
            order of :data:`RESPONSE_COLUMNS`.
        """
        values = self.wide.to_numpy()
        n, k = values.shape
        keep = np.isfinite(values).ravel() if dropna else np.ones(n * k, dtype=bool)
        rows = np.repeat(np.arange(n), k)[keep]
        cols = np.tile(np.arange(k), n)[keep]
        out = {"application_id": self.wide.index.to_numpy()[rows]}
        for c in self.persons.columns:
            out[c] = self.persons[c].to_numpy()[rows]
        out["item_id"] = self.wide.columns.to_numpy()[cols]
        score = values.ravel()[keep]
        out["score"] = pd.array(
            np.where(np.isfinite(score), score, 0).astype(np.int64), dtype="Int64"
        )
        long = pd.DataFrame(out)
        long.loc[~np.isfinite(score), "score"] = pd.NA
        order = [c for c in RESPONSE_COLUMNS if c in long.columns]
        order += [c for c in long.columns if c not in order]
        return long[order]

    def subset(
        self,
        period: Any = None,
        form: Any = None,
        *,
        items: Iterable[str] | None = None,
        persons: Iterable[Any] | None = None,
    ) -> Responses:
        """Persons of some period(s)/form(s), and/or some items.

        Items with no observed score in the subset, and persons left with no
        observed score, are dropped.  No single-category check is made (a
        small subset may legitimately have one).

        Parameters
        ----------
        period, form : str or list of str, optional
            Keep persons whose ``period`` / ``form`` is (one of) these.
        items : iterable of str, optional
            Keep these items (in this order).
        persons : iterable, optional
            Keep these application ids.

        Returns
        -------
        Responses

        Raises
        ------
        DataError
            Unknown period, form, item or application, or an empty result.
        """
        mask = np.ones(self.n_persons, dtype=bool)
        for col, want in (("period", period), ("form", form)):
            if want is None:
                continue
            if col not in self.persons.columns:
                raise DataError(f"cannot subset by {col}: the response data has no {col!r} column")
            want = [want] if isinstance(want, str) or not isinstance(want, Iterable) else list(want)
            have = set(self.persons[col].dropna().astype(str))
            unknown = [w for w in want if str(w) not in have]
            if unknown:
                raise DataError(f"unknown {col}(s) {unknown}; the data has {sorted(have)}")
            mask &= self.persons[col].astype(str).isin([str(w) for w in want]).to_numpy()
        wide = self.wide
        if persons is not None:
            persons = list(persons)
            unknown = [p for p in persons if p not in wide.index]
            if unknown:
                raise DataError(f"unknown application id(s) {unknown[:5]}")
            mask &= wide.index.isin(persons)
        if items is not None:
            items = list(items)
            unknown = [i for i in items if i not in wide.columns]
            if unknown:
                raise DataError(f"unknown item(s) {unknown[:5]}; not in the response data")
            wide = wide[items]
        wide = wide.loc[mask]
        obs = np.isfinite(wide.to_numpy())
        wide = wide.loc[obs.any(axis=1), obs.any(axis=0)]
        if wide.shape[0] == 0 or wide.shape[1] == 0:
            raise DataError(
                f"subset(period={period!r}, form={form!r}) is empty (shape {wide.shape})"
            )
        return Responses(
            wide=wide.copy(),
            items=self.items.loc[wide.columns].copy(),
            persons=self.persons.loc[wide.index].copy(),
            file=self.file,
            excluded=self.excluded.copy(),
        )

    def equals(self, other: object) -> bool:
        """True when data, item and person metadata are identical."""
        return (
            isinstance(other, Responses)
            and self.wide.equals(other.wide)
            and self.items.equals(other.items)
            and self.persons.equals(other.persons)
        )

    def __repr__(self) -> str:
        extra = ""
        if "period" in self.persons.columns:
            extra = f", periods={sorted(self.persons['period'].dropna().astype(str).unique())}"
        missing = float(np.isnan(self.wide.to_numpy()).mean())
        return (
            f"Responses({self.n_persons} persons x {self.n_items} items{extra}, "
            f"{missing:.1%} missing, file={self.file!r})"
        )


def _assemble(
    long: pd.DataFrame, bank: pd.DataFrame | None, file: str | None, drop: bool
) -> Responses:
    """Long (already row-checked) -> Responses with table-level checks."""
    _check_duplicates_long(long)
    app_codes, apps = pd.factorize(long["application_id"], sort=False)
    if bank is not None:
        present = set(long["item_id"].unique())
        item_order = pd.Index([i for i in bank.index if i in present], dtype=object)
    else:
        item_order = pd.Index(pd.unique(long["item_id"]), dtype=object)
    item_codes = item_order.get_indexer(long["item_id"])
    values = np.full((len(apps), len(item_order)), np.nan)
    values[app_codes, item_codes] = long["score"].to_numpy(dtype=float)
    app_index = pd.Index(apps, dtype=object, name="application_id")
    wide = pd.DataFrame(values, index=app_index, columns=item_order)
    persons = _person_table(long, app_index)
    items = _infer_items(wide) if bank is None else bank
    return _finish(wide, items, persons, file, drop)


def read_responses(
    path: str | Path | Sequence[str | Path],
    items: pd.DataFrame | None = None,
    *,
    drop_single_category: bool = False,
) -> Responses:
    """Read long response file(s) (CSV or Parquet, by suffix) into :class:`Responses`.

    Parameters
    ----------
    path : str, Path or list of them
        File(s) with columns ``application_id, candidate_id, period, form,
        item_id, score`` and optionally ``administered_on``.  Several files
        (e.g. one per period) are combined; a (application_id, item_id) pair
        may appear in only one of them.
    items : DataFrame, optional
        Item bank (from :func:`read_items`); strongly recommended: it fixes
        ``max_score``, the item order and the per-item model.
    drop_single_category : bool, default False
        Exclude items with a single observed category instead of raising.

    Returns
    -------
    Responses

    Raises
    ------
    DataError
        Everything :meth:`Responses.from_long` raises, located by file and
        line (CSV) or 0-based row (Parquet); unreadable or missing files.

    Examples
    --------
    >>> items = read_items("data/sample/lab-assessor/items.csv")             # doctest: +SKIP
    >>> r = read_responses("data/sample/lab-assessor/responses.csv", items)  # doctest: +SKIP
    """
    paths = [path] if isinstance(path, str | Path) else list(path)
    if not paths:
        raise DataError("no response file given")
    bank = None if items is None else _normalize_items(items)
    parts = []
    for p in paths:
        df = _read_table(p)
        parts.append(_clean_long(df, bank, str(p), full=True))
    long = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    name = "; ".join(str(p) for p in paths)
    return _assemble(long, bank, name, drop_single_category)


# =================================================================== candidates
def read_candidates(path: str | Path) -> pd.DataFrame:
    """Read the candidate register (one row per application).

    Parameters
    ----------
    path : str or Path
        Columns ``candidate_id, application_id, period, study_hours`` and
        optionally ``region, employer`` (or others, kept).

    Returns
    -------
    DataFrame
        Indexed by ``application_id``; ``study_hours`` float (NaN = not recorded).

    Raises
    ------
    DataError
        Missing columns, empty file, missing identifiers, duplicate
        application ids, study hours that are not a number >= 0.
    """
    file = str(path)
    df = _read_table(path)
    _require(df, _CANDIDATE_COLUMNS, file, "the candidate register")
    for c in ("candidate_id", "application_id", "period"):
        df[c] = _ids(df, c, file)
    _duplicates(df, ["application_id"], file, "application")
    df["study_hours"] = _numbers(
        df, "study_hours", file, allow_missing=True, lo=0, what="hours >= 0 or empty"
    )
    return df.set_index("application_id")


def eligibility(candidates: pd.DataFrame, rules: Rules | Mapping | float) -> pd.DataFrame:
    """Study-hour eligibility of every application (Art. 6).

    Ineligible records are reported, never silently scored: the caller
    decides what to do with them (the pipeline withholds their result).

    Parameters
    ----------
    candidates : DataFrame
        As from :func:`read_candidates` (indexed by ``application_id``, or
        with that column) with ``study_hours``.
    rules : Rules, mapping or number
        The discipline's typed :class:`pvcal.rules.Rules` (its
        ``eligibility.min_study_hours``; a mapping is validated once with
        :func:`pvcal.rules.validate`), or the minimum hours directly.

    Returns
    -------
    DataFrame
        Indexed by ``application_id``: ``candidate_id`` and ``period`` (when
        present), ``study_hours``, ``min_study_hours``, ``eligible`` (bool) and
        ``reason`` (empty when eligible; "study hours not recorded" or
        "below the study-hour requirement: 31.5 < 40 h").

    Raises
    ------
    DataError
        ``candidates`` without ``study_hours``.
    SchemaError
        Rules that do not validate (:class:`~pvcal._validation.RulesError`),
        or a number of hours that is not >= 0.

    Examples
    --------
    >>> c = pd.DataFrame({"application_id": ["a", "b"], "study_hours": [50, 12]})
    >>> eligibility(c, 40)["eligible"].tolist()
    [True, False]
    """
    if isinstance(rules, Mapping):
        rules = _rules.validate(rules)
    if isinstance(rules, Rules):
        need = rules.min_study_hours
    else:
        value = {"min_study_hours": rules}
        need = _rules.section(_rules.Eligibility, value, "eligibility").min_study_hours
    if not isinstance(candidates, pd.DataFrame):
        raise DataError(f"candidates must be a DataFrame, got {type(candidates).__name__}")
    df = candidates
    if "application_id" in df.columns:
        df = df.set_index("application_id")
    if "study_hours" not in df.columns:
        raise DataError(
            f"missing column(s) ['study_hours'] in the candidate register; found {list(df.columns)}"
        )
    hours = pd.to_numeric(df["study_hours"], errors="coerce").astype(float)
    out = pd.DataFrame(index=df.index.copy())
    for c in ("candidate_id", "period"):
        if c in df.columns:
            out[c] = df[c]
    out["study_hours"] = hours
    out["min_study_hours"] = float(need)
    missing = hours.isna()
    below = hours < need
    out["eligible"] = ~(missing | below)
    reason = np.where(
        missing,
        "study hours not recorded",
        np.where(
            below,
            [f"below the study-hour requirement: {h:g} < {need:g} h" for h in hours.fillna(0)],
            "",
        ),
    )
    out["reason"] = reason
    return out


# =================================================================== rules
def read_rules(path: str | Path) -> Rules:
    """Read and validate a discipline's ``rules.yml``: :func:`pvcal.rules.load`.

    .. deprecated::
        Use :func:`pvcal.rules.load`; this alias stays for existing callers.

    Returns
    -------
    Rules

    Raises
    ------
    RulesError
        See :func:`pvcal.rules.load`.
    """
    return _rules.load(path)


# =================================================================== panel
def _infer_kind(df: pd.DataFrame, path: Path) -> str:
    stem = path.name.split(".")[0].lower()
    if stem in PANEL_KINDS:
        return stem
    for kind, cols in PANEL_KINDS.items():
        if all(c in df.columns for c in cols) and kind != "bookmark_booklet":
            return kind
    raise DataError(
        f"{path}: cannot tell which panel judgement this is from its name or columns "
        f"{list(df.columns)}; expected one of {dict(PANEL_KINDS)}"
    )


def read_panel(
    path: str | Path, kind: str | None = None, items: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read and check a standard-setting panel file.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file.
    kind : str, optional
        One of :data:`PANEL_KINDS`: ``angoff`` (``panelist, round, item_id,
        rating`` = expected score of a borderline candidate), ``bookmark``
        (``panelist, round, cut, page``), ``bookmark_booklet`` (``page,
        item_id``), ``hofstee`` (``panelist, k_min, k_max, f_min, f_max``, in
        percent), ``beuk`` (``panelist, cut, pass_rate``, in percent),
        ``global_ratings`` (``application_id, rater, rating``).  Default: from
        the file name, else from the columns.
    items : DataFrame, optional
        Item bank; Angoff and booklet items must be in it and Angoff ratings
        must lie in 0..max_score.

    Returns
    -------
    DataFrame
        The checked table (``attrs["kind"]`` holds its kind).

    Raises
    ------
    DataError
        Missing columns, empty file, missing identifiers, rounds/pages that
        are not positive integers, ratings out of range, unknown items or
        cuts, duplicate judgements, bounds in the wrong order.
    """
    p = Path(path)
    file = str(p)
    df = _read_table(p)
    if kind is None:
        kind = _infer_kind(df, p)
    elif kind not in PANEL_KINDS:
        raise DataError(f"{file}: kind={kind!r} is not one of {list(PANEL_KINDS)}")
    _require(df, PANEL_KINDS[kind], file, f"the {kind} panel file")
    bank = None if items is None else _normalize_items(items)
    for c in ("panelist", "item_id", "application_id", "rater", "cut"):
        if c in PANEL_KINDS[kind]:
            df[c] = _ids(df, c, file)
    if "round" in df.columns:
        df["round"] = _numbers(
            df, "round", file, allow_missing=False, integer=True, lo=1, what="an integer >= 1"
        ).astype(int)
    if bank is not None and "item_id" in df.columns:
        unknown = ~df["item_id"].isin(bank.index).to_numpy()
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise DataError(
                f"{_at(file, i)}, column 'item_id': unknown item {df['item_id'].iloc[i]!r}; "
                "expected an item of the item bank"
            )
    if kind == "angoff":
        rating = _numbers(
            df, "rating", file, allow_missing=False, lo=0, what="an expected score >= 0"
        )
        hi = (
            bank["max_score"].reindex(df["item_id"]).to_numpy(dtype=float)
            if bank is not None
            else np.ones(len(df)) * np.inf
        )
        over = rating > hi
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise DataError(
                f"{_at(file, i)}, column 'rating', item {df['item_id'].iloc[i]!r}: rating "
                f"{rating[i]:g} exceeds max_score {hi[i]:g}; expected 0..{hi[i]:g}"
            )
        df["rating"] = rating
        keys = ["panelist", "round", "item_id"] + (["cut"] if "cut" in df.columns else [])
        _duplicates(df, keys, file, "Angoff rating")
    elif kind == "bookmark":
        bad = ~df["cut"].isin(CUTS).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{_at(file, i)}, column 'cut': {df['cut'].iloc[i]!r} is not one of {list(CUTS)}"
            )
        df["page"] = _numbers(
            df, "page", file, allow_missing=False, integer=True, lo=1, what="a page number >= 1"
        ).astype(int)
        _duplicates(df, ["panelist", "round", "cut"], file, "bookmark")
    elif kind == "bookmark_booklet":
        df["item_id"] = _ids(df, "item_id", file)
        df["page"] = _numbers(
            df, "page", file, allow_missing=False, integer=True, lo=1, what="a page number >= 1"
        ).astype(int)
        _duplicates(df, ["page"], file, "booklet page")
        _duplicates(df, ["item_id"], file, "booklet item")
    elif kind == "hofstee":
        for c in ("k_min", "k_max", "f_min", "f_max"):
            df[c] = _numbers(
                df, c, file, allow_missing=False, lo=0, hi=100, what="a percentage 0..100"
            )
        for lo_c, hi_c in (("k_min", "k_max"), ("f_min", "f_max")):
            bad = (df[lo_c] > df[hi_c]).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{_at(file, i)}, column {lo_c!r}: {df[lo_c].iloc[i]:g} > {hi_c} "
                    f"{df[hi_c].iloc[i]:g}; expected {lo_c} <= {hi_c}"
                )
        _duplicates(df, ["panelist"], file, "Hofstee judgement")
    elif kind == "beuk":
        for c in ("cut", "pass_rate"):
            df[c] = _numbers(
                df, c, file, allow_missing=False, lo=0, hi=100, what="a percentage 0..100"
            )
        _duplicates(df, ["panelist"], file, "Beuk judgement")
    elif kind == "global_ratings":
        df["rating"] = _numbers(
            df, "rating", file, allow_missing=False, integer=True, what="an integer rating"
        ).astype(int)
        _duplicates(df, ["application_id", "rater"], file, "global rating")
    df.attrs["kind"] = kind
    return df


# =================================================================== peer, forms
def read_peer(path: str | Path) -> pd.DataFrame:
    """Read peer-comparison results (proficiency-test values).

    Parameters
    ----------
    path : str or Path
        Columns ``application_id, candidate_id, sample_id, value, u_value,
        period``; ``u_value`` (reported standard uncertainty) may be empty.

    Returns
    -------
    DataFrame
        One row per (application, sample); ``value`` and ``u_value`` float.

    Raises
    ------
    DataError
        Missing columns, empty file, missing identifiers, missing or
        non-numeric values, negative uncertainties, duplicate
        (application_id, sample_id) rows.
    """
    file = str(path)
    df = _read_table(path)
    _require(df, _PEER_COLUMNS, file, "the peer results")
    for c in ("application_id", "candidate_id", "sample_id", "period"):
        df[c] = _ids(df, c, file)
    df["value"] = _numbers(df, "value", file, allow_missing=False, what="a measured value")
    df["u_value"] = _numbers(
        df, "u_value", file, allow_missing=True, lo=0, what="a standard uncertainty >= 0 or empty"
    )
    _duplicates(df, ["application_id", "sample_id"], file, "peer result")
    return df


def read_forms(path: str | Path, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read the form layout: ``form, period, position, item_id`` (item order per form).

    Raises
    ------
    DataError
        Missing columns, empty file, bad positions, unknown items, an item
        twice on a form or two items at one position.
    """
    file = str(path)
    df = _read_table(path)
    _require(df, _FORM_COLUMNS, file, "the form layout")
    for c in ("form", "period", "item_id"):
        df[c] = _ids(df, c, file)
    df["position"] = _numbers(
        df, "position", file, allow_missing=False, integer=True, lo=1, what="a position >= 1"
    ).astype(int)
    if items is not None:
        bank = _normalize_items(items)
        unknown = ~df["item_id"].isin(bank.index).to_numpy()
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise DataError(
                f"{_at(file, i)}, column 'item_id': unknown item {df['item_id'].iloc[i]!r}"
            )
    _duplicates(df, ["form", "position"], file, "form position")
    _duplicates(df, ["form", "item_id"], file, "item on a form")
    return df


# =================================================================== discipline
@dataclass(frozen=True, eq=False, repr=False)
class Discipline:
    """Everything a discipline folder holds, loaded and cross-checked.

    Attributes
    ----------
    name : str
    folder : Path
    rules : Rules
    items : DataFrame
        Item bank indexed by ``item_id``.
    responses : Responses
        Every period's responses (all applications, eligible or not).
    candidates : DataFrame
        Indexed by ``application_id``.
    panel : mapping of str to DataFrame
        Panel judgements present in the folder, by kind (``angoff``,
        ``bookmark``, ``bookmark_booklet``, ``hofstee``, ``beuk``,
        ``global_ratings``).
    peer : DataFrame or None
        Peer-comparison results (``peer_results.csv``).
    forms : DataFrame or None
        Form layout (``forms.csv``).
    """

    name: str
    folder: Path
    rules: Rules
    items: pd.DataFrame
    responses: Responses
    candidates: pd.DataFrame
    panel: Mapping[str, pd.DataFrame]
    peer: pd.DataFrame | None = None
    forms: pd.DataFrame | None = None

    def eligibility(self) -> pd.DataFrame:
        """Study-hour eligibility of every application (see :func:`eligibility`)."""
        return eligibility(self.candidates, self.rules)

    def eligible_responses(self) -> Responses:
        """Responses of the applications that meet the study-hour requirement.

        The others are not scored; list them with ``eligibility()`` and report them.
        """
        elig = self.eligibility()
        keep = elig.index[elig["eligible"].to_numpy()]
        return self.responses.subset(persons=[a for a in self.responses.wide.index if a in keep])

    def __repr__(self) -> str:
        return (
            f"Discipline({self.name!r}, {self.responses.n_persons} applications x "
            f"{self.responses.n_items} items, periods={list(self.rules.periods)}, "
            f"panel={sorted(self.panel)}, peer={self.peer is not None})"
        )


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".parquet", ".csv.gz"):
        p = folder / f"{stem}{suffix}"
        if p.is_file():
            return p
    return None


def load_discipline(folder: str | Path, *, drop_single_category: bool = False) -> Discipline:
    """Load and cross-check a discipline folder.

    Reads ``rules.yml``, ``items.csv``, the response file(s) (``files.responses``
    in the rules, else every ``responses*.csv`` / ``responses*.parquet``),
    ``candidates.csv``, any panel files, ``peer_results.csv`` and ``forms.csv``.

    Parameters
    ----------
    folder : str or Path
    drop_single_category : bool, default False
        Passed to :func:`read_responses`.

    Returns
    -------
    Discipline

    Raises
    ------
    DataError, SchemaError
        Anything a loader raises, plus: no response file; a response
        application missing from the candidate register or with another
        period there; a response period not in ``rules.periods``; a form not
        listed for its period; an item model that contradicts ``rules.model``
        (use ``model: mixed`` for per-item models); a panel file a grade
        method needs is absent; ``peer`` rules without ``peer_results.csv``
        or with samples the results do not have.

    Examples
    --------
    >>> d = load_discipline("data/sample/lab-assessor")   # doctest: +SKIP
    >>> d.peer["sample_id"].unique().tolist()              # doctest: +SKIP
    ['S1', 'S2', 'S3']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: discipline folder not found")
    rules_path = folder / "rules.yml"
    if not rules_path.is_file() and (folder / "rules.yaml").is_file():
        rules_path = folder / "rules.yaml"
    rules = _rules.load(rules_path)
    items_path = _find(folder, "items")
    if items_path is None:
        raise DataError(f"{folder}: no item bank (items.csv or items.parquet)")
    items = read_items(items_path)
    if rules.model != "mixed" and "model" in items.columns:
        bad = items["model"].notna() & (items["model"] != rules.model)
        if bad.any():
            item = items.index[bad.to_numpy()][0]
            raise DataError(
                f"{items_path}, item {item!r}: model {items.loc[item, 'model']!r} contradicts "
                f"{rules_path.name} model {rules.model!r}; use 'model: mixed' for per-item models"
            )
    if rules.files is not None and rules.files.responses:
        paths = [folder / f for f in rules.files.responses]
    else:
        paths = sorted(
            p
            for p in folder.iterdir()
            if p.name.startswith("responses") and p.name.endswith((".csv", ".parquet", ".csv.gz"))
        )
    if not paths:
        raise DataError(f"{folder}: no response file (responses*.csv or responses*.parquet)")
    responses = read_responses(paths, items, drop_single_category=drop_single_category)

    cand_path = _find(folder, "candidates")
    if cand_path is None:
        raise DataError(f"{folder}: no candidate register (candidates.csv)")
    candidates = read_candidates(cand_path)

    persons = responses.persons
    unknown = persons.index.difference(candidates.index)
    if len(unknown):
        raise DataError(
            f"{responses.file}: application(s) {unknown[:5].tolist()} ({len(unknown)} in all) "
            f"are not in {cand_path}; every response needs a registered application"
        )
    period_c = candidates.loc[persons.index, "period"]
    clash = period_c.to_numpy() != persons["period"].astype(str).to_numpy()
    if clash.any():
        app = persons.index[clash][0]
        raise DataError(
            f"application {app!r}: period {persons.loc[app, 'period']!r} in the responses but "
            f"{period_c.loc[app]!r} in {cand_path}"
        )
    bad_periods = sorted(set(persons["period"].astype(str)) - set(rules.periods))
    if bad_periods:
        raise DataError(
            f"{responses.file}: period(s) {bad_periods} not in {rules_path.name} periods "
            f"{list(rules.periods)}"
        )
    if rules.forms:
        for (period, form), _ in persons.groupby(["period", "form"], sort=True):
            allowed = rules.forms.get(str(period))
            if allowed is not None and str(form) not in allowed:
                raise DataError(
                    f"{responses.file}: form {form!r} in period {period!r} is not listed in "
                    f"{rules_path.name} forms.{period} {list(allowed)}"
                )

    panel: dict[str, pd.DataFrame] = {}
    for kind in PANEL_KINDS:
        p = _find(folder, kind)
        if p is not None:
            panel[kind] = read_panel(p, kind=kind, items=items)
    for cut, spec in rules.grades.by_cut().items():
        for need in _METHOD_PANEL.get(spec.method, ()):
            if need not in panel:
                raise DataError(
                    f"{folder}: {rules_path.name} grades.{cut}.method {spec.method!r} needs "
                    f"{need}.csv, which is missing"
                )
    peer = None
    peer_path = _find(folder, "peer_results")
    if peer_path is not None:
        peer = read_peer(peer_path)
    if rules.peer is not None:
        if peer is None:
            raise DataError(
                f"{folder}: {rules_path.name} has a 'peer' section but no peer_results.csv"
            )
        wanted = set(rules.peer.samples)
        missing = sorted(wanted - set(peer["sample_id"]))
        if missing:
            raise DataError(
                f"{peer_path}: sample(s) {missing} listed in {rules_path.name} peer.samples have "
                "no results"
            )
    forms = None
    forms_path = _find(folder, "forms")
    if forms_path is not None:
        forms = read_forms(forms_path, items)
    return Discipline(
        name=rules.discipline,
        folder=folder,
        rules=rules,
        items=items,
        responses=responses,
        candidates=candidates,
        panel=MappingProxyType(panel),
        peer=peer,
        forms=forms,
    )
