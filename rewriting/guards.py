"""The guard's rules, in one registry: what a rewrite must never do, each rule with the bad cases it exists for.

As a linter keeps its rules, every reason to reject a rewrite is a :class:`Rule` in
:data:`RULES`: a name, a one-line description, the check (a function of one :class:`Edit`,
returning why it fails, or nothing) and the bad cases it was written for
(``tests/test_rewriting_rules.py`` runs every case of every rule). :meth:`rewriting.reward.Reward.score` runs them
all and records which fired (column ``rules``); :func:`rule_counts` turns those records into the per-rule counts
that ``benchmarks/rewrite_bench.py`` reports ("how many otherwise-accepted rewrites did this rule reject?").

Two stages: the ``text`` rules read the strings and the numbers the reward has already
computed (similarity, recall, the gaps); the ``model`` rules run the base language model and
only judge the edits every text rule let through, so what they reject was otherwise accepted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable, Sequence

import pandas as pd

from .edits import EditPlan, broken
from .grammar import agreement_errors, inflect_like, sense_problems
from .lexical import self_contrasts, unknown_words, unvetted_edits
from .meaning import (GENDERED_PEOPLE, coded_added, demographic_added, duty_kept, duty_terms,
                      invented_content, is_job_word, plain_word, prompt_echo, states_requirement, strip_token,
                      title_kept)
from .plan_checks import broken_removals, plan_touches_job_words
from .spans import foreign_words, untargeted_spans
from .syntax import (adjective_like, bare, compound_part, ends_in_abbreviation, find, fits_slot, has_verb,
                     lists_scope, slot, starts_sentence, tokens)


@dataclass(frozen=True)
class Edit:
    """One candidate rewrite as the rules see it.

    Attributes
    ----------
    job_before, job_after : the whole job text before and after
    unit_before, unit_after : the edited sentence before and after ("" after = deleted)
    title : the job title
    plan : the edit plan it came from (None for a free-text rewrite)
    similarity, recall : whole-text similarity and requirement recall (:class:`rewriting.reward.Reward`)
    harm : the audited attributes whose gap rose beyond noise, one message each
    fluency_loss, continuation_loss : the base model's judgement (None until the model stage)
    config : the :class:`rewriting.reward.RewardConfig` thresholds
    """

    job_before: str
    job_after: str
    unit_before: str
    unit_after: str
    title: str = ""
    plan: EditPlan | None = None
    similarity: float = 1.0
    recall: float = 1.0
    harm: Sequence[str] = ()
    fluency_loss: float | None = None
    continuation_loss: float | None = None
    config: Any = None

    @property
    def deleted(self) -> bool:
        return bool(self.unit_before.strip()) and not self.unit_after.strip()

    @cached_property  # read by several rules per candidate; the phrase analysis runs once
    def word_plan(self) -> EditPlan | None:
        """The plan without its phrase edits (:mod:`rewriting.phrases`): the word-level rules judge the rest.

        A recognised phrase edit (a whole simile, a coded person phrase, a slogan) removes words that are
        not coded themselves; the phrase as a whole is the coding, and the sentence-level rules (fluency,
        phrase fit, duties kept, harm) judge the result.
        """
        if self.plan is None or self.plan.delete:
            return self.plan
        from .phrases import phrase_edits

        skip = phrase_edits(self.unit_before, self.plan, self.title)
        if not skip:
            return self.plan
        return EditPlan(replacements=tuple(r for r in self.plan.replacements if r not in skip),
                        problems=self.plan.problems)

    @property
    def replacements(self) -> list[tuple[str, str]]:
        plan = self.word_plan
        return [(o, n) for o, n in (plan.replacements if plan is not None and not plan.delete else ())
                if str(n).strip()]


@dataclass(frozen=True)
class Case:
    """A bad case a rule exists for: ``answer`` (an edit plan) applied to ``sentence`` must be rejected.

    ``before`` is the text of the job before the sentence (for rules that read the neighbours);
    with ``rewrite``, ``answer`` is a whole rewritten sentence (a free-text rewrite, no plan).
    """

    sentence: str
    answer: str
    before: str = ""
    title: str = ""
    rewrite: bool = False


@dataclass(frozen=True)
class Rule:
    """A named guard rule (see the module docstring)."""

    name: str
    description: str
    check: Callable[[Edit], list[str]]
    cases: tuple[Case, ...] = ()
    stage: str = "text"


def _plan_problems(e: Edit) -> list[str]:
    return ["edit plan: " + "; ".join(e.plan.problems)] if e.plan is not None and not e.plan.valid else []


def _agreement(e: Edit) -> list[str]:
    out: list[str] = []
    toks = [bare(t) for t in tokens(e.unit_before)]
    for old, new in e.replacements:
        i = find(tokens(e.unit_before), old)
        out += agreement_errors(e.unit_before, old, inflect_like(old, new, toks[i - 1] if i > 0 else None))
    return out


def _word_sense(e: Edit) -> list[str]:
    return [p for old, new in e.replacements for p in sense_problems(old, new)]


def _plain(e: Edit) -> list[str]:
    import re

    out = []
    for old, new in e.replacements:
        odd = [w for w in re.findall(r"[A-Za-z][A-Za-z-]*", str(new)) if not plain_word(w)]
        if odd:
            out.append(f"'{old} -> {new}' brings in {', '.join(odd)}, not plain job vocabulary")
    return out


def _removal(e: Edit) -> list[str]:
    bad = broken_removals(e.unit_before, e.word_plan) if e.plan is not None else []
    return ["removing " + ", ".join(f"'{w}'" for w in bad) + " breaks the sentence"] if bad else []


def _pos_in_context(e: Edit) -> list[str]:
    out = []
    toks = tokens(e.unit_before)
    for old, new in e.replacements:
        i = find(toks, old)
        kind = slot(toks, i, len(tokens(old)))
        if kind and not fits_slot(kind, new):
            what = {"MOD": "a modifier (adjective)", "NOUN": "a noun", "VERB": "a verb"}[kind]
            out.append(f"'{old} -> {new}': the sentence needs {what} there")
    return out


def _fixed_expression(e: Edit) -> list[str]:
    out = []
    toks = tokens(e.unit_before)
    for old, new in e.replacements:
        i = find(toks, old)
        part = compound_part(toks, i, len(tokens(old)))
        if part == "head" and bare(old) in GENDERED_PEOPLE:  # "delivery guy -> driver" keeps the compound's sense
            continue
        if part == "modifier" and _plural_person(old):  # "our lads work hard": a subject and its verb, not a compound
            continue
        if part == "head" or (part == "modifier" and not adjective_like(new)):
            whole = " ".join(toks[i:i + len(tokens(old)) + 1] if part == "modifier" else toks[i - 1:i + len(tokens(old))])
            out.append(f"'{old} -> {new}' splits the expression '{whole.strip('.,;:!?')}' (replace all of it or none)")
    return out


def _plural_person(word: str) -> bool:
    from .meaning import noun_lemma

    w = bare(word)
    return w in GENDERED_PEOPLE and noun_lemma(w) != w


def _duty_kept(e: Edit) -> list[str]:
    from .phrases import without_figures

    before = without_figures(e.unit_before, e.plan, e.title)  # a removed simile or replaced person phrase
    if not e.unit_after.strip() or duty_kept(before, e.unit_after, e.title):
        return []
    from .meaning import stem, words

    have = {stem(w) for w in words(e.unit_after)}
    hard, duty = duty_terms(before, e.title)
    lost = sorted(hard - have) + sorted(duty - have)
    return ["drops the sentence's duties, tools or numbers: " + ", ".join(lost[:6])]


def _fragment(e: Edit) -> list[str]:
    if e.deleted:
        if not starts_sentence(e.unit_before):
            return ["deletes a clause, not a sentence: leaves a fragment"]
        at = e.job_before.find(e.unit_before.strip())
        head = e.job_before[:at].rstrip(" \t") if at > 0 else ""
        if head and not head.endswith("\n") and (head[-1] not in ".!?:;)\"'\u201d" or ends_in_abbreviation(head)):
            return [f"deletes the end of a sentence: leaves the fragment '\u2026{head[-30:].strip()}'"]
        return []
    if e.unit_after.strip() and has_verb(e.unit_before) and not has_verb(e.unit_after):
        return ["leaves a sentence without a verb"]
    if e.unit_after.strip() and ends_in_abbreviation(e.unit_after) and not ends_in_abbreviation(e.unit_before):
        return ["leaves a fragment ending in an abbreviation"]
    return []


def _scope_deleted(e: Edit) -> list[str]:
    return ["deletes a sentence that lists the job's scope (tasks, materials or tools)"] \
        if e.deleted and lists_scope(e.unit_before, is_job_word) else []


def _requirement_deleted(e: Edit) -> list[str]:
    return ["deletes a sentence that states a requirement"] \
        if e.deleted and states_requirement(e.unit_before, e.title) and not lists_scope(e.unit_before, is_job_word) \
        else []


#: Capitalised words that name no place, organisation or product.
_NOT_NAMES = frozenset("i monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays "
                       "fridays saturdays sundays january february march april may june july august september october "
                       "november december".split())


def _name_deleted(e: Edit) -> list[str]:
    if not e.deleted:
        return []
    toks = [strip_token(t) for t in e.unit_before.split()][1:]  # the first word is capitalised anyway
    rest = e.job_after.lower()
    lost = [t for t in toks if t[:1].isupper() and t.lower() not in _NOT_NAMES
            and not re.search(r"(?<!\w)" + re.escape(t.lower()) + r"(?!\w)", rest)]
    return [f"deletes the ad's only mention of {', '.join(repr(t) for t in dict.fromkeys(lost))}"] if lost else []


def _added(what: str, fn) -> Callable[[Edit], list[str]]:
    def check(e: Edit) -> list[str]:
        found = fn(e.job_before, e.job_after)
        return [f"adds {what} words: " + ", ".join(found)] if found else []
    return check


def _threshold(name: str, value: str, limit: str, text: str) -> Callable[[Edit], list[str]]:
    def check(e: Edit) -> list[str]:
        v, lim = getattr(e, value), getattr(e.config, limit)
        return [f"{text} {v:.2f} < {lim}"] if v is not None and v < lim else []
    check.__name__ = name
    return check


def _model_loss(value: str, limit: str, text: str) -> Callable[[Edit], list[str]]:
    def check(e: Edit) -> list[str]:
        v, lim = getattr(e, value), getattr(e.config, limit)
        return [f"{text} ({v:.2f} > {lim})"] if v is not None and lim > 0 and v > lim else []
    return check


#: Every rule of the guard, in the order its reasons are listed.
RULES: tuple[Rule, ...] = (
    Rule("edit_plan", "the answer is a clean edit plan (parsable, every phrase in the sentence, short replacements)",
         _plan_problems, (Case("We want a ninja.", "ninja -> expert; rockstar -> pro"),)),
    Rule("empty", "the rewrite leaves some text", lambda e: ["empty"] if not e.job_after.strip() else []),
    Rule("job_words", "only gender-coded, gendered, style and other words that name no duty are edited, never a "
         "skill, duty, tool, name or number",
         lambda e: (["edits words the job needs: " + ", ".join(t)]
                    if (t := plan_touches_job_words(e.unit_before, e.word_plan, e.title) if e.plan else []) else []),
         (Case("Knowledge of iTrent is desirable.", "iTrent -> software"),
          Case("You will lay bricks and point the walls on site.", "bricks -> blocks"),
          Case("You will triage patients on a busy ward.", "patients -> people"))),
    Rule("duty_kept", "a rewritten sentence keeps its numbers, names, tools and title words, and most of the nouns "
         "and verbs that name its duties (a whole-sentence rewrite has no plan for job_words to check)",
         _duty_kept,
         (Case("You will lay 900 bricks a day like a machine on new-build sites.",
               "You will work steadily on building sites.", rewrite=True),
          Case("You'll plan lessons in Google Classroom and mark Year 9 mock papers with a gentle touch.",
               "You'll plan lessons and support pupils with care.", rewrite=True),
          Case("You will unload trailers and pick orders with RF scanners like a machine.",
               "You will work quickly in the warehouse.", rewrite=True))),
    Rule("coded_target", "a word-level edit touches a gender-coded, gendered or demographic word, or is an edit "
         "careful humans made in two or more training ads; any other word is the ad's own description",
         lambda e: [f"edits '{o}', which is not coded, the way no careful human did ('{o} -> {n or '(removed)'}')"
                    for o, n in unvetted_edits(e.word_plan)],
         (Case("We lay mortar in the veins and keep a steady hand.", "veins -> plates"),
          Case("Our back office is a snug nook by the loading yard.", "back -> "),
          Case("We are a sewing circle for pipes and drains.", "circle -> team"),
          Case("You'll beat every deadline we set.", "beat -> perform better than"))),
    Rule("rewrite_target", "every span a whole-sentence rewrite changes touches a gender-coded, gendered or style "
         "word, or removes a simile or slogan (what coded_target asks of an edit plan)",
         lambda e: [] if e.plan is not None or not e.unit_after.strip() else
         [("changes no word (punctuation, a contraction or a hyphen only)" if not o and not n else
           f"rewrites '{o}', which holds no coded word ('{o} -> {n or '(removed)'}')")
          for o, n in untargeted_spans(e.unit_before, e.unit_after)],
         (Case("You'll work one week in five on the out-of-hours rota.",
               "You'll work every day on the out-of-hours rota.", rewrite=True),
          Case("You will also keep the site diary and order materials.",
               "You will keep the site diary and order materials.", rewrite=True),
          Case("The school day finishes at 3:15, which suits parents.",
               "The school day ends at 3:15, which suits parents.", rewrite=True),
          Case("You'll run the stores, order stock and keep the books.",
               "You will run the stores, order stock and keep the books.", rewrite=True),
          # a style word one human edited in one ad that names job content elsewhere is not coding
          Case("We ship first and tidy the code later.", "We send first and tidy the code later.", rewrite=True))),
    Rule("rewrite_vocabulary", "a whole-sentence rewrite brings in only the ad's own words, careful humans' "
         "replacements, the neutral lexicon's words or neutral nouns for people, and doubles no word",
         lambda e: ([f"brings in {', '.join(repr(w) for w in f)}, outside an editor's vocabulary"]
                    if e.plan is None and e.unit_after.strip() and (f := foreign_words(e.job_before, e.unit_before,
                                                                                       e.unit_after)) else []),
         (Case("We need a foreman who can run a section like a drill sergeant.",
               "We need a foreman who can run a section like an inspector in a frontline workstation.", rewrite=True),
          Case("Our depot feels like a warm kitchen on a snowy day.",
               "Our depot feels like a furry larder on a snowy day.", rewrite=True),
          Case("Top sellers win commission kickers every month.", "Top sellers win commission commissions every month.",
               rewrite=True))),
    Rule("real_words", "every word a rewrite brings in is an English word (wordfreq's list): no typo, no blend",
         lambda e: ([f"brings in {', '.join(repr(w) for w in u)}, which no English word list has"]
                    if e.unit_after.strip() and (u := unknown_words(e.unit_before, e.unit_after)) else []),
         (Case("The day starts with the good-morning song at the front door.",
               "The day starts with the good-mording song at the front door.", rewrite=True),
          Case("You will draw schematics in KiCad and test boards.",
               "You will draw scatures in KiCad and test boards.", rewrite=True),
          Case("Our studio is calm and soft-spoken.", "Our studio is calm and softspoken.", rewrite=True))),
    Rule("self_contrast", "an edit never sets a word against itself ('the men from the boys' -> 'the people from "
         "the people')",
         lambda e: [f"leaves the empty contrast '{c}'" for c in self_contrasts(e.unit_before, e.unit_after)]
         if e.unit_after.strip() else [],
         (Case("On the first day we sort the men from the boys.", "men -> people; boys -> people"),
          Case("Ask the ladies and the gents at the desk.", "ladies -> staff; gents -> staff"),
          Case("We want tough operators who back themselves, not people who sulk.", "tough operators -> people"))),
    Rule("agreement", "a replacement agrees with its subject ('who dominates' -> 'who excels in', never 'who excel in')",
         _agreement),
    Rule("word_sense", "old and new can share a part of speech; a word that only matches a coded stem is not coded",
         _word_sense, (Case("We work together on every release.", "together -> linked"),
                       Case("You keep client data confidential.", "confidential -> capable"))),
    Rule("plain_vocabulary", "a replacement brings in only plain job vocabulary, stop words or vetted replacements",
         _plain, (Case("Our warm team meets every Friday.", "warm -> cozy"),)),
    Rule("removal_grammar", "a removed phrase is a modifier; never the verb of a clause or a noun a duty names",
         _removal, (Case("We share the load on busy days.", "share -> "),
                    Case("We believe kindness makes the best websites.", "kindness -> "))),
    Rule("pos_in_context", "a replacement can do what the old word does in its sentence (modifier, noun or verb)",
         _pos_in_context, (Case("You bring an understanding, patient manner to every home visit.",
                                "understanding -> knowledge"),
                           Case("You take the lead on weekly stock audits.", "lead -> oversee"),
                           Case("We want a dietitian with a heart full of love.", "love -> like"),
                           Case("You will build individual fuelling plans for the squad.", "individual -> person"))),
    Rule("fixed_expression", "a word inside a fixed expression or noun compound is replaced with the whole of it or "
         "not at all", _fixed_expression,
         (Case("Join our girl gang of illustrators every Friday.", "girl -> person"),
          Case("Leave a love note for the night porter.", "love -> like"),
          Case("Staff join the profit sharing scheme after a year.", "sharing -> exchanging"),
          Case("Every apprentice gets a mother hen mentor in week one.", "mother -> parent"))),
    Rule("fragment", "a deletion removes whole sentences and every edited sentence keeps a verb", _fragment,
         (Case("clinic like a boot camp, and coach our netball squad.", "DELETE",
               before="You will open the 7:30 a.m. "),
          Case("Lessons start at 8 a.m. sharp like a drill, and end at noon.", "DELETE",
               before="You will teach from 8 a.m. "),)),
    Rule("similarity", "the whole text stays close in meaning (embedding similarity)",
         _threshold("similarity", "similarity", "min_similarity", "similarity")),
    Rule("requirement_recall", "the requirement terms of the ad are kept",
         _threshold("recall", "recall", "min_recall", "requirement recall")),
    Rule("title", "every title word the ad mentions is kept",
         lambda e: [] if title_kept(e.title, e.job_before, e.job_after) else ["job title dropped"]),
    Rule("requirement_deleted", "a sentence that states a duty, requirement, benefit or logistics is never deleted",
         _requirement_deleted, (Case("You must hold a full UK driving licence.", "DELETE"),
                                Case("Some Saturdays are rostered.", "DELETE"),
                                Case("Site visits are about twice a month.", "DELETE"),
                                Case("Supervisor track for the right person.", "DELETE"))),
    Rule("name_deleted", "a deletion never removes the ad's only mention of a name (a place, an organisation, a "
         "product)", _name_deleted, (Case("Our studio is in Clerkenwell.", "DELETE"),
                                     Case("We work across Bristol and South Gloucestershire.", "DELETE"))),
    Rule("scope_deleted", "a sentence that lists the job's scope (tasks, materials, tools) is never deleted as culture",
         _scope_deleted, (Case("Loft conversions and dormers: roof joists, rafters, skylights, insulation.", "DELETE"),
                          Case("Kitchen refits: worktops, sinks, splashbacks, extractor hoods.", "DELETE"))),
    Rule("demographic_added", "no word naming a group (sex, age, family, race) is added",
         _added("demographic", demographic_added), (Case("We want a ninja who writes tests.", "ninja -> young coder"),
                                                    Case("You will see pregnant women and guide mothers through diets.",
                                                         "women -> mothers"),
                                                    Case("Our women run the stockroom.", "women -> storemen"))),
    Rule("coded_added", "no gender-coded word is added", _added("gender-coded", coded_added),
         (Case("We want a person who writes tests.", "person -> nurturing person"),)),
    Rule("harm_beyond_noise", "no audited attribute's gap rises beyond what meaning-neutral edits of the ad do",
         lambda e: ["widens a gap beyond noise: " + "; ".join(e.harm)] if e.harm else []),
    Rule("prompt_echo", "no fragment of the instruction is echoed",
         lambda e: ["echoes the prompt"] if prompt_echo(e.job_before, e.job_after) else []),
    Rule("invented_content", "a rewrite may drop or rephrase, never add content",
         lambda e: [w] if e.unit_after.strip() and (w := invented_content(e.unit_before, e.unit_after)) else []),
    Rule("broken_sentence", "no visibly broken sentence ('... and a.', 'with ,')",
         lambda e: ["leaves a broken sentence"] if e.unit_after.strip() and broken(e.unit_after, e.unit_before) else []),
    Rule("fluency", "the edited sentence does not read much worse under the base model (mean token NLL)",
         _model_loss("fluency_loss", "max_fluency_loss", "reads much worse (fluency loss"), stage="model"),
    Rule("phrase_fit", "the words after each edit still follow from it under the base model (a changed sense, a "
         "broken idiom, a verb that no longer fits its object)",
         _model_loss("continuation_loss", "max_continuation_loss", "the words after the edit no longer fit "
                     "(continuation loss"),
         (Case("We share the load on busy days.", "share -> eat"),
          Case("You will feel at home on a busy ward.", "feel -> sense"),
          Case("We have shared values and a calm studio.", "shared -> split"),
          Case("You will beat every deadline we set.", "beat -> perform better than")), stage="model"),
)
#: The rules by name.
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def run_rules(edit: Edit, stage: str = "text") -> list[tuple[str, str]]:
    """``(rule name, reason)`` for every rule of ``stage`` that ``edit`` breaks, in registry order."""
    return [(r.name, why) for r in RULES if r.stage == stage for why in r.check(edit)]


def rule_counts(records: Iterable[tuple[Sequence[str], bool]]) -> pd.DataFrame:
    """Per rule, how many candidate rewrites it rejected.

    Parameters
    ----------
    records : iterable of (rule names that fired, narrowed)
        One per scored candidate (``Reward.score``'s ``rules`` column, and whether the candidate
        narrowed the reward's smoothed gap).

    Returns
    -------
    DataFrame
        One row per rule of :data:`RULES`: ``rejected`` (the rule fired), ``sole`` (it was the
        only rule that fired: an otherwise-accepted rewrite) and ``sole_narrowing`` (of those,
        the ones that narrowed the gap, which the rewrite would otherwise have shipped).
    """
    counts = {r.name: [0, 0, 0] for r in RULES}
    for names, narrowed in records:
        names = list(dict.fromkeys(names))
        for n in names:
            c = counts.setdefault(n, [0, 0, 0])
            c[0] += 1
            if len(names) == 1:
                c[1] += 1
                c[2] += int(bool(narrowed))
    return pd.DataFrame([{"rule": n, "description": BY_NAME[n].description if n in BY_NAME else "",
                          "rejected": c[0], "sole": c[1], "sole_narrowing": c[2]} for n, c in counts.items()])


def _doc(rules: Sequence[Rule]) -> str:
    return "\n".join(f"* ``{r.name}`` ({r.stage}): {r.description}" for r in rules)


__doc__ = (__doc__ or "") + "\nThe rules\n---------\n\n" + _doc(RULES) + "\n"
__all__ = ["Edit", "Case", "Rule", "RULES", "BY_NAME", "run_rules", "rule_counts"]
