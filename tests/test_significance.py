"""The permutation null, power and verdict categories (fairaudit.engine.permutation, fairaudit.engine.verdicts)."""
import json

import numpy as np
import pandas as pd
import pytest

from fairaudit import AuditResult, audit
from fairaudit.errors import ConfigError
from fairaudit.data.groups import encode
from fairaudit.engine.measure import job_gaps
from fairaudit.metrics.diversity import match
from fairaudit.engine.permutation import (multiplicity, null_draws, p_lower, p_upper, permutation_blocks,
                                          permuted_selections)
from fairaudit.metrics.counts import group_counts
from fairaudit.engine.verdicts import BEYOND, PASS, TOO_SMALL, WITHIN, critical_value


def _pool(n_cand: int, seed: int = 0, race_p=(0.6, 0.13, 0.19, 0.08)) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n_cand)
    race = rng.choice(["white", "black", "hispanic", "asian"], n_cand, p=list(race_p))
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n_cand)], "text": [f"profile {i}" for i in range(n_cand)],
                         "sex": sex, "race_ethnicity": race,
                         "occupation": rng.choice(["a", "b", "c"], n_cand)})


def _jobs(n_jobs: int) -> pd.DataFrame:
    return pd.DataFrame({"job_id": [f"j{i}" for i in range(n_jobs)], "title": [f"Job {i}" for i in range(n_jobs)],
                         "text": [f"job {i}" for i in range(n_jobs)]})


def _random_scores(seed: int, bonus_group=None, cands=None, bonus: float = 0.0):
    """Scores independent of the attributes; with ``bonus_group`` that race gets ``bonus`` added."""
    def fn(job_texts, cand_texts):
        rng = np.random.default_rng(seed)
        s = rng.random((len(job_texts), len(cand_texts)))
        if bonus_group is not None:
            s += bonus * (cands["race_ethnicity"].to_numpy() == bonus_group)[None, :]
        return s
    return fn


def _audit(cands, fn, **kw):
    opts = dict(k=(10, 50), drivers="none", decomposition="none", n_bootstrap=0, seed=0, n_permutations=999,
                attributes=["sex", "race_ethnicity"])
    opts.update(kw)
    return audit(_jobs(opts.pop("n_jobs", 60)), cands, recommender=fn, **opts)


def test_vectorised_null_equals_a_slow_recount():
    cands = _pool(120, seed=3)
    encs = [encode(cands, "sex"), encode(cands, "race_ethnicity")]
    rng = np.random.default_rng(1)
    indices = np.argsort(-rng.random((15, 120)), axis=1)[:, :12]
    targets = {e.attribute: e.pool_counts[: e.n_known] / e.pool_counts[: e.n_known].sum() for e in encs}
    draws = null_draws(indices, encs, (5, 12), targets, 0.1, n_permutations=37, seed=4, n_permutations_gap=30)
    perms = np.concatenate(list(permutation_blocks(120, 37, seed=4)))
    for enc in encs:
        for k in (5, 12):
            d = draws[(enc.attribute, k)]
            for b in range(37):
                codes = enc.codes[perms[b]]  # candidate c carries candidate perms[b, c]'s label
                counts = group_counts(indices[:, :k], codes, enc.n_codes)  # the audit's own counter
                assert (d.selected[b] == counts.sum(axis=0)).all()
                if b >= 30:  # the gap null uses the first n_permutations_gap permutations
                    assert len(d.mean_gap) == 30
                    continue
                jg = job_gaps(indices[:, :k], type(enc)(enc.attribute, enc.labels, codes), targets[enc.attribute])
                ok = ~np.isnan(jg.gaps)
                assert d.mean_gap[b] == pytest.approx(jg.gaps[ok].mean())
                assert d.match_rate[b] == pytest.approx(match(jg.gaps, 0.1)[ok].mean())


def test_batched_counts_and_multiplicity_agree_with_group_counts():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, size=(3, 50))
    idx = rng.integers(0, 50, size=(7, 6))
    batched = group_counts(idx, codes, 4)  # one labelling per row
    for b in range(3):
        assert (batched[b] == group_counts(idx, codes[b], 4)).all()
        assert (permuted_selections(codes[b:b + 1], multiplicity(idx, 50), 4)[0] == batched[b].sum(axis=0)).all()


def test_permutations_are_seeded_and_stay_within_strata():
    strata = np.repeat([0, 1, 2], [5, 7, 8])
    a = np.concatenate(list(permutation_blocks(20, 30, seed=5, strata=strata)))
    b = np.concatenate(list(permutation_blocks(20, 30, seed=5, strata=strata)))
    assert (a == b).all() and a.shape == (30, 20)
    assert (strata[a] == strata[None, :]).all()  # every candidate takes a label from its own stratum
    assert all(sorted(row) == list(range(20)) for row in a)
    assert not (a == np.arange(20)).all(axis=1).all()


def test_p_value_convention():
    null = np.array([0.1, 0.2, 0.3, 0.4])
    assert p_lower(null, 0.2) == pytest.approx((1 + 2) / 5)
    assert p_lower(null, 0.05) == pytest.approx(1 / 5)  # never 0
    assert p_upper(null, 0.35) == pytest.approx((1 + 1) / 5)
    # p <= 0.05 exactly below the critical value
    null = np.linspace(0, 1, 999)
    crit = critical_value(null, 0.05)
    assert p_lower(null, crit - 1e-6) <= 0.05 < p_lower(null, crit)


def test_a_recommender_favouring_one_group_cannot_pass():
    cands = _pool(2000)
    r = _audit(cands, _random_scores(0, "white", cands, bonus=0.15))
    par = r.parity.set_index(["k", "attribute"])
    for k in (10, 50):
        assert par.loc[(k, "race_ethnicity"), "verdict"] == BEYOND
        assert par.loc[(k, "race_ethnicity"), "p_value"] <= 0.05
    v = r.verdict()
    assert v["category"] == BEYOND and v["attributes"]["race_ethnicity"]["verdict"] == BEYOND


def test_a_fair_recommender_passes():
    cands = _pool(2000)
    r = _audit(cands, _random_scores(7), n_jobs=200)
    par = r.parity.set_index(["k", "attribute"])
    for k in (10, 50):
        for a in ("sex", "race_ethnicity"):
            assert par.loc[(k, a), "verdict"] in (PASS, WITHIN)
            assert par.loc[(k, a), "p_value"] > 0.05
    assert par.loc[(50, "sex"), "verdict"] == PASS
    imp = r.impact[r.impact["verdict"].notna()]
    assert (imp["power_at_0_6"] >= 0.8).all()


def test_groups_too_small_to_judge():
    # two candidates, k=1: any ratio is chance (the "0.43, four_fifths_pass false")
    cands = _pool(2, seed=1).assign(sex=["female", "male"])
    r = _audit(cands, _random_scores(1), k=(1,), n_jobs=7, attributes=["sex"], n_permutations=99)
    assert r.parity["verdict"].iloc[0] == TOO_SMALL
    # a 1 % group (20 of 2,000) at k=10 of 30 jobs cannot detect a ratio of 0.6
    cands = _pool(2000, race_p=(0.69, 0.15, 0.15, 0.01))
    r = _audit(cands, _random_scores(2), k=(10,), n_jobs=30, attributes=["race_ethnicity"], min_share=0.0)
    asian = r.impact.set_index("group").loc["asian"]
    assert asian["verdict"] == TOO_SMALL and asian["power_at_0_6"] < 0.8
    assert r.parity["verdict"].iloc[0] in (TOO_SMALL, BEYOND)


def test_strata_option_and_errors():
    cands = _pool(300)
    r = _audit(cands, _random_scores(0), strata="occupation", n_permutations=99, n_jobs=10)
    assert r.config.strata == ("occupation",) and r.parity["verdict"].notna().all()
    with pytest.raises(ConfigError, match="strata column"):
        _audit(cands, _random_scores(0), strata=["office"])
    with pytest.raises(ConfigError, match="n_permutations"):
        _audit(cands, _random_scores(0), n_permutations=10)
    with pytest.raises(ConfigError, match="alpha"):
        _audit(cands, _random_scores(0), alpha=0.7)
    r0 = _audit(cands, _random_scores(0), n_permutations=0, n_jobs=5)
    assert r0.parity["verdict"].isna().all() and r0.verdict()["category"] is None


def test_same_seed_same_verdicts_and_json_round_trip(tmp_path):
    cands = _pool(400)
    a = _audit(cands, _random_scores(0), n_jobs=20, n_permutations=199)
    b = _audit(cands, _random_scores(0), n_jobs=20, n_permutations=199)
    assert a.parity["p_value"].tolist() == b.parity["p_value"].tolist()
    a.to_json(tmp_path / "a.json")
    back = AuditResult.from_json(tmp_path / "a.json")
    assert back.parity["verdict"].tolist() == a.parity["verdict"].tolist()
    assert back.verdict()["attributes"]["sex"]["verdict"] == a.verdict()["attributes"]["sex"]["verdict"]


def test_reader_upgrades_a_version_1_audit(tmp_path):
    cands = _pool(300)
    r = _audit(cands, _random_scores(0), n_jobs=10, n_permutations=99)
    d = json.loads(r.to_json())
    assert d["schema_version"] == 3
    # what version 1 wrote: no chance columns, no significance settings, no verdict categories
    d["schema_version"] = 1
    for key in ("n_permutations", "n_permutations_gap", "strata", "alpha", "power", "judge_ratio"):
        d["config"].pop(key)
    for name in ("impact", "parity", "diversity"):
        for row in d["tables"][name]:
            for col in [c for c in row if "p_value" in c or "null" in c or c in ("verdict", "power_at_0_6",
                                                                               "min_detectable_ratio",
                                                                               "too_small_groups",
                                                                               "n_permutations", "critical_ratio",
                                                                               "own_power_at_0_6",
                                                                               "expected_selected",
                                                                               "low_power_reason")]:
                row.pop(col)
    for key in ("category", "attributes", "diversity_category"):
        d["summary"]["verdict"].pop(key)
    (tmp_path / "v1.json").write_text(json.dumps(d))
    old = AuditResult.from_json(tmp_path / "v1.json")
    assert old.config.n_permutations == 0
    assert old.parity["verdict"].isna().all()
    assert old.parity["min_impact_ratio"].tolist() == pytest.approx(r.parity["min_impact_ratio"].tolist())
    assert json.loads(old.to_json())["schema_version"] == 3


def test_pooled_cross_checks_match_scipy_and_the_two_sd_formula():
    from scipy.stats import fisher_exact

    from fairaudit.engine.crosscheck import pooled_tests

    selected, pool = np.array([30, 80, 10, 0]), np.array([100, 200, 40, 5])  # last: unknown
    fisher_p, z = pooled_tests(selected, pool, 10, np.array([True, True, True]))
    # rates 30 / 1000, 80 / 2000 (the highest) and 10 / 400
    assert np.isnan(fisher_p[1]) and np.isnan(z[1])
    assert fisher_p[0] == pytest.approx(fisher_exact([[30, 970], [80, 1920]], alternative="less").pvalue)
    p = 110 / 3000
    assert z[0] == pytest.approx((0.03 - 0.04) / np.sqrt(p * (1 - p) * (1 / 1000 + 1 / 2000)))
    assert fisher_p[2] < fisher_p[0] and z[2] < z[0] < 0


def test_two_way_intervals_are_wider_than_job_only_for_a_small_group():
    cands = _pool(1000)
    r = _audit(cands, _random_scores(3), n_jobs=50, n_bootstrap=300, n_permutations=0, k=(10,))
    imp = r.impact[(r.impact["attribute"] == "race_ethnicity") & ~r.impact["excluded"]].set_index("group")
    assert (imp["impact_ratio_ci_low"] <= imp["impact_ratio"] + 1e-9).all()
    assert (imp["impact_ratio"] <= imp["impact_ratio_ci_high"] + 1e-9).all()
    assert (imp["selection_rate_ci_low"] <= imp["selection_rate"]).all()
    # resampling jobs alone misses which candidates are in the group: a narrower interval
    from fairaudit.metrics.bootstrap import bootstrap_weights, percentile_ci
    from fairaudit.recommenders.base import topk_block
    enc = encode(cands, "race_ethnicity")
    idx, _ = topk_block(_random_scores(3)(list(range(50)), list(cands["text"])), 10)
    counts = group_counts(idx, enc.codes, enc.n_codes).astype(float)
    rates = np.concatenate([w @ counts for w in bootstrap_weights(50, 300, 0)]) / (enc.pool_counts * 50.0)
    lo, hi = percentile_ci(rates, 0.95)
    g = enc.labels.index("asian")
    assert imp.loc["asian", "selection_rate_ci_high"] - imp.loc["asian", "selection_rate_ci_low"] > hi[g] - lo[g]



def test_random_topk_gaps_average_to_the_noise_floor():
    from fairaudit.metrics.diversity import random_topk_gap
    from fairaudit.engine.permutation import random_topk_gaps

    pool = np.array([300, 700, 0])
    target = np.array([0.3, 0.7])
    draws = random_topk_gaps(pool, 2, 20, target, 4000, seed=0)
    assert draws.mean() == pytest.approx(float(random_topk_gap(pool[:2], target, 20)), abs=0.005)


def test_gap_causes_per_attribute():
    from fairaudit.engine.causes import gap_causes

    div = pd.DataFrame([
        {"k": 50, "attribute": "sex", "mean_gap": 0.08, "mean_gap_p_value": 0.002, "mean_gap_null_median": 0.05},
        {"k": 50, "attribute": "race_ethnicity", "mean_gap": 0.10, "mean_gap_p_value": 0.4,
         "mean_gap_null_median": 0.10},
        {"k": 50, "attribute": "sex_race", "mean_gap": 0.2, "mean_gap_p_value": 0.01, "mean_gap_null_median": 0.1}])
    dec = {"by_attribute": {
        "sex": {"mean_gap": 0.2, "mean_identity_part": 0.01, "identity_part_ci_low": -0.01},
        "sex_race": {"mean_gap": 0.3, "mean_identity_part": 0.2, "identity_part_ci_low": 0.1}}}
    c = gap_causes(div, dec, 50, 0.05)
    assert c["sex"]["cause"] == "job text"
    assert c["race_ethnicity"]["cause"] == "neither"
    assert c["sex_race"]["cause"] == "identity cues in profiles"
    assert gap_causes(div, None, 50, 0.05)["sex"]["cause"] == "not measured"
