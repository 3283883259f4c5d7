"""The job's role, from its title, and what a coded person phrase may become.

"We want a bloke who ..." reads as an editor wrote it when the phrase becomes the role the ad
is for ("we want a sales assistant who ..."), or "someone" where the title names no plain role
(:func:`rewriting.phrases.person_phrases` finds the phrase; this module names what replaces it).
"""
from __future__ import annotations

import re

from fairaudit.engine.occlusion import STOP_WORDS

from .syntax import bare

#: Characters that end a job title's role ("Office Manager – Fintech Startup", "Sous Chef (Nights)").
_TITLE_END = re.compile(r"\s[\u2013\u2014-]\s|[(|,:/\[]")
#: Longest role (words) taken from a title.
MAX_ROLE = 4


def role(title: str, plural: bool = False) -> str | None:
    """The job's role as a noun phrase, from its title: ``"an office manager"`` (or ``"office managers"``).

    The role is the title up to its first dash, bracket or comma ("Office Manager – Fintech
    Startup"), one to :data:`MAX_ROLE` words of letters, none of them gender-coded or gendered
    ("Data Science Rockstar" gives none); acronyms keep their case. None when there is no such role.

    Examples
    --------
    >>> role("Office Manager \u2013 Fintech Startup")
    'an office manager'
    >>> role("HGV Driver (Nights)", plural=True)
    'HGV drivers'
    >>> role("Data Science Rockstar \u2013 Pricing") is None
    True
    """
    from .lexical import is_gendered_or_coded

    head = _TITLE_END.split(str(title), maxsplit=1)[0].strip()
    words = head.split()
    if not 0 < len(words) <= MAX_ROLE or not all(re.fullmatch(r"[A-Za-z][A-Za-z'-]*", w) for w in words):
        return None
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    if any(is_gendered_or_coded(w) for w in words):
        return None
    if plural:
        from lemminflect import getInflection

        many = None if words[-1].isupper() else getInflection(words[-1], tag="NNS")
        return " ".join(words[:-1] + [many[0] if many else words[-1] + "s"])
    return _article(words[0]) + " " + " ".join(words)


def _article(word: str) -> str:
    """"a" or "an" by the sound of ``word`` ("an HR", "a unit", "a urologist", "an usher")."""
    if word.isupper():
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    w = word.lower()
    if w.startswith(("eu", "one")) or re.match(r"u[bcfgklmnprstv][aeiou]", w):
        return "a"  # a "you" or "w" sound
    return "an" if w[0] in "aeiou" or w.startswith(("hour", "honest", "heir")) else "a"


def person_replacements(phrase: str, title: str = "") -> tuple[str, ...]:
    """What a coded person phrase may become: "someone" or the job's role (singular), "people" or the roles."""
    words = [bare(x) for x in str(phrase).split()]
    if words and words[0] in ("a", "an"):
        return tuple(dict.fromkeys(x for x in ("someone", role(title)) if x))
    from .meaning import noun_lemma

    if words and (words[-1].endswith("s") or noun_lemma(words[-1]) != words[-1]):  # "blokes", "iron men"
        return tuple(dict.fromkeys(x for x in ("people", role(title, plural=True)) if x))
    return ()


def drops_only(phrase: str, new: str, title: str = "") -> bool:
    """True when a coded person phrase drops nothing the job needs: no title word, inflected or not ("hiring
    journeymen" for a Journeyman Electrician), and no requirement ("an experienced", "a registered"); the rest of
    it describes the person ("a high-energy competitor").

    Words the role keeps ("a caring data scientist" -> "a data scientist") are not dropped.
    """
    from .meaning import states_requirement

    kept = set(map(bare, str(new).lower().split()))
    dropped = [re.sub(r"'s$", "", w) for w in map(bare, str(phrase).lower().split()) if w not in kept]  # "a man's man"
    return all(w in STOP_WORDS or not states_requirement(w, title) for w in dropped)
