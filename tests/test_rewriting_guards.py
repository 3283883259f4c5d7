"""Guards built from the bad rewrites the round-2 benchmark accepted (issue 18, "Accepted edits that must not pass")."""
from __future__ import annotations

import pytest

from fairaudit.rewriting.edits import apply_plan, parse_plan
from fairaudit.rewriting.grammar import agreement_errors, inflect_like, removes_verb, replacement_problems
from fairaudit.rewriting.meaning import editable_words, plain_word
from fairaudit.rewriting.plan_checks import broken_removals
from fairaudit.rewriting.reward import Reward, RewardConfig
from fairaudit.rewriting.vocabulary import align_pairs, mine, pair_plans
from test_rewriting import bow_encode


class FlatGaps:
    """Every rewrite narrows the gap: only the guard can reject it."""

    def gaps(self, texts):
        import numpy as np

        return np.array([0.1 if "x" in t else 0.3 for t in texts])


def rejected(sentence: str, answer: str) -> str:
    r = Reward(FlatGaps(), bow_encode, RewardConfig(min_similarity=0.0, min_recall=0.0, temperature=0,
                                                   max_fluency_loss=0))
    plan = parse_plan(answer, sentence)
    after = apply_plan(sentence, plan)
    row = r.score([sentence], [after], units_before=[sentence], units_after=[after], plans=[plan]).iloc[0]
    return "" if row["accepted"] else row["reason"]


def test_a_replacement_takes_the_verb_form_of_the_word_it_replaces():
    s = "We want a driven backend ninja who dominates hard problems."
    assert apply_plan(s, parse_plan("dominates -> excel in", s)) == \
        "We want a driven backend ninja who excels in hard problems."
    assert inflect_like("driven", "motivated", "a") == "motivated"
    assert agreement_errors(s, "dominates", "excel in")  # left as it was, "who excel in" is an error
    assert not agreement_errors(s, "dominates", "excels in")


@pytest.mark.parametrize("sentence, phrase", [
    ("You will dominate negotiations with suppliers.", "dominate"),
    ("We share the load on busy days.", "share"),
    ("You lead the site team.", "lead"),
])
def test_removing_the_verb_of_a_clause_is_rejected(sentence, phrase):
    assert removes_verb(sentence, phrase)
    assert broken_removals(sentence, parse_plan(f"{phrase} -> ", sentence)) == [phrase]
    assert "breaks the sentence" in rejected(sentence, f"{phrase} -> ")


def test_removing_a_modifier_is_fine_but_not_a_noun_a_duty_names():
    ok = "You will lovingly turn Figma designs into pages."
    assert not removes_verb(ok, "lovingly") and broken_removals(ok, parse_plan("lovingly -> ", ok)) == []
    duty = "You will teach little children aged 4 to 5 every morning."
    assert broken_removals(duty, parse_plan("children -> ", duty)) == ["children"]
    culture = "We're a cosy design studio of caring souls who believe kindness makes the best websites."
    assert broken_removals(culture, parse_plan("kindness -> ", culture)) == ["kindness"]
    assert broken_removals(culture, parse_plan("cosy -> ", culture)) == []


def test_requirement_words_are_not_editable():
    assert "childcare" not in editable_words("You hold a Level 3 childcare qualification and a caring nature.")
    words = editable_words("You will answer customer support tickets and support our clients warmly.",
                           "Customer Service Agent")
    assert "support" not in words and "warmly" in words


@pytest.mark.parametrize("sentence, answer, why", [
    ("Our warm team meets every Friday.", "warm -> cozy", "cozy"),                      # coded for coded
    ("A heavy hitter who can take charge of the site.", "hitter -> nomad", "nomad"),   # not plain vocabulary
    ("We work together on every release.", "together -> linked", "part of speech"),   # sense
    ("You keep client data confidential.", "confidential -> capable", "coded stem"),   # sense
])
def test_replacements_that_do_not_make_sense_are_rejected(sentence, answer, why):
    assert why in rejected(sentence, answer)


@pytest.mark.parametrize("sentence, answer", [
    ("We want a ninja who writes tests.", "ninja -> expert"),
    ("We need strong, fast lads who can lift.", "lads -> people"),
    ("Our warm team meets every Friday.", "warm -> friendly"),
    ("You will crush latency targets on queries.", "crush -> reduce"),
])
def test_sensible_replacements_pass(sentence, answer):
    assert replacement_problems(sentence, parse_plan(answer, sentence), plain_word) == []
    assert rejected(sentence, answer) == ""


def test_phrase_pairs_come_from_aligning_a_careful_rewrite():
    o = "We need a ninja who can hit the ground running and crush latency targets."
    r = "We need a developer who can become productive quickly and reduce latency."
    pairs = align_pairs(o, r)
    assert ("ninja", "developer") in pairs and ("hit the ground running", "become productive quickly") in pairs
    table = mine([o], [r])
    assert set(table.columns) == {"old", "new", "ads", "style"}
    assert table.set_index("old").loc["ninja", "style"] == "ninja"   # never used by the human rewrite
    shipped = pair_plans("Join a crew of hungry engineers.")
    assert shipped and all(p.replacements for p in shipped)


def test_the_policy_stands_beside_the_learned_vocabulary_and_the_fixed_edit_set():
    from fairaudit.rewriting.baselines import PolicyProposer
    from fairaudit.rewriting.edits import EditPlan
    from fairaudit.rewriting.rewrite import Proposal, Unit

    class Greedy:
        n_tokens, seconds, seed, temperature = 7, 0.5, 0, 1.0

        def greedy(self, units):
            return [Proposal(u.sentence, EditPlan()) for u in units]

    u = Unit(row=0, slot=0, sentence="Join a crew of hungry engineers.", title="Engineer", flagged=("hungry",),
             deletable=True)
    (props,) = PolicyProposer(Greedy())([u])
    plans = [p.plan for p in props]
    assert plans[0].is_keep                                   # the policy's own plan comes first
    assert any(p.delete for p in plans)                       # the fixed edit set
    assert any(("crew", "team") in p.replacements for p in plans if p.replacements)   # the learned pairs
    assert len(plans) == len(set(plans))
    assert PolicyProposer(Greedy()).n_tokens == 7
