"""Streaming a log through DuckDB (issue 28, item 5): the same tables as the in-memory log audit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.errors import DataError

TABLES = ("impact", "parity", "diversity", "ranking", "per_job", "cause_split")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 400
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                           "sex": rng.choice(["female", "male", ""], n, p=[0.45, 0.45, 0.1]),
                           "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic"], n)})
    rows = []
    for j in range(40):
        size = int(rng.integers(8, 40))  # some jobs have fewer candidates than k = 10 or 20
        for c in rng.choice(n, size, replace=False):
            # scores rounded to create ties, broken by candidate row in both paths
            rows.append((f"job{j:02d}", f"c{c}", round(float(rng.random()), 1), bool(rng.random() < 0.3),
                         f"2025-{1 + j % 6:02d}-10"))
    log = pd.DataFrame(rows, columns=["job_id", "candidate_id", "score", "selected", "timestamp"])
    jobs = pd.DataFrame({"job_id": sorted(log["job_id"].unique())[::-1]})  # not the log's order
    jobs["title"], jobs["text"] = "t", "x"
    return log, people, jobs


@pytest.mark.parametrize("suffix,k", [(".parquet", (10, 20)), (".csv", (5,)), (".parquet", 0)])
def test_streamed_equals_in_memory(data, tmp_path, suffix, k):
    log, people, jobs = data
    path = tmp_path / f"log{suffix}"
    log.to_parquet(path) if suffix == ".parquet" else log.to_csv(path, index=False)
    opts = dict(k=k, n_bootstrap=50, n_permutations=99, seed=2)
    mem = fairaudit.audit_log(log, people, jobs, **opts)
    streamed = fairaudit.audit_log(path, people, jobs, stream=True, memory_limit="200MB", **opts)
    for name in TABLES:
        pd.testing.assert_frame_equal(mem.tables[name], streamed.tables[name], obj=name)
    assert streamed.provenance["log_period"] == mem.provenance["log_period"] == {"start": "2025-01-10",
                                                                                "end": "2025-06-10"}
    assert streamed.provenance["n_individuals"] == mem.provenance["n_individuals"]


def test_streamed_errors(data, tmp_path):
    log, people, _ = data
    bad = tmp_path / "bad.parquet"
    log.assign(candidate_id=log["candidate_id"].replace("c1", "stranger")).to_parquet(bad)
    with pytest.raises(DataError, match="not in the candidates"):
        fairaudit.audit_log(bad, people, k=5, stream=True, n_permutations=0)
    dup = tmp_path / "dup.parquet"
    pd.concat([log, log.head(2)]).to_parquet(dup)
    with pytest.raises(DataError, match="more than once"):
        fairaudit.audit_log(dup, people, k=5, stream=True, n_permutations=0)
    with pytest.raises(fairaudit.errors.ConfigError, match="file"):
        fairaudit.audit_log(log, people, k=5, stream=True)


def test_streamed_equals_in_memory_with_the_person_level_chance_level_and_job_groups(data, tmp_path):
    # people recur across jobs, so the chance level shuffles labels over people in blocks found from their jobs:
    # DuckDB's per-person sums and NumPy's must give the same blocks, hence the same p-values
    log, people, jobs = data
    jobs = jobs.assign(occupation=[("nurse", "electrician", "teacher")[i % 3] for i in range(len(jobs))])
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    opts = dict(k=(5, 10), n_bootstrap=0, n_permutations=99, seed=4)
    mem = fairaudit.audit_log(log, people, jobs, **opts)
    streamed = fairaudit.audit_log(path, people, jobs, stream=True, memory_limit="200MB", **opts)
    for name in TABLES:
        pd.testing.assert_frame_equal(mem.tables[name], streamed.tables[name], obj=name)
    chance = mem.summary["chance_level"]
    assert streamed.summary["chance_level"] == chance and chance["null"] == "person-level permutation"
    assert chance["people_by_block"]["same job groups"] > 0 and mem.config.strata == ("occupation",)
