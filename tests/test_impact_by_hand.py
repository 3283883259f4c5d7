"""End-to-end impact ratios worked out by hand: intersectional (sex x race) and LL144 scoring rates (issue 19).

Two jobs, eight candidates, fixed scores (no ties), k = 2; every number below is
derived in the comments from the score table, not from the code under test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit

#: candidates c0..c7: (sex, race)
PEOPLE = [("female", "white"), ("female", "black"), ("male", "white"), ("male", "black")] * 2
#: scores of job A and job B for c0..c7
SCORES = {"job A": [8, 7, 6, 5, 4, 3, 2, 1],
          "job B": [1, 2, 8, 3, 4, 5, 7, 6]}


def fixed_scores(job_texts, candidate_texts):
    idx = [int(t[1:]) for t in candidate_texts]
    return np.array([[SCORES[j][i] for i in idx] for j in job_texts], dtype=float)


@pytest.fixture(scope="module")
def result():
    jobs = pd.DataFrame({"job_id": ["A", "B"], "title": ["A", "B"], "text": list(SCORES)})
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(8)], "text": [f"c{i}" for i in range(8)],
                          "sex": [s for s, _ in PEOPLE], "race_ethnicity": [r for _, r in PEOPLE]})
    return fairaudit.audit(jobs, cands, recommender=fixed_scores, k=2, n_bootstrap=0, drivers=False,
                           decomposition=False)


def _impact(result, attribute):
    t = result.tables["impact"]
    t = t[(t["attribute"] == attribute) & (t["k"] == 2) & (t["group"] != "unknown")]
    return t.set_index("group")


def test_intersectional_impact_ratios_by_hand(result):
    # top-2 of job A: c0 (female|white), c1 (female|black); of job B: c2 (8) and c6 (7), both male|white.
    # Each sex|race group has 2 members, so 2 jobs x 2 = 4 pairs: selection rates fw 1/4, fb 1/4, mw 2/4, mb 0/4;
    # impact ratio = rate / highest rate (male|white, 1/2)
    t = _impact(result, "sex_race")
    assert t["selection_rate"].to_dict() == pytest.approx(
        {"female|white": 0.25, "female|black": 0.25, "male|white": 0.5, "male|black": 0.0})
    assert t["impact_ratio"].to_dict() == pytest.approx(
        {"female|white": 0.5, "female|black": 0.5, "male|white": 1.0, "male|black": 0.0})
    # sex alone: 2 of 8 female pairs and 2 of 8 male pairs selected: equal rates
    assert _impact(result, "sex")["impact_ratio"].to_dict() == pytest.approx({"female": 1.0, "male": 1.0})


def test_scoring_impact_ratios_by_hand(result):
    # each job's median is 4.5 (scores 1..8). Above it: job A c0 c1 c2 c3; job B c2 (8) c5 (5) c6 (7) c7 (6).
    # sex|race: fw {c0, c4}: 1 of 4 pairs; fb {c1, c5}: 2; mw {c2, c6}: 3; mb {c3, c7}: 2.
    # scoring rates .25 .5 .75 .5; ratio to the highest (male|white, .75): 1/3, 2/3, 1, 2/3
    t = _impact(result, "sex_race")
    assert t["scoring_rate"].to_dict() == pytest.approx(
        {"female|white": 0.25, "female|black": 0.5, "male|white": 0.75, "male|black": 0.5})
    assert t["scoring_impact_ratio"].to_dict() == pytest.approx(
        {"female|white": 1 / 3, "female|black": 2 / 3, "male|white": 1.0, "male|black": 2 / 3})
    # sex: female 1 + 2 = 3 of 8, male 3 + 2 = 5 of 8 -> female 0.6 of male
    s = _impact(result, "sex")
    assert s["scoring_rate"].to_dict() == pytest.approx({"female": 3 / 8, "male": 5 / 8})
    assert s["scoring_impact_ratio"].to_dict() == pytest.approx({"female": 0.6, "male": 1.0})
