"""Review config: TOML parsing, validation messages, path resolution, hashing."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fairaudit.errors import ConfigError
from fairaudit.review.config import (ReviewConfig, config_hash, load_config, parse_config, period_start,
                                     with_period)

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
period = "2026-Q4"
[source]
kind = "files"
jobs = "data/jobs.csv"
candidates = "data/candidates.csv"
[recommender]
name = "bm25"
"""


def write(tmp_path: Path, text: str, name: str = "review.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_config_resolves_paths_against_the_toml_folder(tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    cfg = load_config(write(tmp_path, MINIMAL))
    assert cfg.source.jobs == tmp_path.resolve() / "data/jobs.csv"
    assert cfg.output_dir == tmp_path.resolve() / "review-out"
    assert cfg.history_url == f"sqlite:///{tmp_path.resolve() / 'review-out' / 'history.sqlite'}"
    assert cfg.audit.k == [10, 50] and cfg.thresholds.min_impact_ratio == 0.8
    assert cfg.period_start == dt.date(2026, 10, 1)


def test_relative_sqlite_history_url_is_resolved(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + '[history]\nurl = "sqlite:///db/h.sqlite"\n'))
    assert cfg.history_url == f"sqlite:///{tmp_path.resolve() / 'db/h.sqlite'}"


def test_every_mistake_is_one_line_with_its_field_path(tmp_path):
    text = """
period = "2026-Q5"
[source]
kind = "files"
jobs = "a.csv"
[recommender]
[audit]
k = [10, 10]
target = {sex = {female = 0.3, male = 0.3}}
[thresholds]
min_impact_ratio = 1.5
max_gapp = 0.1
"""
    with pytest.raises(ConfigError) as ei:
        load_config(write(tmp_path, text))
    msg = str(ei.value)
    lines = msg.splitlines()
    assert "7 problem(s)" in lines[0] and len(lines) == 8
    expected = ["period:", "source.candidates: is required", "recommender:", "audit.k:",
                "audit.target: target shares for 'sex' must sum to 1",
                "thresholds.min_impact_ratio:", "thresholds.max_gapp: is not a known option"]
    for e in expected:
        assert any(line.strip().startswith(e) for line in lines[1:]), (e, msg)
    assert "pydantic" not in msg and "errors.pydantic.dev" not in msg
    assert ei.value.__cause__ is None and ei.value.__suppress_context__


def test_unknown_source_kind(tmp_path):
    with pytest.raises(ConfigError, match=r"source: kind 'ftp' is not one of"):
        load_config(write(tmp_path, MINIMAL.replace('kind = "files"', 'kind = "ftp"')))


def test_toml_syntax_error_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "period = 2026-Q4 = x\n"))
    with pytest.raises(ConfigError, match="review config not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


@pytest.mark.parametrize("label, start", [
    ("2026-Q1", dt.date(2026, 1, 1)), ("2026-Q4", dt.date(2026, 10, 1)), ("2026-H2", dt.date(2026, 7, 1)),
    ("2026-03", dt.date(2026, 3, 1)), ("2026", dt.date(2026, 1, 1)), ("2026-W01", dt.date(2025, 12, 29)),
])
def test_period_start(label, start):
    assert period_start(label) == start


@pytest.mark.parametrize("label", ["Q4-2026", "2026-Q0", "2026-13", "2026-W60", "", "2026Q4"])
def test_bad_period_labels(label):
    with pytest.raises(ConfigError, match="period"):
        period_start(label)


def test_with_period_validates():
    cfg = parse_config({"period": "2026-Q4", "source": {"kind": "synthetic"}, "recommender": {"name": "bm25"}})
    assert with_period(cfg, "2025-Q1").period == "2025-Q1"
    with pytest.raises(ConfigError):
        with_period(cfg, "next quarter")


def test_config_hash_ignores_period_but_not_settings():
    base = {"period": "2026-Q4", "source": {"kind": "synthetic"}, "recommender": {"name": "bm25"}}
    a = parse_config(base)
    b = parse_config({**base, "period": "2025-Q1"})
    c = parse_config({**base, "thresholds": {"min_impact_ratio": 0.7}})
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash(c)
    assert len(config_hash(a)) == 64


def test_env_expansion_for_urls(monkeypatch):
    base = {"period": "2026-Q4", "source": {"kind": "synthetic"}, "recommender": {"name": "bm25"},
            "history": {"url": "postgresql://u:${FA_TEST_PW}@h/db"}}
    cfg = parse_config(base)
    monkeypatch.delenv("FA_TEST_PW", raising=False)
    with pytest.raises(ConfigError, match="FA_TEST_PW is not set"):
        cfg.history_url
    monkeypatch.setenv("FA_TEST_PW", "s3cret")
    assert cfg.history_url == "postgresql://u:s3cret@h/db"


@pytest.mark.parametrize("section, match", [
    ({"signing": {"reason": "x"}}, "signing: give exactly one of `p12`"),
    ({"recommender": {"name": "bm25", "python": "a.b:c"}}, "recommender: give exactly one"),
    ({"recommender": {"python": "not a path"}}, "must look like"),
    ({"audit": {"target": "equal"}}, "audit.target"),
    ({"source": {"kind": "synthetic", "n_jobs": 0}}, "source.n_jobs: Input should be greater than or equal to 1"),
    ({"source": {"kind": "sql", "url": "sqlite://"}}, "source.jobs_query: is required"),
])
def test_section_rules(section, match):
    base = {"period": "2026-Q4", "source": {"kind": "synthetic"}, "recommender": {"name": "bm25"}}
    with pytest.raises(ConfigError, match=match):
        parse_config({**base, **section})


def test_example_config_is_valid():
    cfg = load_config(ROOT / "examples" / "review.toml")
    assert isinstance(cfg, ReviewConfig)
    assert cfg.source.kind == "synthetic"


def test_audit_driver_and_decomposition_keys(tmp_path):
    cfg = load_config(write(tmp_path, MINIMAL + '[audit]\ndrivers = "all"\ndriver_method = "occlusion"\n'
                            'decomposition = "full"\ndecomposition_sample = 500\n'))
    a = cfg.audit
    assert (a.drivers, a.driver_method, a.decomposition, a.decomposition_sample) == ("all", "occlusion", "full", 500)
    default = load_config(write(tmp_path, MINIMAL, "d.toml")).audit
    assert (default.drivers, default.decomposition, default.decomposition_sample) == ("flagged", "sample", 2000)
    with pytest.raises(ConfigError, match="audit.drivers"):
        load_config(write(tmp_path, MINIMAL + '[audit]\ndrivers = "some"\n', "bad.toml"))
    with pytest.raises(ConfigError, match="audit.decomposition_sample"):
        load_config(write(tmp_path, MINIMAL + '[audit]\ndecomposition_sample = 1\n', "bad2.toml"))
