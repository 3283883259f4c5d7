"""Gendered compounds (rewriting.people): job titles and crew sizes that name a person by gender.

Every sentence here is new (written for these tests) or from a training ad; none comes from a test ad.
"""
from __future__ import annotations

import pytest

from fairaudit.rewriting.people import gendered_compound, neutral_title


@pytest.mark.parametrize("word", ["foreman", "foremen", "tradesmen", "workmen", "fishermen", "storeman",
                                  "spokeswoman", "30-man", "12-women", "Foremen"])
def test_gendered_compounds_are_found(word):
    assert gendered_compound(word)


@pytest.mark.parametrize("word", ["human", "woman", "men", "specimen", "abdomen", "acumen", "talisman", "german",
                                  "stamen", "ottoman", "amen", "omen", "bitumen"])
def test_words_whose_ending_is_no_person_are_not(word):
    assert not gendered_compound(word)


def test_neutral_titles():
    assert neutral_title("foremen") == "supervisors" and neutral_title("30-man") == "30-person"
    assert neutral_title("salesman") == "salesperson" and neutral_title("Chairman") == "chair"  # singular too
    assert neutral_title("caveman") is None  # gendered, but no listed neutral form: other proposals may rewrite it


def test_a_gendered_compound_is_editable_targetable_and_never_added():
    from fairaudit.rewriting.lexical import is_gendered_or_coded
    from fairaudit.rewriting.meaning import demographic_added, editable_words

    s = "Kerrigan runs a 30-man crew on data centre fit-outs, with a van for foremen."  # a training ad's wording
    assert {"30-man", "foremen"} <= set(editable_words(s, "Electrician"))
    assert is_gendered_or_coded("foremen") and is_gendered_or_coded("a 30-man crew")
    assert demographic_added("Our women run the stockroom.", "Our storemen run the stockroom.") == ["storemen"]
    assert demographic_added("Our foremen run the stockroom.", "Our supervisors run the stockroom.") == []


def test_the_fixed_edit_set_neutralises_gendered_titles():
    from fairaudit.rewriting.baselines import candidate_plans
    from fairaudit.rewriting.edits import apply_plan
    from fairaudit.rewriting.rewrite import Unit

    s = "Kerrigan runs a 30-man crew, and the foremen get a van."
    rewrites = {apply_plan(s, p) for p in candidate_plans(Unit(row=0, slot=0, sentence=s, title="Electrician"))}
    assert "Kerrigan runs a 30-person crew, and the supervisors get a van." in rewrites


@pytest.mark.parametrize("before, after", [
    ("We want women who can lift 20 kg.", "We want husbands who can lift 20 kg."),   # a best_of_n answer's kind
    ("We want someone who treats every client like family.", "We want someone who treats every client like an aunt."),
    ("Our team loves a chat.", "Our teenage team loves a chat."),
    ("Our desk is run by three people.", "Our desk is run by three sisters."),
])
def test_a_kinship_or_age_word_is_a_group_word_a_rewrite_may_not_add(before, after):
    from fairaudit.rewriting.meaning import demographic_added

    assert demographic_added(before, after)
