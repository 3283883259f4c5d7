"""The review's SQL source database is an input: its history is never created there (issue 25, item 8).

With ``history.url`` equal to the ``sql`` source's URL, fairaudit created its history
tables inside the HR database it read.
"""
from __future__ import annotations

import os

import pandas as pd
import pytest
import sqlalchemy as sa

from fairaudit.cli import main
from fairaudit.errors import ConfigError
from fairaudit.review.config import parse_config
from fairaudit.review.database import database_identity, same_database
from fairaudit.review.run import run_review
from test_review_run import make_data


@pytest.mark.parametrize("a, b", [
    ("postgresql://u:secret@LOCALHOST/hr", "postgresql+psycopg2://other@127.0.0.1:5432/hr?options=-csearch_path%3Dx"),
    ("mysql+pymysql://u@db.example.com/hr", "mysql://v:w@DB.example.com:3306/hr"),
    ("sqlite:///{d}/hr.db", "sqlite+pysqlite:///{d}/./sub/../hr.db"),
])
def test_same_database_despite_spelling(tmp_path, a, b):
    (tmp_path / "sub").mkdir()
    assert same_database(a.format(d=tmp_path), b.format(d=tmp_path))


@pytest.mark.parametrize("a, b", [
    ("postgresql://u@localhost/hr", "postgresql://u@localhost/history"),
    ("postgresql://u@localhost/hr", "postgresql://u@localhost:5433/hr"),
    ("postgresql://u@db1/hr", "postgresql://u@db2/hr"),
    ("sqlite:///{d}/hr.db", "sqlite:///{d}/history.sqlite"),
    ("sqlite://", "sqlite://"),  # two in-memory databases are two databases
    ("sqlite:///{d}/hr.db", "postgresql://localhost/hr.db"),
])
def test_different_databases(tmp_path, a, b):
    assert not same_database(a.format(d=tmp_path), b.format(d=tmp_path))


def test_relative_sqlite_path_is_the_working_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert database_identity("sqlite:///hr.db") == ("sqlite", os.path.realpath(tmp_path / "hr.db"))


@pytest.fixture
def hr_db(tmp_path, monkeypatch) -> str:
    make_data(tmp_path)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hr.db'}")
    pd.read_csv(tmp_path / "jobs.csv").to_sql("job_ads", engine, index=False)
    pd.read_csv(tmp_path / "candidates.csv").to_sql("applicants", engine, index=False)
    engine.dispose()
    monkeypatch.setenv("HR_DB", str(tmp_path / "hr.db"))
    return str(tmp_path / "hr.db")


def _tables(path: str) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_review_refuses_a_history_in_its_source_database(hr_db, tmp_path):
    cfg = parse_config({
        "period": "2026-Q1", "recommender": {"name": "bm25"}, "columns": {"candidates": {"text": "bio"}},
        "output_dir": str(tmp_path / "out"),
        "source": {"kind": "sql", "url": "sqlite:///${HR_DB}", "jobs_query": "select * from job_ads",
                   "candidates_query": "select * from applicants"},
        # the same file, spelled differently
        "history": {"url": f"sqlite+pysqlite:///{tmp_path}/./hr.db"}})
    before = _tables(hr_db)
    with pytest.raises(ConfigError, match=r"history\.url .* is the database the review reads \(source\.url"):
        run_review(cfg)
    assert _tables(hr_db) == before == ["applicants", "job_ads"]
    assert not (tmp_path / "out").exists()


def test_cli_review_exits_2_with_one_line(hr_db, tmp_path, capsys):
    toml = tmp_path / "review.toml"
    toml.write_text(f"""period = "2026-Q1"
output_dir = "{tmp_path / 'out'}"
[recommender]
name = "bm25"
[columns.candidates]
text = "bio"
[source]
kind = "sql"
url = "sqlite:///{hr_db}"
jobs_query = "select * from job_ads"
candidates_query = "select * from applicants"
[history]
url = "sqlite:///{hr_db}"
""")
    assert main(["review", "--config", str(toml), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the database the review reads" in err[0]
    assert _tables(hr_db) == ["applicants", "job_ads"]
