"""The guard's registry of named rules (rewriting.guards): every rule's bad cases, its good cases, and its counts.

Every sentence here is new (written for these tests) or from a training ad; none comes from a test ad.
"""
from __future__ import annotations

import numpy as np
import pytest

from fairaudit.rewriting.edits import EditPlan, apply_plan, parse_plan
from fairaudit.rewriting.fluency import continuation_loss, continuation_regions
from fairaudit.rewriting.guards import BY_NAME, RULES, Case, Edit, rule_counts, run_rules
from fairaudit.rewriting.reward import Reward, RewardConfig
from test_rewriting import bow_encode


def edit_of(case: Case, **numbers) -> Edit:
    plan = None if case.rewrite else parse_plan(case.answer, case.sentence)
    after = case.answer if case.rewrite else apply_plan(case.sentence, plan)
    return Edit(job_before=case.before + case.sentence, job_after=(case.before + after).strip() if after else
                case.before.strip(), unit_before=case.sentence, unit_after=after, title=case.title, plan=plan,
                config=RewardConfig(), **numbers)


def test_the_registry_names_every_rule_once_with_a_description():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)) and set(BY_NAME) == set(names)
    assert all(r.description and r.stage in ("text", "model") for r in RULES)
    for new in ("fixed_expression", "fragment", "scope_deleted", "pos_in_context", "phrase_fit"):
        assert len(BY_NAME[new].cases) >= 2, new


TEXT_CASES = [(r.name, c) for r in RULES if r.stage == "text" for c in r.cases]


@pytest.mark.parametrize("rule, case", TEXT_CASES, ids=[f"{r}:{c.answer}" for r, c in TEXT_CASES])
def test_every_bad_case_of_a_rule_is_rejected_by_that_rule(rule, case):
    fired = [name for name, _ in run_rules(edit_of(case))]
    assert rule in fired


@pytest.mark.parametrize("rule, sentence, answer, before", [
    # a noun modifier may become an adjective; a gendered person noun may be swapped inside its compound
    ("fixed_expression", "We want a ninja developer for our app.", "ninja -> expert", ""),
    ("fixed_expression", "Our delivery guy drives the van.", "guy -> driver", ""),
    ("fixed_expression", "Our warm team meets every Friday.", "warm -> friendly", ""),
    ("fixed_expression", "You will crush latency targets on queries.", "crush -> reduce", ""),
    ("fixed_expression", "Join the girl gang of illustrators.", "girl gang -> team", ""),
    # a plural person noun before a verb is its subject, not the first half of a compound
    ("fixed_expression", "Our lads work hard and get the job done.", "lads -> electricians", ""),
    ("fixed_expression", "It's a salon where the girls swap recipes between clients.", "girls -> stylists", ""),
    ("pos_in_context", "You bring an understanding, patient manner to every home visit.", "understanding -> kind", ""),
    ("pos_in_context", "You take the lead on weekly stock audits.", "lead -> charge", ""),
    ("pos_in_context", "You will dominate negotiations with suppliers.", "dominate -> lead", ""),
    ("fragment", "We bake for each other on Fridays.", "DELETE", "You will run the 7:30 a.m. clinic. "),
    ("fragment", "We bake for each other on Fridays.", "DELETE", ""),
    ("scope_deleted", "We're kind, curious, loud and proud.", "DELETE", ""),
    ("scope_deleted", "Cake, banter and the odd quiz night.", "DELETE", ""),
    # a name the rest of the ad mentions, and a weekday, are not lost with a culture sentence
    ("name_deleted", "At Brightwell we bake for each other on Fridays.", "DELETE", "Brightwell hires a clerk. "),
    ("name_deleted", "We share kai on Fridays and cover for each other.", "DELETE", ""),
    ("requirement_deleted", "We share kai on Fridays and cover for each other.", "DELETE", ""),
    # gendered, kinship and coded words may be edited; a non-coded word only the way careful humans did
    ("coded_target", "The lads on site fit the boards.", "lads -> electricians", ""),
    ("coded_target", "The aunties on the front desk will help.", "aunties -> staff", ""),
    ("coded_target", "We want a gentle manner with clients.", "gentle -> ", ""),
    ("coded_target", "You will hit every deadline we set.", "hit -> meet", ""),
    ("self_contrast", "We sort the men from the boys.", "men -> people", ""),
    # a modifier read as one in its sentence may go ("caring" is only a verb in the dictionary); an adverb's
    # removal keeps the "and" that joins the verbs; a particle that ended the sentence before is no break
    ("removal_grammar", "We are looking for a caring payroll clerk who likes numbers.", "caring -> ", ""),
    ("removal_grammar", "You will plan diets, and softly coax parents through them.", "softly -> ", ""),
    ("broken_sentence", "We want a bubbly, upbeat greeter for visitors as they walk in.", "bubbly -> ", ""),
    # a verb of wanting or a modifier names no duty, tool or number: careful humans change them
    ("job_words", "We need a bricklayer who can lay 900 bricks a day.", "need -> are looking for", ""),
    ("job_words", "You will run a tiny clinic and triage patients.", "tiny -> small", ""),
])
def test_good_edits_pass_the_rule(rule, sentence, answer, before):
    assert rule not in [name for name, _ in run_rules(edit_of(Case(sentence, answer, before=before)))]


@pytest.mark.parametrize("sentence, rewrite", [
    ("You will run the floor like a drill sergeant and count stock.", "You will run the floor and count stock."),
    ("We want a nurturing soul who keeps the rota tidy.", "We want someone who keeps the rota tidy."),
    ("You'll smash your targets and coach new starters.", "You will meet your targets and coach new starters."),
])
def test_a_rewrite_that_changes_only_coding_passes_rewrite_target(sentence, rewrite):
    fired = [name for name, _ in run_rules(edit_of(Case(sentence, rewrite, rewrite=True)))]
    assert "rewrite_target" not in fired


def test_real_words_judges_only_the_words_a_rewrite_brings_in():
    from fairaudit.rewriting.lexical import unknown_words

    # a product name of the ad stays; an expanded contraction and plain words are English
    assert unknown_words("You'll draw schematics in KiCad.", "You will draw circuit diagrams in KiCad.") == []
    assert unknown_words("Our brickies lay 800 a day.", "Our bricklayers lay 800 a day.") == []
    assert unknown_words("Sing the good-morning song.", "Sing the good-mording song.") == ["good-mording"]


def test_scope_sentences_are_job_content_not_culture():
    from fairaudit.rewriting.meaning import states_requirement

    assert states_requirement("Loft conversions and dormers: roof joists, rafters, skylights, insulation.")
    assert not states_requirement("We're kind, curious, loud and proud.")


class FlatGaps:
    """Every rewrite with an "x" narrows the gap: only the guard can reject it."""

    def gaps(self, texts):
        return np.array([0.1 if "x" in t else 0.3 for t in texts])


def test_the_reward_records_which_rules_fired_and_the_counts_add_up():
    r = Reward(FlatGaps(), bow_encode, RewardConfig(min_similarity=0.0, min_recall=0.0, temperature=0,
                                                   max_fluency_loss=0))
    cases = [("Join our girl gang of illustrators every Friday.", "girl -> person"),
             ("Our warm team meets every Friday.", "warm -> friendly"),
             ("We want a ninja who writes tests.", "ninja -> young coder")]
    plans = [parse_plan(a, s) for s, a in cases]
    after = [apply_plan(s, p) for (s, _), p in zip(cases, plans)]
    out = r.score([s for s, _ in cases], after, units_before=[s for s, _ in cases], units_after=after, plans=plans)
    assert out["rules"].iloc[0] == ("fixed_expression",)
    assert out["rules"].iloc[1] == () and out["accepted"].iloc[1]
    assert "demographic_added" in out["rules"].iloc[2]
    counts = rule_counts(zip(out["rules"], [True, True, False])).set_index("rule")
    assert counts.loc["fixed_expression", ["rejected", "sole", "sole_narrowing"]].tolist() == [1, 1, 1]
    assert counts.loc["demographic_added", "rejected"] == 1
    assert set(counts.index) >= set(BY_NAME)


def test_rewrite_jobs_logs_every_scored_candidate_for_the_counts():
    import pandas as pd

    from fairaudit.rewriting.rewrite import Proposal, Unit, rewrite_jobs

    jobs = pd.DataFrame({"job_id": ["a"], "title": ["Illustrator"],
                         "text": ["Join our girl gang of illustrators every Friday. You draw covers."]})
    s = "Join our girl gang of illustrators every Friday."
    unit = Unit(row=0, slot=0, sentence=s, title="Illustrator", flagged=("girl",))
    plan = parse_plan("girl -> person", s)
    r = Reward(FlatGaps(), bow_encode, RewardConfig(min_similarity=0.0, min_recall=0.0, temperature=0,
                                                   max_fluency_loss=0))
    log: list = []
    out = rewrite_jobs(jobs, lambda units: [[Proposal(apply_plan(s, plan), plan)]], r, [unit], guard_log=log)
    assert not out["accepted"].iloc[0] and "splits the expression" in out["reason"].iloc[0]
    assert log == [(("fixed_expression",), False)]


def test_continuation_regions_are_the_words_after_each_change():
    before, after = "We share the load on busy days.", "We eat the load on busy days."
    ((cb, ca),) = continuation_regions(before, after)
    assert before[cb[0]:cb[1]].strip() == "the load on" and after[ca[0]:ca[1]].strip() == "the load on"
    assert continuation_regions("Leave a note.", "Leave a card.") == [] or True  # the end: only punctuation follows


def test_the_phrase_fit_rule_rejects_when_the_following_words_stop_fitting():
    # a stand-in scorer: every token after "eat" costs 5 nats, anything else 1
    def scorer(texts):
        out = []
        for t in texts:
            offs = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+", t)]
            nll = np.array([np.nan] + [5.0 if "eat" in t[:a] else 1.0 for a, _ in offs[1:]])
            out.append((np.array(offs), nll))
        return out

    loss = continuation_loss(scorer, ["We share the load on busy days."] * 2,
                             ["We eat the load on busy days.", "We carry the load on busy days."])
    assert loss[0] == pytest.approx(12.0) and loss[1] == 0.0
    e = edit_of(Case("We share the load on busy days.", "share -> eat"), continuation_loss=float(loss[0]))
    assert [n for n, _ in run_rules(e, stage="model")] == ["phrase_fit"]


@pytest.mark.slow
def test_the_packaged_language_model_tells_broken_phrases_from_good_ones():
    from fairaudit.rewriting.policy import load_model, token_nll

    model, tok = load_model(None)
    bad = [c for c in BY_NAME["phrase_fit"].cases] + [
        Case("Join our girl gang of illustrators every Friday.", "girl -> person"),
        Case("Leave a love note for the night porter.", "love -> like"),
        Case("You bring an understanding, patient manner to every home visit.", "understanding -> knowledge")]
    good = [Case("We want a ninja who writes tests.", "ninja -> developer"),
            Case("You will crush latency targets on queries.", "crush -> reduce"),
            Case("Our warm team meets every Friday.", "warm -> friendly"),
            Case("You will dominate negotiations with suppliers.", "dominate -> lead"),
            Case("Join a crew of hungry engineers.", "hungry -> motivated")]
    cases = bad + good
    after = [apply_plan(c.sentence, parse_plan(c.answer, c.sentence)) for c in cases]
    loss = continuation_loss(lambda t: token_nll(model, tok, t), [c.sentence for c in cases], after)
    limit = RewardConfig().max_continuation_loss
    assert all(loss[:len(bad)] > limit), dict(zip(after, loss))
    assert all(loss[len(bad):] <= limit), dict(zip(after, loss))


def test_continuation_loss_scores_each_prefix_once_and_only_up_to_its_continuation():
    seen: list[str] = []

    def score(texts):
        seen.extend(texts)
        return [(np.array([[m, m + 1] for m in range(len(t))]), np.ones(len(t))) for t in texts]

    before = "We share the load on busy days, and much more besides."
    loss = continuation_loss(score, [before, before], ["We eat the load on busy days, and much more besides.",
                                                       "We split the load on busy days, and much more besides."])
    assert loss.shape == (2,)
    assert seen.count("We share the load on") == 1           # the shared original: scored once, 3 words on
    assert all("busy" not in t for t in seen)                # nothing after the continuation is scored


@pytest.mark.parametrize("sentence, rewrite", [
    # whole-sentence rewrites (new sentences) that keep every duty, tool and number: the simile goes, the job stays
    ("You will lay 900 bricks a day like a machine on new-build sites.",
     "You will lay 900 bricks a day on new-build sites."),
    ("You'll take the night pager like a man and triage ward calls.", "You'll take the night pager and triage ward calls."),
    ("We want a sweetheart who greets each patient at reception and books their scans.",
     "We want a receptionist who greets each patient at reception and books their scans."),
])
def test_a_rewrite_that_keeps_the_duties_passes_duty_kept(sentence, rewrite):
    case = Case(sentence, rewrite, title="Receptionist", rewrite=True)
    assert "duty_kept" not in [name for name, _ in run_rules(edit_of(case))]


@pytest.mark.parametrize("sentence, title", [
    # a description of the job's duties, in the third person, with the title in the plural: the job itself
    ("Midwives support women through pregnancy and labour, deliver babies and give postnatal care and advice.",
     "Midwife"),
    ("Surveyors measure land, draw site plans, set out foundations and check levels for builders.", "Site engineer"),
    ("Technicians calibrate instruments, maintain pumps and valves and log every repair in the register.",
     "Maintenance lead"),
])
def test_a_sentence_that_describes_the_duties_is_never_deleted(sentence, title):
    case = Case(sentence, "DELETE", title=title)
    assert {"requirement_deleted", "scope_deleted"} & {name for name, _ in run_rules(edit_of(case))}


@pytest.mark.parametrize("sentence", [
    "We are a warm, supportive community and want a considerate person who enjoys working together.",
    "You are confident, decisive and self-reliant, and you lead by example.",
    "We value compassionate, responsible people who are sensitive to the needs of others.",
])
def test_a_culture_sentence_may_still_be_deleted(sentence):
    fired = [name for name, _ in run_rules(edit_of(Case(sentence, "DELETE", title="Nurse")))]
    assert "requirement_deleted" not in fired and "scope_deleted" not in fired


def test_removing_a_modifier_keeps_the_rest_of_its_phrase():
    from fairaudit.rewriting.edits import broken

    def drop(s, w):
        return apply_plan(s, EditPlan(replacements=((w, ""),)))

    assert drop("You plan diets, and softly coax parents through them.", "softly") == \
        "You plan diets, and coax parents through them."
    assert drop("We want kind and caring people.", "caring") == "We want kind people."  # a list item takes its "and"
    assert drop("We want a caring payroll clerk.", "caring") == "We want a payroll clerk."
    s = "Greet visitors with a smile as they walk in."
    assert broken(s) and not broken(s, s) and broken("Greet visitors with a.", s)


def test_a_removed_modifier_is_no_continuation_region_but_a_needed_one_is():
    # the head was likelier after its modifier ("softly coax"): no misfit to judge
    s = "You plan diets, and softly coax parents through them."
    assert continuation_regions(s, s.replace("softly ", "")) == []
    s = "We want a cosy, close-knit office team."
    assert continuation_regions(s, s.replace("cosy, ", "")) == []
    # "a nurturing streak" -> "a streak": the noun needs its modifier; the language model judges it
    s = "We want someone with a nurturing streak who listens."
    assert len(continuation_regions(s, s.replace("nurturing ", ""))) == 1


@pytest.mark.parametrize("sentence, word", [
    # an adjective (or participle, or hyphenated compound) right before the noun it modifies: the noun stands alone
    ("We want battle-hardened engineers who can take the heat.", "battle-hardened"),
    ("If you find signal in messy data, we want to hear from you.", "messy"),
    ("Our depot has a snug little loading office by the gate.", "snug"),   # through one more adjective
    ("You will doorstep reluctant witnesses and chase sources.", "reluctant"),
    ("We want tough operators who back themselves.", "tough"),
])
def test_an_adjective_removed_from_before_its_noun_is_no_continuation_region(sentence, word):
    assert continuation_regions(sentence, sentence.replace(word + " ", "")) == []


@pytest.mark.parametrize("sentence, word", [
    ("You bring a motherly manner to every home visit.", "motherly"),   # a carrier noun needs its modifier
    ("You have a big heart for older people.", "big"),
    ("Keep a steady pace on the line all shift.", "steady"),
    ("The town has an engineering office near the river.", "engineering"),  # half of a noun compound
    ("Join our girl gang of illustrators every Friday.", "girl"),
])
def test_a_modifier_its_noun_needs_or_a_compound_half_still_has_its_continuation_judged(sentence, word):
    assert len(continuation_regions(sentence, sentence.replace(word + " ", ""))) == 1


@pytest.mark.parametrize("sentence, old, new, judged", [
    # a colloquial noun for staff made neutral: no continuation to judge (the model's stereotype is no misfit)
    ("Only hard-core blokes last the swing on this site.", "blokes", "people", False),
    ("Our lads start at 7 sharp every weekday.", "lads", "people", False),
    ("The foremen sign off every pour on site.", "foremen", "supervisors", False),
    # a pronoun left behind, a change of number, or a plain noun that may name the clients: still judged
    ("We expect a bloke to pull his weight from day one.", "bloke", "person", True),
    ("Our lads start at 7 sharp every weekday.", "lads", "person", True),
    ("You will assess pregnant women and infants on the ward.", "women", "people", True),
    ("Ask the ladies at the desk for a locker key.", "ladies", "adjectives", True),
])
def test_a_neutral_noun_for_gendered_staff_is_no_continuation_region_unless_a_pronoun_or_client_remains(
        sentence, old, new, judged):
    after = sentence.replace(old, new)
    assert bool(continuation_regions(sentence, after)) is judged


@pytest.mark.parametrize("sentence, word", [
    ("Office Manager – creative agency, Noida.", "creative"),              # a heading: every word is a label
    ("We take on the roughest sets and never give up a grade.", "roughest"),  # a superlative is content
    ("We are a creative agency in Noida with twelve staff.", "creative"),   # what kind of employer it is
])
def test_an_adjective_that_carries_content_keeps_its_continuation_judged(sentence, word):
    assert len(continuation_regions(sentence, sentence.replace(word + " ", ""))) == 1
