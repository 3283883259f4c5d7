"""Reviews of a recommender's historical output: a ``log`` source from files or SQL (issue 28, item 1).

A log review audits the log with :func:`fairaudit.audit_log` (no recommender,
no rewriting), signs its report, keeps its history, and gives the tables a
direct ``audit_log`` of the same inputs gives.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.cli import main
from fairaudit.engine.consistency import disagreements
from fairaudit.engine.result import AuditResult
from fairaudit.errors import ConfigError
from fairaudit.review.config import load_config, parse_config
from fairaudit.review.history import HistoryStore

pytestmark = pytest.mark.filterwarnings("ignore::fairaudit.errors.FairauditWarning")


def make_log(folder: Path, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """10 jobs, each ranking 20 of 80 candidates; the tool scores men a little higher."""
    rng = np.random.default_rng(seed)
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(80)],
                           "sex": np.where(np.arange(80) % 2 == 0, "female", "male"),
                           "race_ethnicity": np.array(["white", "black", "asian", "hispanic"])[np.arange(80) % 4]})
    rows = []
    for j in range(10):
        for c in rng.choice(80, 20, replace=False):
            rows.append((f"j{j}", f"c{c}", float(rng.random() + 0.3 * (c % 2)), f"2026-0{7 + j % 3}-15"))
    log = pd.DataFrame(rows, columns=["job_id", "candidate_id", "score", "timestamp"])
    jobs = pd.DataFrame({"job_id": [f"j{j}" for j in range(10)], "title": [f"Job {j}" for j in range(10)],
                         "text": ["a job"] * 10})
    log.to_parquet(folder / "recs.parquet", index=False)
    people.to_csv(folder / "people.csv", index=False)
    jobs.to_csv(folder / "jobs.csv", index=False)
    return log, people, jobs


CONFIG = """
period = "2026-Q3"
output_dir = "out"
[source]
kind = "log"
{source}
[audit]
k = [3, 5]
n_bootstrap = 20
[thresholds]
min_impact_ratio = 0.1
max_gap = 0.9
{extra}
"""
FILES = 'log = "recs.parquet"\ncandidates = "people.csv"\njobs = "jobs.csv"'


def write(tmp_path: Path, source: str = FILES, extra: str = "") -> Path:
    p = tmp_path / "review.toml"
    p.write_text(CONFIG.format(source=source, extra=extra), encoding="utf-8")
    return p


def test_a_log_review_from_files(tmp_path):
    from fairaudit.report import init_keys, verify_report

    log, people, jobs = make_log(tmp_path)
    keys = init_keys(tmp_path / "keys")
    cfg = write(tmp_path, extra='[signing]\nkey_dir = "keys"\n')
    assert main(["review", "--config", str(cfg), "-q"]) == 3  # the planted preference for men is a breach
    out = tmp_path / "out"
    assert verify_report(out / "review-2026-Q3-v1.pdf", trust=keys.cert).ok
    audit = AuditResult.from_json(out / "audit-2026-Q3-v1.json")
    assert audit.provenance["source"] == "log" and audit.provenance["historical"] is True
    assert list(disagreements(audit)) == []
    direct = fairaudit.audit_log(log, people, jobs, k=(3, 5), n_bootstrap=20, seed=0)
    direct = AuditResult.from_dict(json.loads(direct.to_json()))  # as read back from its file
    for table in ("impact", "parity", "diversity", "per_job"):
        pd.testing.assert_frame_equal(audit.tables[table], direct.tables[table], obj=table)
    assert audit.tables["diversity"]["target"].eq("own").all()  # a log review's default target
    with HistoryStore(load_config(cfg).history_url) as store:
        (rec,) = store.records()
        assert rec.status == "breach" and set(rec.input_hashes) == {"log", "candidates", "jobs"}
        assert any(b["attribute"] == "sex" and b["rule"] == "min_impact_ratio" for b in rec.breaches)
        assert {(m["k"], m["attribute"]) for m in rec.metrics} >= {(3, "sex"), (5, "race_ethnicity")}


def test_a_log_review_from_sql(tmp_path):
    sa = pytest.importorskip("sqlalchemy")
    log, people, _ = make_log(tmp_path)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hr.db'}")
    log.to_sql("recommendations", engine, index=False)
    people.to_sql("applicants", engine, index=False)
    engine.dispose()
    source = (f'url = "sqlite:///{tmp_path / "hr.db"}"\n'
              'log_query = "select job_id, candidate_id, score from recommendations"\n'
              'candidates_query = "select candidate_id, sex, race_ethnicity from applicants"')
    cfg = write(tmp_path, source)
    assert main(["review", "--config", str(cfg), "-q"]) == 3
    audit = json.loads((tmp_path / "out" / "audit-2026-Q3-v1.json").read_text())
    direct = fairaudit.audit_log(log.drop(columns="timestamp"), people, k=(3, 5), n_bootstrap=20, seed=0)
    got = pd.DataFrame(audit["tables"]["impact"])[["k", "attribute", "group", "n_assessed", "selected"]]
    pd.testing.assert_frame_equal(got, direct.tables["impact"][["k", "attribute", "group", "n_assessed", "selected"]],
                                  check_dtype=False)
    assert "sql: sqlite:///" in audit["provenance"]["data_source"]


@pytest.mark.parametrize("source, extra, message", [
    (FILES + '\nurl = "sqlite://"', "", "not both"),
    ('log = "recs.parquet"', "", "candidates is missing"),
    ('url = "sqlite://"\nlog_query = "select 1"', "", "candidates_query is missing"),
    (FILES, '[recommender]\nname = "bm25"', "remove [recommender]"),
    (FILES, '[rewrite]\nenabled = true', "rewrite.enabled"),
])
def test_log_source_mistakes_are_one_line(tmp_path, source, extra, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, source, extra))
    lines = str(err.value).splitlines()  # the config's one-problem-a-line format
    assert "1 problem" in lines[0] and len(lines) == 2 and message in lines[1], lines


def test_other_sources_still_need_a_recommender_and_not_own():
    base = {"period": "2026-Q3", "source": {"kind": "synthetic"}}
    with pytest.raises(ConfigError, match="recommender: is required"):
        parse_config(base)
    with pytest.raises(ConfigError, match="needs a log source"):
        parse_config({**base, "recommender": {"name": "bm25"}, "audit": {"target": "own"}})


def test_a_log_review_refuses_options_a_log_cannot_take(tmp_path):
    make_log(tmp_path)
    cfg = write(tmp_path, extra="").read_text().replace("n_bootstrap = 20", 'n_bootstrap = 20\nscoring_median = "sample"')
    (tmp_path / "review.toml").write_text(cfg)
    assert main(["review", "--config", str(tmp_path / "review.toml"), "-q"]) == 2
    assert not (tmp_path / "out" / "review-2026-Q3-v1.pdf").exists()
