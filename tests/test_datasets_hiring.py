"""make_hiring_data: determinism, schema, documented rates, packaged sources."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairaudit.data.datasets import (AD_SENTENCES, BIO_SENTENCES, RACES, HiringDataConfig, job_ad_text, make_hiring_data,
                                     make_twins, swap_pronouns)
from fairaudit.data.datasets import sources
from fairaudit.data.datasets.sources import OCCUPATIONS
from fairaudit.errors import ConfigError
from fairaudit.data.io import LABELS, validate_candidates, validate_jobs
from fairaudit.text.lexicon import assess_coding, find_coded_words


@pytest.fixture(scope="module")
def data():
    return make_hiring_data(200, 2000, seed=0)


def test_same_seed_identical_frames(data):
    jobs, cands = data
    jobs2, cands2 = make_hiring_data(200, 2000, seed=0)
    pd.testing.assert_frame_equal(jobs, jobs2)
    pd.testing.assert_frame_equal(cands, cands2)


def test_different_seed_differs(data):
    jobs, cands = data
    jobs2, cands2 = make_hiring_data(200, 2000, seed=1)
    assert not jobs["text"].equals(jobs2["text"])
    assert not cands["text"].equals(cands2["text"])
    assert not cands["name"].equals(cands2["name"])


def test_columns_and_labels_validate(data):
    jobs, cands = data
    assert {"job_id", "title", "text", "occupation", "coding"} <= set(jobs.columns)
    assert {"candidate_id", "text", "sex", "race_ethnicity", "name", "occupation"} <= set(cands.columns)
    vj = validate_jobs(jobs)
    vc = validate_candidates(cands)
    assert len(vj) == 200 and len(vc) == 2000
    # labels are already canonical: validation must not change them
    assert vc["sex"].tolist() == cands["sex"].tolist()
    assert vc["race_ethnicity"].tolist() == cands["race_ethnicity"].tolist()
    assert set(cands["sex"]) == set(LABELS["sex"])
    assert set(cands["race_ethnicity"]) <= set(LABELS["race_ethnicity"])
    assert set(jobs["coding"]) == {"masculine", "feminine", "neutral"}
    assert jobs["job_id"].is_unique and cands["candidate_id"].is_unique
    assert set(jobs["occupation"]) <= {o[0] for o in OCCUPATIONS}
    assert set(cands["occupation"]) <= {o[0] for o in OCCUPATIONS}


def test_bios_mention_name_pronoun_and_occupation(data):
    _, cands = data
    for row in cands.head(200).itertuples():
        assert row.text.startswith(row.name + " is a")
        assert row.occupation in row.text
        pron = " She " if row.sex == "female" else " He "
        other = " He " if row.sex == "female" else " She "
        assert pron in f" {row.text} " and other not in f" {row.text} "


@pytest.mark.parametrize("probs", [(0.7, 0.3), (0.9, 0.5)])
def test_agentic_probability_honoured(probs):
    _, cands = make_hiring_data(5, 6000, seed=3, agentic_prob=probs)
    for sex, p in (("male", probs[0]), ("female", probs[1])):
        ag = (cands.loc[cands["sex"] == sex, "wording"] == "agentic").to_numpy()
        se = np.sqrt(p * (1 - p) / len(ag))
        assert abs(ag.mean() - p) < 4 * se, (sex, ag.mean(), p)


def test_bio_wording_matches_style(data):
    _, cands = data
    for row in cands.head(300).itertuples():
        cats = {c for _, c in find_coded_words(row.text)}
        assert cats == ({"masculine"} if row.wording == "agentic" else {"feminine"}), row.text


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 1.0])
def test_coded_share_honoured(share):
    jobs, _ = make_hiring_data(120, 10, seed=2, coded_share=share, masculine_share=0.5)
    coded = (jobs["coding"] != "neutral").sum()
    assert coded == round(share * 120)
    assert (jobs["coding"] == "masculine").sum() == round(0.5 * coded)


def test_ad_wording_is_what_coding_says(data):
    jobs, _ = data
    for row in jobs.itertuples():
        # only the wording sentences decide: strip the ESCO description before checking
        words = row.text.split("Key skills: ", 1)[1]
        found = {c for _, c in find_coded_words(words)}
        expected = {"masculine": {"masculine"}, "feminine": {"feminine"}, "neutral": set()}[row.coding]
        assert found == expected, row.text
        if row.coding != "neutral":
            assert assess_coding(row.text) == row.coding


def test_stereotype_weight_links_wording_to_family():
    jobs, _ = make_hiring_data(2000, 10, seed=0, coded_share=1.0, stereotype_weight=3.0)
    tech = jobs[jobs["family"].isin(["technical", "trades"])]
    care = jobs[jobs["family"].isin(["care", "education"])]
    assert (tech["coding"] == "masculine").mean() > 0.6
    assert (care["coding"] == "masculine").mean() < 0.4
    jobs1, _ = make_hiring_data(2000, 10, seed=0, coded_share=1.0, stereotype_weight=1.0)
    tech1 = jobs1[jobs1["family"].isin(["technical", "trades"])]
    assert abs((tech1["coding"] == "masculine").mean() - 0.5) < 0.1


def test_templates_parallel_and_neutral_is_clean():
    n = {len(v) for v in AD_SENTENCES.values()} | {len(v) for v in BIO_SENTENCES.values()}
    assert n == {5}
    for s in AD_SENTENCES["neutral"]:
        assert find_coded_words(s) == [], s
    for s in AD_SENTENCES["masculine"]:
        assert {c for _, c in find_coded_words(s)} == {"masculine"}, s
    for s in AD_SENTENCES["feminine"]:
        assert {c for _, c in find_coded_words(s)} == {"feminine"}, s


def test_matched_neutral_version_differs_only_in_wording():
    masc = job_ad_text("software developer", "masculine", (0, 2))
    neu = job_ad_text("software developer", "neutral", (0, 2))
    assert masc.split("Key skills:")[0] == neu.split("Key skills:")[0]
    assert assess_coding(masc) == "masculine"
    assert not [w for w, c in find_coded_words(neu.split("Key skills:")[1])]
    with pytest.raises(ConfigError):
        job_ad_text("astronaut", "neutral")


def test_race_shares_follow_census_and_override():
    _, cands = make_hiring_data(1, 20000, seed=5)
    marg = sources.race_marginal()
    got = cands["race_ethnicity"].value_counts(normalize=True).reindex(list(RACES), fill_value=0).to_numpy()
    assert np.abs(got - marg).max() < 0.015
    assert "nhpi" not in set(cands["race_ethnicity"])
    _, only = make_hiring_data(1, 300, seed=5, race_shares={"black": 1.0})
    assert set(only["race_ethnicity"]) == {"black"}


def test_names_are_consistent_with_sex():
    _, cands = make_hiring_data(1, 3000, seed=4)
    first = sources.census_first_names()
    pf = dict(zip(first.names, first.female))
    share = cands.assign(p=cands["name"].str.split(" ").str[0].map(pf)).groupby("sex")["p"].mean()
    assert share["female"] > 0.9 and share["male"] < 0.1


def test_occupation_subset_and_validation_errors():
    jobs, cands = make_hiring_data(10, 50, seed=0, occupations=["nurse assistant", "welder"])
    assert set(jobs["occupation"]) == {"nurse assistant", "welder"}
    assert set(cands["occupation"]) <= {"nurse assistant", "welder"}
    for bad in ({"coded_share": 1.5}, {"agentic_prob": (0.7,)}, {"agentic_prob": (1.2, 0.3)},
                {"occupations": ["astronaut"]}, {"race_shares": {"martian": 1}}, {"n_skills": 9},
                {"female_share": 1.0}, {"stereotype_weight": 0.5}):
        with pytest.raises(ConfigError):
            make_hiring_data(5, 5, **bad)
    with pytest.raises(ConfigError):
        make_hiring_data(0, 5)
    with pytest.raises(TypeError):  # unknown option names (review config relies on this)
        make_hiring_data(5, 5, not_an_option=1)


def test_config_roundtrip():
    cfg = HiringDataConfig(n_jobs=7, n_candidates=9, seed=3, agentic_prob=[0.6, 0.4])
    d = cfg.to_dict()
    assert d["agentic_prob"] == [0.6, 0.4] and d["n_jobs"] == 7
    a = make_hiring_data(config=cfg)
    b = make_hiring_data(7, 9, seed=3, agentic_prob=(0.6, 0.4))
    pd.testing.assert_frame_equal(a[1], b[1])


def test_twins_differ_only_in_name_and_pronouns(data):
    _, cands = data
    tw = make_twins(cands.head(100), seed=0)
    assert (tw["sex"] != cands.head(100)["sex"]).all()
    for orig, twin in zip(cands.head(100).itertuples(), tw.itertuples()):
        back = swap_pronouns(twin.text).replace(twin.name.split(" ")[0], orig.name.split(" ")[0], 1)
        assert back == orig.text
        assert twin.name.split(" ", 1)[1] == orig.name.split(" ", 1)[1]


def test_packaged_sources_all_present():
    occs = sources.esco_occupations()
    assert len(occs) == len(OCCUPATIONS) >= 30
    assert all(o.description and len(o.skills) == 4 for o in occs)
    assert sources.missing_esco_skills() == []
    # skills and titles carry no coded stems, so coding comes only from the wording sentences
    for o in occs:
        assert not find_coded_words(" ".join(o.skills) + " " + o.title), o.title
