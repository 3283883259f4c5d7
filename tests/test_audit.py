"""The audit pipeline on a toy recommender: tables, JSON round-trip, determinism, errors."""
import json

import numpy as np
import pandas as pd
import pytest

from fairaudit import AuditResult, audit
from fairaudit.errors import ConfigError, DataError, RecommenderError
from fairaudit.recommenders.base import topk_block
from toy import ToyRecommender, toy_data


@pytest.fixture(scope="module")
def result():
    jobs, cands = toy_data()
    return audit(jobs, cands, recommender=ToyRecommender(), k=(10, 50), n_bootstrap=200, seed=1,
                 created_at="2026-01-01T00:00:00+00:00")


def test_tables_and_consistency(result):
    imp = result.impact
    assert set(imp["attribute"]) == {"sex", "race_ethnicity", "sex_race"}
    sex10 = imp[(imp.k == 10) & (imp.attribute == "sex")].set_index("group")
    # every job selects exactly 10 known candidates -> 20 jobs x 10
    assert sex10.loc[["female", "male"], "selected"].sum() == 200
    rated = sex10[~sex10.excluded]
    assert rated["impact_ratio"].max() == pytest.approx(1.0)
    # ninja jobs push men up: women's impact ratio well below 4/5
    assert sex10.loc["female", "impact_ratio"] < 0.8 and sex10.loc["female", "four_fifths_flag"]
    par = result.parity.set_index(["k", "attribute"])
    assert par.loc[(10, "sex"), "min_impact_ratio"] == pytest.approx(sex10.loc["female", "impact_ratio"])
    assert par.loc[(10, "sex"), "dp_ratio"] == pytest.approx(sex10.loc["female", "impact_ratio"])
    lo, hi = par.loc[(10, "sex"), ["dp_difference_ci_low", "dp_difference_ci_high"]]
    assert lo <= par.loc[(10, "sex"), "dp_difference"] <= hi
    assert not result.verdict()["four_fifths_pass"]


def test_drivers_find_the_planted_word(result):
    d = result.drivers
    top = d[d.job_id == "j1"].iloc[0]
    assert top["word"] == "ninja" and top["delta"] > 0.1
    assert (d[d.word == "nurturing"]["delta"].abs() < 1e-12).all()
    dec = result.decomposition
    assert (dec["gap"] - dec["gap_blind"] - dec["identity_part"]).abs().max() < 1e-12


def test_json_round_trip_and_determinism(tmp_path, result):
    p = tmp_path / "a.json"
    result.to_json(p)
    back = AuditResult.from_json(p)
    pd.testing.assert_frame_equal(back.impact, result.impact.reset_index(drop=True), check_dtype=False)
    jobs, cands = toy_data()
    again = audit(jobs, cands, recommender=ToyRecommender(), k=(10, 50), n_bootstrap=200, seed=1,
                  created_at="2026-01-01T00:00:00+00:00")
    assert again.to_json() == result.to_json()
    assert back.provenance["audit_id"] == result.provenance["audit_id"]


def test_row_order_does_not_change_aggregates(result):
    jobs, cands = toy_data()
    shuffled = cands.sample(frac=1.0, random_state=3).reset_index(drop=True)

    class ById(ToyRecommender):  # same scores per candidate id whatever the row order
        def fit(self, texts):
            super().fit(texts)
            self.rank_of = np.array([int(t.split()[-1]) for t in texts]) / (len(texts) - 1)
            return self

        def score(self, job_texts):
            base = np.tile(self.rank_of, (len(job_texts), 1))
            bonus = np.array([0.5 if "ninja" in t else 0.0 for t in job_texts])[:, None] * (~self.fem)[None, :]
            return base + bonus

    a = audit(jobs, cands, recommender=ById(), k=10, n_bootstrap=0, drivers=False, decomposition=False)
    b = audit(jobs, shuffled, recommender=ById(), k=10, n_bootstrap=0, drivers=False, decomposition=False)
    cols = ["k", "attribute", "group", "selected", "selection_rate", "impact_ratio"]
    pd.testing.assert_frame_equal(a.impact[cols], b.impact[cols])


def test_corrupt_audit_json(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="not valid audit JSON"):
        AuditResult.from_json(p)
    p.write_text(json.dumps({"schema_version": 1}))
    with pytest.raises(DataError, match="not a valid fairaudit audit result: config: is required"):
        AuditResult.from_json(p)
    p.write_text(json.dumps({"schema_version": 7}))
    with pytest.raises(DataError, match="schema_version 7"):
        AuditResult.from_json(p)


def test_bad_inputs_give_clear_errors():
    jobs, cands = toy_data()

    def nan_rec(job_texts, cand_texts):
        s = np.ones((len(job_texts), len(cand_texts)))
        s[0, 3] = np.nan
        return s

    class Wrap(ToyRecommender):
        def score(self, job_texts):
            return nan_rec(job_texts, range(self.n))

    with pytest.raises(RecommenderError, match="NaN or infinite"):
        audit(jobs, cands, recommender=Wrap(), k=10, n_bootstrap=0)
    with pytest.raises(ConfigError, match="larger than the candidate pool"):
        audit(jobs, cands, recommender=ToyRecommender(), k=500)
    with pytest.raises(DataError, match="nothing to audit: only one 'sex' group"):
        audit(jobs, cands.assign(sex="male"), recommender=ToyRecommender(), k=10, attributes=["sex"])
    with pytest.raises(ConfigError, match="unknown group"):
        audit(jobs, cands, recommender=ToyRecommender(), k=10, target={"sex": {"female": 0.5, "x": 0.5}})
    no_asian = cands[cands.race_ethnicity != "asian"]
    with pytest.raises(ConfigError, match=r"group\(s\) \['asian'\] with zero candidates"):
        audit(jobs, no_asian, recommender=ToyRecommender(), k=10, attributes=["race_ethnicity"],
              target={"race_ethnicity": {"white": 0.4, "black": 0.2, "hispanic": 0.2, "asian": 0.2}})
    with pytest.raises(DataError, match="no 'sex' column"):
        audit(jobs, cands.drop(columns="sex"), recommender=ToyRecommender(), k=10, attributes=["sex"])
    with pytest.raises(DataError, match="--infer-attributes"):
        audit(jobs, cands.drop(columns=["sex", "race_ethnicity"]), recommender=ToyRecommender(), k=10)


def test_group_at_exactly_four_fifths_passes_everywhere():
    """Issue 11, item 5: 2 of 3 women vs 5 of 6 men selected is IR = 4/5, which is not adverse impact."""
    from fairaudit.review.thresholds import evaluate_thresholds, metric_rows
    from fairaudit.review.config import Thresholds

    jobs = pd.DataFrame({"job_id": ["j1"], "title": ["t"], "text": ["any"]})
    sex = ["female"] * 3 + ["male"] * 6
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(9)], "text": [f"c{i}" for i in range(9)],
                          "sex": sex})
    top7 = [0, 1, 3, 4, 5, 6, 7]  # 2 women, 5 men

    def scores(job_texts, cand_texts):
        s = np.zeros((len(job_texts), len(cand_texts)))
        s[:, top7] = 1.0
        return s

    res = audit(jobs, cands, recommender=scores, k=7, n_bootstrap=0, drivers=False, decomposition=False)
    imp = res.impact.set_index("group")
    assert imp.loc["female", "impact_ratio"] == pytest.approx(0.8)
    assert not imp.loc["female", "four_fifths_flag"]
    assert bool(res.parity["four_fifths_pass"].iloc[0]) and res.verdict()["four_fifths_pass"]
    assert evaluate_thresholds(metric_rows(res), Thresholds(min_impact_ratio=0.8)) == []


@pytest.mark.parametrize("min_share, rated", [(0.02, False), (0.005, True), (0.0, True)])
def test_min_share_decides_which_small_categories_are_rated(min_share, rated):
    """Issue 11, item 15: the under-2 % exclusion can be set; parity uses rated groups only."""
    jobs, cands = toy_data()
    cands = cands.copy()
    cands.loc[:1, "race_ethnicity"] = "aian"  # 2 of 200 candidates: 1 % of the known pool
    res = audit(jobs, cands, recommender=ToyRecommender(), k=10, n_bootstrap=0, drivers=False,
                decomposition=False, attributes=["race_ethnicity"], min_share=min_share)
    assert res.config.min_share == min_share
    row = res.impact.set_index("group").loc["aian"]
    assert bool(row["excluded"]) is not rated
    assert ("under" in row["exclusion_reason"]) is not rated
    assert np.isnan(row["impact_ratio"]) is not rated
    par = res.parity.iloc[0]
    rated_rates = res.impact[~res.impact["excluded"]]["selection_rate"]
    assert par["dp_difference"] == pytest.approx(rated_rates.max() - rated_rates.min())


def test_min_share_out_of_range_is_a_config_error():
    jobs, cands = toy_data()
    with pytest.raises(ConfigError, match="min_share must be in"):
        audit(jobs, cands, recommender=ToyRecommender(), k=10, min_share=1.5)


@pytest.mark.parametrize("mutate, skipped, kept", [
    (lambda c: c.assign(sex="female"), "sex", ["race_ethnicity"]),              # all-female pool
    (lambda c: c.assign(race_ethnicity=""), "race_ethnicity", ["sex"]),         # all blank
    (lambda c: c.assign(race_ethnicity="declined"), "race_ethnicity", ["sex"]),
])
def test_unusable_attribute_is_skipped_with_a_warning(mutate, skipped, kept):
    """Issue 11, item 12: one unusable attribute no longer aborts (or silently leaves) the audit."""
    from fairaudit.errors import FairauditWarning
    from fairaudit.data.io import validate_candidates

    jobs, cands = toy_data()
    cands = validate_candidates(mutate(cands))
    with pytest.warns(FairauditWarning, match=f"attribute '{skipped}' skipped") as record:
        res = audit(jobs, cands, recommender=ToyRecommender(), k=10, n_bootstrap=0, drivers=False,
                    decomposition=False)
    assert list(res.config.attributes) == kept
    assert set(res.impact["attribute"]) == set(kept)
    notes = res.summary["warnings"]
    assert any(f"'{skipped}' skipped" in n for n in notes) and any("'sex_race' skipped" in n for n in notes)
    assert len(record) == len(notes)


def test_jobs_with_all_scores_tied_are_marked_and_warned():
    """Issue 11, item 9: a top-k that is pure row order is flagged, not reported as a real gap."""
    from fairaudit.errors import FairauditWarning
    from fairaudit.engine.measure import order_decided

    class NoWordsNoScore(ToyRecommender):  # like BM25: a text without any word scores every candidate 0
        def score(self, job_texts):
            s = super().score(job_texts)
            s[[not any(ch.isalpha() for ch in t) for t in job_texts]] = 0.0
            return s

    jobs, cands = toy_data()
    jobs.loc[3, "text"] = "\U0001F680\U0001F525 \U0001F4AF"  # emoji only
    with pytest.warns(FairauditWarning, match=r"1 of 20 job\(s\) have a top-10 decided entirely by row order.*j3"):
        res = audit(jobs, cands, recommender=NoWordsNoScore(), k=10, n_bootstrap=0, drivers=False,
                    decomposition=False)
    pj = res.per_job[(res.per_job["k"] == 10) & (res.per_job["attribute"] == "sex")].set_index("job_id")
    assert pj.loc["j3", "order_decided"] == 10
    assert (pj.drop(index="j3")["order_decided"] < 10).all()
    assert any("row order" in w for w in res.summary["warnings"])
    # by hand: ties across the cut-off, inside the top-k only, and none
    s = np.array([[3, 2, 2, 2, 1], [3, 3, 2, 1, 0], [1, 1, 1, 1, 1]], dtype=float)
    assert order_decided(s, 2).tolist() == [1, 0, 2]
    assert order_decided(s, 3).tolist() == [2, 0, 3]
    assert order_decided(s[:, :3], 3).tolist() == [0, 0, 0]  # the whole pool selected


@pytest.mark.parametrize("scoring_median, female, male", [
    ("job", 0.0, 1.0),     # each job's median: only the men score above it, in both jobs
    ("sample", 0.5, 0.5),  # the median of all 8 scores (6.5): everyone in job A, nobody in job B
])
def test_scoring_rate_against_job_or_sample_median(scoring_median, female, male):
    """Issue 11, item 14: the LL144 scoring rate's median is a documented choice, both tested by hand."""
    jobs = pd.DataFrame({"job_id": ["A", "B"], "title": ["a", "b"], "text": ["job a", "job b"]})
    cands = pd.DataFrame({"candidate_id": ["f0", "f1", "m0", "m1"], "text": ["w", "x", "y", "z"],
                          "sex": ["female", "female", "male", "male"]})

    def scores(job_texts, cand_texts):
        return np.array([[10.0, 11, 12, 13] if t == "job a" else [0.0, 1, 2, 3] for t in job_texts])

    res = audit(jobs, cands, recommender=scores, k=1, n_bootstrap=0, drivers=False, decomposition=False,
                scoring_median=scoring_median)
    assert res.config.scoring_median == scoring_median
    imp = res.impact.set_index("group")
    assert imp.loc["female", "scoring_rate"] == pytest.approx(female)
    assert imp.loc["male", "scoring_rate"] == pytest.approx(male)
    from fairaudit.report import render_report

    html = render_report(res)
    assert f"scoring median: {scoring_median}" in html
    assert ("median of all scores in the sample" in html) == (scoring_median == "sample")


def test_scoring_median_errors(monkeypatch):
    from fairaudit.recommenders import base

    jobs, cands = toy_data()
    with pytest.raises(ConfigError, match="scoring_median must be one of"):
        audit(jobs, cands, recommender=ToyRecommender(), k=10, scoring_median="pool")
    with pytest.raises(ConfigError, match="local backend only"):
        audit(jobs, cands, recommender=ToyRecommender(), k=10, scoring_median="sample", backend="ray")
    monkeypatch.setattr(base, "SAMPLE_MEDIAN_MAX_PAIRS", 100)
    with pytest.raises(ConfigError, match="keeps all 20 x 200 scores in memory"):
        audit(jobs, cands, recommender=ToyRecommender(), k=10, scoring_median="sample", n_bootstrap=0)


def test_topk_block_matches_full_sort():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(7, 40))
    idx, sc = topk_block(s, 5)
    full = np.argsort(-s, axis=1, kind="stable")[:, :5]
    assert (idx == full).all() and np.allclose(sc, np.take_along_axis(s, full, 1))
