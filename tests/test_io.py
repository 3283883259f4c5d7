"""Loading and validation: every bad input gives one clear DataError."""
import json
import re

import pandas as pd
import pytest

from fairaudit.errors import DataError
from fairaudit.data.io import load_candidates, load_jobs, normalize_labels


def _write_jobs(tmp_path, name="jobs.csv", rows=None):
    rows = rows or [{"job_id": "1", "title": "Dev", "text": "Build things"},
                    {"job_id": "2", "title": "Nurse", "text": "Care for patients"}]
    p = tmp_path / name
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def test_load_csv_parquet_jsonl_agree(tmp_path):
    p = _write_jobs(tmp_path)
    df = pd.read_csv(p, dtype=str)
    df.to_parquet(tmp_path / "jobs.parquet")
    (tmp_path / "jobs.jsonl").write_text("\n".join(json.dumps(r) for r in df.to_dict("records")))
    a, b, c = (load_jobs(tmp_path / n) for n in ("jobs.csv", "jobs.parquet", "jobs.jsonl"))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_column_mapping(tmp_path):
    p = tmp_path / "j.csv"
    pd.DataFrame({"id": ["1"], "title": ["x"], "description": ["text"]}).to_csv(p, index=False)
    df = load_jobs(p, {"job_id": "id", "text": "description"})
    assert list(df["text"]) == ["text"]
    with pytest.raises(DataError, match="not in the file"):
        load_jobs(p, {"text": "body"})


@pytest.mark.parametrize("content,match", [
    (b"", "is empty"),
    (b"job_id,title,text\n", "no rows"),
    (b"job_id,title\n1,a\n", r"missing required column\(s\) \['text'\]"),
    (b"job_id,title,text\n1,a,x\n1,b,y\n", "duplicate job_id"),
    (b"job_id,title,text\n1,a,\n", "empty 'text'"),
    ("job_id,title,text\n1,caf\xe9,x\n".encode("latin-1"), "not valid UTF-8"),
])
def test_bad_job_files(tmp_path, content, match):
    p = tmp_path / "jobs.csv"
    p.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load_jobs(p)


SEMICOLON_JOBS = ("job_id;title;text\n1;Dev;Build things\n2;Nurse;Care for patients, day and night\n"
                  "3;Chef;Cook and plan menus\n")


@pytest.mark.parametrize("content, name, hint", [
    # a comma inside a text field: pandas fails with "Expected 1 fields in line 3"
    (SEMICOLON_JOBS, "jobs.csv", "looks semicolon-separated, not comma-separated; pass --sep ';'"),
    # no comma anywhere: pandas reads one column "job_id;title;text"
    (SEMICOLON_JOBS.replace(", day and night", ""), "jobs.csv", "pass --sep ';'"),
    (SEMICOLON_JOBS.replace(";", "\t"), "jobs.csv", "looks tab-separated, not comma-separated; pass --sep '\\t'"),
    (SEMICOLON_JOBS.replace(";", "|"), "jobs.txt", "looks pipe-separated"),
])
def test_other_delimiters_get_a_sep_hint(tmp_path, content, name, hint):
    """Issue 11, item 11: detect the delimiter with csv.Sniffer and say which --sep to pass."""
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(hint)):
        load_jobs(p)


@pytest.mark.parametrize("sep", [";", "semicolon"])
def test_sep_reads_semicolon_files(tmp_path, sep):
    p = tmp_path / "jobs.csv"
    p.write_text(SEMICOLON_JOBS, encoding="utf-8")
    df = load_jobs(p, sep=sep)
    assert df["text"].tolist() == ["Build things", "Care for patients, day and night", "Cook and plan menus"]
    assert df["title"].tolist() == ["Dev", "Nurse", "Chef"]


def test_sep_escapes_and_bad_values(tmp_path):
    from fairaudit.data.io import parse_sep

    assert parse_sep("\\t") == "\t" and parse_sep("tab") == "\t" and parse_sep(";") == ";"
    with pytest.raises(DataError, match="one character"):
        parse_sep(";;")


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_jobs(tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_bytes(b"abc")
    with pytest.raises(DataError, match="unsupported file type"):
        load_jobs(tmp_path / "x.xlsx")


def test_candidate_labels_are_normalised_and_unknown_labels_rejected(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame({"candidate_id": ["a", "b", "c"], "text": ["x", "y", "z"],
                  "sex": ["F", "Male", ""], "race_ethnicity": ["Hispanic or Latino", "nh_white", "declined"]}
                 ).to_csv(p, index=False)
    df = load_candidates(p)
    assert df["sex"].tolist() == ["female", "male", "unknown"]
    assert df["race_ethnicity"].tolist() == ["hispanic", "white", "unknown"]
    with pytest.raises(DataError, match=r"unknown sex label\(s\) \['robot'\]"):
        normalize_labels(pd.Series(["robot", "f"]), "sex")
    assert normalize_labels(pd.Series(["x", "y"]), "sex", {"x": ["x"], "y": []}).tolist() == ["x", "y"]
