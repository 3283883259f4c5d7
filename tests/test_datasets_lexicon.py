"""Gaucher et al. word lists, gender-decoder matching and the neutral lexicon."""
from __future__ import annotations

import pytest

from fairaudit.data.datasets import find_coded_words, gender_coded_words, neutral_replacement
from fairaudit.text.lexicon import EXTENSION_MASCULINE, NEUTRAL_LEXICON, assess_coding, neutralize_text


def test_lists_come_from_genderdecoder3():
    from genderdecoder3 import wordlists

    plain = gender_coded_words(extension=False)
    assert plain["masculine"] == list(dict.fromkeys(wordlists.masculine_coded_words))
    assert plain["feminine"] == list(dict.fromkeys(wordlists.feminine_coded_words))
    ext = gender_coded_words()
    assert set(ext["masculine"]) - set(plain["masculine"]) == set(EXTENSION_MASCULINE)


@pytest.mark.parametrize("text,expected", [
    ("We want a ninja!", [("ninja", "masculine")]),
    ("a nurturing, supportive team", [("nurturing", "feminine"), ("supportive", "feminine")]),
    ("Leadership (competitive)", [("Leadership", "masculine"), ("competitive", "masculine")]),
    ("an interpersonal role", [("interpersonal", "feminine")]),  # two stems, reported once
    ("plain words only", []),
])
def test_find_coded_words(text, expected):
    assert find_coded_words(text) == expected


def test_extension_switch():
    assert find_coded_words("rockstar ninja", extension=False) == []
    assert [c for _, c in find_coded_words("rockstar ninja")] == ["masculine", "masculine"]


def test_matches_genderdecoder_assess():
    from genderdecoder3.assess import assess

    text = "We are a dominant, competitive firm. You are warm, kind and driven to lead."
    ref = assess(text)
    ours = find_coded_words(text, extension=False)
    assert sorted({w for w, c in ours if c == "masculine"}) == sorted(set(ref["masculine_coded_words"]))
    assert sorted({w for w, c in ours if c == "feminine"}) == sorted(set(ref["feminine_coded_words"]))
    assert assess_coding(text) == "masculine"


def test_neutral_replacement():
    assert neutral_replacement("ninja") == "expert"
    assert neutral_replacement("Dominant") == "Established"
    assert neutral_replacement("nurturing") == "mentoring"
    assert neutral_replacement("table") is None
    assert neutral_replacement("lea") is None
    # every replacement is itself uncoded (or it would not neutralise anything)
    for key, rep in NEUTRAL_LEXICON.items():
        assert not [c for _, c in find_coded_words(rep)], (key, rep)


def test_neutralize_text_reduces_coding():
    text = "A competitive ninja with a nurturing style. Dominant and driven!"
    out = neutralize_text(text)
    assert len(find_coded_words(out)) < len(find_coded_words(text))
    assert "ninja" not in out and "nurturing" not in out
    assert out.endswith("!")


@pytest.mark.parametrize("text,expected", [
    ("We want a ninja.", "We want an expert."),
    ("An aggressive closer", "An energetic closer"),
    ("Seek an ambitious engineer", "Seek a motivated engineer"),
    ("a  ninja", "an  expert"),  # the spacing as written
    ("data ninja", "data expert"),  # no article: nothing else changes
])
def test_lexicon_baseline_keeps_the_article_in_agreement(text, expected):
    """Issue noted in round 3: the lexicon baseline wrote "a expert"."""
    from fairaudit.text.lexicon import neutralize_text

    assert neutralize_text(text) == expected
