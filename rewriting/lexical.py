"""Word-level checks of a rewrite that read the words themselves: is a new word English, is an edited word one a
careful editor would edit, does an edit make a phrase contrast a word with itself.

They exist for rewrites the round-4 benchmark accepted and that read wrong (``rewrite_examples.md``):
typos of the policy's whole-sentence rewrites ("good-morning song" -> "good-mording song", "schematics" ->
"scatures"), non-coded words swapped for the sense-changing words of another ad ("mortar in the veins" ->
"mortar in the plates", "a shared thermos" -> "a split thermos" is left to the language model, "our back
office" -> "our office"), and "sort the men from the boys" -> "sort the people from the people".
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .meaning import GENDERED_PEOPLE, coded_added, demographic_added, strip_token

#: Family and kinship nouns that name a person by gender ("the aunties on our front desk", "a band of
#: brothers", "second mothers"): as gendered as :data:`rewriting.meaning.GENDERED_PEOPLE`.
GENDERED_KIN: frozenset[str] = frozenset((
    "aunt", "aunts", "auntie", "aunties", "aunty", "uncle", "uncles", "mum", "mums", "mom", "moms", "mother",
    "mothers", "dad", "dads", "father", "fathers", "sister", "sisters", "brother", "brothers", "grandmother",
    "grandmothers", "grandma", "grandmas", "granny", "grannies", "grandfather", "grandfathers", "grandpa",
    "granddaughter", "granddaughters", "grandson", "grandsons", "wife", "wives", "husband", "husbands",
    "godmother", "godmothers", "sorority", "fraternity", "sisterhood", "brotherhood", "daughter", "daughters",
    "son", "sons", "gents", "fella", "fellas", "dude", "dudes", "bro", "bros",
))
_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
#: "the men from the boys" -> "the people from the people": the same word on both sides of a contrast.
_CONTRAST = re.compile(r"\b([a-z]+)\s+(?:from|and|or|versus|vs\.?|to|than|not)\s+(?:the\s+|a\s+|an\s+)?\1\b",
                       re.IGNORECASE)
#: "tough operators who ..., not people who ..." -> "people who ..., not people who ...": one noun both sides.
_CLAUSE_CONTRAST = re.compile(r"\b([a-z]+)\s+(who|that)\b[^.;:]{0,80}?\b(?:not|rather than|instead of)\s+"
                              r"(?:the\s+|a\s+|an\s+)?\1\s+\2\b", re.IGNORECASE)


def unknown_words(before: str, after: str) -> list[str]:
    """Words of ``after`` that ``before`` does not have and no English word list knows.

    A word is known when ``wordfreq``'s English list gives it a Zipf frequency above 0 (about one use in
    a billion words or more; Speer, *wordfreq*, 2022). Words already in ``before`` (names, products,
    jargon of the ad) are never reported, so only what the rewrite brought in is judged.

    Parameters
    ----------
    before, after : str
        The sentence before and after the rewrite.

    Returns
    -------
    list of str
        The unknown words, in order, without repeats.
    """
    from wordfreq import zipf_frequency

    have = {w.lower() for w in _WORDS.findall(str(before))}
    new = [w for w in _WORDS.findall(str(after)) if w.lower() not in have]
    return list(dict.fromkeys(w for w in new if _zipf(w.lower(), zipf_frequency) <= 0.0))


def _zipf(word: str, fn) -> float:
    # a hyphenated word is known when the whole is, or every part is ("good-mording" is not)
    z = fn(word, "en")
    if z > 0 or "-" not in word:
        return z
    return min(fn(p, "en") for p in word.split("-") if p) if word.strip("-") else 0.0


def self_contrasts(before: str, after: str) -> list[str]:
    """Phrases of ``after`` that set a word against itself ("the people from the people", "people who ...,
    not people who ...") and ``before`` lacks.

    Parameters
    ----------
    before, after : str
        The sentence before and after the rewrite.

    Returns
    -------
    list of str
        The new self-contrasting phrases.
    """
    found = []
    for pattern in (_CONTRAST, _CLAUSE_CONTRAST):
        old = {m.group(0).lower() for m in pattern.finditer(str(before))}
        found += [m.group(0) for m in pattern.finditer(str(after)) if m.group(0).lower() not in old]
    return found


def is_gendered_or_coded(phrase: str) -> bool:
    """True when a phrase holds a gender-coded word (Gaucher et al., 2011, with the extension), a word that
    names a person by gender or kinship, or a demographic word.

    Parameters
    ----------
    phrase : str
        The old side of an edit.
    """
    words = [strip_token(w).lower() for w in str(phrase).split()]
    from .people import gendered_compound

    return (any(w in GENDERED_PEOPLE or w in GENDERED_KIN or gendered_compound(w) for w in words)
            or bool(coded_added("", phrase)) or bool(demographic_added("", phrase)))


#: A careful human's edit of a word that is not coded counts when humans made it in this many training ads:
#: one ad's swap may fit only its own context ("beat deadlines -> perform better than deadlines").
MIN_PAIR_ADS = 2


@lru_cache(maxsize=2)
def human_pairs(min_ads: int = MIN_PAIR_ADS) -> frozenset[tuple[str, str]]:
    """(old, new) phrase edits careful humans made in at least ``min_ads`` training ads
    (``rewriting/data/phrase_pairs.csv``, new = "" for a removal), lower-cased."""
    from .vocabulary import phrase_pairs

    t = phrase_pairs()
    t = t[t["ads"].astype(int) >= min_ads]
    return frozenset(zip(t["old"].astype(str).str.lower().str.strip(), t["new"].astype(str).str.lower().str.strip()))


@lru_cache(maxsize=1)
def human_phrase_edits() -> frozenset[tuple[str, str]]:
    """Every (old, new) edit of two or more old words that a careful human made in a training ad: the phrase
    carries its own context ("a soft spot for -> an interest in")."""
    return frozenset((o, n) for o, n in human_pairs(1) if len(o.split()) >= 2)


def unvetted_edits(plan: Any) -> list[tuple[str, str]]:
    """Edits of a plan that touch no coded or gendered word and that no careful human made.

    A word that is not gender-coded ("veins", "back", "second", "circle") reads as the ad's own
    description; an editor leaves it unless careful humans rewrote it in two or more training ads, the
    way they rewrote it (:func:`human_pairs`: "need -> are looking for", "hit -> meet"); one ad's swap
    fits that ad's context ("beat deadlines" -> "perform better than deadlines" does not fit "beat Core
    Web Vitals into the green"). The recommender may still reward such a swap: that is the noise this
    rule refuses to buy. Whole-phrase edits (:mod:`rewriting.phrases`) are judged elsewhere.

    Parameters
    ----------
    plan : rewriting.edits.EditPlan or None
        The edit plan (None or a deletion: nothing to judge).

    Returns
    -------
    list of (str, str)
        The (old, new) edits that fail, ``new`` = "" for a removal.
    """
    if plan is None or plan.delete:
        return []
    from .tagger import tagged_words

    pairs = human_pairs()
    phrases = human_phrase_edits()

    def tagged_ok(o: str, n: str) -> bool:
        # a word only the tagger knows as coded may go, or change within a phrase a careful human rewrote that
        # way ("a soft spot for -> an interest in"), never be swapped for a word of a model's choosing: read by
        # hand, such swaps changed the sense ("orchids -> people", "weak wills -> strong wills", "a wobble -> a fall")
        key = (str(o).lower().strip(), str(n).lower().strip())
        return bool(tagged_words(str(o).split())) and (not key[1] or key in phrases)

    return [(o, n) for o, n in plan.replacements
            if not is_gendered_or_coded(o) and not tagged_ok(o, n)
            and (str(o).lower().strip(), str(n).lower().strip()) not in pairs]
