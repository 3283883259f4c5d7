"""The reference group of the impact ratios is a group that can be judged (issue 25, item 7).

With ``min_share=0`` a category of one candidate is rated. If that candidate is in
every top-k, its selection rate is 1 and, as the denominator of every impact ratio,
it made the majority group a "breach, beyond chance" on the public summary while
the attribute said "within chance". The rule: the reference is the highest-rate
group among the rated groups with at least 2 % of the known pool
(:func:`fairaudit.metrics.impact.reference_mask`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.metrics.impact import REFERENCE_MIN_SHARE, impact_ratios, rated_mask, reference_mask

N_JOBS, K = 8, 6
#: 60 white and 40 black candidates, then one Asian candidate (1 % of the pool, under the 2 % of § 5-301).
RACES = ["white", "black"] * 40 + ["white"] * 20 + ["asian"]


def _scores(job_texts, candidate_texts):
    """Job j ranks the Asian candidate first, then three white and two black candidates of its own.

    White and black are selected in proportion to the pool (rate 3/60 = 2/40 = 0.05 each): no disparity.
    """
    white = [i for i, r in enumerate(RACES) if r == "white"]
    black = [i for i, r in enumerate(RACES) if r == "black"]
    out = np.zeros((len(job_texts), len(candidate_texts)))
    for j in range(len(job_texts)):
        out[j, len(RACES) - 1] = 3.0
        out[j, white[3 * j: 3 * j + 3]] = 2.0 - np.arange(3) / 10
        out[j, black[2 * j: 2 * j + 2]] = 1.0 - np.arange(2) / 10
    return out


@pytest.fixture(scope="module")
def result():
    jobs = pd.DataFrame({"job_id": [f"j{i}" for i in range(N_JOBS)], "title": ["t"] * N_JOBS,
                         "text": [f"job {i}" for i in range(N_JOBS)]})
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(len(RACES))],
                          "text": [f"c{i}" for i in range(len(RACES))], "race_ethnicity": RACES,
                          "sex": ["female", "male"] * (len(RACES) // 2) + ["female"]})
    return fairaudit.audit(jobs, cands, recommender=_scores, k=K, attributes=["race_ethnicity"], min_share=0.0,
                           n_bootstrap=0, n_permutations=199, drivers=False, decomposition=False, seed=0)


def test_reference_mask_keeps_small_rated_groups_out():
    pool = np.array([60, 40, 1, 0])  # the unknown group last
    rated = rated_mask(pool, 3, 0.0)
    assert rated.tolist() == [True, True, True]
    assert reference_mask(pool, rated).tolist() == [True, True, False]
    # with the default min_share the reference set is the rated set
    rated = rated_mask(pool, 3, REFERENCE_MIN_SHARE)
    assert reference_mask(pool, rated).tolist() == rated.tolist()
    # no rated group holds 2 %: the largest one is the reference
    many = np.array([3] + [2] * 59)
    assert reference_mask(many, np.ones(60, bool)).tolist() == [True] + [False] * 59


def test_impact_ratio_divides_by_the_reference_only():
    rates = np.array([0.05, 0.04, 1.0])
    rated = np.ones(3, bool)
    ir = impact_ratios(rates, rated, np.array([True, True, False]))
    assert ir.tolist() == pytest.approx([1.0, 0.8, 20.0])
    assert impact_ratios(rates, rated).tolist() == pytest.approx([0.05, 0.04, 1.0])  # default: every rated group


def test_one_candidate_group_is_not_the_reference(result):
    imp = result.tables["impact"].set_index("group")
    # the Asian candidate is in every top-k: a rate of 1, rated (min_share 0) but not the denominator
    assert imp.loc["asian", "selection_rate"] == pytest.approx(1.0)
    assert not imp.loc["asian", "excluded"]
    top = max(imp.loc["white", "selection_rate"], imp.loc["black", "selection_rate"])
    for g in ("white", "black"):
        assert imp.loc[g, "impact_ratio"] == pytest.approx(imp.loc[g, "selection_rate"] / top)
    assert max(imp.loc["white", "impact_ratio"], imp.loc["black", "impact_ratio"]) == pytest.approx(1.0)
    assert imp.loc["asian", "impact_ratio"] > 1


def test_majority_is_not_a_breach_because_of_one_candidate(result):
    imp = result.tables["impact"].set_index("group")
    # white and black are selected at the same rate; before the rule their ratios were 0.05 (a breach)
    assert imp.loc[["white", "black"], "impact_ratio"].tolist() == pytest.approx([1.0, 1.0])
    assert not imp.loc[["white", "black"], "four_fifths_flag"].any()
    assert not ({imp.loc["white", "verdict"], imp.loc["black", "verdict"]}
                & {fairaudit.engine.verdicts.BEYOND, fairaudit.engine.verdicts.WITHIN})
    par = result.tables["parity"].iloc[0]
    assert par["min_impact_ratio"] == pytest.approx(imp.loc[["white", "black", "asian"], "impact_ratio"].min())
