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
* ``person``: the noun phrase that names the wanted person before ``who`` ("a take-charge
  rockstar who", "patient, loving souls who") when it holds a coded or gendered word and no
  job word, replaced by "someone" / "people".
* ``slogan``: the tail after a dash in a heading ("... Engineer (Go) – Gladiator Wanted").

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
_CLAUSE_WORDS = frozenset(("and", "but", "or", "so", "while", "where", "when", "because", "who", "which", "then"))
#: Words after which the noun phrase of the wanted person starts ("we want | a take-charge rockstar who").
_PERSON_OPENERS = frozenset(("want", "wants", "need", "needs", "hire", "hiring", "seek", "seeking", "for", "are",
                             "is", "be", "love", "welcome", "find", "after", "calling", "wanted"))
_DASHES = (" \u2013 ", " \u2014 ", " - ")
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
        if bare(t) != "like" or bare(toks[i + 1]) not in SIMILE_ARTICLES or i == 0:
            continue
        if bare(toks[i - 1]) in COPULAS or _ends(toks[i - 1]) or _ends(t) or _ends(toks[i + 1]):
            continue
        if any(bare(x) in MANNER_VERBS for x in toks[max(0, i - 5):i]):
            continue  # "treats every guest like family": the comparison completes the verb
        if any(bare(x) in _HAVING and not _ends(x) for x in toks[max(0, i - 8):i]):
            continue  # "a voice like a lullaby", "with shoulders like a bull": it describes a noun, and goes with it
        start = max([j + 1 for j in range(i) if _ends(toks[j]) or toks[j] in ("\u2013", "\u2014", "-")], default=0)
        if i - start <= 2:
            continue  # "…, shoulders like a bull and …": a list item, a noun and its simile, no verb to attach to
        short, long_ = None, None
        j = i + 2
        while j < len(toks) and j - i < MAX_PHRASE:
            b = bare(toks[j])
            if _hard(toks[j], j):
                break
            if short is None and j > i + 2 and b in _PREPOSITIONS:
                short = j
            if j > i + 2 and b in _CLAUSE_WORDS:
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
            if len(span) >= 3 and not any(_hard(x, i + k) for k, x in enumerate(span)):
                out.append(_text(span))
    return list(dict.fromkeys(out))


def person_phrases(sentence: str, is_coded) -> list[tuple[str, str]]:
    """``(phrase, replacement)`` for the coded noun phrase that names the wanted person before ``who``.

    The phrase runs from the determiner (or the word after "want", "need", "for") to the word before
    ``who``, holds a coded or gendered word (``is_coded``), and holds only stop words and words the
    rewrite may change; it becomes "someone" (after "a"/"an") or "people" (a plural without one).

    Parameters
    ----------
    sentence : str
    is_coded : callable word -> bool
        True for a word the phrase must hold (coded, gendered or flagged) and may change.

    Examples
    --------
    >>> person_phrases("We want a take-charge rockstar who never sleeps.", lambda w: w == "rockstar")
    [('a take-charge rockstar', 'someone')]
    """
    toks = tokens(sentence)
    out: list[tuple[str, str]] = []
    for w, t in enumerate(toks):
        if bare(t) != "who" or w < 2:
            continue
        start = None
        for j in range(w - 1, max(-1, w - MAX_PHRASE), -1):
            b = bare(toks[j])
            if j < w - 1 and _ends(toks[j]) and toks[j][-1:] != ",":
                break
            if b in ("a", "an"):
                start = j
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
        if not content or not any(is_coded(x) for x in content):
            continue
        if words[0] in ("a", "an"):
            new = "someone"
        elif words[-1].endswith("s"):
            new = "people"
        else:
            continue
        out.append((_text(span), new))
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


def phrase_plans(sentence: str, is_coded, allowed) -> list[EditPlan]:
    """Edit plans that remove or replace one coded phrase of ``sentence`` (similes, person phrases, slogans).

    Parameters
    ----------
    sentence : str
    is_coded : callable word -> bool
        Coded, gendered or flagged words (a person phrase must hold one).
    allowed : callable word -> bool
        Words a rewrite may change (a person phrase holds only these and stop words).

    Returns
    -------
    list of EditPlan
        One replacement each; the guard and the reward decide.
    """
    plans = [EditPlan(replacements=((s, ""),)) for s in similes(sentence)]
    for phrase, new in person_phrases(sentence, is_coded):
        if all(w in STOP_WORDS or allowed(w) for w in map(bare, phrase.split())):
            plans.append(EditPlan(replacements=((phrase, new),)))
    plans += [EditPlan(replacements=((s, ""),)) for s in slogans(sentence)]
    return list(dict.fromkeys(plans))


def phrase_kind(sentence: str, old: str, new: str) -> str | None:
    """Which phrase edit ``old -> new`` is in ``sentence`` (``"simile"``, ``"person"``, ``"slogan"``), or None.

    The guard lets a recognised phrase edit remove words that are not coded themselves (the vehicle
    of a simile, the modifiers of a coded person phrase): the phrase as a whole is the coding. A
    person phrase counts only when it holds a coded or gendered word and nothing the job needs.
    """
    o, n = str(old).strip().lower(), str(new).strip().lower()
    if not n and o in {x.lower() for x in similes(sentence)}:
        return "simile"
    if not n and o in {x.lower() for x in slogans(sentence)}:
        return "slogan"
    if n in ("someone", "people"):
        from .lexical import is_gendered_or_coded
        from .meaning import editable_words

        allowed = {w.lower() for w in editable_words(sentence)}
        found = {p.lower() for p, _ in person_phrases(sentence, is_gendered_or_coded)}
        if o in found and all(w in STOP_WORDS or w in allowed for w in map(bare, o.split())):
            return "person"
    return None


def without_figures(sentence: str, plan) -> str:
    """``sentence`` without the similes and slogans ``plan`` removes: what is left must keep its duties."""
    from .edits import apply_plan

    cut = [(o, n) for o, n in phrase_edits(sentence, plan) if not n]
    return apply_plan(sentence, EditPlan(replacements=tuple(cut))) if cut else sentence


def phrase_edits(sentence: str, plan) -> set[tuple[str, str]]:
    """The ``(old, new)`` replacements of ``plan`` that are recognised phrase edits of ``sentence``."""
    if plan is None or plan.delete:
        return set()
    return {(o, n) for o, n in plan.replacements if phrase_kind(sentence, o, n)}
