"""Issue 19, item 2: CSV formula injection is neutralised in every CSV fairaudit writes."""
from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from fairaudit.data.csvsafe import neutralise, safe_frame, write_csv

HYPERLINK = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("raw", [HYPERLINK, CMD, "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_text_cells_get_a_quote(raw):
    assert neutralise(raw) == "'" + raw


@pytest.mark.parametrize("raw", ["Software engineer", "", "'=already quoted", " =space first", "5-2"])
def test_harmless_text_is_untouched(raw):
    assert neutralise(raw) == raw


def test_numeric_columns_stay_numeric(tmp_path):
    df = pd.DataFrame({"title": [HYPERLINK, "Nurse"], "gap": [-0.05, 0.1], "n": [-3, 4], "ok": [True, False],
                       "code": ["-5", "x"]})
    write_csv(df, tmp_path / "t.csv")
    rows = list(csv.reader((tmp_path / "t.csv").open(encoding="utf-8")))
    assert rows[0] == ["title", "gap", "n", "ok", "code"]
    assert rows[1] == ["'" + HYPERLINK, "-0.05", "-3", "True", "'-5"]  # numbers raw, text cells quoted
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["gap"].tolist() == [-0.05, 0.1] and back["n"].dtype.kind == "i"
    assert df.loc[0, "title"] == HYPERLINK  # the caller's frame is not changed


def test_headers_are_neutralised_too():
    assert list(safe_frame(pd.DataFrame({"=x": [1]})).columns) == ["'=x"]


def test_every_csv_writer_uses_the_helper():
    """No module of the library writes CSV itself (``DataFrame.to_csv``, ``csv.writer``) except csvsafe."""
    offenders = []
    for folder in ("fairaudit", "rewriting"):
        for f in (ROOT / folder).rglob("*.py"):
            if f.name == "csvsafe.py":
                continue
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("to_csv", "writer", "DictWriter"):
                    offenders.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_rewrite_cli_writes_spreadsheet_safe_csv(tmp_path):
    from fairaudit.cli import main

    jobs = pd.DataFrame({"job_id": ["j1", "j2"], "title": [HYPERLINK, CMD],
                         "text": [HYPERLINK + " We want a competitive ninja who writes Python.",
                                  CMD + " You organise meetings and budgets."]})
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(20)],
                          "text": [f"{'She' if i % 2 else 'He'} writes Python and organises budgets {i}"
                                   for i in range(20)],
                          "sex": ["female" if i % 2 else "male" for i in range(20)]})
    jobs.to_csv(tmp_path / "jobs.csv", index=False)
    cands.to_csv(tmp_path / "cands.csv", index=False)
    rc = main(["rewrite", "--jobs", str(tmp_path / "jobs.csv"), "--candidates", str(tmp_path / "cands.csv"),
               "--recommender", "bm25", "--method", "lexicon", "--k", "5", "--out", str(tmp_path / "rw.csv"),
               "--quiet"])
    assert rc == 0
    out = pd.read_csv(tmp_path / "rw.csv", keep_default_na=False)
    for col in ("original", "rewrite"):
        assert out[col].str.startswith("'").all(), out[col].tolist()
        assert not out[col].str.match(r"^[=+\-@\t\r]").any()
    assert out.loc[0, "original"] == "'" + jobs.loc[0, "text"]
    assert pd.api.types.is_numeric_dtype(out["gap_before"])


def test_history_export_csv_is_safe_and_json_raw(tmp_path):
    from fairaudit.review.history import HistoryStore

    with HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}") as store:
        rec = store.start("2026-Q4", config_hash="c", input_hashes={}, fairaudit_version="t")
        store.finish(rec.id, status="pass", metrics=[{"k": 10, "attribute": HYPERLINK, "stage": "before",
                                                      "max_gap": -0.5}],
                     report_path=CMD, report_sha256="0" * 64, breaches=[], message=None)
        store.export(tmp_path / "h.csv", "csv")
        store.export(tmp_path / "h.json", "json")
    text = (tmp_path / "h.csv").read_text(encoding="utf-8")
    assert "'" + CMD in text and "'=HYPERLINK" in text
    rows = list(csv.DictReader((tmp_path / "h.csv").open(encoding="utf-8")))
    for row in rows:
        for cell in row.values():
            assert not (cell or "").startswith(("=", "+", "@", "\t", "\r")), row
    assert json.loads((tmp_path / "h.json").read_text())["reviews"][0]["report_path"] == CMD  # JSON keeps raw text
