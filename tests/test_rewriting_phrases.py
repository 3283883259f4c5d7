"""Phrase-level rewrites (rewriting.phrases): similes, coded person phrases and slogans, and how the guard judges them.

Every sentence here is new (written for these tests) or from a training ad; none comes from a test ad.
"""
from __future__ import annotations

import pytest

from fairaudit.rewriting.baselines import fixed_proposals
from fairaudit.rewriting.edits import EditPlan, apply_plan
from fairaudit.rewriting.guards import Case, run_rules
from fairaudit.rewriting.lexical import is_gendered_or_coded
from fairaudit.rewriting.phrases import person_phrases, phrase_kind, phrase_plans, similes, slogans
from fairaudit.rewriting.rewrite import Unit
from test_rewriting_rules import edit_of


@pytest.mark.parametrize("sentence, want", [
    # training ads
    ("We need a site engineer who can run a section like a drill sergeant.", ["like a drill sergeant"]),
    ("Run the bench like a quarterback under a blitz, and keep the queue moving.",
     ["like a quarterback under a blitz"]),
    ("We want a guy who goes into every outage like a boxer and never taps out.", ["like a boxer"]),
    # new: the tail names the job's work, so the short form is proposed too
    ("You will lay 900 bricks a day like a machine on new-build sites.",
     ["like a machine", "like a machine on new-build sites"]),
])
def test_a_simile_is_found_up_to_its_clause_boundary(sentence, want):
    assert similes(sentence) == want


@pytest.mark.parametrize("sentence", [
    "Our engineering office is like a second home, where colleagues celebrate birthdays.",  # the predicate
    "Our lab feels like a sunny kitchen table.",
    "You need experience with tools like Jira and Confluence.",          # "like" = "such as"
    "You know frameworks like the .NET stack.",
    "You will run drills like a 10-minute stand-up every morning.",      # a number is never removed
    "Like a good neighbour, we are there.",                              # no verb phrase before it
    "We want a carer who treats every resident like a favourite aunt.",  # "treat X like Y" needs its "like"
    "We want a nurse with a calm manner and a voice like a lullaby.",    # it describes a noun
    "We want brickies who lay 800 a day \u2013 steady hands, shoulders like a bull and a back that never aches.",
])
def test_a_like_that_is_not_a_removable_simile_is_left_alone(sentence):
    assert similes(sentence) == []


def test_removing_a_simile_keeps_the_conjunction_after_it():
    s = "We want a guy who goes into every outage like a boxer and never taps out."
    assert apply_plan(s, EditPlan(replacements=(("like a boxer", ""),))) == \
        "We want a guy who goes into every outage and never taps out."


def test_a_coded_person_phrase_before_who_becomes_someone_or_people():
    assert person_phrases("We want a take-charge rockstar who can run the counter.", is_gendered_or_coded) == \
        [("a take-charge rockstar", "someone")]
    assert person_phrases("We are looking for gentle, nurturing souls who care.", is_gendered_or_coded) == \
        [("gentle, nurturing souls", "people")]
    # no coded or gendered word: nothing to replace
    assert person_phrases("We need a site engineer who can run a section.", is_gendered_or_coded) == []


def test_a_slogan_after_the_dash_of_a_heading():
    assert slogans("Senior Backend Engineer (Go) \u2013 Ninjas Wanted.") == ["\u2013 Ninjas Wanted"]
    assert slogans("Sous Chef \u2013 \u00a332k plus tips.") == []
    assert slogans("Staff Nurse \u2013 Elderly Care Ward") == []  # a place, not a slogan


@pytest.mark.parametrize("sentence, answer, title", [
    ("We need a site engineer who can run a section like a drill sergeant.", "like a drill sergeant -> ", ""),
    ("You will stand on the touchline like a sentry on the wall and strap ankles.", "like a sentry on the wall -> ",
     ""),
    ("We want a take-charge rockstar who can run the counter.", "a take-charge rockstar -> someone", ""),
    ("Senior Backend Engineer (Go) \u2013 Ninjas Wanted.", "\u2013 Ninjas Wanted -> ", "Senior Backend Engineer"),
])
def test_the_text_rules_accept_a_whole_phrase_edit(sentence, answer, title):
    e = edit_of(Case(sentence, answer, title=title))
    assert run_rules(e) == []


@pytest.mark.parametrize("sentence, answer, rule", [
    # half a simile is a word edit and is judged as one
    ("We need a site engineer who can run a section like a drill sergeant.", "drill sergeant -> ", "removal_grammar"),
    # a job noun is no coded person phrase
    ("We need a site engineer who can run a section.", "a site engineer -> someone", "job_words"),
    # "like Jira" names a tool
    ("You need experience with tools like Jira and Confluence.", "like Jira -> ", "job_words"),
    # "need" after "you" states a requirement; only the employer's "we need" says the job is offered
    ("You'll need a full UK driving licence and your own car.", "need -> are looking for", "job_words"),
    ("You need a degree in civil engineering.", "need -> are looking for", "job_words"),
    # a modal before a finite verb is broken English, whatever the language model says
    ("You'll need a full UK driving licence.", "need -> are looking for", "broken_sentence"),
])
def test_what_is_not_a_whole_phrase_edit_or_an_employers_wish_meets_the_word_rules(sentence, answer, rule):
    assert rule in [name for name, _ in run_rules(edit_of(Case(sentence, answer)))]


def test_phrase_kind_names_only_recognised_edits():
    s = "We want a tough guy who runs the pass like a heavyweight bout."
    assert phrase_kind(s, "like a heavyweight bout", "") == "simile"
    assert phrase_kind(s, "a tough guy", "someone") == "person"
    assert phrase_kind(s, "heavyweight bout", "") is None
    assert phrase_kind(s, "like a heavyweight bout", "like a match") is None


def test_the_policy_pipeline_proposes_phrase_edits_beside_word_edits():
    s = "You will plate 200 covers a night like a soldier under fire, and train the commis."
    unit = Unit(row=0, slot=0, sentence=s, title="Sous Chef", flagged=("soldier",), effect=0.02)
    texts = [p.sentence for p in fixed_proposals(unit)]
    assert "You will plate 200 covers a night, and train the commis." in texts
    assert EditPlan(replacements=(("like a soldier under fire", ""),)) in phrase_plans(s, lambda w: False,
                                                                                         lambda w: False)


def test_the_employers_wish_may_be_rephrased():
    e = edit_of(Case("We need a bricklayer who can lay 800 bricks a day.", "need -> are looking for"))
    assert e.unit_after == "We are looking for a bricklayer who can lay 800 bricks a day."
    assert "job_words" not in [name for name, _ in run_rules(e)]


def test_a_one_word_swap_one_careful_human_made_is_not_reused_out_of_context():
    from fairaudit.rewriting.lexical import human_pairs
    from fairaudit.rewriting.vocabulary import pair_plans, phrase_pairs

    t = phrase_pairs()
    single = t[(t["ads"].astype(int) < 2) & (t["old"].str.split().str.len() == 1)]
    assert len(single), "the shipped vocabulary has one-ad single-word pairs"
    old, new = single.iloc[0]["old"], single.iloc[0]["new"]
    assert (old.lower(), str(new).lower()) not in human_pairs()
    assert all((old, new) not in p.replacements for p in pair_plans(f"We {old} it every day."))
    # the guard refuses it on a word that is not coded (rule coded_target)
    assert "coded_target" in [n for n, _ in run_rules(edit_of(Case(
        "You'll beat every deadline we set.", "beat -> perform better than")))]


# -- round 4, seventh run: the job's role for a coded person, "to" after it, describing clauses, bare similes ----

@pytest.mark.parametrize("title, one, many", [
    ("Office Manager \u2013 Fintech Startup", "an office manager", "office managers"),
    ("HGV Driver (Nights)", "an HGV driver", "HGV drivers"),
    ("Urologist", "a urologist", "urologists"),
    ("Usher", "an usher", "ushers"),
    ("Senior Dental Nurse, Leeds", "a senior dental nurse", "senior dental nurses"),
    ("Data Science Rockstar \u2013 Pricing", None, None),   # a coded title names no neutral role
    ("Band 5 Staff Nurse", None, None),                     # a number: not a plain role
    ("", None, None),
])
def test_the_role_of_a_job_comes_from_its_title(title, one, many):
    from fairaudit.rewriting.roles import role

    assert role(title) == one and role(title, plural=True) == many


def test_a_coded_person_phrase_may_become_the_jobs_role_and_may_end_before_to():
    s = "We are looking for a mother hen to keep our little surgery ticking over."
    assert person_phrases(s, is_gendered_or_coded, "Practice Manager \u2013 Dental") == \
        [("a mother hen", "someone"), ("a mother hen", "a practice manager")]
    many = "We need tough lads who can hang plasterboard all day."
    assert ("tough lads", "plasterers") in person_phrases(many, is_gendered_or_coded, "Plasterer")
    irregular = "The yard is cold, so we want iron men who can weld in the wind."  # a plural without "s"
    assert person_phrases(irregular, is_gendered_or_coded, "Welder") == [("iron men", "people"), ("iron men", "welders")]
    # a group is not the wanted person: "someone" or "an electrician" would not fit "start at six"
    assert person_phrases("We are a crew of hard blokes who start at six.", is_gendered_or_coded, "Electrician") == []
    # after a preposition the phrase is what the person has, not who they are
    assert person_phrases("We'd love someone with a nurturing streak who wants to grow.", is_gendered_or_coded,
                          "Plumber") == []
    # "to" right after a clause end is no phrase boundary
    assert person_phrases("We want a rockstar. To apply, send a CV.", is_gendered_or_coded, "Barista") == []


def test_the_guard_recognises_the_role_only_for_the_job_it_names():
    s = "We are looking for a mother hen to keep our little surgery ticking over."
    assert phrase_kind(s, "a mother hen", "a practice manager", "Practice Manager") == "person"
    assert phrase_kind(s, "a mother hen", "a dentist", "Practice Manager") is None  # not this job's role
    e = edit_of(Case(s, "a mother hen -> a practice manager", title="Practice Manager"))
    assert e.unit_after == "We are looking for a practice manager to keep our little surgery ticking over."
    assert "coded_target" not in [name for name, _ in run_rules(e)]


def test_a_person_phrase_goes_with_its_describing_words_but_never_with_a_requirement_or_title_word():
    def plans(sentence, title, coded=is_gendered_or_coded):
        return [p.replacements[0] for p in phrase_plans(sentence, coded, title=title)
                if p.replacements and p.replacements[0][0].split()[0].lower() in ("a", "an")]

    # describing words that no list knows go with the coded head ("hard-nosed", "burly")
    assert ("a hard-nosed, burly bloke", "a scaffolder") in plans(
        "We want a hard-nosed, burly bloke who can climb in the wind.", "Scaffolder")
    assert ("a man's man", "someone") in plans("We want a man's man who can run the yard.", "Yard Supervisor")
    # a requirement stays, so no phrase edit: the word rules may still change "bloke"
    assert plans("We want an experienced, burly bloke who can climb in the wind.", "Scaffolder") == []
    assert plans("We want a registered, motherly nurse who can run nights.", "Care Home Manager") == []
    # nor a title word in another form: the journeymen are the job's qualification
    assert [p for p in phrase_plans("We're hiring journeymen who can outwork the next crew.", is_gendered_or_coded,
                                    title="Journeyman Plumber") if p.replacements[0][0] == "journeymen"] == []
    # the role keeps the title's own words; "someone" would drop them, so only the role is proposed
    caring = lambda w: w == "caring" or is_gendered_or_coded(w)  # noqa: E731 (a tagger's flag)
    s = "Our small team is looking for a caring payroll clerk who likes numbers."
    assert plans(s, "Payroll Clerk – Leeds", caring) == [("a caring payroll clerk", "a payroll clerk")]
    s2 = "Our small team is looking for a nurturing payroll clerk who likes numbers."
    assert phrase_kind(s2, "a nurturing payroll clerk", "a payroll clerk", "Payroll Clerk") == "person"
    e = edit_of(Case(s2, "a nurturing payroll clerk -> a payroll clerk", title="Payroll Clerk"))
    assert not {"coded_target", "job_words"} & {name for name, _ in run_rules(e)}


def test_a_replaced_person_phrase_or_gendered_compound_drops_no_duty():
    # "mother" and "hen" are nouns a duty could name; replaced as one person phrase they name none (training ad)
    s = "We're a family business through and through, and we're looking for a mother hen to look after our busy " \
        "little office."
    e = edit_of(Case(s, "a mother hen -> an office manager", title="Office Manager \u2013 Hargreaves & Daughters"))
    assert run_rules(e) == []
    # the crew's size is a number the duty check keeps: its neutral form keeps it
    crew = "Dunmore Electrical runs a 30-man crew on hospital fit-outs across Leinster."
    e = edit_of(Case(crew, "30-man -> 30-person", title="Electrician"))
    assert "duty_kept" not in [name for name, _ in run_rules(e)]
    # any other change of the number is still a lost duty
    e = edit_of(Case(crew, "30-man -> big", title="Electrician"))
    assert "duty_kept" in [name for name, _ in run_rules(e)]


def test_a_person_phrase_replaced_into_a_contrast_with_itself_is_rejected():
    s = "We want tough blokes who back themselves, not people who sulk after a knock-back."
    e = edit_of(Case(s, "tough blokes -> people", title="Roofer"))
    assert "self_contrast" in [name for name, _ in run_rules(e)]
    e = edit_of(Case(s, "tough blokes -> roofers", title="Roofer"))
    assert "self_contrast" not in [name for name, _ in run_rules(e)]


@pytest.mark.parametrize("sentence, title, want", [
    ("Harbour Optics in Cork is a small lab that feels like a second family to all of us.", "Optician",
     ["that feels like a second family to all of us"]),
    ("We are a quiet little pharmacy where the counter girls are like sisters.", "Pharmacy Assistant",
     ["where the counter girls are like sisters"]),
    ("You can build a career somewhere that feels like home.", "Warehouse Operative",
     ["that feels like home"]),
])
def test_a_describing_clause_with_coding_or_a_comparison_is_found(sentence, title, want):
    from fairaudit.rewriting.phrases import describing_clauses

    assert describing_clauses(sentence, is_gendered_or_coded, title) == want


@pytest.mark.parametrize("sentence, title", [
    # an action, not a description: greeting customers is the work
    ("Fernhill Books is a cosy shop where our staff greet every reader like an old friend.", "Bookseller"),
    ("Ours is a busy ward where patients are welcomed like family.", "Staff Nurse"),  # a participle: an action
    ("We ensure that every girl in the team is trained.", "Coach"),                   # "that" after a verb
    ("Ours is a site where you'll need a CSCS card like everyone else.", "Labourer"),  # a requirement
    ("Milltown Ltd is a firm that is like a family to its 40 staff.", "Clerk"),        # a number
    ("We run a lab that is calm, friendly and like a family.", "Technician"),          # a list inside
    ("We run a friendly office where people are happy to help if you ask.", "Clerk"),  # "if" is no comparison
])
def test_a_clause_that_states_work_or_a_requirement_is_no_describing_clause(sentence, title):
    from fairaudit.rewriting.phrases import describing_clauses

    assert describing_clauses(sentence, is_gendered_or_coded, title) == []


def test_removing_a_describing_clause_leaves_the_noun_phrase_and_passes_the_text_rules():
    s = "Harbour Optics in Cork is a small lab that feels like a second family to all of us."
    e = edit_of(Case(s, "that feels like a second family to all of us -> ", title="Optician"))
    assert e.unit_after == "Harbour Optics in Cork is a small lab."
    assert run_rules(e) == []


@pytest.mark.parametrize("sentence, want", [
    ("Bayside Freight needs loaders who can go at it like linebackers on fourth down.",
     ["like linebackers", "like linebackers on fourth down"]),
    ("Every order is packed like clockwork every day.", ["like clockwork"]),
    # a frequency after the vehicle is the verb's: the on-call rota stays
    ("You will carry the on-call phone like a soldier one night in five.", ["like a soldier"]),
])
def test_a_simile_without_an_article_after_a_verb_or_pronoun(sentence, want):
    assert similes(sentence) == want


@pytest.mark.parametrize("sentence", [
    "You have skills like welding and brazing.",          # after a noun, "like" is "such as"
    "You know libraries like pandas and numpy.",
    "We care for residents like family.",
    "You will use tools like Jira every day.",             # a name
])
def test_like_such_as_without_an_article_stays(sentence):
    assert similes(sentence) == []


def test_a_sentence_whose_figure_moves_the_gap_is_a_unit_though_deleting_it_does_not():
    """find_units occludes phrase edits: "like linebackers" narrows the gap, deleting the sentence widens it."""
    import numpy as np
    import pandas as pd

    from fairaudit.rewriting.rewrite import find_units

    class Reward:
        def fairness_gaps(self, texts):
            return np.array([0.1 + 0.2 * ("linebackers" in t) + 0.5 * ("loaders" not in t) for t in texts])

    jobs = pd.DataFrame({"job_id": ["a"], "title": ["Loader"], "text": [
        "Bayside Freight needs loaders who can go at it like linebackers on fourth down. "
        "You will load trailers with a forklift. Pay is 19 dollars an hour."]})
    units = find_units(jobs, Reward())
    assert [u.slot for u in units] == [0] and units[0].effect == pytest.approx(0.2)
    assert not units[0].flagged and not units[0].deletable
