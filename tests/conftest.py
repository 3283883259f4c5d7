import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


import uuid  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402

PG_URL = os.environ.get("FAIRAUDIT_PG_URL")


@pytest.fixture
def pg_url():
    """A fresh schema on $FAIRAUDIT_PG_URL (dropped afterwards)."""
    if not PG_URL:
        pytest.skip("FAIRAUDIT_PG_URL is not set (CI sets it via .ci/postgres.sh)")
    import sqlalchemy as sa

    from fairaudit.review.history import default_driver as _default_driver

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
