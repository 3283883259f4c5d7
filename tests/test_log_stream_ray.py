"""A log audited on Ray (issue 28, item 5): the log split into job blocks, each block's per-job
aggregates on a worker, merged; the same tables as the local audit, in local Ray with 2 CPUs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.data.log_stream import merge_parts, stream_log
from fairaudit.data.logs import validate_pairs
from fairaudit.engine.candidate_sets import from_pairs
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


OCCUPATIONS = ("nurse", "electrician", "teacher", "driver")


def _occupation(job_id: str) -> str:
    return OCCUPATIONS[int(job_id[3:]) % len(OCCUPATIONS)]


def test_ray_log_audit_with_job_groups_has_the_local_chance_level(ray_session, data):
    # people recur across jobs and the jobs table names each job's occupation: the chance level permutes labels
    # over people in blocks found from their per-person sums, which the job blocks compute apart and merge
    log, people, jobs, folder = data
    jobs = jobs.assign(occupation=[_occupation(j) for j in jobs["job_id"]])
    opts = dict(k=(5, 10), n_bootstrap=0, n_permutations=199, seed=4, created_at="2026-01-01T00:00:00+00:00")
    local = fairaudit.audit_log(folder / "log.parquet", people, jobs, stream=True, **opts)
    remote = fairaudit.audit_log(folder / "log.parquet", people, jobs, backend=RayBackend(log_parts=3), **opts)
    chance = local.summary["chance_level"]
    assert chance["null"] == "person-level permutation" and local.config.strata == ("occupation",)
    assert chance["people_by_block"]["same jobs"] > 0 and chance["people_by_block"]["same job groups"] > 0
    assert remote.summary["chance_level"] == chance
    p_columns = [(t, c) for t in TABLES for c in local.tables[t].columns if "p_value" in c]
    assert p_columns
    for table, col in p_columns:
        pd.testing.assert_series_equal(local.tables[table][col], remote.tables[table][col], check_exact=True,
                                       obj=f"{table}.{col}")
    assert remote.summary["verdict"] == local.summary["verdict"]


def test_merged_job_blocks_give_one_pass_per_person_sums_and_flags(data):
    log, people, _, folder = data
    combos = np.random.default_rng(1).integers(0, 3, len(people))
    ids = people["candidate_id"].tolist()
    groups = {j: OCCUPATIONS.index(_occupation(j)) for j in log["job_id"].unique()[:-5]}  # 5 jobs without a group
    whole = stream_log(folder / "log.parquet", ids, combos, 4, job_groups=groups)
    merged = merge_parts([stream_log(folder / "log.parquet", ids, combos, 4, part=(i, 3), job_groups=groups)
                          for i in range(3)], combos)
    assert (whole["person_jobs"] > 1).sum() > 50  # candidates recur across jobs, hence across blocks
    for key in ("person_jobs", "person_selectivity", "person_set_key", "person_group_key"):
        assert np.array_equal(merged[key], whole[key]), key
    def flags(a):
        return sorted(zip(a["flag_job"].tolist(), a["flag_candidate"].tolist()))
    assert flags(merged) == flags(whole) and len(flags(whole)) == log["selected"].sum()
    assert stream_log(folder / "log.parquet", ids, combos, 4)["person_group_key"] is None
    # the keys hash job ids and group codes, so the in-memory profile of the same log has the same sums
    mem = from_pairs(validate_pairs(log, outcomes=True), ids)
    prof = mem.person_profile(np.array([groups.get(j, -1) for j in mem.job_ids], dtype=np.int64))
    for key, got in (("person_jobs", prof.n_jobs), ("person_selectivity", prof.selectivity),
                     ("person_set_key", prof.set_key), ("person_group_key", prof.group_key)):
        assert np.array_equal(got, merged[key]), key


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
