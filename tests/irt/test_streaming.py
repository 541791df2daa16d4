"""Streamed (Parquet) calibration and the pattern table behind it.

The marginal likelihood of MML-EM depends on the responses only through the
distinct response patterns and their counts (Bock & Aitkin, 1981, eq. 5:
``L = Π_l P(u_l)^{r_l}`` over patterns l with frequencies r_l), so a file
collapsed block by block must give exactly the estimates of the in-memory fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pvcal
from pvcal import DataError
from pvcal.irt.estimate import prepare, prepare_parquet
from pvcal.irt.patterns import PatternCounter, category_table, collapse, read_parquet_patterns
from pvcal.irt.simulate import simulate


def _items(n_items: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"a": rng.uniform(0.8, 2.0, n_items), "b": rng.normal(0, 1, n_items)},
        index=[f"Q{j:02d}" for j in range(n_items)],
    )


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    """2PL responses, 10% missing at random, persons with no answer dropped."""
    rng = np.random.default_rng(11)
    x, _ = simulate(_items(10, 1), 3000, seed=2)
    x = x.mask(rng.random(x.shape) < 0.1)
    x = x[x.notna().any(axis=1)]
    x.index = pd.Index([f"A{i:05d}" for i in range(len(x))], name="application_id")
    return x


def _write(frame: pd.DataFrame, path, row_group_size: int = 400) -> None:
    out = frame.astype("Int8").reset_index()
    pq.write_table(
        pa.Table.from_pandas(out, preserve_index=False), path, row_group_size=row_group_size
    )


def _numbers(cal) -> np.ndarray:
    return cal.items.select_dtypes("number").to_numpy(float)


def test_parquet_equals_in_memory(responses, tmp_path):
    """Streamed fit = in-memory fit: the likelihood only sees pattern counts (B&A 1981, eq. 5).

    Row groups of 400 rows force a dozen blocks, each collapsed and merged.
    """
    path = tmp_path / "wide.parquet"
    _write(responses, path)
    mem = pvcal.calibrate(responses, model="2PL")
    streamed = pvcal.calibrate(path, model="2PL")
    np.testing.assert_allclose(_numbers(streamed), _numbers(mem), rtol=0, atol=1e-5)
    assert streamed.loglik == pytest.approx(mem.loglik, rel=1e-10)
    assert streamed.n_persons == mem.n_persons == len(responses)
    assert list(streamed.items.index) == list(responses.columns)
    assert streamed.items["n"].tolist() == responses.notna().sum().tolist()


def test_parquet_dataset_folder_and_polytomous(tmp_path):
    """A folder of Parquet parts = the concatenated frame (GRM with SEs; same counts)."""
    rng = np.random.default_rng(5)
    items = pd.DataFrame(
        {"a": [1.2, 0.9, 1.6, 1.1], "b1": [-1.0, -0.5, -1.5, 0.0], "b2": [0.5, 1.0, 0.2, 1.2]},
        index=["P1", "P2", "P3", "P4"],
    )
    items["model"] = "GRM"
    x, _ = simulate(items, 1500, seed=rng)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, part in enumerate(np.array_split(np.arange(len(x)), 3)):
        x.iloc[part].astype("int64").to_parquet(folder / f"part-{k}.parquet", index=False)
    mem = pvcal.calibrate(x, model="GRM")
    streamed = pvcal.calibrate(folder, model="GRM")
    np.testing.assert_allclose(_numbers(streamed), _numbers(mem), rtol=0, atol=1e-5)


def test_prepare_parquet_same_design(responses, tmp_path):
    """The streamed design holds the same patterns, counts and indicators as prepare()."""
    path = tmp_path / "wide.parquet"
    _write(responses, path)
    a = prepare(responses, "2PL")
    b = prepare_parquet(path, list(responses.columns), "2PL")
    np.testing.assert_array_equal(a.patterns, b.patterns)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.Y, b.Y)
    assert a.n_persons == b.n_persons


@pytest.mark.slow  # hypothesis: 100 examples, ~3 s
@given(
    arrays(np.int8, st.tuples(st.integers(1, 60), st.integers(1, 4)), elements=st.integers(-1, 2)),
    st.integers(1, 7),
)
def test_counter_merge_equals_one_collapse(codes, block):
    """Collapsing blocks then merging = collapsing everything at once (byte-wise order, counts)."""
    pc = PatternCounter()
    for start in range(0, len(codes), block):
        pc.add(codes[start : start + block])
    patterns, counts = pc.result()
    want_p, want_n = collapse(codes)
    np.testing.assert_array_equal(patterns, want_p)
    np.testing.assert_array_equal(counts, want_n)
    assert counts.sum() == len(codes) == pc.n_rows


def test_category_table_by_hand():
    """Hand count: patterns [0, -1] x2 and [1, 1] x3 -> item 1: 0 missing, two 0s, three 1s."""
    table = category_table(np.array([[0, -1], [1, 1]], np.int8), np.array([2, 3]))
    assert table[0, :3].tolist() == [0, 2, 3]
    assert table[1, :3].tolist() == [2, 0, 3]
    assert table.sum() == 10


def test_read_parquet_counts_rows(responses, tmp_path):
    """Every row is counted once whatever the block size (counts sum to N)."""
    path = tmp_path / "wide.parquet"
    _write(responses, path)
    _, counts, table = read_parquet_patterns(path, list(responses.columns), batch_rows=97)
    assert counts.sum() == len(responses)
    assert table[1:, 0].tolist() == responses.isna().sum().tolist()  # missing per item


def test_parquet_errors_name_file_row_and_column(tmp_path):
    """Bad inputs are refused with the file, row or column in the message."""
    good = pd.DataFrame({"Q1": [0, 1, 1, 0], "Q2": [1, 0, 1, 1]})
    with pytest.raises(DataError, match="no such Parquet"):
        pvcal.calibrate(tmp_path / "missing.parquet")
    text = good.assign(note=["a", "b", "c", "d"])
    text.to_parquet(tmp_path / "text.parquet", index=False)
    with pytest.raises(DataError, match="'note'.*not numeric"):
        pvcal.calibrate(tmp_path / "text.parquet")
    half = good.astype(float)
    half.loc[2, "Q2"] = 0.5
    half.to_parquet(tmp_path / "half.parquet", index=False)
    with pytest.raises(DataError, match=r"half\.parquet, row 2, item 'Q2'"):
        pvcal.calibrate(tmp_path / "half.parquet")
    negative = good.copy()
    negative.loc[3, "Q1"] = -3  # an integer column: the Arrow fast path hands over to encode()
    negative.to_parquet(tmp_path / "negative.parquet", index=False)
    with pytest.raises(DataError, match=r"row 3, item 'Q1'"):
        pvcal.calibrate(tmp_path / "negative.parquet")
    blank = pd.DataFrame({"Q1": [0, None, 1], "Q2": [1, None, 0]}, dtype="Int64")
    blank.to_parquet(tmp_path / "blank.parquet", index=False)
    with pytest.raises(DataError, match=r"no responses, e\.g\. rows \[1\]"):
        pvcal.calibrate(tmp_path / "blank.parquet")
    with pytest.raises(DataError, match="in-memory"):
        good.to_parquet(tmp_path / "good.parquet", index=False)
        pvcal.calibrate(tmp_path / "good.parquet", groups=["a", "b", "a", "b"])


def test_id_column_not_in_the_file_is_named_with_the_columns(tmp_path):
    """An explicit ``id_column`` absent from the data is refused naming the file, that
    column and the columns there are, for a Parquet file and an in-memory frame alike
    (before: the Parquet path blamed the real id column as "not numeric", or calibrated
    integer ids as an item; a frame raised a bare ValueError from numpy)."""
    good = pd.DataFrame({"Q1": [0, 1, 1, 0], "Q2": [1, 0, 1, 1]})
    with_ids = good.assign(application_id=["A1", "A2", "A3", "A4"])[["application_id", "Q1", "Q2"]]
    path = tmp_path / "ids.parquet"
    with_ids.to_parquet(path, index=False)
    listed = r"id column 'nope' not found; the columns are \['application_id', 'Q1', 'Q2'\]"
    with pytest.raises(DataError, match=rf"ids\.parquet: {listed}"):
        pvcal.calibrate(path, id_column="nope")
    int_ids = tmp_path / "int_ids.parquet"
    with_ids.assign(application_id=[101, 102, 103, 104]).to_parquet(int_ids, index=False)
    with pytest.raises(DataError, match=rf"int_ids\.parquet: {listed}"):
        pvcal.calibrate(int_ids, id_column="nope")
    with pytest.raises(DataError, match=rf"responses: {listed}"):
        pvcal.calibrate(with_ids, id_column="nope")
    wide = pd.DataFrame(np.zeros((2, 12), int), columns=[f"Q{j}" for j in range(12)])
    with pytest.raises(DataError, match=r"'Q7', \.\.\. \(12 columns in all\)"):
        pvcal.calibrate(wide, id_column="nope")  # the first eight columns, then the count
    cand = tmp_path / "cand.parquet"
    with_ids.rename(columns={"application_id": "cand"}).to_parquet(cand, index=False)
    with pytest.raises(DataError, match=r"'cand'.*not numeric.*pass id_column='cand'"):
        pvcal.calibrate(cand)  # the default id column is absent: a hint at the real one


def test_id_column_of_a_frame_is_not_an_item(responses, tmp_path):
    """The person-id column of an in-memory frame (the default name or another) becomes its
    index and is not calibrated: the same fit as the frame without it, and as the Parquet
    file with it (Bock & Aitkin 1981, eq. 5: only the response patterns count)."""
    base = responses.reset_index(drop=True)  # the fixture's index holds the ids
    with_ids = base.assign(application_id=list(responses.index))
    plain = pvcal.calibrate(base, model="2PL")
    for frame, id_column in ((with_ids, "application_id"),
                             (with_ids.rename(columns={"application_id": "cand"}), "cand"),
                             (with_ids.set_index("application_id"), "application_id")):  # fmt: skip
        cal = pvcal.calibrate(frame, model="2PL", id_column=id_column)
        assert list(cal.items.index) == list(responses.columns)
        assert cal.loglik == pytest.approx(plain.loglik, rel=1e-12)
    path = tmp_path / "with_ids.parquet"
    _write(responses, path)  # the index written as an application_id column
    streamed = pvcal.calibrate(path, model="2PL")
    assert list(streamed.items.index) == list(responses.columns)
    assert streamed.loglik == pytest.approx(plain.loglik, rel=1e-10)
    with pytest.raises(DataError, match=r"row 0, column 'application_id': 'A00000'; expected"):
        pvcal.calibrate(with_ids, id_column=None)  # no id column: the text column is named
