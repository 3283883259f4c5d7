"""Drivers where they matter, occlusion drivers as an audit option, the sampled identity-blind decomposition."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from fairaudit import AuditResult, audit
from fairaudit.engine.drivers import flagged_for_drivers, word_drivers
from fairaudit.errors import ConfigError
from fairaudit.engine.identity_blind import (bootstrap_identity, resample_weights, sample_k, stratified_sample,
                                             topk_counts)
from fairaudit.metrics.diversity import random_topk_gap
from fairaudit.engine.result import AuditConfig
from toy import ToyRecommender, toy_data

KW = dict(k=(10, 50), n_bootstrap=100, seed=3, created_at="2026-01-01T00:00:00Z")


class IdentityCue:
    """Scores a profile by its row (a fixed 'skill' order) plus a bonus for 'he' when the job says 'ninja'.

    Masking turns he/him into they/them, so the bonus (an identity cue) disappears in the blind ranking.
    """

    name = "identity-cue"

    def fit(self, texts):
        self.he = np.array([bool(re.search(r"\bhe\b", t.lower())) for t in texts])
        self.skill = np.array([int(re.search(r"#(\d+)", t).group(1)) % 97 / 97 for t in texts])
        return self

    def score(self, job_texts):
        bonus = np.array([0.15 if "ninja" in t else 0.02 for t in job_texts])[:, None] * self.he[None, :]
        shift = np.array([len(t) % 7 / 50 for t in job_texts])[:, None]
        return (self.skill[None, :] + shift * np.cos(np.arange(len(self.he)))[None, :] + bonus).astype(np.float64)

    def describe(self):
        return {"name": self.name}


def cue_data(n_jobs: int = 30, n_cand: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n_cand)
    race = rng.choice(["white", "black", "asian", "hispanic"], n_cand)
    cands = pd.DataFrame({
        "candidate_id": [f"c{i}" for i in range(n_cand)],
        "name": [f"Alex{i} Doe{i}" for i in range(n_cand)],
        "text": [f"Alex{i} Doe{i} (#{(i * 7919) % 10007}) is a nurse. {'He' if s == 'male' else 'She'} "
                 f"has worked with {'him' if s == 'male' else 'her'} team." for i, s in enumerate(sex)],
        "sex": sex, "race_ethnicity": race})
    jobs = pd.DataFrame({"job_id": [f"j{i}" for i in range(n_jobs)], "title": [f"Job {i}" for i in range(n_jobs)],
                         "text": [("competitive ninja role " if i % 3 else "supportive role ") + "x" * i
                                  for i in range(n_jobs)]})
    return jobs, cands


# -- drivers where they matter -------------------------------------------------------------------------
def test_flagged_threshold_is_noise_floor_plus_tolerance():
    floor, tol = 0.05, 0.1
    gaps = np.array([0.2, 0.15, 0.15 + 1e-15, 0.149, np.nan, 0.0])
    assert flagged_for_drivers(gaps, floor, tol).tolist() == [True, False, False, False, False, False]


def test_flagged_drivers_equal_the_all_run_on_the_flagged_jobs():
    jobs, cands = toy_data(n_jobs=20, n_cand=300)
    flagged = audit(jobs, cands, recommender=ToyRecommender(), drivers="flagged", decomposition="none", **KW)
    every = audit(jobs, cands, recommender=ToyRecommender(), drivers="all", decomposition="none", **KW)
    s = flagged.summary["drivers"]
    floor = random_topk_gap(np.bincount(pd.factorize(cands["sex"], sort=True)[0]), np.array([
        (cands["sex"] == "female").mean(), (cands["sex"] == "male").mean()]), 50)
    assert s["scope"] == "flagged" and s["noise_floor"] == pytest.approx(floor)
    pj = every.per_job[(every.per_job.k == 50) & (every.per_job.attribute == "sex")]
    expected_ids = set(pj.loc[pj["gap"] > floor + 0.1 + 1e-9, "job_id"])
    assert 0 < len(expected_ids) < len(pj) and s["n_analysed"] == len(expected_ids) == s["n_flagged"]
    assert set(flagged.drivers["job_id"]) == expected_ids
    sub = every.drivers[every.drivers["job_id"].isin(expected_ids)].reset_index(drop=True)
    pd.testing.assert_frame_equal(flagged.drivers.reset_index(drop=True), sub)
    # the headline tables do not depend on the driver scope
    for name in ("impact", "parity", "diversity", "ranking", "per_job"):
        pd.testing.assert_frame_equal(flagged.tables[name], every.tables[name])


def test_no_drivers_and_legacy_booleans():
    jobs, cands = toy_data(n_jobs=6, n_cand=200)
    res = audit(jobs, cands, recommender=ToyRecommender(), drivers=False, decomposition=False, **KW)
    assert res.config.drivers == "none" and res.config.decomposition == "none"
    assert res.drivers.empty and res.occlusion.empty and res.decomposition.empty and "drivers" not in res.summary
    legacy = audit(jobs, cands, recommender=ToyRecommender(), drivers=True, decomposition=True, **KW)
    assert legacy.config.drivers == "all" and legacy.config.decomposition == "full"
    with pytest.raises(ConfigError, match="drivers must be one of"):
        audit(jobs, cands, recommender=ToyRecommender(), drivers="some", **KW)
    with pytest.raises(ConfigError, match="decomposition_sample"):
        audit(jobs, cands, recommender=ToyRecommender(), decomposition_sample=1, **KW)
    # audit files of earlier versions stored booleans
    assert AuditConfig.from_dict({"drivers": True, "decomposition": False}).drivers == "all"
    assert AuditConfig.from_dict({"drivers": True, "decomposition": False}).decomposition == "none"


def test_counterfactual_texts_are_ranked_once_across_jobs():
    jobs = pd.DataFrame({"job_id": ["a", "b", "c"], "title": ["A", "B", "C"],
                         "text": ["A competitive and dominant lead.", "A competitive and dominant lead.",
                                  "A supportive role."]})
    seen: list[list[str]] = []

    def gap_fn(texts):
        seen.append(list(texts))
        return np.arange(len(texts), dtype=float) / 10

    d = word_drivers(gap_fn, jobs, base_gaps=np.array([0.5, 0.5, 0.2]))
    (texts,) = seen
    assert len(d) == 7 and len(texts) == len(set(texts)) == 4  # 3 coded words twice + 1, each text ranked once
    a, b = d[d.job_id == "a"], d[d.job_id == "b"]
    assert a[["word", "gap_without"]].values.tolist() == b[["word", "gap_without"]].values.tolist()


# -- occlusion drivers as an audit option -------------------------------------------------------------
class Wizard(ToyRecommender):
    """'wizard' (on no word list) in a job favours men."""

    def score(self, job_texts):
        return super().score([t.replace("wizard", "ninja") if "wizard" in t else t.replace("ninja", "")
                              for t in job_texts])


def test_occlusion_drivers_option_table_schema_and_report(tmp_path):
    jobs, cands = toy_data(n_jobs=8, n_cand=200)
    jobs["text"] = jobs["text"].str.replace("ninja", "wizard. Apply now", regex=False)
    res = audit(jobs, cands, recommender=Wizard(), driver_method="occlusion", decomposition="none", **KW)
    occ = res.occlusion
    assert res.drivers.empty and len(occ) and res.summary["drivers"]["method"] == "occlusion"
    wizard = occ[(occ.kind == "word") & (occ.word == "wizard")]
    assert len(wizard) and (wizard["delta"] > 0.1).all() and not wizard["coded"].any()  # on no word list
    comp = occ[(occ.kind == "word") & (occ.word == "competitive")]
    assert comp["coded"].all() and (comp["category"] == "masculine").all()
    assert set(occ["kind"]) == {"word", "sentence"}
    top = res.summary["top_drivers"][0]
    assert top["word"] == "wizard" and top["coded"] is False
    p = tmp_path / "a.json"
    res.to_json(p)
    back = AuditResult.from_json(p)
    assert len(back.occlusion) == len(occ) and back.config.driver_method == "occlusion"
    bad = json.loads(p.read_text())
    bad["tables"]["occlusion"][0]["kind"] = "paragraph"
    p.write_text(json.dumps(bad))
    with pytest.raises(Exception, match="occlusion"):
        AuditResult.from_json(p)
    from fairaudit.report import render_report

    html = render_report(back)
    assert "Sentences and words that drive the gap (occlusion)" in html and "not coded" in html


# -- the sampled identity-blind decomposition ---------------------------------------------------------
def test_stratified_sample_is_proportional_deterministic_and_distinct():
    strata = np.array([0] * 600 + [1] * 300 + [2] * 100)
    s = stratified_sample(strata, 101, seed=5)
    assert len(s) == len(set(s)) == 101 and (np.diff(s) > 0).all()
    assert np.bincount(strata[s]).tolist() == [61, 30, 10]  # 60.6, 30.3, 10.1 -> the largest remainder gets 1
    assert (stratified_sample(strata, 101, seed=5) == s).all() and not (stratified_sample(strata, 101, 6) == s).all()
    assert (stratified_sample(strata, 5000, 0) == np.arange(1000)).all()
    assert sample_k(50, 2000, 10_000) == 10 and sample_k(1, 10, 10_000) == 1 and sample_k(50, 40, 50) == 40


def test_weighted_topk_counts_equal_ranking_the_duplicated_pool():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(7, 40))
    codes = rng.integers(0, 3, 40)
    order = np.argsort(-scores, axis=1, kind="stable")
    w = resample_weights(codes, 5, rng)
    assert (w.sum(axis=1) == 40).all()
    for h in range(3):
        assert (w[:, codes == h].sum(axis=1) == (codes == h).sum()).all()
    got = topk_counts(order, codes, 3, 6, w)
    for r in range(5):
        for j in range(7):
            pool = np.repeat(order[j], w[r, order[j]])  # each candidate as often as it was drawn, best first
            assert np.bincount(codes[pool[:6]], minlength=3).tolist() == got[r, j].tolist()


def test_sampled_identity_part_lies_within_its_interval_of_the_exact_one():
    jobs, cands = cue_data()
    full = audit(jobs, cands, recommender=IdentityCue(), decomposition="full", drivers="none", **KW)
    exact = full.summary["decomposition"]["mean_identity_part"]
    assert exact > 0.05 and full.summary["decomposition"]["method"] == "full"
    for seed in range(3):
        kw = {**KW, "seed": seed}
        s = audit(jobs, cands, recommender=IdentityCue(), decomposition="sample", decomposition_sample=400,
                  drivers="none", **kw).summary["decomposition"]
        assert s["method"] == "sample" and s["sample_size"] == 400 and s["sample_k"] == round(50 * 400 / 1200)
        assert s["identity_part_ci_low"] <= exact <= s["identity_part_ci_high"], (seed, s, exact)
        assert s["identity_part_ci_low"] <= s["mean_identity_part"] <= s["identity_part_ci_high"]


def test_sampled_decomposition_is_deterministic_and_labelled(tmp_path):
    jobs, cands = cue_data(n_jobs=12, n_cand=600)
    a = audit(jobs, cands, recommender=IdentityCue(), decomposition_sample=200, drivers="none", **KW)
    b = audit(jobs, cands, recommender=IdentityCue(), decomposition_sample=200, drivers="none", **KW)
    assert a.to_json() == b.to_json()
    dec = a.decomposition
    assert set(dec["method"]) == {"sample"} and set(dec["sample_k"]) == {round(50 * 200 / 600)}
    AuditResult.from_dict(json.loads(a.to_json()))  # valid against the schema
    from fairaudit.report import render_report

    html = render_report(a)
    assert "This is an estimate from a" in html and "200 of the 600 candidates" in html
    assert "Gap, identity-blind" not in html  # a sample's per-job values are not listed
    # a sample as large as the pool is the exact decomposition
    whole = audit(jobs, cands, recommender=IdentityCue(), decomposition_sample=600, drivers="none", **KW)
    assert whole.summary["decomposition"]["method"] == "full"


def test_bootstrap_identity_without_resamples_has_no_interval():
    order = np.tile(np.arange(10), (3, 1))
    codes = np.array([0, 1] * 5)
    est = bootstrap_identity(order, order[:, ::-1], codes, codes, 3, 2, np.array([0.5, 0.5]), 4, 0, 0.95, 0)
    assert np.isnan(est.ci_low) and np.isnan(est.ci_high) and est.identity_part == pytest.approx(0.0)


# -- run info and warnings ----------------------------------------------------------------------------
class Truncating(ToyRecommender):
    def count_truncated(self, texts):
        return sum(len(t) > 30 for t in texts)

    def describe(self):
        return {"name": "toy", "max_seq_length": 8}


def test_truncation_warning_counts_long_texts():
    jobs, cands = toy_data(n_jobs=6, n_cand=200)
    with pytest.warns(Warning, match=r"0 of 6 job texts and 200 of 200 candidate texts are longer than .* 8 tokens"):
        res = audit(jobs.assign(text=jobs["text"].str[:20]), cands.assign(text=cands["text"] + " " + "x" * 30),
                    recommender=Truncating(), drivers="none", decomposition="none", **KW)
    assert any("longer than the embedding model's maximum" in w for w in res.summary["warnings"])


def test_run_info_records_stages_and_threads():
    jobs, cands = toy_data(n_jobs=6, n_cand=200)
    res = audit(jobs, cands, recommender=ToyRecommender(), **KW)
    names = [s["stage"] for s in res.run_info["stages"]]
    assert names == ["candidates", "rank jobs", "measure", "drivers", "decomposition"]
    assert res.run_info["threads"] >= 1 and "run_info" not in res.to_json()


@pytest.mark.parametrize("text, masked", [
    ("He has worked on payments.", "They have worked on payments."),  # issue 27: not "They has worked on"
    ("She is a nurse and she also leads a team.", "They are a nurse and they also lead a team."),
    ("He was promoted; she does not smoke; he currently manages budgets.",
     "They were promoted; they do not smoke; they currently manage budgets."),
    ("She's worked in sales and he's a teacher.", "They've worked in sales and they're a teacher."),
    ("He worked at Acme; his manager says he can code.", "They worked at Acme; their manager says they can code."),
    ("Her team has grown.", "Their team has grown."),  # only a subject they changes its verb
    # the demo's own profiles (make_hiring_data): a verb joined by "and", and "her" as the object
    ("She is competitive and driven, and enjoys challenging goals.",
     "They are competitive and driven, and enjoy challenging goals."),
    ("References call her outspoken, self-reliant and determined.",
     "References call them outspoken, self-reliant and determined."),
    ("Colleagues know her as a kind professional; we hired her.",
     "Colleagues know them as a kind professional; we hired them."),
    ("They call her team strong.", "They call their team strong."),  # "team" is no adjective: possessive
    ("He manages budgets and reports to the board.", "They manage budgets and reports to the board."),  # noun too: kept
])
def test_masking_makes_the_verb_agree_with_they(text, masked):
    from fairaudit.engine.drivers import mask_identity

    assert mask_identity([text]) == [masked]
