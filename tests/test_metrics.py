"""Metric functions against hand-computed values, library cross-checks and properties."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from fairaudit.metrics import (demographic_parity, diversity_match_rate, dp_from_rates, exposure,
                               four_fifths_flags, gap, impact_ratios, ndkl, rated_mask, selection_rates,
                               skew_at_k, target_distribution, topk_shares, total_variation, wasserstein_binary)
from fairaudit.metrics.bootstrap import bootstrap_weights, percentile_ci
from fairaudit.errors import ConfigError


def test_selection_rates_and_impact_ratios_by_hand():
    # 10 jobs; group sizes 50 women, 100 men; 30 and 120 selected pairs
    rates = selection_rates(np.array([30, 120]), np.array([50, 100]), n_jobs=10)
    assert rates == pytest.approx([30 / 500, 120 / 1000])
    ir = impact_ratios(rates, np.array([True, True]))
    assert ir == pytest.approx([0.06 / 0.12, 1.0])
    assert four_fifths_flags(ir).tolist() == [True, False]


@pytest.mark.parametrize("selected, pool, flagged", [
    ((2, 5), (3, 6), False),    # (2/3) / (5/6) = 0.7999999999999999 in floats: exactly four-fifths
    ((4, 5), (6, 6), False),    # (4/6) / (5/6), the same ratio
    ((8, 10), (10, 10), False),
    ((7999, 10000), (10000, 10000), True),  # just below four-fifths
    ((79, 100), (100, 100), True),
])
def test_four_fifths_rule_is_less_than_with_float_tolerance(selected, pool, flagged):
    """Issue 11, item 5: a group at exactly 4/5 of the top rate is not flagged."""
    from fairaudit.metrics.impact import is_below

    rates = selection_rates(np.array(selected), np.array(pool), n_jobs=1)
    ir = impact_ratios(rates, np.array([True, True]))
    assert four_fifths_flags(ir).tolist() == [flagged, False]
    assert is_below(ir.min(), 0.8) == flagged
    assert not is_below(np.nan, 0.8) and not four_fifths_flags(np.array([np.nan]))[0]


def _dp_statistic(counts, pool, which):
    def stat(idx, axis=-1):
        idx = np.asarray(idx).astype(int)
        rates = counts[idx].sum(axis=-2) / (pool * idx.shape[-1])
        return dp_from_rates(rates)[which] if which < 2 else rates[..., 0]
    return stat


@pytest.mark.parametrize("which, rates", [(0, (0.3, 0.3)), (0, (0.2, 0.35)), (1, (0.25, 0.3)), (2, (0.3, 0.3))])
def test_bca_interval_equals_scipy_on_the_same_resamples(which, rates):
    """Issue 11, item 16: BCa (scipy.stats.bootstrap's method) for min/max statistics such as DPD and DPR."""
    from scipy.stats import bootstrap

    from fairaudit.metrics.bootstrap import bca_interval

    rng = np.random.default_rng(7)
    n = 40
    counts = rng.binomial(10, rates, size=(n, 2)).astype(float)
    pool = np.array([100.0, 120.0])
    stat = _dp_statistic(counts, pool, which)
    res = bootstrap((np.arange(n),), stat, vectorized=True, method="BCa", n_resamples=2000,
                    rng=np.random.default_rng(0), confidence_level=0.9)
    jack = np.array([stat(np.delete(np.arange(n), i)) for i in range(n)])
    lo, hi = bca_interval(stat(np.arange(n)), res.bootstrap_distribution, jack, 0.9)
    assert (lo, hi) == pytest.approx(tuple(res.confidence_interval), rel=1e-9, abs=1e-12)


def test_bca_interval_edge_cases():
    from fairaudit.metrics.bootstrap import bca_interval

    same = np.full(50, 0.2)
    assert bca_interval(0.2, same, np.full(10, 0.2)) == (pytest.approx(0.2), pytest.approx(0.2))
    lo, hi = bca_interval(0.0, np.linspace(0.1, 0.5, 50), None)  # observed below every resample
    assert np.isnan(lo) and np.isnan(hi)
    lo, hi = bca_interval(np.array([0.3, np.nan]), np.full((5, 2), np.nan), None)
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_audit_parity_intervals_are_bca():
    """The audit's demographic-parity intervals are BCa over jobs, recomputed here from the same resamples."""
    from fairaudit import audit
    from fairaudit.metrics.bootstrap import bca_interval
    from fairaudit.metrics.counts import group_counts
    from toy import ToyRecommender, toy_data

    jobs, cands = toy_data()
    res = audit(jobs, cands, recommender=ToyRecommender(), k=10, n_bootstrap=300, seed=4, drivers=False,
                decomposition=False, attributes=["sex"], confidence=0.9)
    codes = (cands["sex"] == "male").astype(int).to_numpy()  # female 0, male 1 (canonical order)
    counts = group_counts(res.rankings.top(10), codes, 2).astype(float)
    pool = np.bincount(codes, minlength=2).astype(float)
    n = len(jobs)
    samples = np.concatenate([dp_from_rates((w @ counts) / (pool * n))[0]
                              for w in bootstrap_weights(n, 300, 4)])
    jack = np.array([dp_from_rates((counts.sum(0) - counts[i]) / (pool * (n - 1)))[0] for i in range(n)])
    par = res.parity.iloc[0]
    lo, hi = bca_interval(par["dp_difference"], samples, jack, 0.9)
    assert (par["dp_difference_ci_low"], par["dp_difference_ci_high"]) == pytest.approx((float(lo), float(hi)))
    p_lo, p_hi = percentile_ci(samples, 0.9)
    assert (float(p_lo), float(p_hi)) != pytest.approx((float(lo), float(hi)))  # not the percentile interval


def test_rated_mask_excludes_small_categories():
    pool = np.array([500, 490, 10, 0, 7])  # last = unknown bucket, not a known group
    assert rated_mask(pool, 4, 0.02).tolist() == [True, True, False, False]


def test_impact_ratio_unrated_is_nan_and_zero_max_is_nan():
    ir = impact_ratios(np.array([0.1, 0.2, 0.5]), np.array([True, True, False]))
    assert ir[:2] == pytest.approx([0.5, 1.0]) and np.isnan(ir[2])
    assert np.isnan(impact_ratios(np.zeros(2), np.array([True, True]))).all()


def test_demographic_parity_matches_fairlearn_on_expanded_pairs():
    from fairlearn.metrics import demographic_parity_difference, demographic_parity_ratio

    selected, pairs = np.array([3, 9, 4]), np.array([20, 30, 10])
    labels = ["a", "b", "c"]
    d, r = demographic_parity(selected, pairs, labels)
    # expand to one row per pair
    y, g = [], []
    for s, n, lbl in zip(selected, pairs, labels):
        y += [1] * s + [0] * (n - s)
        g += [lbl] * n
    y = np.array(y)
    assert d == pytest.approx(demographic_parity_difference(y, y, sensitive_features=g))
    assert r == pytest.approx(demographic_parity_ratio(y, y, sensitive_features=g))
    assert d == pytest.approx(0.4 - 0.15)
    dd, rr = dp_from_rates(selected / pairs)
    assert dd == pytest.approx(d) and rr == pytest.approx(r)


def test_disparate_impact_matches_aif360():
    pytest.importorskip("aif360")
    from aif360.datasets import BinaryLabelDataset
    from aif360.metrics import BinaryLabelDatasetMetric

    # 2 jobs x 6 candidates: sex 1 = male (privileged), selected = in top-2
    sex = np.array([1, 1, 1, 0, 0, 0] * 2)
    sel = np.array([1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0])
    df = pd.DataFrame({"sex": sex, "selected": sel})
    ds = BinaryLabelDataset(df=df, label_names=["selected"], protected_attribute_names=["sex"])
    m = BinaryLabelDatasetMetric(ds, unprivileged_groups=[{"sex": 0}], privileged_groups=[{"sex": 1}])
    selected = np.array([sel[sex == 0].sum(), sel[sex == 1].sum()])
    pool = np.array([3, 3])
    rates = selection_rates(selected, pool, n_jobs=2)
    ir = impact_ratios(rates, np.array([True, True]))
    assert ir[0] == pytest.approx(m.disparate_impact())
    d, _ = demographic_parity(selected, pool * 2, ["female", "male"])
    assert -d == pytest.approx(m.statistical_parity_difference())


def test_wasserstein_binary_equals_scipy_and_tv():
    shares = np.array([[0.3, 0.7], [0.9, 0.1]])
    target = np.array([0.5, 0.5])
    w = wasserstein_binary(shares, target)
    for i in range(2):
        assert w[i] == pytest.approx(wasserstein_distance([0, 1], [0, 1], shares[i], target))
    assert w == pytest.approx(total_variation(shares, target))
    assert gap(shares, target) == pytest.approx([0.2, 0.4])


def test_topk_shares_ignore_unknown_and_mark_empty():
    counts = np.array([[2, 6, 2], [0, 0, 10]])
    s = topk_shares(counts, 2)
    assert s[0] == pytest.approx([0.25, 0.75])
    assert np.isnan(s[1]).all()


def test_match_rate_and_target_specs():
    assert diversity_match_rate(np.array([0.05, 0.1, 0.3, np.nan]), 0.1) == pytest.approx(2 / 3)
    labels = ("female", "male")
    assert target_distribution("pool", "sex", labels, np.array([30, 70])) == pytest.approx([0.3, 0.7])
    assert target_distribution("uniform", "sex", labels, np.array([30, 70])) == pytest.approx([0.5, 0.5])
    assert target_distribution({"sex": {"female": 0.6, "male": 0.4}}, "sex", labels, np.array([1, 1])) == \
        pytest.approx([0.6, 0.4])
    with pytest.raises(ConfigError, match="unknown group"):
        target_distribution({"female": 0.5, "robot": 0.5}, "sex", labels, np.array([1, 1]))
    with pytest.raises(ConfigError, match="sum to"):
        target_distribution({"female": 0.5, "male": 0.6}, "sex", labels, np.array([1, 1]))


def test_ndkl_zero_for_alternating_fair_ranking_and_positive_otherwise():
    target = np.array([0.5, 0.5])
    fair = np.array([[0, 1, 0, 1, 0, 1]])
    skewed = np.array([[1, 1, 1, 1, 1, 1]])
    assert ndkl(skewed, target)[0] == pytest.approx(np.log(2))  # KL(1,0 || .5,.5) at every prefix
    assert 0 < ndkl(fair, target)[0] < ndkl(skewed, target)[0]


def test_skew_and_exposure_by_hand():
    assert skew_at_k(np.array([0.25, 0.75]), np.array([0.5, 0.5])) == pytest.approx([np.log(0.5), np.log(1.5)])
    codes = np.array([[0, 1]])  # one job, group 0 at rank 1, group 1 at rank 2
    e = exposure(codes, np.array([1, 2, 0]), 3)
    assert e[0] == pytest.approx(1.0)
    assert e[1] == pytest.approx((1 / np.log2(3)) / 2)


def test_bootstrap_is_seeded_and_ci_covers_mean():
    w1 = np.concatenate(list(bootstrap_weights(50, 300, seed=7)))
    w2 = np.concatenate(list(bootstrap_weights(50, 300, seed=7)))
    assert (w1 == w2).all() and w1.shape == (300, 50) and (w1.sum(axis=1) == 50).all()
    x = np.random.default_rng(0).normal(size=50)
    lo, hi = percentile_ci((w1 @ x) / 50)
    assert lo < x.mean() < hi


# ---- property tests -------------------------------------------------------------------
counts_st = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 60)), min_size=2, max_size=6)


@given(counts_st, st.integers(1, 20))
@settings(max_examples=60, deadline=None)
def test_impact_ratio_in_unit_interval(groups, n_jobs):
    sel = np.array([min(s, n * n_jobs) for s, n in groups])
    pool = np.array([n for _, n in groups])
    ir = impact_ratios(selection_rates(sel, pool, n_jobs), np.ones(len(groups), bool))
    ok = ~np.isnan(ir)
    assert ((ir[ok] >= 0) & (ir[ok] <= 1 + 1e-12)).all()
    if ok.any():
        assert np.nanmax(ir) == pytest.approx(1.0)


@given(counts_st, st.integers(1, 20), st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_parity_invariant_to_group_order(groups, n_jobs, rnd):
    sel = np.array([min(s, n * n_jobs) for s, n in groups])
    pool = np.array([n for _, n in groups]) * n_jobs
    labels = [f"g{i}" for i in range(len(groups))]
    order = list(range(len(groups)))
    rnd.shuffle(order)
    a = demographic_parity(sel, pool, labels)
    b = demographic_parity(sel[order], pool[order], [labels[i] for i in order])
    assert a == pytest.approx(b, nan_ok=True)


@given(st.integers(1, 40), st.integers(1, 30))
@settings(max_examples=40, deadline=None)
def test_parity_difference_zero_for_identical_groups(n, s):
    s = min(s, n)
    d, r = demographic_parity(np.array([s, s]), np.array([n, n]), ["a", "b"])
    assert d == pytest.approx(0.0)
    if s:
        assert r == pytest.approx(1.0)


def _all_tie_breaks(fixed, tied, o, target):
    """Every gap a choice of o tied candidates can give (brute force over group compositions)."""
    import itertools

    n_known = len(target)
    out = []
    for x in itertools.product(*[range(int(c) + 1) for c in tied]):
        if sum(x) != o:
            continue
        c = np.asarray(fixed, dtype=float) + np.asarray(x)
        if c[:n_known].sum() == 0:
            continue
        out.append(0.5 * np.abs(c[:n_known] / c[:n_known].sum() - target).sum())
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(2, 3), st.data())
def test_order_gap_range_holds_every_tie_break(n_known, data):
    from fairaudit.metrics.ties import order_gap_range

    fixed = data.draw(st.lists(st.integers(0, 6), min_size=n_known + 1, max_size=n_known + 1))
    tied = data.draw(st.lists(st.integers(0, 5), min_size=n_known + 1, max_size=n_known + 1))
    o = data.draw(st.integers(1, max(1, sum(tied))))
    if sum(tied) < o:
        return
    w = np.asarray(data.draw(st.lists(st.integers(1, 5), min_size=n_known, max_size=n_known)), dtype=float)
    target = w / w.sum()
    gaps = _all_tie_breaks(fixed, tied, o, target)
    low, high = order_gap_range(np.array(fixed), np.array(tied), o, target)
    if gaps:
        assert low <= min(gaps) + 1e-12 and max(gaps) <= high + 1e-12
        if n_known == 2:  # two groups: the highest gap is reached (at an extreme share)
            assert high == pytest.approx(max(gaps))
    if tied[:n_known].count(0) == n_known - 1 and tied[n_known] == 0 and gaps:  # one group tied: no choice
        assert low == pytest.approx(high)
