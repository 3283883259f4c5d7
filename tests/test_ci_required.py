"""CI must not pass with the PostgreSQL or disk-full tests skipped (issue 19, item 14)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REQUIRED_ENV, skip_or_fail

ROOT = Path(__file__).resolve().parents[1]


def test_required_family_fails_instead_of_skipping(monkeypatch):
    monkeypatch.setenv(REQUIRED_ENV, "postgres,disk-full")
    for family in ("postgres", "disk-full"):
        with pytest.raises(pytest.fail.Exception, match=f"requires the {family} tests"):
            skip_or_fail(family, "no server")
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("ray", "not installed")  # families not listed still skip


def test_without_the_variable_it_skips(monkeypatch):
    monkeypatch.delenv(REQUIRED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("postgres", "no server")


def test_ci_requires_postgres_and_disk_full():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    exports = [ln for ln in lines if ln.strip().startswith(f"export {REQUIRED_ENV}=")]
    assert len(exports) == 1
    assert set(exports[0].split("=", 1)[1].strip().split(",")) == {"postgres", "disk-full", "poppler", "chromium"}
    # set before the tests run
    assert lines.index(exports[0]) < next(i for i, ln in enumerate(lines) if ln.startswith("make test"))


def test_pg_fixture_and_small_disk_use_it():
    text = (ROOT / "tests" / "conftest.py").read_text()
    assert 'skip_or_fail("postgres"' in text and text.count('skip_or_fail("disk-full"') == 2
    assert "pytest.skip(" not in text.replace("    pytest.skip(reason)", "")


def test_tools_ci_installs_are_required_not_skipped():
    """A test that needs poppler or Chromium (installed by .ci/run) fails in CI instead of skipping."""
    for name in ("test_report_render.py", "test_verify_trust.py", "test_summary.py", "test_docs_site.py"):
        text = (ROOT / "tests" / name).read_text()
        assert "skip_or_fail(" in text, name
        for line in text.splitlines():
            if "pytest.skip(" in line:
                assert not any(tool in line for tool in ("chromium", "pdfsig", "pdftoppm", "faketime")), line
