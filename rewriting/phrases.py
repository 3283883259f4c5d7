"""Phrase-level rewrites of the coding inside a sentence: similes, coded person phrases, slogans.

Round 3 measured where a careful human's shift sits: in one to three *driving* sentences,
mostly duty sentences with a coded phrase inside ("take the pager like a man", "a tough guy
with asbestos hands who barks orders", "Senior Engineer – Gladiator Wanted"). Word edits
cannot reach them: removing "man" leaves "like a", replacing it leaves "like a person"; the
sentence itself states a duty and may not go. An editor removes or replaces the *whole
phrase* and keeps the rest. This module finds those phrases from the sentence's own
structure (no word list of test phrases):

* ``simile``: a comparison ``like a/an ...`` attached to a verb phrase ("run a section like a
  drill sergeant", "look after the wireless like a mother with a newborn"), removed in a short
  form (up to its noun) and a long form (up to the clause boundary). A ``like`` that is the
  sentence's predicate ("our office is like a second home") is not an adjunct and stays.
* ``person``: the noun phrase that names the wanted person before ``who`` or ``to`` ("a take-charge
  rockstar who", "patient, loving souls who", "a mother hen to look after") when it holds a coded
  or gendered word and no job word, replaced by "someone" / "people" or by the job's own role
  from its title ("an office manager", as careful humans most often do).
* ``slogan``: the tail after a dash in a heading ("... Engineer (Go) – Gladiator Wanted").
* ``clause``: a relative clause that ends the sentence and *describes* a noun, with coding or a
  comparison ("a homely little practice | where the girls are like sisters", "an office | that
  feels like Sunday lunch at your auntie's house"), removed. It must say what something is or
  feels like (a linking verb), not what someone does: "where our staff greet every shopper"
  states work and stays, as does a clause that states a requirement.

A phrase edit keeps every hard term (numbers, names, tools, title words) by construction; the
guard (:mod:`rewriting.guards`) still judges it like any edit (fluency, fit of the words after it,
duties kept, harm), and the reward on the user's pool chooses among the proposals.
"""
from __future__ import annotations

import re
from typing import Sequence

from fairaudit.engine.occlusion import STOP_WORDS

from .edits import EditPlan
from .meaning import is_job_word
from .roles import drops_only, person_replacements
from .syntax import bare, tokens

#: Articles that open the vehicle of a simile ("like a drill sergeant"); "like the", "like Jira" may name
#: a tool or an example ("frameworks like the .NET stack", "tools like Jira") and are left alone.
SIMILE_ARTICLES = frozenset(("a", "an"))
#: Verbs whose complement a ``like`` phrase is: removing it leaves "our office is", so it stays.
COPULAS = frozenset(("is", "are", "was", "were", "be", "been", "being", "'s", "feel", "feels", "felt", "look",
                     "looks", "looked", "sound", "sounds", "seem", "seems", "seemed", "become", "becomes",
                     "it's", "that's", "we're", "you're", "they're", "more", "less", "just", "much", "not"))
#: Verbs whose "like" phrase completes them: "treats every infant like a treasure" cannot lose it.
MANNER_VERBS = frozenset(("treat", "treats", "treated", "treating", "regard", "regards", "view", "views", "see",
                          "sees", "handle", "handles", "make", "makes", "act", "acts", "behave", "behaves"))
#: Words after which a "like" phrase describes a noun ("with a voice like a lullaby").
_HAVING = frozenset(("with", "has", "have", "had", "having"))
#: Words that end the short form of a simile's noun phrase ("like a mother | with a newborn").
_PREPOSITIONS = frozenset(("with", "on", "in", "at", "for", "before", "after", "under", "of", "to", "from", "into",
                           "over", "through", "during", "by", "who", "that", "which", "whose", "taking", "hunting",
                           "dropping", "popping"))
#: Words that end a clause inside a sentence (the long form of a simile stops before them).
_CLAUSE_WORDS = frozenset(("and", "but", "or", "so", "while", "where", "when", "because", "who", "which", "then",
                           # a frequency or quantity belongs to the verb: "take the pager like a man | one week in
                           # four", "packed like clockwork | every day"
                           "every", "each", "once", "twice", "per", "one", "two", "three", "four", "five", "six",
                           "seven", "eight", "nine", "ten"))
#: Words after which the noun phrase of the wanted person starts ("we want | a take-charge rockstar who").
_PERSON_OPENERS = frozenset(("want", "wants", "need", "needs", "hire", "hiring", "seek", "seeking", "for", "are",
                             "is", "be", "love", "welcome", "find", "after", "calling", "wanted", "you're"))
#: Words that end the noun phrase of the wanted person ("a take-charge rockstar | who", "a mother hen | to look
#: after").
_PERSON_ENDS = frozenset(("who", "to"))
#: Words that make a noun phrase a group or a description, not the wanted person ("a crew of blokes who").
_NOT_PERSON = frozenset(("of", "with", "in", "on", "at", "from", "and", "or"))
#: Prepositions after which "a ... who" is no wanted person either ("someone with | a nurturing streak who").
_AFTER_PREPOSITION = frozenset(("by", "about", "into", "like", "than", "as", "without", "through"))
_DASHES = (" \u2013 ", " \u2014 ", " - ")
#: Words that open a clause describing the noun before them ("a practice | where ...", "an office | that ...").
_RELATIVES = frozenset(("where", "that", "which"))
#: Words a describing clause may follow although they are no nouns ("somewhere that feels like home").
_PLACES = frozenset(("somewhere", "anywhere", "everywhere", "someplace"))
#: Capitalised words a describing clause may hold: days and months name no product or employer.
_CALENDAR = frozenset(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
                       "february", "march", "april", "may", "june", "july", "august", "september", "october",
                       "november", "december", "christmas"))
#: Comparisons inside a describing clause ("are like sisters", "as if they were our own"); a bare "if" is a
#: condition ("happy to help if you ask"), not one.
_COMPARISON = re.compile(r"\b(?:like|as if|as though)\b")
#: Linking verbs: a clause built on one says what something is or feels like, not what someone does.
_LINKING = frozenset(("is", "are", "was", "were", "be", "feel", "feels", "look", "looks", "seem", "seems", "sound",
                      "sounds", "become", "becomes", "stays", "remain", "remains"))
#: Longest phrase (tokens) a phrase edit removes or replaces.
MAX_PHRASE = 10


def _hard(word: str, i: int) -> bool:
    """A token a phrase edit must never touch: a number, a symbol, a name or product (capitalised inside)."""
    w = word.strip(".,;:!?()[]\"'\u201c\u201d")
    return bool(re.search(r"\d|[$£€%+#/]", w)) or (i > 0 and w[:1].isupper())


def _ends(tok: str) -> bool:
    return tok[-1:] in ",;:.!?)"


def _text(toks: Sequence[str]) -> str:
    return " ".join(toks).rstrip(",;:.!?")


def similes(sentence: str) -> list[str]:
    """Removable similes of a sentence, short form first (``"like a drill sergeant"``).

    A simile starts at ``like`` followed by ``a``/``an`` and a content word, after a word that is
    not a copula (``is``, ``feels``...: there the comparison is the predicate and cannot go).
    It runs to the clause boundary (punctuation or a conjunction), at most :data:`MAX_PHRASE`
    tokens, unless what follows its noun names the job's own work (a word of ESCO's texts:
    "like a machine | on new-build sites"): then it is proposed stopping at its noun as well, and the guard
    and the reward choose. It holds no number or name.

    Examples
    --------
    >>> similes("We need a site engineer who can run a section like a drill sergeant.")
    ['like a drill sergeant']
    >>> similes("Run the bench like a quarterback under a blitz, and keep the queue moving.")
    ['like a quarterback under a blitz']
    >>> similes("You will lay 900 bricks a day like a machine on new-build sites.")
    ['like a machine', 'like a machine on new-build sites']
    >>> similes("Our office is like a second home.")
    []
    """
    toks = tokens(sentence)
    out: list[str] = []
    for i, t in enumerate(toks[:-2]):
        if bare(t) != "like" or i == 0:
            continue
        first = i + 1 + (bare(toks[i + 1]) in SIMILE_ARTICLES)  # the vehicle's first word
        if first == i + 1 and not _bare_vehicle(toks, i):
            continue
        if bare(toks[i - 1]) in COPULAS or _ends(toks[i - 1]) or _ends(t) or _ends(toks[first - 1]):
            continue
        if any(bare(x) in MANNER_VERBS for x in toks[max(0, i - 5):i]):
            continue  # "treats every guest like family": the comparison completes the verb
        if any(bare(x) in _HAVING and not _ends(x) for x in toks[max(0, i - 8):i]):
            continue  # "a voice like a lullaby", "with shoulders like a bull": it describes a noun, and goes with it
        start = max([j + 1 for j in range(i) if _ends(toks[j]) or toks[j] in ("\u2013", "\u2014", "-")], default=0)
        if i - start <= 2:
            continue  # "…, shoulders like a bull and …": a list item, a noun and its simile, no verb to attach to
        short, long_ = None, None
        j = first
        while j < len(toks) and j - i < MAX_PHRASE:
            b = bare(toks[j])
            if _hard(toks[j], j):
                break
            if short is None and j > first and b in _PREPOSITIONS:
                short = j
            if j > first and b in _CLAUSE_WORDS:
                long_ = j
                break
            if _ends(toks[j]):
                long_ = j + 1
                short = short if short is not None else j + 1
                break
            j += 1
        else:
            if j == len(toks):
                long_ = j
                short = short if short is not None else j
        if long_ is None:
            continue
        short = long_ if short is None else short
        # the vehicle runs to the clause boundary ("like a quarterback under a blitz"); a tail that names
        # the job's own work ("like a machine | on new-build sites") is the verb's, so only the short form goes
        tail = [bare(x) for x in toks[short:long_]]
        ends = (short, long_) if any(w not in STOP_WORDS and is_job_word(w) for w in tail) else (long_,)
        for end in dict.fromkeys(ends):
            span = toks[i:end]
            if len(span) >= 3 - (first == i + 1) and not any(_hard(x, i + k) for k, x in enumerate(span)):
                out.append(_text(span))
    return list(dict.fromkeys(out))


#: Pronouns after which a "like" compares the action ("go at it like linebackers").
_OBJECTS = frozenset(("it", "them", "us", "him", "her", "everyone", "everybody", "anyone", "yourself"))


def _bare_vehicle(toks: Sequence[str], i: int) -> bool:
    """A "like" without an article compares only after a pronoun or a verb ("go at it like linebackers",
    "are greeted like long-lost cousins"); after a noun it means "such as" ("skills like welding", "tools like
    pandas") and stays. The vehicle is a lower-case word."""
    from .grammar import known_pos, verb_form

    prev, nxt = bare(toks[i - 1]), toks[i + 1]
    if not nxt[:1].islower() or not nxt.strip(".,;:!?").replace("-", "").isalpha():
        return False
    pos = known_pos(prev)
    return prev in _OBJECTS or ("VERB" in pos and "NOUN" not in pos) or verb_form(prev) in ("VBN", "VBD")


def person_phrases(sentence: str, is_coded, title: str = "") -> list[tuple[str, str]]:
    """``(phrase, replacement)`` for the coded noun phrase that names the wanted person before ``who`` or ``to``.

    The phrase runs from the determiner (or the word after "want", "need", "for") to the word before
    ``who`` (or ``to``: "a mother hen to look after the office"), holds a coded or gendered word
    (``is_coded``), no preposition or conjunction (a group, "a crew of blokes who", is not the
    wanted person), and becomes "someone" or the job's role (:func:`role`; after "a"/"an"),
    or "people" or the roles (a plural without one).

    Parameters
    ----------
    sentence : str
    is_coded : callable word -> bool
        True for a word the phrase must hold (coded, gendered or flagged) and may change.
    title : str
        The job's title, whose role may replace the phrase.

    Examples
    --------
    >>> person_phrases("We want a take-charge rockstar who never sleeps.", lambda w: w == "rockstar")
    [('a take-charge rockstar', 'someone')]
    >>> person_phrases("We want a rockstar to run the bar.", lambda w: w == "rockstar", "Bar Manager")
    [('a rockstar', 'someone'), ('a rockstar', 'a bar manager')]
    """
    toks = tokens(sentence)
    out: list[tuple[str, str]] = []
    for w, t in enumerate(toks):
        if bare(t) not in _PERSON_ENDS or w < 2 or _ends(toks[w - 1]):
            continue
        start = None
        for j in range(w - 1, max(-1, w - MAX_PHRASE), -1):
            b = bare(toks[j])
            if j < w - 1 and _ends(toks[j]) and toks[j][-1:] != ",":
                break
            if b in ("a", "an"):
                # after a preposition the phrase is what someone has, not who: "someone with a nurturing streak who"
                start = None if j > 0 and bare(toks[j - 1]) in _NOT_PERSON | _AFTER_PREPOSITION else j
                break
            if b in _PERSON_OPENERS:
                start = j + 1
                break
        if start is None or start >= w:
            continue
        span = toks[start:w]
        words = [bare(x) for x in span]
        if _ends(span[-1]) or any(_hard(x, start + k) for k, x in enumerate(span)):
            continue
        content = [x for x in words if x not in STOP_WORDS]
        if not content or not any(is_coded(x) for x in content) or _NOT_PERSON & set(words):
            continue
        out += [(_text(span), new) for new in person_replacements(_text(span), title)]
    return out


def describing_clauses(sentence: str, is_coded, title: str = "") -> list[str]:
    """Relative clauses that end ``sentence``, describe the noun before them and hold coding or a comparison.

    A clause opens with ``where``, ``that`` or ``which`` right after a noun (or "somewhere"; a
    ``that`` after a verb, "we ensure that ...", is a complement and is skipped), runs to the end of
    the sentence (at most ``2 * MAX_PHRASE`` tokens, no number, symbol or name; days and months
    allowed) and holds a word ``is_coded`` accepts or a comparison ("like", "as if"). It describes:
    it has a linking verb ("are", "feels", "looks") not followed by a participle ("are greeted"
    is an action), and states no requirement (:func:`rewriting.meaning.states_requirement`, the
    test a deleted sentence meets). At least four tokens stay before it.

    Examples
    --------
    >>> describing_clauses("We are a small practice where the girls are like sisters.", lambda w: False)
    ['where the girls are like sisters']
    >>> describing_clauses("We ensure that every patient is seen within an hour.", lambda w: True)
    []
    """
    from .grammar import known_pos, verb_form
    from .meaning import states_requirement
    from .syntax import VERB_SLOT

    toks = tokens(sentence)
    out: list[str] = []
    for i, t in enumerate(toks):
        if bare(t) not in _RELATIVES or i < 4 or _ends(t):
            continue
        prev = toks[i - 1]
        if prev[-1:] in ";:.!?)" or bare(toks[i - 2]) in VERB_SLOT:
            continue
        pos = known_pos(bare(prev))
        if bare(prev) not in _PLACES and pos and "NOUN" not in pos:  # unknown to the dictionary ("lab"): a noun
            continue
        clause = toks[i:]
        if not 3 <= len(clause) <= 2 * MAX_PHRASE or any(_ends(x) for x in clause[:-1]):
            continue
        if any(_hard(x, i + k) and bare(x) not in _CALENDAR for k, x in enumerate(clause)):
            continue
        words = [bare(x) for x in clause]
        if not (any(is_coded(w) for w in words) or _COMPARISON.search(" ".join(words[1:]))):
            continue
        linking = [k for k, w in enumerate(words[:-1])
                   if w in _LINKING and verb_form(words[k + 1]) not in ("VBN", "VBD")]
        if linking and not states_requirement(_text(clause), title):
            out.append(_text(clause))
    return out


def _gender_coded(word: str) -> bool:
    # a slogan's coding is gendered ("Ninjas Wanted", "Guys Only"); "Elderly Care Ward" names a place
    from .meaning import GENDERED_PEOPLE, coded_added

    return word.lower() in GENDERED_PEOPLE or bool(coded_added("", word))


def slogans(sentence: str, is_coded=None) -> list[str]:
    """The tail after a dash in a heading ("Senior Engineer (Go) – Gladiator Wanted"): up to 6 words, no number,
    holding a word ``is_coded`` accepts (default: gender-coded or gendered); a place or an employer after the dash
    ("Staff Nurse – Elderly Care Ward") is not a slogan."""
    if is_coded is None:
        is_coded = _gender_coded
    s = str(sentence).strip()
    for d in _DASHES:
        if d in s:
            tail = s.rsplit(d, 1)[1].rstrip(".!?:").strip()
            toks = tail.split()
            if 0 < len(toks) <= 6 and not re.search(r"\d|[$£€%]", tail) and any(is_coded(bare(t)) for t in toks):
                return [d.strip() + " " + tail]
    return []


def phrase_plans(sentence: str, is_coded, title: str = "") -> list[EditPlan]:
    """Edit plans that remove or replace one coded phrase of ``sentence`` (similes, person phrases, slogans,
    describing clauses).

    Parameters
    ----------
    sentence : str
    is_coded : callable word -> bool
        Coded, gendered or flagged words (a person phrase must hold one).
    title : str
        The job's title: its role may replace a coded person phrase, which never drops a title word or a
        requirement (:func:`rewriting.roles.drops_only`).

    Returns
    -------
    list of EditPlan
        One replacement each; the guard and the reward decide.
    """
    plans = [EditPlan(replacements=((s, ""),)) for s in similes(sentence)]
    for phrase, new in person_phrases(sentence, is_coded, title):
        if drops_only(phrase, new, title):
            plans.append(EditPlan(replacements=((phrase, new),)))
    plans += [EditPlan(replacements=((s, ""),)) for s in slogans(sentence)]
    plans += [EditPlan(replacements=((c, ""),)) for c in describing_clauses(sentence, is_coded, title)]
    return list(dict.fromkeys(plans))


def phrase_kind(sentence: str, old: str, new: str, title: str = "") -> str | None:
    """Which phrase edit ``old -> new`` is in ``sentence`` ("simile", "person", "slogan", "clause"), or None.

    The guard lets a recognised phrase edit remove words that are not coded themselves (the vehicle
    of a simile, the modifiers of a coded person phrase): the phrase as a whole is the coding. A
    person phrase counts only when it holds a coded or gendered word and nothing the job needs.
    """
    o, n = str(old).strip().lower(), str(new).strip().lower()
    if not n and o in {x.lower() for x in similes(sentence)}:
        return "simile"
    if not n and o in {x.lower() for x in slogans(sentence)}:
        return "slogan"
    from .lexical import is_gendered_or_coded

    if not n and o in {x.lower() for x in describing_clauses(sentence, is_gendered_or_coded, title)}:
        return "clause"
    if n and n in {x.lower() for x in person_replacements(o, title)}:
        from .meaning import editable_words

        allowed = {w.lower() for w in editable_words(sentence, title)}.__contains__
        found = {(p.lower(), r.lower())
                 for p, r in person_phrases(sentence, lambda w: allowed(w) or is_gendered_or_coded(w), title)}
        if (o, n) in found and drops_only(o, n, title):
            return "person"
    return None


def without_figures(sentence: str, plan, title: str = "") -> str:
    """``sentence`` as ``plan``'s phrase edits and gendered compounds leave it: what else is left must keep its
    duties (a removed simile or a replaced coded person phrase, "a mother hen" -> "an office manager", names no
    duty; "a 30-man crew" -> "a 30-person crew" keeps its number)."""
    from .edits import apply_plan
    from .people import neutral_title

    done = [(o, n) for o, n in phrase_edits(sentence, plan, title)]
    if plan is not None and not plan.delete:
        done += [(o, n) for o, n in plan.replacements if n and neutral_title(o) == n.lower()]
    return apply_plan(sentence, EditPlan(replacements=tuple(dict.fromkeys(done)))) if done else sentence


def phrase_edits(sentence: str, plan, title: str = "") -> set[tuple[str, str]]:
    """The ``(old, new)`` replacements of ``plan`` that are recognised phrase edits of ``sentence``."""
    if plan is None or plan.delete:
        return set()
    return {(o, n) for o, n in plan.replacements if phrase_kind(sentence, o, n, title)}
