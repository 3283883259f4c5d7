"""A log audited on Ray (issue 28, item 5): the log split into job blocks, each block's per-job
aggregates on a worker, merged; the same tables as the local audit, in local Ray with 2 CPUs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.data.log_stream import merge_parts, stream_log
from fairaudit.errors import ConfigError, DataError

ray = pytest.importorskip("ray")
from fairaudit.backends.ray import RayBackend  # noqa: E402

TABLES = ("impact", "parity", "diversity", "ranking", "per_job")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(11)
    n = 300
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                           "sex": rng.choice(["female", "male", ""], n, p=[0.45, 0.45, 0.1]),
                           "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic"], n)})
    rows = []
    for j in range(50):
        for c in rng.choice(n, int(rng.integers(6, 40)), replace=False):  # people recur across jobs
            rows.append((f"job{j:02d}", f"c{c}", round(float(rng.random()), 1), bool(rng.random() < 0.3),
                         f"2025-{1 + j % 9:02d}-0{1 + j % 7}"))
    log = pd.DataFrame(rows, columns=["job_id", "candidate_id", "score", "selected", "timestamp"])
    folder = tmp_path_factory.mktemp("log")
    log.to_parquet(folder / "log.parquet")
    log.to_csv(folder / "log.csv", index=False)
    jobs = pd.DataFrame({"job_id": sorted(log["job_id"].unique())[::-1], "title": "t", "text": "x"})
    return log, people, jobs, folder


@pytest.mark.parametrize("name,k,with_jobs", [("log.parquet", (5, 20), True), ("log.csv", (10,), False),
                                              ("log.parquet", 0, False)])
def test_ray_log_audit_equals_local(ray_session, data, name, k, with_jobs):
    log, people, jobs, folder = data
    opts = dict(k=k, n_bootstrap=50, n_permutations=99, seed=4, created_at="2026-01-01T00:00:00+00:00")
    jobs_arg = jobs if with_jobs else None
    local = fairaudit.audit_log(folder / name, people, jobs_arg, stream=True, **opts)
    remote = fairaudit.audit_log(folder / name, people, jobs_arg, backend=RayBackend(log_parts=3), **opts)
    for table in TABLES:
        pd.testing.assert_frame_equal(local.tables[table], remote.tables[table], check_exact=True, obj=table)
    for key in ("n_individuals", "n_pairs", "log_period"):
        assert remote.provenance[key] == local.provenance[key], key
    assert remote.provenance["backend"] == "ray" and local.provenance["backend"] is None
    assert remote.summary["verdict"] == local.summary["verdict"]


def test_job_blocks_split_by_job_and_merge_to_one_pass(data):
    log, people, _, folder = data
    combos = np.random.default_rng(0).integers(0, 5, len(people))
    ids = people["candidate_id"].tolist()
    whole = stream_log(folder / "log.parquet", ids, combos, 6)
    parts = [stream_log(folder / "log.parquet", ids, combos, 6, part=(i, 4)) for i in range(4)]
    assert sorted(j for p in parts for j in p["job_ids"]) == whole["job_ids"]
    assert all(len(p["job_ids"]) for p in parts)  # 50 jobs over 4 blocks: each block has some
    merged = merge_parts(parts, combos)
    for key in ("job_ids", "n_combos", "has_rank", "has_score", "has_selected", "period"):
        assert merged[key] == whole[key], key
    for key in ("considered", "above", "flagged", "people"):
        assert np.array_equal(merged[key], whole[key]), key
    # first places: the same (job, place) -> (candidate, key), whatever order the rows came in
    def places(a):
        return sorted(zip(a["top_job"].tolist(), a["top_place"].tolist(), a["top_candidate"].tolist(),
                          a["top_key"].tolist()))
    assert places(merged) == places(whole)
    # people who appear in several blocks are counted once
    assert merged["people"].sum() == log["candidate_id"].nunique() < sum(len(p["rows"]) for p in parts)


def test_ray_log_errors_are_one_line(ray_session, data, tmp_path):
    log, people, _, _ = data
    bad = tmp_path / "bad.parquet"
    log.assign(candidate_id=log["candidate_id"].replace("c1", "stranger")).to_parquet(bad)
    with pytest.raises(DataError, match="not in the candidates"):
        fairaudit.audit_log(bad, people, k=5, backend=RayBackend(log_parts=2), n_permutations=0)
    with pytest.raises(DataError, match="not found"):
        fairaudit.audit_log(tmp_path / "missing.parquet", people, k=5, backend="ray", n_permutations=0)
    with pytest.raises(ConfigError, match="file"):
        fairaudit.audit_log(log, people, k=5, backend="ray")  # a DataFrame cannot be sent to a cluster
    with pytest.raises(ConfigError, match="log_parts"):
        RayBackend(log_parts=0)
