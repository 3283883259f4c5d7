"""Aggregate counts audits (issue 28, item 4): LL144 tables and exact conditional verdicts from counts alone."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fairaudit
from fairaudit.engine.counts_audit import audit_counts
from fairaudit.errors import DataError

LL144 = ["k", "attribute", "group", "n_pool", "n_assessed", "selected", "selection_rate", "impact_ratio",
         "scoring_selected", "scoring_rate", "scoring_impact_ratio", "excluded", "exclusion_reason",
         "four_fifths_flag"]
PARITY = ["k", "attribute", "dp_difference", "dp_ratio", "min_impact_ratio", "four_fifths_pass", "n_unknown"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 300
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                           "sex": rng.choice(["female", "male", ""], n, p=[0.45, 0.45, 0.1]),
                           "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic", "aian"],
                                                        n, p=[0.4, 0.25, 0.2, 0.14, 0.01])})
    rows = []
    for j in range(30):
        members = rng.choice(n, 25, replace=False)
        scores = rng.random(25)
        for r, (c, s) in enumerate(zip(members, scores)):
            rows.append((f"j{j}", f"c{c}", float(s), bool(rng.random() < 0.3)))
    return pd.DataFrame(rows, columns=["job_id", "candidate_id", "score", "selected"]), people


def _counts_by_hand(log, people, k):
    """The counts an employer would send, computed with pandas from the raw log (not with fairaudit)."""
    m = log.merge(people, on="candidate_id")
    if k == 0:
        m["picked"] = m["selected"]
    else:
        m["picked"] = m.groupby("job_id")["score"].rank(ascending=False, method="first") <= k
    m["above"] = m["score"] > m.groupby("job_id")["score"].transform("median")
    out = []
    for attr in ("sex", "race_ethnicity"):
        cat = m[attr].replace("", "unknown")
        g = m.assign(category=cat).groupby("category").agg(
            assessed=("job_id", "size"), selected=("picked", "sum"), scored_above_median=("above", "sum"),
            individuals=("candidate_id", "nunique")).reset_index()
        out.append(g.assign(attribute=attr, k=k))
    return pd.concat(out, ignore_index=True)


@pytest.mark.parametrize("k", [0, 5])
def test_counts_reproduce_the_log_audits_ll144_tables(data, k):
    log, people = data
    from_log = fairaudit.audit_log(log, people, k=k, n_bootstrap=0, n_permutations=99,
                                   attributes=("sex", "race_ethnicity"))
    from_counts = audit_counts(_counts_by_hand(log, people, k), n_permutations=99)
    pd.testing.assert_frame_equal(from_log.tables["impact"][LL144].reset_index(drop=True),
                                  from_counts.tables["impact"][LL144].reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(from_log.tables["parity"][PARITY], from_counts.tables["parity"][PARITY],
                                  check_dtype=False)
    # aian is under 2 % of the known pairs: counted, not rated, in both
    assert from_counts.tables["impact"].set_index("group").loc["aian", "excluded"]


def test_exact_conditional_p_value_of_two_groups():
    # 2 groups: 40 of 100 women and 60 of 100 men selected. Given the margins (100, 100; 100 selected) the women's
    # selections are hypergeometric; the lowest impact ratio is at most 40/60 exactly when one group has <= 40.
    counts = pd.DataFrame({"category": ["female", "male"], "assessed": [100, 100], "selected": [40, 60]})
    result = audit_counts(counts, n_permutations=9999, seed=1)
    h = stats.hypergeom(200, 100, 100)
    exact = h.cdf(40) + h.sf(59)
    assert result.tables["parity"]["p_value"].iloc[0] == pytest.approx(exact, abs=0.01)
    assert result.tables["impact"].set_index("group").loc["female", "impact_ratio"] == pytest.approx(40 / 60)


def test_what_counts_cannot_give_is_stated(tmp_path):
    counts = pd.DataFrame({"category": ["female", "male", "unknown"], "assessed": [80, 100, 5],
                           "selected": [10, 30, 1]})
    result = audit_counts(counts, n_permutations=99)
    names = {x["analysis"] for x in result.summary["not_possible"]}
    assert "diversity match rate and gaps" in names and "per-job chance level" in names
    assert any(w.startswith("Not possible from counts") for w in result.summary["warnings"])
    assert result.tables["parity"]["n_unknown"].iloc[0] == 5
    path = tmp_path / "counts.json"
    result.to_json(path)
    back = fairaudit.AuditResult.from_json(path)
    assert back.tables["impact"]["selected"].tolist() == [10, 30, 1]


@pytest.mark.parametrize("counts,message", [
    (pd.DataFrame({"category": ["female", "male"], "assessed": [10, 10]}), "missing column"),
    (pd.DataFrame({"category": ["female", "male"], "assessed": [10, 10], "selected": [11, 2]}), "exceeds"),
    (pd.DataFrame({"category": ["female", "male"], "assessed": [10, -1], "selected": [1, 0]}), "whole numbers"),
    (pd.DataFrame({"category": ["female", "white"], "assessed": [10, 10], "selected": [1, 2]}), "attribute"),
    (pd.DataFrame({"category": ["female", "female"], "assessed": [10, 10], "selected": [1, 2]}), "twice"),
    # more people than assessments: the summary would publish more individuals than were assessed
    (pd.DataFrame({"category": ["female", "male"], "assessed": [10, 10], "selected": [1, 2],
                   "individuals": [11, 10]}), "'individuals' exceeds 'assessed'"),
])
def test_bad_counts_get_one_clear_error(counts, message):
    with pytest.raises(DataError, match=message):
        audit_counts(counts, n_permutations=99)


def test_cli_counts(tmp_path):
    from fairaudit.cli import main

    path = tmp_path / "counts.csv"
    pd.DataFrame({"attribute": ["sex"] * 2, "category": ["Female", "Male"], "assessed": [100, 100],
                  "selected": [20, 60]}).to_csv(path, index=False)
    out = tmp_path / "audit.json"
    assert main(["audit", "--counts", str(path), "--permutations", "99", "--out", str(out), "--quiet"]) == 0
    r = fairaudit.AuditResult.from_json(out)
    assert r.tables["impact"].set_index("group").loc["female", "four_fifths_flag"]
    assert main(["audit", "--counts", str(path), "--jobs", str(path), "--out", str(tmp_path / "x.json")]) == 2
