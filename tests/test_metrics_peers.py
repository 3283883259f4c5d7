"""Ranking metrics cross-checked against peer implementations (issue 19, item 13).

FairRankTune 0.0.7 (NDKL, exposure) and holisticai 1.0.14 (disparate impact,
success rates) are test-only dependencies. Each peer is fed the same small
deterministic rankings, with the definitions aligned as
``docs/concepts/ranking-metrics.md`` states:

* NDKL: FairRankTune's target is the mix of the whole ranking it is given, so it
  gets each job's full ranking of the pool and fairaudit gets k = pool size and
  the pool's shares as target; FairRankTune adds 1e-7 to every probability,
  hence a 5e-6 tolerance (3 groups x 1e-7 x |ln 1e-7|).
* exposure: fairaudit weighs places past k by 0, so FairRankTune gets the top-k
  of each ranking only (the rest NaN, which it drops); both divide by the group's
  size in the pool; fairaudit also divides by the number of jobs, which cancels
  in the ratio to the most exposed group.
* impact ratio: holisticai's disparate_impact on (job, candidate) pairs, 1 when
  the candidate is in the job's top-k.
* skew@k: log of a group's success rate over the overall rate on the same pairs
  (holisticai's success rates), equal to fairaudit's pooled skew when the
  target is the pool's mix.
"""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("FairRankTune")
pytest.importorskip("holisticai")

from FairRankTune.Metrics import EXP, NDKL  # noqa: E402
from holisticai.bias.metrics import disparate_impact, success_rate  # noqa: E402

from fairaudit.metrics import exposure, impact_ratios, ndkl, selection_rates, skew_at_k  # noqa: E402

N_CAND, N_JOBS, K = 12, 5, 4
#: a pool of 12: group 0 (5 members), group 1 (4), group 2 (3)
GROUPS = np.array([0, 1, 2, 0, 1, 0, 2, 1, 0, 2, 1, 0])


def _rankings(seed: int = 19) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # skewed on purpose: group 0 tends to come first
    return np.stack([np.argsort(rng.random(N_CAND) - 0.4 * (GROUPS == 0), kind="stable") for _ in range(N_JOBS)])


def _pool_counts(groups: np.ndarray, n_codes: int) -> np.ndarray:
    return np.bincount(groups, minlength=n_codes)


def test_ndkl_matches_fairranktune_on_full_rankings():
    ranks = _rankings()
    pool_share = _pool_counts(GROUPS, 3) / N_CAND
    ours = ndkl(GROUPS[ranks], pool_share)
    item_group = {i: int(g) for i, g in enumerate(GROUPS)}
    peer = [NDKL(pd.DataFrame({"r": ranks[j]}), item_group) for j in range(N_JOBS)]
    # FairRankTune adds 1e-7 to every probability: each KL moves by at most G * 1e-7 * |ln 1e-7| < 5e-6
    assert ours == pytest.approx(peer, abs=5e-6)
    assert max(peer) > 0.01  # the rankings are skewed: a real comparison, not 0 == 0


def test_exposure_ratio_matches_fairranktune_on_topk():
    ranks = _rankings()
    ours = exposure(GROUPS[ranks[:, :K]], _pool_counts(GROUPS, 3), 3)
    topk = pd.DataFrame({f"job{j}": list(ranks[j, :K]) + [np.nan] * (N_CAND - K) for j in range(N_JOBS)})
    item_group = {i: int(g) for i, g in enumerate(GROUPS)}
    min_max, per_group = EXP(topk, item_group, "MinMaxRatio")
    peer = np.array([per_group[g] for g in range(3)])
    assert ours * N_JOBS == pytest.approx(peer, abs=1e-9)  # FairRankTune sums over rankings
    # fairaudit's exposure_ratio: each group over the most exposed one
    ratio = impact_ratios(ours, np.ones(3, bool))
    assert ratio == pytest.approx(peer / peer.max(), abs=1e-9)
    assert ratio.min() == pytest.approx(min_max, abs=1e-9) and min_max < 0.9


def _pairs(ranks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(group of each job-candidate pair, 1 when the candidate is in that job's top-k)."""
    sel = np.zeros((N_JOBS, N_CAND), int)
    for j in range(N_JOBS):
        sel[j, ranks[j, :k]] = 1
    return np.tile(GROUPS, N_JOBS), sel.ravel()


def test_impact_ratio_matches_holisticai_disparate_impact():
    ranks = _rankings()
    selected = np.bincount(GROUPS[ranks[:, :K]].ravel(), minlength=3)
    rates = selection_rates(selected, _pool_counts(GROUPS, 3), N_JOBS)
    ours = impact_ratios(rates, np.ones(3, bool))
    groups, y = _pairs(ranks, K)
    best = int(np.argmax(rates))
    for g in range(3):
        peer = disparate_impact((groups == g).astype(int), (groups == best).astype(int), y)
        assert ours[g] == peer  # exactly: the same counts divided the same way
    assert ours.min() < 0.8


def test_skew_matches_holisticai_success_rates():
    ranks = _rankings()
    selected = np.bincount(GROUPS[ranks[:, :K]].ravel(), minlength=3)
    pooled_share = selected / selected.sum()
    ours = skew_at_k(pooled_share, _pool_counts(GROUPS, 3) / N_CAND)
    groups, y = _pairs(ranks, K)
    overall = y.mean()
    for g in range(3):
        sr = success_rate((groups == g).astype(int), (groups != g).astype(int), y)["sr_a"]
        assert ours[g] == pytest.approx(np.log(sr / overall), abs=1e-12)
    assert np.abs(ours).max() > 0.1


# --------------------------------------------------------------------------- unknown group (item 13)
def test_ndkl_skips_prefixes_without_a_known_member():
    """Top 3 unknown (code 2 with two known groups): those prefixes weigh nothing, by hand."""
    target = np.array([0.5, 0.5])
    codes = np.array([[2, 2, 2, 0, 0, 1]])
    w = 1 / np.log2(np.arange(2, 8))
    kl = lambda p: sum(x * np.log(x / 0.5) for x in p if x > 0)  # noqa: E731
    mixes = {3: (1.0, 0.0), 4: (1.0, 0.0), 5: (2 / 3, 1 / 3)}  # prefixes 4, 5, 6 (0-based 3, 4, 5)
    expected = sum(w[i] * kl(mixes[i]) for i in mixes) / w[3:].sum()
    assert ndkl(codes, target)[0] == pytest.approx(expected, abs=1e-12)
    # not the old value, which scored the three undefined prefixes as a perfect match (KL 0)
    old = sum(w[i] * kl(mixes[i]) for i in mixes) / w.sum()
    assert ndkl(codes, target)[0] > old + 0.05
    # all unknown: undefined, not 0
    assert np.isnan(ndkl(np.array([[2, 2, 2]]), target)[0])
    # unknowns after known members keep their places and leave the mix of those prefixes as it was
    assert ndkl(np.array([[0, 1, 2, 2]]), target)[0] == pytest.approx(w[0] * np.log(2) / w[:4].sum(), abs=1e-12)


def test_ndkl_without_unknowns_is_unchanged():
    target = np.array([0.5, 0.5])
    assert ndkl(np.array([[1, 1, 1, 1, 1, 1]]), target)[0] == pytest.approx(np.log(2))
