"""Loading and validation: every bad input gives one clear DataError."""
import json

import pandas as pd
import pytest

from fairaudit.errors import DataError
from fairaudit.io import load_candidates, load_jobs, normalize_labels


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
