"""torch threads: every usable core by default, one per worker process, never oversubscribed."""
from __future__ import annotations

import concurrent.futures
import multiprocessing

import pytest

from fairaudit.errors import ConfigError
from fairaudit.threads import check_threads, default_threads, torch_threads, usable_cpus


def test_rule_order():
    assert default_threads({"FAIRAUDIT_THREADS": "3", "OMP_NUM_THREADS": "1"}, in_worker=False) == 3
    assert default_threads({"OMP_NUM_THREADS": "2"}, in_worker=True) == 2
    assert default_threads({}, in_worker=True) == 1
    assert default_threads({}, in_worker=False) == usable_cpus() >= 1
    assert default_threads({"FAIRAUDIT_THREADS": "zero", "OMP_NUM_THREADS": "0"}, in_worker=False) == usable_cpus()


def test_cgroup_quota_caps_the_cores(tmp_path, monkeypatch):
    import fairaudit.threads as th

    f = tmp_path / "cpu.max"
    f.write_text("150000 100000\n")
    assert th._cgroup_quota(f) == 2
    f.write_text("max 100000\n")
    assert th._cgroup_quota(f) is None


def test_torch_threads_sets_and_restores():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ConfigError):
        check_threads(0)
    assert check_threads(None) is None


def _worker_threads(_: object = None) -> int:
    return default_threads()


def test_a_process_pool_worker_uses_one_thread(monkeypatch):
    monkeypatch.delenv("FAIRAUDIT_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        assert list(pool.map(_worker_threads, range(2))) == [1, 1]


@pytest.mark.slow
def test_a_ray_task_uses_the_cpus_ray_gives_it(ray_session):
    import ray

    assert ray.get(ray.remote(num_cpus=1)(_worker_threads).remote()) == 1
