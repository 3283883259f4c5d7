"""The chance level of per-job candidate sets (issue 28, item 2).

Permuting the labels within each job's own candidates and drawing each job's
top-k group counts from the multivariate hypergeometric distribution must give
the same null: checked here against materialised permutations on a small case,
against the exact moments, and against numpy's own multivariate sampler.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fairaudit.engine.permutation import hypergeometric_counts, set_null_draws
from fairaudit.engine.verdicts import null_impact_ratios

#: Five jobs with overlapping sets over 30 candidates; codes 0, 1 (known) and 2 (unknown)
RNG = np.random.default_rng(7)
CODES = RNG.choice(3, 30, p=[0.5, 0.4, 0.1])
SETS = [RNG.choice(30, size, replace=False) for size in (6, 8, 10, 12, 9)]
K = 3
N_DRAWS = 4000


def _considered():
    return np.stack([np.bincount(CODES[s], minlength=3) for s in SETS])


def _permuted(n_draws, seed):
    """Materialised permutations: shuffle the labels within each job's set and count its first K."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n_draws, len(SETS), 3), dtype=np.int64)
    for b in range(n_draws):
        for j, members in enumerate(SETS):
            labels = rng.permutation(CODES[members])
            out[b, j] = np.bincount(labels[:K], minlength=3)
    return out


@pytest.fixture(scope="module")
def draws():
    n_sel = np.minimum(K, [len(s) for s in SETS])
    fast = hypergeometric_counts(_considered(), n_sel, N_DRAWS, np.random.default_rng(1))
    return fast, _permuted(N_DRAWS, 2)


def test_counts_keep_the_margins(draws):
    fast, _ = draws
    assert (fast.sum(axis=2) == K).all()
    assert (fast <= _considered()[None]).all() and (fast >= 0).all()


def test_same_distribution_as_materialised_permutations(draws):
    fast, slow = draws
    # the statistic the verdicts use: the total selections of each group, summed over jobs
    for g in range(3):
        a, b = fast[:, :, g].sum(axis=1), slow[:, :, g].sum(axis=1)
        values = np.union1d(a, b)
        table = np.stack([[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]])
        assert stats.chi2_contingency(table[:, table.sum(axis=0) > 0])[1] > 0.01, g
    # and the lowest impact ratio, whose null decides the attribute's verdict
    pairs = _considered().sum(axis=0)
    rated = np.array([True, True])
    ir_fast = np.nanmin(null_impact_ratios(fast.sum(axis=1), pairs, 1, rated), axis=1)
    ir_slow = np.nanmin(null_impact_ratios(slow.sum(axis=1), pairs, 1, rated), axis=1)
    assert stats.ks_2samp(ir_fast, ir_slow).pvalue > 0.01


def test_exact_moments(draws):
    fast, _ = draws
    c = _considered().astype(float)
    n = c.sum(axis=1, keepdims=True)
    mean = K * c / n
    var = K * (c / n) * (1 - c / n) * (n - K) / (n - 1)
    se = np.sqrt(var / N_DRAWS)
    assert np.all(np.abs(fast.mean(axis=0) - mean) <= 4 * se + 1e-12)
    assert fast.var(axis=0) == pytest.approx(var, rel=0.15, abs=0.01)


def test_same_law_as_numpys_multivariate_sampler():
    colors = np.array([5, 3, 4])
    ours = hypergeometric_counts(colors[None], np.array([4]), 20000, np.random.default_rng(3))[:, 0]
    theirs = np.random.default_rng(4).multivariate_hypergeometric(colors, 4, size=20000)
    for g in range(3):
        values = np.arange(5)
        table = np.stack([[np.sum(ours[:, g] == v) for v in values], [np.sum(theirs[:, g] == v) for v in values]])
        assert stats.chi2_contingency(table[:, table.sum(axis=0) > 0])[1] > 0.01


def test_set_null_draws_is_seeded_and_blocked():
    c, n_sel = _considered(), np.full(len(SETS), K)
    a = set_null_draws(c, n_sel, 2, np.array([0.5, 0.5]), 0.1, 300, [0, 1], n_permutations_gap=50)
    b = set_null_draws(c, n_sel, 2, np.array([0.5, 0.5]), 0.1, 300, [0, 1], n_permutations_gap=50)
    assert np.array_equal(a.selected, b.selected) and a.selected.shape == (300, 3)
    assert a.match_rate.shape == (50,) and np.allclose(a.mean_gap, b.mean_gap)
    assert (a.selected.sum(axis=1) == K * len(SETS)).all()
    # per-job targets (each job's own mix) are accepted as one row per job
    own = c[:, :2] / c[:, :2].sum(axis=1, keepdims=True)
    d = set_null_draws(c, n_sel, 2, own, 0.1, 40, [0, 1])
    assert d.mean_gap.shape == (40,) and np.isfinite(d.mean_gap).all()
