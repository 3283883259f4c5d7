"""audit(..., backend="ray") gives the same tables as the in-process backend, also streaming Parquet."""

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from fairaudit import audit  # noqa: E402
from fairaudit.backends.synthetic import HashingEmbedder, synthetic_texts  # noqa: E402


def _data(n_jobs=60, n_cand=800):
    rng = np.random.default_rng(0)
    jobs = pd.DataFrame({"job_id": [f"j{i}" for i in range(n_jobs)], "title": "t",
                         "text": synthetic_texts(n_jobs, seed=2)})
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n_cand)], "text": synthetic_texts(n_cand, seed=1),
                          "sex": rng.choice(["female", "male"], n_cand),
                          "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic"], n_cand)})
    return jobs, cands


TABLES = ("impact", "parity", "diversity", "ranking", "per_job")


def test_ray_audit_equals_local_audit(ray_session, tmp_path):
    jobs, cands = _data()
    kw = dict(k=(5, 20), n_bootstrap=100, seed=3, created_at="2026-01-01T00:00:00+00:00",
              drivers=False, decomposition=False)
    local = audit(jobs, cands, recommender=HashingEmbedder(dim=32), backend="local", **kw)
    remote = audit(jobs, cands, recommender=HashingEmbedder(dim=32), backend="ray", **kw)
    for name in TABLES:
        pd.testing.assert_frame_equal(local.tables[name], remote.tables[name], check_exact=True)
    # a Parquet folder is streamed: only ids and attributes are loaded by the driver
    folder = tmp_path / "cands"
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(cands)), 3)):
        cands.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    streamed = audit(jobs, folder, recommender=HashingEmbedder(dim=32), backend="ray", **kw)
    assert streamed.provenance["candidates_streamed"] is True
    for name in TABLES:
        pd.testing.assert_frame_equal(local.tables[name], streamed.tables[name], check_exact=True)
