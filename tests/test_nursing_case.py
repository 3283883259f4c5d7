"""The hand-made nursing case of issue 28 (docs/concepts/candidate-sets.md explains it).

Nursing jobs' applicants are mostly women, electrician jobs' mostly men, and the
recommender ranks each job's applicants fairly: every top-10 has its applicants'
mix exactly. Against each job's own applicants there is no gap and no flag;
against the global pool the same rankings look like a large sex gap.

Numbers by hand: 20 nurses (18 women, 2 men) apply to each of 2 nursing jobs, 20
electricians (2 women, 18 men) to each of 8 electrician jobs; each top-10 takes
9 of the majority and 1 of the minority.
- own applicants: women 2x9 + 8x1 = 26 selected of 2x18 + 8x2 = 52 pairs (0.5);
  men 2x1 + 8x9 = 74 of 2x2 + 8x18 = 148 (0.5): impact ratio 1, no flag; every
  top-10 has its applicants' 90/10 mix: gap 0, match rate 1.
- global pool (every job considers all 40 people, 20 women and 20 men): women
  26 of 10x20 = 200 pairs (0.13), men 74 of 200 (0.37): impact ratio 26/74 =
  0.35, flagged; every top-10 is 90/10 against a 50/50 pool: gap 0.4, match rate 0.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit

K = 10


def _people(prefix, majority, minority):
    # quality falls with the index; the 10th and 20th best are of the minority sex, so a top-10 is 9 + 1
    sexes = [minority if i in (9, 19) else majority for i in range(20)]
    return [(f"{prefix}{i}", f"{prefix} profile {i}", s) for i, s in enumerate(sexes)]


CANDS = pd.DataFrame(_people("nurse", "female", "male") + _people("electrician", "male", "female"),
                     columns=["candidate_id", "text", "sex"])
JOBS = pd.DataFrame({"job_id": [f"N{i}" for i in range(2)] + [f"E{i}" for i in range(8)],
                     "title": ["Nurse"] * 2 + ["Electrician"] * 8,
                     "text": ["nurse job"] * 2 + ["electrician job"] * 8})
APPLICANTS = pd.DataFrame([(j, c) for j, t in zip(JOBS["job_id"], JOBS["text"]) for c in CANDS["candidate_id"]
                           if c.startswith(t.split()[0])], columns=["job_id", "candidate_id"])


def fair_within_job(job_texts, candidate_texts):
    """Occupation first, then a quality that does not depend on sex (falls with the profile number)."""
    occ = [t.split()[0] for t in candidate_texts]
    quality = np.array([1 - int(t.split()[-1]) / 100 for t in candidate_texts])
    return np.array([[10.0 * (o == j.split()[0]) for o in occ] for j in job_texts]) + quality[None, :]


OPTS = dict(recommender=fair_within_job, k=K, n_bootstrap=0, n_permutations=199, seed=0)


def _sex(result):
    imp = result.tables["impact"].query("attribute == 'sex' and group != 'unknown'").set_index("group")
    div = result.tables["diversity"].query("attribute == 'sex'").iloc[0]
    return imp, div


def test_no_flag_against_each_jobs_own_applicants():
    result = fairaudit.audit(JOBS, CANDS, candidate_sets=APPLICANTS, **OPTS)
    imp, div = _sex(result)
    assert imp["selection_rate"].to_dict() == pytest.approx({"female": 0.5, "male": 0.5})
    assert imp["n_assessed"].to_dict() == {"female": 52, "male": 148}
    assert not imp["four_fifths_flag"].any() and result.summary["verdict"]["four_fifths_pass"]
    assert div["target"] == "own" and div["mean_gap"] == pytest.approx(0.0) and div["match_rate"] == 1.0


def test_a_flag_against_the_global_pool():
    # every job ranks all 40 people: the same top-10s, counted against everyone
    result = fairaudit.audit(JOBS, CANDS, **OPTS)
    imp, div = _sex(result)
    assert imp["selection_rate"].to_dict() == pytest.approx({"female": 26 / 200, "male": 74 / 200})
    assert imp.loc["female", "impact_ratio"] == pytest.approx(26 / 74) and imp.loc["female", "four_fifths_flag"]
    assert div["mean_gap"] == pytest.approx(0.4) and div["match_rate"] == 0.0
    # flagged by the four-fifths rule; whether chance explains it is for the permutation test (20 people selected)
    assert result.summary["verdict"]["attributes"]["sex"]["verdict"] in ("breach, beyond chance", "breach, within chance",
                                                                          "too little power to judge")


def test_the_own_sets_measured_against_the_global_pool_mix():
    # the same per-job sets with target="pool": rates stay fair, but each top-10 misses the 50/50 pool mix
    result = fairaudit.audit(JOBS, CANDS, candidate_sets=APPLICANTS, target="pool", **OPTS)
    imp, div = _sex(result)
    assert not imp["four_fifths_flag"].any()
    assert div["mean_gap"] == pytest.approx(0.4) and div["match_rate"] == 0.0
    assert result.summary["verdict"]["diversity_goal_met"] is False


def test_the_cause_split_puts_the_whole_pool_gap_on_who_applied():
    # every top-10 has exactly its applicants' mix: the 0.4 gap against the pool is who applied, nothing else
    from fairaudit.engine.cause_result import CauseSplit

    result = fairaudit.audit(JOBS, CANDS, candidate_sets=APPLICANTS, **OPTS)
    parts = {p: r["value"] for p, r in CauseSplit.from_result(result).parts("sex").items()}
    assert parts == pytest.approx({"total": 0.4, "who_applied": 0.4, "identity_cues": 0.0, "job_text": 0.0,
                                   "residual": 0.0})
