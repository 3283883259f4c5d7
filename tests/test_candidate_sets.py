"""Per-job candidate sets (issue 28): a live audit where each job ranks its own candidates, and a log audit.

The acceptance test: a log written from a live audit of candidate sets, audited
as a log, gives the live audit's tables exactly. The by-hand tests derive every
number in their comments from the pairs, not from the code under test.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.errors import ConfigError, DataError
from toy import ToyRecommender, toy_data

TABLES = ("impact", "parity", "diversity", "ranking", "per_job")


def _sets(jobs, cands, size=40, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([(j, c) for j in jobs["job_id"] for c in rng.choice(cands["candidate_id"], size, replace=False)],
                        columns=["job_id", "candidate_id"])


@pytest.fixture(scope="module")
def live():
    jobs, cands = toy_data(20, 200)
    sets = _sets(jobs, cands)
    result = fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=(5, 10), candidate_sets=sets,
                             n_bootstrap=50, n_permutations=99, seed=3)
    return jobs, cands, sets, result


def test_log_audit_equals_live_audit(live, tmp_path):
    jobs, cands, _, result = live
    log = result.rankings.to_frame(cands["candidate_id"])
    path = tmp_path / "recs.parquet"
    log.to_parquet(path)
    people = cands[["candidate_id", "sex", "race_ethnicity"]]  # a log audit needs no profile texts
    from_log = fairaudit.audit_log(path, people, jobs, k=(5, 10), n_bootstrap=50, n_permutations=99, seed=3)
    for name in TABLES:
        pd.testing.assert_frame_equal(result.tables[name], from_log.tables[name], obj=name)
    assert from_log.summary["verdict"]["category"] == result.summary["verdict"]["category"]


def test_a_job_ranks_only_its_own_candidates(live):
    _, cands, sets, result = live
    log = result.rankings.to_frame(cands["candidate_id"])
    top = log[log["rank"] <= 10]
    allowed = set(map(tuple, sets.to_numpy()))
    assert set(map(tuple, top[["job_id", "candidate_id"]].to_numpy())) <= allowed
    # the toy recommender scores by candidate row ("ninja" jobs, the odd ones, add a bonus for men): each even
    # job's best is the highest row *of its own set*
    best = log[(log["rank"] == 1) & log["job_id"].str[1:].astype(int).mod(2).eq(0)].set_index("job_id")["candidate_id"]
    own_max = sets.assign(row=sets["candidate_id"].str[1:].astype(int)).groupby("job_id")["row"].max()
    assert (best.str[1:].astype(int) == own_max.loc[best.index]).all()


def test_rates_count_the_pairs_considered(live):
    _, cands, sets, result = live
    imp = result.tables["impact"].query("k == 10 and attribute == 'sex'").set_index("group")
    pairs = sets.merge(cands, on="candidate_id")["sex"].value_counts()
    assert imp.loc["female", "n_assessed"] == pairs["female"] and imp.loc["male", "n_assessed"] == pairs["male"]
    assert imp.loc["female", "selection_rate"] == pytest.approx(imp.loc["female", "selected"] / pairs["female"])
    people = sets.merge(cands, on="candidate_id").drop_duplicates("candidate_id")["sex"].value_counts()
    assert imp.loc["female", "n_pool"] == people["female"]  # distinct individuals assessed


def test_everyone_in_every_set_gives_the_whole_pool_rates():
    jobs, cands = toy_data(6, 60)
    every = pd.DataFrame([(j, c) for j in jobs["job_id"] for c in cands["candidate_id"]],
                         columns=["job_id", "candidate_id"])
    opts = dict(recommender=ToyRecommender(), k=5, n_bootstrap=0, n_permutations=0, drivers="none",
                decomposition="none")
    whole = fairaudit.audit(jobs, cands, **opts)
    sets = fairaudit.audit(jobs, cands, candidate_sets=every, target="pool", **opts)
    cols = ["k", "attribute", "group", "n_pool", "selected", "selection_rate", "impact_ratio", "scoring_rate",
            "four_fifths_flag", "n_assessed"]
    pd.testing.assert_frame_equal(whole.tables["impact"][cols], sets.tables["impact"][cols])
    for col in ("match_rate", "mean_gap", "ndkl"):
        assert whole.tables["diversity"][col].to_numpy() == pytest.approx(sets.tables["diversity"][col].to_numpy())


def test_by_hand_two_jobs():
    # job A considers c0 (f), c1 (f), c2 (m), c3 (m) and ranks them in that order; job B considers c2 (m), c4 (f)
    # with c4 first. k = 1: A selects c0 (f), B selects c4 (f).
    # female pairs: A c0, A c1, B c4 = 3, selected 2 -> 2/3; male pairs: A c2, A c3, B c2 = 3, selected 0 -> 0.
    log = pd.DataFrame({"job_id": ["A"] * 4 + ["B"] * 2, "candidate_id": ["c0", "c1", "c2", "c3", "c2", "c4"],
                        "rank": [1, 2, 3, 4, 2, 1]})
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(5)],
                           "sex": ["female", "female", "male", "male", "female"]})
    r = fairaudit.audit_log(log, people, k=1, n_bootstrap=0, n_permutations=0)
    imp = r.tables["impact"].set_index("group")
    assert imp.loc["female", "selection_rate"] == pytest.approx(2 / 3)
    assert imp.loc["male", "selection_rate"] == 0.0 and imp.loc["male", "four_fifths_flag"]
    assert imp.loc["male", "n_pool"] == 2 and imp.loc["male", "n_assessed"] == 3
    # own target: A's mix is 1/2 female, B's 1/2; both top-1s are all female -> gap 1/2 each
    assert r.tables["per_job"]["gap"].tolist() == pytest.approx([0.5, 0.5])
    assert r.tables["diversity"]["target"].iloc[0] == "own"
    assert {x["analysis"] for x in r.summary["not_possible"]} >= {"word drivers", "identity-blind decomposition"}
    assert any(w.startswith("Not possible from a log: word drivers") for w in r.summary["warnings"])


def test_scores_order_a_log_without_ranks_and_set_the_scoring_rate():
    # scores: A c0 .9, c1 .1, c2 .5, c3 .3 (median .4: c0 and c2 above); B c2 .2, c4 .8 (median .5: c4 above)
    log = pd.DataFrame({"job_id": ["A"] * 4 + ["B"] * 2, "candidate_id": ["c0", "c1", "c2", "c3", "c2", "c4"],
                        "score": [.9, .1, .5, .3, .2, .8]})
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(5)],
                           "sex": ["female", "female", "male", "male", "female"]})
    imp = fairaudit.audit_log(log, people, k=1, n_bootstrap=0, n_permutations=0).tables["impact"].set_index("group")
    # top-1: A c0 (f), B c4 (f); above median: f c0, c4 = 2 of 3 pairs, m c2 (in A) = 1 of 3
    assert imp.loc["female", "selected"] == 2
    assert imp.loc["female", "scoring_rate"] == pytest.approx(2 / 3)
    assert imp.loc["male", "scoring_rate"] == pytest.approx(1 / 3)
    assert imp.loc["male", "scoring_impact_ratio"] == pytest.approx(0.5)


def test_selected_flags_are_audited_at_k0():
    log = pd.DataFrame({"job_id": ["A"] * 4 + ["B"] * 2, "candidate_id": ["c0", "c1", "c2", "c3", "c2", "c4"],
                        "selected": ["yes", "no", "yes", "no", "no", "yes"]})
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(5)],
                           "sex": ["female", "female", "male", "male", "female"]})
    r = fairaudit.audit_log(log, people, k=0, n_bootstrap=0, n_permutations=0)
    imp = r.tables["impact"].set_index("group")
    # female: c0 (A, yes), c1 (A, no), c4 (B, yes) -> 2/3; male: c2 (A, yes), c3 (A, no), c2 (B, no) -> 1/3
    assert imp.loc["female", "selection_rate"] == pytest.approx(2 / 3)
    assert imp.loc["male", "impact_ratio"] == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="no top-k"):
        fairaudit.audit_log(log, people, k=1, n_bootstrap=0, n_permutations=0)
    with pytest.raises(ConfigError, match="at least 1"):
        fairaudit.audit(*toy_data(4, 20), recommender=ToyRecommender(), k=0)


@pytest.mark.parametrize("change,message", [
    (lambda log: log.assign(candidate_id=log["candidate_id"].replace("c1", "nobody")), "not in the candidates"),
    (lambda log: pd.concat([log, log.head(1)]), "more than once"),
    (lambda log: log.drop(columns="rank"), "none of the columns"),
    (lambda log: log.assign(rank=["1", "x", "3"]), "not a finite number"),
    (lambda log: log.drop(columns="job_id"), "missing column"),
])
def test_bad_logs_get_one_clear_error(change, message):
    log = pd.DataFrame({"job_id": ["A", "A", "B"], "candidate_id": ["c0", "c1", "c0"], "rank": [1, 2, 1]})
    people = pd.DataFrame({"candidate_id": ["c0", "c1"], "sex": ["female", "male"]})
    with pytest.raises(DataError, match=message):
        fairaudit.audit_log(change(log), people, k=1, n_permutations=0)


def test_own_target_needs_candidate_sets():
    jobs, cands = toy_data(4, 20)
    with pytest.raises(ConfigError, match="needs candidate_sets"):
        fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=2, target="own")


def test_cli_log_audit(tmp_path, live):
    from fairaudit.cli import main

    jobs, cands, _, result = live
    log = tmp_path / "recs.parquet"
    result.rankings.to_frame(cands["candidate_id"]).to_parquet(log)
    people = tmp_path / "people.csv"
    cands[["candidate_id", "sex", "race_ethnicity"]].to_csv(people, index=False)
    out = tmp_path / "audit.json"
    assert main(["audit", "--log", str(log), "--candidates", str(people), "--k", "5", "10", "--bootstrap", "50",
                 "--permutations", "99", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    back = fairaudit.AuditResult.from_json(out)
    pd.testing.assert_frame_equal(back.tables["impact"][["group", "selected", "n_assessed"]],
                                  result.tables["impact"][["group", "selected", "n_assessed"]])
    assert main(["audit", "--log", str(log), "--out", str(tmp_path / "x.json"), "--quiet"]) != 0  # no --candidates


def test_ll144_summary_of_a_log_says_historical_with_dates_and_individuals(live):
    from fairaudit.report.summary import build_summary

    _, cands, sets, result = live
    log = result.rankings.to_frame(cands["candidate_id"])
    log["timestamp"] = np.where(log["job_id"] == "j0", "2025-01-02", "2025-03-31")
    r = fairaudit.audit_log(log, cands[["candidate_id", "sex", "race_ethnicity"]], k=5, n_bootstrap=0,
                            n_permutations=99)
    assert r.provenance["period"] == "2025-01-02 to 2025-03-31"
    s = build_summary(r, distribution_date="2100-01-01", data_explanation="Our vendor's log.")
    n_people = sets["candidate_id"].nunique()
    assert s.n_candidates == n_people
    assert "Historical data" in s.data_explanation and "from 2025-01-02 to 2025-03-31" in s.data_explanation
    assert f"{n_people:,} distinct individuals" in s.data_explanation


def test_recurring_candidates_get_the_person_level_chance_level(live):
    # 20 jobs x 40 of 200 candidates: each candidate is in about 4 jobs' sets, so a person's label must move in all
    # of them at once (fairaudit.engine.person_null); the result says which null it used
    _, _, _, result = live
    chance = result.summary["chance_level"]
    n_people = result.provenance["n_individuals"]  # the people some job considered
    assert chance["null"] == "person-level permutation" and chance["people"] == n_people
    assert sum(chance["people_by_block"].values()) == n_people
    assert not any("recur" in w for w in result.summary["warnings"])  # no caveat left to warn about
    # one job per candidate: the per-job hypergeometric draws are the same null, exact and faster
    log = pd.DataFrame({"job_id": ["A", "A", "B", "B"], "candidate_id": ["c0", "c1", "c2", "c3"], "rank": [1, 2, 1, 2]})
    people = pd.DataFrame({"candidate_id": ["c0", "c1", "c2", "c3"], "sex": ["female", "male", "female", "male"]})
    r = fairaudit.audit_log(log, people, k=1, n_bootstrap=0, n_permutations=19)
    assert r.summary["chance_level"]["null"] == "per-job hypergeometric"
    assert fairaudit.audit_log(log, people, k=1, n_bootstrap=0, n_permutations=0).summary["chance_level"]["null"] is None


def test_the_log_of_an_audits_recommendations_reproduces_its_ll144_tables(tmp_path):
    from fairaudit.engine.log_audit import LL144_COLUMNS, ll144_differences, recommendation_log

    jobs, cands = toy_data(12, 120, seed=2)
    cands.loc[::7, "race_ethnicity"] = "unknown"
    rec = ToyRecommender()
    opts = dict(k=(5, 10), n_bootstrap=0, n_permutations=39, seed=1)
    live = fairaudit.audit(jobs, cands, recommender=rec, drivers="none", decomposition="none", **opts)
    log = recommendation_log(rec, jobs["text"].tolist(), jobs["job_id"].tolist(), cands["candidate_id"].tolist())
    assert len(log) == 12 * 120 and list(log.columns) == ["job_id", "candidate_id", "rank", "score"]
    path = tmp_path / "recs.parquet"
    log.to_parquet(path, index=False)
    people = cands[["candidate_id", "sex", "race_ethnicity"]]
    from_log = fairaudit.audit_log(path, people, jobs, target="pool", **opts)
    assert ll144_differences(live, from_log) == []
    for table, cols in LL144_COLUMNS.items():  # the comparison itself, independently
        pd.testing.assert_frame_equal(live.tables[table][list(cols)], from_log.tables[table][list(cols)])
    # a log that misses one job's last candidate is a different audit, and the comparison says where
    fewer = fairaudit.audit_log(log.drop(index=log.index[(log["job_id"] == "j0") & (log["rank"] == 120)]), people,
                                jobs, target="pool", **opts)
    assert "impact.n_assessed" in ll144_differences(live, fewer)


def test_a_recommendation_log_of_candidate_sets_is_the_live_audits_ranking(live):
    from fairaudit.engine.log_audit import recommendation_log

    jobs, cands, sets, result = live
    rec = ToyRecommender()
    rec.fit(cands["text"].tolist())
    log = recommendation_log(rec, jobs["text"].tolist(), jobs["job_id"].tolist(), cands["candidate_id"].tolist(),
                             candidate_sets=sets)
    pd.testing.assert_frame_equal(log, result.rankings.to_frame(cands["candidate_id"]))
