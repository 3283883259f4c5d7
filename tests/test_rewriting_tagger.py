"""The coded-word tagger (rewriting.tagger): labels from human edits, its threshold, the shipped file, its use.

Words in the shipped-tagger tests are new: none occurs in a training ad or its rewrite (checked by
``test_the_unseen_words_here_are_unseen``), so the tests exercise the generalisation to unseen ads.
"""
from __future__ import annotations

import numpy as np
import pytest

from fairaudit.rewriting import tagger as tg
from fairaudit.rewriting.spans import words

UNSEEN_CODED = ("brawny", "swashbuckling", "tearful", "pugnacious", "cuddly", "feisty", "macho", "sassy", "gutsy",
                "ruthless", "chivalrous")
UNSEEN_JOB = ("spreadsheet", "timesheet", "thermostat")


def test_word_labels_mark_the_words_the_human_replaced_or_removed():
    labels = tg.word_labels(["Our cosy little team reconciles the ledgers.", "Unchanged ad text here."],
                            ["Our team reconciles the ledgers.", None], words)
    got = dict(zip(labels["word"], labels["changed"]))
    assert got == {"cosy": True, "little": True, "team": False, "reconciles": False, "ledgers": False}
    assert set(labels["ad"]) == {0}  # an ad without a rewrite gives no labels


def test_a_word_kept_in_most_of_its_ads_is_judged_by_that_evidence():
    import pandas as pd

    labels = pd.DataFrame({"ad": [0, 1, 2, 0, 1, 2, 0], "word": ["solid"] * 3 + ["gutsy"] * 3 + ["rare"],
                           "changed": [False, False, True, True, True, False, False]})
    assert tg.kept_words(labels) == frozenset({"solid"})  # "rare" is in one ad only: the tagger decides


def test_the_threshold_is_the_lowest_that_reaches_the_precision():
    choose_threshold = tg.threshold_for
    p = np.linspace(1, 0, 100, endpoint=False)
    y = (np.arange(100) % 2 == 0) | (np.arange(100) < 30)  # the top 30 all edited, then every other word
    t = choose_threshold(p, y.astype(int), 0.7)
    tagged = p >= t
    assert y[tagged].mean() >= 0.7 and y[p >= t - 0.02].mean() < 0.7
    with pytest.raises(ValueError, match="no threshold"):
        choose_threshold(p, np.zeros(100, int), 0.7)


def test_a_tagger_validates_its_threshold():
    with pytest.raises(ValueError, match="threshold"):
        tg.CodedWordTagger((0.0,), 0.0, 1.5, {})


def test_the_unseen_words_here_are_unseen():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import rewrite_data as rd

    train = rd.freestyle("train")
    seen = {w for t in list(train["text"]) + list(train["oracle"].dropna()) for w in words(t)}
    assert not seen & set(UNSEEN_CODED + UNSEEN_JOB)


def test_the_shipped_tagger_tags_unseen_coded_words_and_not_job_words():
    tagged = tg.tagged_words(list(UNSEEN_CODED + UNSEEN_JOB))
    assert tagged == set(UNSEEN_CODED), tagged
    cv = tg.shipped().cv
    # what the file says about itself: held out by ad and by word, the precision it was chosen for
    assert cv["precision"] >= tg.MIN_PRECISION and cv["auc"] > 0.75 and cv["folds"] >= 5


@pytest.mark.parametrize("word", ["like", "love", "little", "hard", "the", "and", "a", "99"])
def test_frequent_words_and_stop_words_are_never_tagged(word):
    # "a heart full of love" is no "we'd love you to": the word alone cannot say
    assert not tg.candidate(word) and not tg.is_tagged(word)


def test_a_tagged_word_is_editable_inside_a_duty_sentence_and_counts_as_coding():
    from fairaudit.rewriting.lexical import unvetted_edits
    from fairaudit.rewriting.edits import EditPlan
    from fairaudit.rewriting.meaning import editable_words
    from fairaudit.rewriting.spans import has_target, untargeted_spans

    s = "You will file every timesheet and lead our gutsy night crew."
    assert "gutsy" in editable_words(s) and "timesheet" not in editable_words(s)
    assert has_target(s)
    assert untargeted_spans(s, "You will file every timesheet and lead our night crew.") == []
    assert untargeted_spans(s, "You will file every form and lead our gutsy night crew.") == [("timesheet", "form")]
    assert unvetted_edits(EditPlan(replacements=(("gutsy", ""),))) == []
    # a word only the tagger knows may go, never be swapped for a word of a model's choosing
    assert unvetted_edits(EditPlan(replacements=(("gutsy", "brave"),))) == [("gutsy", "brave")]
    assert untargeted_spans(s, s.replace("gutsy", "brave")) == [("gutsy", "brave")]


def test_without_the_file_no_word_is_tagged(monkeypatch, tmp_path):
    monkeypatch.setattr(tg, "DATA", tmp_path / "absent.json")
    tg.shipped.cache_clear()
    monkeypatch.setattr(tg, "_CACHE", {})
    try:
        assert tg.tagged_words(list(UNSEEN_CODED)) == set()
    finally:
        tg.shipped.cache_clear()
