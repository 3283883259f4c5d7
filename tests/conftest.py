import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


import uuid  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402

PG_URL = os.environ.get("FAIRAUDIT_PG_URL")
#: Test families that must run: .ci/run sets "postgres,disk-full", so that a CI machine where PostgreSQL or
#: mounting a tmpfs is missing fails instead of passing with those tests skipped.
REQUIRED_ENV = "FAIRAUDIT_REQUIRE_TESTS"


def skip_or_fail(family: str, reason: str) -> None:
    """Skip, or fail when ``family`` is listed in $FAIRAUDIT_REQUIRE_TESTS (as in CI)."""
    required = {f.strip() for f in os.environ.get(REQUIRED_ENV, "").split(",") if f.strip()}
    if family in required:
        pytest.fail(f"{reason}; {REQUIRED_ENV} requires the {family} tests to run here", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def pg_url():
    """A fresh schema on $FAIRAUDIT_PG_URL (dropped afterwards)."""
    if not PG_URL:
        skip_or_fail("postgres", "FAIRAUDIT_PG_URL is not set (CI sets it via .ci/postgres.sh)")
    import sqlalchemy as sa

    from fairaudit.data.io import default_driver as _default_driver

    schema = f"fa_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_default_driver(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'create schema "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'drop schema "{schema}" cascade')
    admin.dispose()




@pytest.fixture(scope="module")
def ray_session(request):
    """A local 2-CPU Ray for one test module; its classes reach the workers by value."""
    ray = pytest.importorskip("ray")
    ray.cloudpickle.register_pickle_by_value(request.module)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def small_disk(tmp_path):
    """Factory: a freshly mounted tmpfs of ``size`` bytes (a disk that fills up), unmounted afterwards.

    Needs root (as in CI); skips cleanly where mounting is not allowed.
    """
    import shutil
    import subprocess

    mounts = []

    def make(size: int):
        if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
            skip_or_fail("disk-full", "mounting a small tmpfs needs root and mount(8)")
        mnt = tmp_path / f"disk{len(mounts)}"
        mnt.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                           capture_output=True, text=True)
        if r.returncode:
            skip_or_fail("disk-full", f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounts.append(mnt)
        return mnt

    yield make
    for mnt in mounts:
        subprocess.run(["umount", str(mnt)], capture_output=True)
