"""Occlusion drivers: sentence and word effects measured by the recommender, the lexicon as a label."""
import numpy as np
import pandas as pd

from fairaudit.engine.gap import GapScorer
from fairaudit.engine.occlusion import assemble, content_words, drop_word, occlusion_drivers, split_sentences
from toy import ToyRecommender, toy_data

JOBS = pd.DataFrame({
    "job_id": ["a", "b"], "title": ["Engineer", "Clerk"],
    "text": ["We build software. We want a ninja and a competitive person. Apply now.",
             "You file invoices. Apply now."],
})


def test_text_helpers_roundtrip_and_remove():
    p = split_sentences(JOBS["text"][0])
    assert "".join(p) == JOBS["text"][0]
    assert assemble(p, 2, "") == "We build software. Apply now."
    assert drop_word("We want a ninja, and a person.", "ninja") == "We want a, and a person."
    assert content_words("We want a ninja and a competitive person.") == ["want", "ninja", "competitive", "person"]


def test_occlusion_finds_the_driving_word_beyond_the_lexicon_label():
    _, cands = toy_data(n_cand=200, seed=1)
    scorer = GapScorer(ToyRecommender(), cands, k=50, target="pool")
    t = occlusion_drivers(scorer.gaps, JOBS)
    a = t[t["job_id"] == "a"]
    top = a.iloc[0]
    assert top["kind"] in ("word", "sentence") and (top["word"] == "ninja" or "ninja" in top["sentence"])
    assert top["delta"] > 0  # the toy recommender keys on "ninja"
    ninja = a[a["word"] == "ninja"].iloc[0]
    assert ninja["coded"] and ninja["category"] == "masculine" and ninja["sentence_no"] == 2
    # a word outside the lexicon is still measured (the lexicon labels, it does not filter)
    assert not a[a["word"] == "person"]["coded"].any() and len(a[a["word"] == "person"]) == 1
    assert (t[t["job_id"] == "b"]["delta"].abs() < 1e-12).all()  # nothing in b moves the toy recommender
    np.testing.assert_allclose(t["delta"], t["gap"] - t["gap_without"])
    # sentences only, and only those allowed
    s = occlusion_drivers(scorer.gaps, JOBS, words=None, deletable=lambda sent, title: "Apply" not in sent)
    assert set(s["kind"]) == {"sentence"} and not s["sentence"].str.contains("Apply").any()


def test_a_full_stop_inside_an_abbreviation_does_not_end_the_sentence():
    text = "You will open the 7:30 a.m. clinic like a boot camp, and coach our netball squad. You plan lessons."
    from fairaudit.engine.occlusion import split_sentences

    parts = split_sentences(text)
    assert parts[0] == "You will open the 7:30 a.m. clinic like a boot camp, and coach our netball squad."
    assert "".join(parts) == text
    assert split_sentences("Ask Dr. Patel. Start at 7 a.m. You drive.")[::2] == ["Ask Dr. Patel.", "Start at 7 a.m.",
                                                                                    "You drive."]


def test_a_bound_on_variants_keeps_sentences_then_the_words_of_the_strongest_sentence():
    _, cands = toy_data(n_cand=200, seed=1)
    scorer = GapScorer(ToyRecommender(), cands, k=50, target="pool")
    full = occlusion_drivers(scorer.gaps, JOBS)
    same = occlusion_drivers(scorer.gaps, JOBS, max_variants=100)  # every job within the bound: the same table
    pd.testing.assert_frame_equal(full, same)
    assert same.attrs["not_occluded"] == {}
    seen = []

    def counting(texts):
        seen.extend(texts)
        return scorer.gaps(texts)

    # job a: 3 sentences and 6 content words; a bound of 5 ranks the 3 sentences, then the words of the
    # sentence whose removal narrows the gap most (the "ninja" sentence), in the text's order
    t = occlusion_drivers(counting, JOBS.iloc[:1], max_variants=5)
    assert sorted(t["kind"]) == ["sentence"] * 3 + ["word"] * 2
    assert list(t[t["kind"] == "word"]["word"]) != [] and set(t[t["kind"] == "word"]["sentence_no"]) == {2}
    assert set(t[t["kind"] == "word"]["word"]) <= {"want", "ninja", "competitive", "person"}
    assert t.attrs["not_occluded"] == {"a": len(full[full["job_id"] == "a"]) - 5}
    assert len(seen) == 1 + 5  # the original, then each variant once (the sentences' gaps are reused)
    np.testing.assert_allclose(t["delta"], t["gap"] - t["gap_without"])
