"""Rewriting for every audited attribute: the mean gap of the named ones, and a guard for all of them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairaudit.errors import ConfigError
from fairaudit.rewriting.attributes import AttributeGaps, rated_attributes, resolve_attributes
from fairaudit.rewriting.reward import Reward, RewardConfig
from fairaudit.rewriting.rewrite import find_units, rewrite_jobs
from test_rewriting import bow_encode


class TwoCueRecommender:
    """'ninja' in a job favours men; 'club' favours white candidates (a race cue)."""

    name = "two-cue"

    def fit(self, texts):
        self.male = np.array(["male" in t and "female" not in t for t in texts])
        self.white = np.array(["white" in t for t in texts])
        self.n = len(texts)
        return self

    def score(self, job_texts):
        base = np.tile(np.linspace(0, 1, self.n), (len(job_texts), 1))
        ninja = np.array([0.6 if "ninja" in t else 0.0 for t in job_texts])[:, None] * self.male[None, :]
        club = np.array([0.6 if "club" in t else 0.0 for t in job_texts])[:, None] * self.white[None, :]
        return base + ninja + club


def pool(n=400, seed=3):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n)
    race = rng.choice(["white", "black", "asian", "hispanic"], n)
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                         "text": [f"{s} {r} candidate {i}" for i, (s, r) in enumerate(zip(sex, race))],
                         "sex": sex, "race_ethnicity": race})


@pytest.fixture(scope="module")
def cands():
    return pool()


def scorer(cands, attributes):
    return AttributeGaps(TwoCueRecommender(), cands, k=50, attributes=attributes)


def test_every_rated_attribute_is_the_default_and_names_are_checked(cands):
    assert rated_attributes(cands) == ("sex", "race_ethnicity", "sex_race")
    assert resolve_attributes(None, cands) == ("sex", "race_ethnicity", "sex_race")
    assert resolve_attributes("sex,race_ethnicity", cands) == ("sex", "race_ethnicity")
    with pytest.raises(ConfigError, match="cannot rewrite for religion"):
        resolve_attributes(["religion"], cands)
    assert rated_attributes(cands.drop(columns="race_ethnicity")) == ("sex",)


def test_one_ranking_gives_every_attribute_and_the_mean_of_the_named_ones(cands):
    sc = scorer(cands, ("sex", "race_ethnicity"))
    texts = ["a ninja role", "a club role", "a plain role"]
    all_ = sc.smooth_gaps_all(texts)
    assert set(all_) == {"sex", "race_ethnicity", "sex_race"}
    np.testing.assert_allclose(sc.smooth_gaps(texts), (all_["sex"] + all_["race_ethnicity"]) / 2)
    hard = sc.hard_gaps_all(texts)
    assert hard["sex"][0] > hard["sex"][2] and hard["race_ethnicity"][1] > hard["race_ethnicity"][2]


def test_a_rewrite_that_widens_another_attributes_gap_is_rejected(cands):
    reward = Reward(scorer(cands, ("sex",)), bow_encode, RewardConfig(min_similarity=0.3, min_recall=0.0,
                                                                     max_fluency_loss=0))
    before = "We need a ninja for the role. You write code."
    trade = before.replace("ninja", "club")   # closes the sex gap, opens the race gap
    clean = before.replace("ninja", "developer")
    s = reward.score([before, before], [trade, clean])
    assert not s.loc[0, "accepted"] and "widens a gap beyond noise: race/ethnicity" in s.loc[0, "reason"]
    assert "harm_beyond_noise" in s.loc[0, "rules"]
    assert s.loc[1, "accepted"] and s.loc[1, "fairness"] > 0


def test_jobs_whose_gap_no_wording_moves_say_so_per_attribute(cands):
    reward = Reward(scorer(cands, ("sex", "race_ethnicity")), bow_encode,
                    RewardConfig(min_similarity=0.3, min_recall=0.0, max_fluency_loss=0))
    jobs = pd.DataFrame({"job_id": ["a", "b"], "title": ["Developer", "Developer"],
                         "text": ["We want a ninja on the team. We ship every week.",
                                  "We want a club member on the team. We ship every week."]})
    notes: list = []
    units = find_units(jobs, reward, notes=notes)
    assert any("race/ethnicity: no wording moves" in n for n in notes[0])
    assert not any(n.startswith("sex:") for n in notes[0])
    assert any("sex: no wording moves" in n for n in notes[1])
    from fairaudit.rewriting.baselines import search_proposer

    out = rewrite_jobs(jobs, search_proposer, reward, units, choose="best", notes=notes)
    assert "race/ethnicity: no wording moves" in out.loc[0, "reason"]
    # issue 26, item 6: per attribute, whether any wording of the job moves its gap
    assert not out.loc[0, "text_driven_race_ethnicity"] and out.loc[0, "text_driven_sex"]
    assert not out.loc[1, "text_driven_sex"]
    for a in ("sex", "race_ethnicity", "sex_race"):
        assert f"gap_before_{a}" in out and f"gap_after_{a}" in out
    np.testing.assert_allclose(out["gap_before"], (out["gap_before_sex"] + out["gap_before_race_ethnicity"]) / 2)


def test_the_report_summary_gives_each_watched_attributes_gap_before_and_after():
    from fairaudit.report.sidecar import rewrites_summary

    df = pd.DataFrame({"accepted": [True, False], "gap_before": [0.3, 0.2], "gap_after": [0.2, 0.2],
                       "meaning_score": [0.9, 1.0], "gap_before_sex": [0.4, 0.1], "gap_after_sex": [0.3, 0.1],
                       "gap_before_race_ethnicity": [0.2, 0.3], "gap_after_race_ethnicity": [0.2, 0.3]})
    rows = rewrites_summary(df)["by_attribute"]
    assert [r["attribute"] for r in rows] == ["sex", "race_ethnicity"]
    assert rows[0]["mean_gap_before_accepted"] == pytest.approx(0.4)
    assert rows[0]["mean_gap_after_accepted"] == pytest.approx(0.3)


class NoisyRecommender(TwoCueRecommender):
    """Any edit of the text reshuffles the scores a little (seeded by the text); 'club' still favours white candidates."""

    def score(self, job_texts):
        import zlib

        noise = np.stack([np.random.default_rng(zlib.crc32(t.encode())).normal(0, 0.5, self.n) for t in job_texts])
        return super().score(job_texts) + noise


def test_harm_is_a_rise_beyond_what_neutral_edits_do_not_a_rise_above_the_floor(cands):
    """Issue 26, item 5: "rose and ends above the floor" flagged noise (and a third of the human rewrites)."""
    sc = AttributeGaps(NoisyRecommender(), cands, k=50, attributes=("sex",))
    before = "We need a developer for the job. You will write code and review pull requests."
    noise_edits = [before.replace("developer", w) for w in ("programmer", "coder", "engineer", "builder", "maker",
                                                              "creator", "specialist", "technologist")]
    harm = sc.harm([before] * len(noise_edits), noise_edits, temperature=0.5)
    gb, ga = sc.smooth_gaps_all([before] * len(noise_edits)), sc.smooth_gaps_all(noise_edits)
    floors = sc.noise_floors
    old_rule = [any(ga[a][i] > gb[a][i] + sc.tolerance and ga[a][i] > floors[a] for a in sc.scorers)
                for i in range(len(noise_edits))]
    assert sum(old_rule) >= 2                       # the old criterion calls word swaps harm
    assert sum(bool(h) for h in harm) <= 1          # the test against neutral edits does not
    trade = before.replace("developer", "club developer")
    (flags,) = sc.harm([before], [trade], temperature=0.5)
    assert any(f.startswith("race/ethnicity") for f in flags)


def test_the_guard_tests_each_attribute_at_a_family_wise_level(cands):
    """A neutral edit is rejected for *some* attribute at most alpha of the time: each of m attributes at alpha / m."""
    from fairaudit.rewriting.noise import rise_beyond_noise

    sc = AttributeGaps(NoisyRecommender(), cands, k=50, attributes=("sex",))
    m = len(sc.scorers)
    assert m >= 2
    before = "We need a developer for the job. You will write code and review pull requests."
    (flags,) = sc.harm([before], [before.replace("developer", "club developer")], temperature=0.5)
    assert flags and all(f"\u03b1 = {0.05 / m:.3g})" in f for f in flags)
    rng = np.random.default_rng(1)
    null, neutral = rng.normal(0, 0.01, (4000, m, 8, 3)), rng.normal(0, 0.01, (4000, m, 3))
    any_flag = rise_beyond_noise(neutral, null, alpha=0.05 / m).flagged.any(axis=1)
    assert any_flag.mean() <= 0.06          # family-wise: at most alpha of neutral edits rejected
    assert rise_beyond_noise(neutral, null, alpha=0.05).flagged.any(axis=1).mean() > 0.08  # per attribute: more


def test_rise_beyond_noise_is_calibrated_on_neutral_draws():
    from fairaudit.rewriting.noise import rise_beyond_noise

    rng = np.random.default_rng(0)
    null = rng.normal(0, 0.01, (4000, 8, 3))
    neutral = rng.normal(0, 0.01, (4000, 3))
    assert rise_beyond_noise(neutral, null, alpha=0.05).flagged.mean() <= 0.06
    big = rise_beyond_noise(neutral + 0.05, null, alpha=0.05)
    assert big.flagged.mean() > 0.95 and (big.p_value < 0.05).mean() > 0.95
    assert not rise_beyond_noise(np.array([0.004]), np.zeros((8, 1)), min_rise=0.005).flagged
    with pytest.raises(ValueError, match="two neutral variants"):
        rise_beyond_noise(np.zeros(3), np.zeros((1, 3)))


def test_neutral_variants_change_no_meaning_bearing_word():
    from fairaudit.rewriting.meaning import content_words
    from fairaudit.rewriting.noise import NEUTRAL_SYNONYMS, neutral_variants
    from fairaudit.text.lexicon import find_coded_words

    text = ("Join our bakery as an assistant. You will help with the whole morning bake & deliveries. "
            "We are a small crew. Pay is 12 pounds an hour, breakfast and uniform provided.")
    vs = neutral_variants(text, 8, seed=1)
    assert len(vs) == 8 and len(set(vs)) == 8 and text not in vs
    assert vs == neutral_variants(text, 8, seed=1)
    swaps = {w for pair in NEUTRAL_SYNONYMS.items() for p in pair for w in p.split()}
    for v in vs:
        assert find_coded_words(v) == find_coded_words(text)
        assert content_words(v) ^ content_words(text) <= {w.rstrip("s") for w in swaps} | swaps | {"we're"}
    assert not [w for pair in NEUTRAL_SYNONYMS.items() for w in pair if find_coded_words(w)]


def test_a_flat_target_applies_to_the_attribute_whose_groups_it_names(cands):
    """Issue 25: {"female": .5, "male": .5} with the default attributes failed on race/ethnicity."""
    from fairaudit.rewriting import AutoRefine

    class Described(TwoCueRecommender):
        def describe(self):
            return {"name": self.name}

    ar = AutoRefine(recommender=Described(), candidates=cands, target={"female": 0.5, "male": 0.5}, progress=False)
    gaps = ar.gap_scorer  # builds a scorer per watched attribute: race/ethnicity keeps its pool mix
    assert "race_ethnicity" in ar.attributes and ar.target == {"sex": {"female": 0.5, "male": 0.5}}
    assert list(gaps.scorers["sex"].target) == [0.5, 0.5]
    race = gaps.scorers["race_ethnicity"]
    pool_mix = race.encoding.pool_counts[:race.encoding.n_known] / race.encoding.pool_counts[:race.encoding.n_known].sum()
    np.testing.assert_allclose(race.target, pool_mix)
    # race groups alone go to race/ethnicity; groups of no attribute, or of two, are one clear error
    shares = {g: 0.25 for g in race.labels[:4]}
    assert AutoRefine(recommender=Described(), candidates=cands, target=shares,
                      progress=False).target == {"race_ethnicity": shares}
    with pytest.raises(ConfigError, match="no single attribute"):
        AutoRefine(recommender=Described(), candidates=cands, target={"female": 0.5, "white": 0.5})
    with pytest.raises(ConfigError, match="no single attribute"):
        AutoRefine(recommender=Described(), candidates=cands, target={"women": 1.0})
    from fairaudit.metrics.diversity import nest_flat_target

    with pytest.raises(ConfigError, match="names groups of a and b"):
        nest_flat_target({"x": 1.0}, {"a": ["x", "y"], "b": ["x", "z"]})
    for kept in ("pool", {"sex": {"female": 0.5, "male": 0.5}}, {"sex": "uniform"}):
        assert nest_flat_target(kept, {"sex": ["female", "male"], "race_ethnicity": ["white"]}) == kept


def test_a_rewrites_file_read_back_as_text_gives_the_per_attribute_summary(tmp_path):
    # `fairaudit report --rewrites rewrites.csv` reads every column as text; the per-attribute gaps
    # were averaged as strings (a TypeError traceback), and "False" counted as accepted, until
    # check_rewrites read both as what they are
    from fairaudit.data.csvsafe import write_csv
    from fairaudit.data.io import read_table
    from fairaudit.report.sidecar import check_rewrites, rewrites_summary

    df = pd.DataFrame({"job_id": ["J1", "J2"], "original": ["a", "b"], "rewrite": ["a2", "b"],
                       "accepted": [True, False], "gap_before": [0.3, 0.2], "gap_after": [0.2, 0.2],
                       "meaning_score": [0.9, 1.0], "gap_before_sex": [0.4, 0.1], "gap_after_sex": [0.3, 0.1]})
    write_csv(df, tmp_path / "rewrites.csv")
    summary = rewrites_summary(check_rewrites(read_table(tmp_path / "rewrites.csv")))
    assert summary["n_accepted"] == 1  # "False" read as text is not accepted
    assert summary["by_attribute"][0]["mean_gap_before_accepted"] == pytest.approx(0.4)
