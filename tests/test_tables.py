"""Issue 25, item 1: every CSV fairaudit writes is read back through the typed schema that wrote it."""
from __future__ import annotations

import pandas as pd
import pytest

from fairaudit.data.io import load_jobs
from fairaudit.data.rewrites_table import COLUMNS, REWRITES, apply_rewrites, read_rewrites, write_rewrites
from fairaudit.data.tables import TableSchema, parse_bool
from fairaudit.errors import DataError


def _rewrites(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "job_id": [f"j{i}" for i in range(n)], "original": ["- Lead a team", "=SUM(A1)", "Plain text"][:n],
        "rewrite": ["- Guide a team", "=SUM(A1)", "Plain text"][:n], "accepted": [True, False, False][:n],
        "gap_before": [0.2, 0.1, float("nan")][:n], "gap_after": [0.1, 0.1, float("nan")][:n],
        "meaning_score": [0.9, 1.0, 1.0][:n], "skill_recall": [1.0, 1.0, 1.0][:n],
        "reason": ["", "-0.01: widened the gap", ""][:n], "n_sentences": [1, 1, 0][:n],
        "n_rewritten": [1, 0, 0][:n], "edits": ["Lead -> Guide", "", ""][:n],
        "gap_before_sex": [0.3, 0.1, 0.0][:n], "gap_after_sex": [0.1, 0.1, 0.0][:n]})


@pytest.mark.parametrize("value, expect", [("True", True), ("False", False), ("true", True), ("false", False),
                                           ("1", True), ("0", False), (True, True), (0, False)])
def test_booleans_accepted(value, expect):
    assert parse_bool(value) is expect


@pytest.mark.parametrize("value", ["yes", "no", "TRUE", " True", "", "2", "1.0", None, float("nan")])
def test_anything_else_is_not_a_boolean(value):
    assert parse_bool(value) is None


def test_write_then_read_gives_the_same_table(tmp_path):
    rw = _rewrites()
    write_rewrites(rw, tmp_path / "rw.csv")
    back = read_rewrites(tmp_path / "rw.csv")
    assert list(back.columns) == [*COLUMNS, "gap_before_sex", "gap_after_sex"]
    assert back["accepted"].dtype == bool and back["accepted"].tolist() == [True, False, False]
    # texts that the spreadsheet-safe writer quoted come back as written
    for col in ("original", "rewrite", "reason", "edits", "job_id"):
        assert back[col].tolist() == rw[col].tolist(), col
    for col in ("gap_before", "gap_after", "gap_before_sex", "gap_after_sex", "meaning_score"):
        assert back[col].dtype == float
        pd.testing.assert_series_equal(back[col], rw[col], check_names=False)
    assert back["n_sentences"].tolist() == [1, 1, 0]


def test_rewritten_jobs_are_written_with_the_rewrites(tmp_path):
    jobs = pd.DataFrame({"job_id": ["j0", "j1", "j2", "j3"], "title": ["a", "b", "c", "d"],
                         "text": ["- Lead a team", "=SUM(A1)", "Plain text", "untouched"]})
    write_rewrites(_rewrites(), tmp_path / "rw.csv", jobs=jobs)
    back = load_jobs(tmp_path / "rewritten_jobs.csv")
    assert back["text"].tolist() == ["- Guide a team", "=SUM(A1)", "Plain text", "untouched"]
    assert back.equals(apply_rewrites(jobs, _rewrites()))


@pytest.mark.parametrize("column, value, row, what", [
    ("accepted", "yes", 2, "a boolean"), ("accepted", "", 3, "a boolean"), ("gap_after", "n/a", 1, "a number"),
    ("gap_before_sex", "0,5", 2, "a number"), ("n_sentences", "1.5", 3, "a whole number")])
def test_a_wrong_cell_names_its_column_and_row(tmp_path, column, value, row, what):
    rw = _rewrites().astype({column: object})
    rw.loc[row - 1, column] = value
    rw.to_csv(tmp_path / "rw.csv", index=False)
    with pytest.raises(DataError, match=rf"column '{column}', row {row}: '{value}' is not {what}"):
        read_rewrites(tmp_path / "rw.csv")


def test_missing_report_columns_are_named(tmp_path):
    _rewrites().drop(columns=["accepted", "gap_after"]).to_csv(tmp_path / "rw.csv", index=False)
    with pytest.raises(DataError, match=r"missing column\(s\) \['accepted', 'gap_after'\]"):
        read_rewrites(tmp_path / "rw.csv")


def test_an_older_table_without_the_optional_columns_is_read(tmp_path):
    _rewrites()[list(COLUMNS[:7])].to_csv(tmp_path / "rw.csv", index=False)
    assert read_rewrites(tmp_path / "rw.csv")["accepted"].tolist() == [True, False, False]


def test_a_parquet_copy_reads_the_same(tmp_path):
    _rewrites().to_parquet(tmp_path / "rw.parquet")
    assert read_rewrites(tmp_path / "rw.parquet").equals(REWRITES.coerce(_rewrites()))


def test_schema_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="unknown column kind"):
        TableSchema("t", {"a": "date"})
    with pytest.raises(ValueError, match="not in columns"):
        TableSchema("t", {"a": "text"}, required=("b",))
