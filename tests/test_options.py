"""Issue 21, item 1: every audit option has one owner (AuditConfig + fairaudit.options).

One default per option wherever an audit is started (API, CLI audit/check/demo,
review TOML, pre-publication check), one validation (AuditConfig refuses what
audit() refuses, also from a dict and from a review TOML), one headline k (the
first given) from the API, the CLI and a review.
"""
from __future__ import annotations

import argparse
import inspect
import json

import numpy as np
import pytest

from fairaudit import AuditConfig, audit
from fairaudit.errors import ConfigError, DataError
from fairaudit.options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP, DEFAULT_TOLERANCE, headline_k, parse_ks
from fairaudit.engine.result import AuditResult
from fairaudit.review.config import parse_config
from toy import ToyRecommender, toy_data

REVIEW = {"period": "2026-Q1", "source": {"kind": "synthetic", "n_jobs": 6, "n_candidates": 80},
          "recommender": {"name": "bm25"}}


def _cli_defaults(command: str) -> argparse.Namespace:
    from fairaudit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return argparse.Namespace(**{a.dest: a.default for a in sub._actions if a.dest != "help"})


def test_one_default_for_ks_and_bootstrap_everywhere():
    from fairaudit.demo import DemoConfig
    from fairaudit.adcheck.checker import check

    review = parse_config(REVIEW).audit
    api = inspect.signature(audit).parameters
    assert AuditConfig().ks == DEFAULT_KS == tuple(api["k"].default) == DemoConfig().k
    assert tuple(review.k) == DEFAULT_KS == tuple(inspect.signature(check).parameters["k"].default)
    for command in ("audit", "check", "demo"):
        assert tuple(_cli_defaults(command).k) == DEFAULT_KS, command
    # the review's n_bootstrap was 200 while the API and the CLI used 1,000
    assert AuditConfig().n_bootstrap == api["n_bootstrap"].default == review.n_bootstrap == DEFAULT_N_BOOTSTRAP
    assert _cli_defaults("audit").bootstrap == _cli_defaults("demo").bootstrap == DemoConfig().n_bootstrap \
        == DEFAULT_N_BOOTSTRAP
    assert review.tolerance == AuditConfig().tolerance == _cli_defaults("audit").tolerance \
        == _cli_defaults("check").tolerance == DEFAULT_TOLERANCE


BAD = [
    ({"ks": (10, 10)}, "distinct"),
    ({"ks": (0, 5)}, "at least 1"),
    ({"ks": ()}, "at least one k"),
    ({"tolerance": 1.5}, "tolerance"),
    ({"min_share": 1.0}, "min_share"),
    ({"n_bootstrap": -1}, "n_bootstrap"),
    ({"confidence": 1.0}, "confidence"),
    ({"match_goal": 2.0}, "match_goal"),
    ({"scoring_median": "mean"}, "scoring_median"),
    ({"decomposition_sample": 1}, "decomposition_sample"),
    ({"drivers": "some"}, "drivers"),
    ({"decomposition": "half"}, "decomposition"),
    ({"driver_method": "magic"}, "driver_method"),
    ({"gap_k": 0}, "gap_k"),
    ({"alpha": 0.6}, "alpha must be a number in"),
    ({"n_permutations": 10}, "n_permutations must be 0 .* or at least 19 at alpha=0.05"),
    ({"n_permutations": 50, "alpha": 0.01}, "at least 99 at alpha=0.01"),
]
#: audit()'s keyword for each AuditConfig field of BAD
API_NAME = {"ks": "k"}


@pytest.mark.parametrize("bad,match", BAD)
def test_config_validates_itself_as_the_api_does(bad, match):
    with pytest.raises(ConfigError, match=match):
        AuditConfig(**bad)
    with pytest.raises(ConfigError, match=match):  # from_dict refused nothing of this before
        AuditConfig.from_dict({**AuditConfig().to_dict(), **bad})
    kw = {API_NAME.get(k, k): v for k, v in bad.items()}
    with pytest.raises(ConfigError, match=match):  # before any data is read: the inputs are not even files
        audit("no-such-jobs.csv", "no-such-candidates.csv", recommender=ToyRecommender(), **kw)


@pytest.mark.parametrize("bad,match", [
    ({"four_fifths": 1.5}, "four_fifths must be a number in"),
    ({"power": 1.0}, "power must be a number in"),
    ({"judge_ratio": 0}, "judge_ratio must be a number in"),
    ({"n_permutations_gap": -1}, "n_permutations_gap must be"),
    ({"alpha": True}, "alpha must be a number"),
])
def test_config_only_options_validate_themselves(bad, match):
    """Options that audit() takes no keyword for are still checked by the config (and so on load)."""
    with pytest.raises(ConfigError, match=match):
        AuditConfig(**bad)
    with pytest.raises(ConfigError, match=match):
        AuditConfig.from_dict({**AuditConfig().to_dict(), **bad})


def test_schema_holds_no_default_or_range_of_its_own():
    """The audit JSON schema checks types; every default and range is AuditConfig's (issue 21, item 1)."""
    from fairaudit.data.schema import ConfigModel

    required = {"ks", "attributes"}
    for name, field in ConfigModel.model_fields.items():
        assert name in AuditConfig.__dataclass_fields__, f"{name} is not an AuditConfig field"
        if name not in required:
            assert field.default is None, f"schema default for {name}: {field.default!r}"
        assert not [m for m in field.metadata if type(m).__name__ in ("Ge", "Gt", "Le", "Lt", "Interval")], name


def test_a_stored_file_without_newer_fields_takes_the_configs_defaults():
    jobs, cands = toy_data(6, 60)
    doc = audit(jobs, cands, recommender=ToyRecommender(), k=5, n_bootstrap=0, drivers="none",
                decomposition="none", n_permutations=0).to_dict()
    for name in ("n_permutations_gap", "alpha", "power", "judge_ratio", "four_fifths"):
        doc["config"].pop(name)
    cfg = AuditResult.from_dict(json.loads(json.dumps(doc))).config
    default = AuditConfig()
    assert (cfg.n_permutations_gap, cfg.alpha, cfg.power, cfg.judge_ratio, cfg.four_fifths) == (
        default.n_permutations_gap, default.alpha, default.power, default.judge_ratio, default.four_fifths)
    doc["config"]["alpha"] = 0.7  # a stored value meets the same rule as a new audit's
    with pytest.raises(DataError, match="config: alpha must be a number in"):
        AuditResult.from_dict(json.loads(json.dumps(doc)))


@pytest.mark.parametrize("field,value,match", [
    ("k", [10, 10], "audit.k: k values must be distinct"),
    ("k", [], "audit.k: give at least one k"),
    ("k", [0, 5], "audit.k: k must be at least 1"),
    ("tolerance", 1.5, "audit.tolerance: tolerance must be in"),
    ("min_share", 1.0, "audit.min_share: min_share must be in"),
    ("n_bootstrap", -1, "audit.n_bootstrap: n_bootstrap must be"),
    ("decomposition_sample", 1, "audit.decomposition_sample: decomposition_sample must be"),
])
def test_review_toml_refuses_with_the_audit_rule(field, value, match):
    with pytest.raises(ConfigError, match=match):
        parse_config({**REVIEW, "audit": {field: value}})


@pytest.mark.parametrize("shares,match", [
    ({"female": 0.7, "male": 0.7}, "must sum to 1"),
    ({"female": -0.5, "male": 1.5}, "non-negative"),
    ({}, "non-negative"),
])
def test_target_share_rule_is_the_same_in_api_and_review(shares, match):
    from fairaudit.data.groups import encode
    from fairaudit.engine.measure import resolve_target

    _, cands = toy_data(2, 40)
    with pytest.raises(ConfigError, match=match):
        resolve_target({"sex": shares}, encode(cands, "sex"))
    with pytest.raises(ConfigError, match=match):
        parse_config({**REVIEW, "audit": {"target": {"sex": shares}}})


def test_stored_config_is_validated_on_load(tmp_path):
    jobs, cands = toy_data(6, 60)
    doc = audit(jobs, cands, recommender=ToyRecommender(), k=5, n_bootstrap=0, drivers="none",
                decomposition="none").to_dict()
    doc["config"]["decomposition_sample"] = 1  # the file schema lets it through; the config's rule does not
    with pytest.raises(DataError, match="config: decomposition_sample must be"):
        AuditResult.from_dict(json.loads(json.dumps(doc)))


def test_ks_rule_keeps_order_and_headline_is_the_first():
    assert parse_ks((50, 10)) == (50, 10) and parse_ks(np.int64(7)) == (7,)
    assert headline_k([50, 10]) == 50
    assert AuditConfig(ks=[50, 10]).ks == (50, 10)


def test_same_headline_k_from_api_cli_and_review(tmp_path):
    from fairaudit.cli import main
    from fairaudit.review.run import _audit_options

    ks = [12, 5]  # not sorted: a sorted copy would give 5
    jobs, cands = toy_data(10, 100)
    common = dict(n_bootstrap=0, drivers="none", decomposition="none", created_at="2026-01-01T00:00:00Z")
    api = audit(jobs, cands, recommender="bm25", k=ks, **common)

    j, c, out = tmp_path / "jobs.csv", tmp_path / "cands.csv", tmp_path / "audit.json"
    jobs.to_csv(j, index=False)
    cands.to_csv(c, index=False)
    assert main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
                 "--k", *map(str, ks), "--bootstrap", "0", "--drivers", "none", "--decomposition", "none",
                 "--quiet"]) == 0
    cli = json.loads(out.read_text())

    cfg = parse_config({**REVIEW, "audit": {"k": ks, "n_bootstrap": 0, "drivers": "none",
                                            "decomposition": "none"}})
    assert cfg.audit.k == ks
    opts = _audit_options(cfg, "bm25", "test", "2026-01-01T00:00:00Z", False)
    review = audit(jobs, cands, **opts)

    heads = {"api": api.summary["verdict"]["k"], "cli": cli["summary"]["verdict"]["k"],
             "review": review.summary["verdict"]["k"]}
    assert heads == {"api": 12, "cli": 12, "review": 12}
    assert api.config.ks == review.config.ks == tuple(cli["config"]["ks"]) == (12, 5)
