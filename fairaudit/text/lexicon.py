"""Gender-coded wording: the Gaucher et al. (2011) word lists and a neutral lexicon.

Gaucher, Friesen & Kay (2011) showed that job ads for male-dominated fields use
more *masculine-coded* words (agentic: "competitive", "dominant", "leader") and
that such wording makes jobs less appealing to women. Their lists are word
*stems*: a word is coded when it starts with a stem ("lead" matches "leader",
"leadership"). The lists here are read from the ``genderdecoder3`` package
(Rob Bell's port of Kat Matfield's *gender-decoder*, MIT licence), so they are
the ones that tool uses.

:func:`find_coded_words` tokenises text the way gender-decoder does and returns
every coded word. :func:`neutral_replacement` is a small hand-written lexicon
used by the lexicon-substitution rewriting baseline.

References
----------
Gaucher, D., Friesen, J., & Kay, A. C. (2011). Evidence that gendered wording in
job advertisements exists and sustains gender inequality. *Journal of
Personality and Social Psychology*, 101(1), 109-128.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from .textnorm import normalise

__all__ = [
    "EXTENSION_MASCULINE",
    "NEUTRAL_LEXICON",
    "assess_coding",
    "find_coded_words",
    "gender_coded_words",
    "neutral_replacement",
    "neutralize_text",
]

#: Tech-recruiting jargon often flagged as masculine-coded by ad-checking tools
#: ("ninja", "rockstar"...). NOT part of Gaucher et al.; included by default in
#: :func:`gender_coded_words` / :func:`find_coded_words`, switch off with
#: ``extension=False`` to get the published lists only.
EXTENSION_MASCULINE: tuple[str, ...] = (
    "ninja", "rockstar", "rock-star", "guru", "superstar", "hacker", "crush", "killer",
    "warrior", "dominate",
)

#: Neutral substitutes for coded words (stem or full word -> replacement).
#: Every substitute is itself free of Gaucher stems (tested): e.g. "dominant"
#: becomes "established", not "leading" (which starts with the stem "lead"),
#: and "nurturing" becomes "mentoring", not "supportive" (stem "support").
#: Hand-written for the lexicon-substitution baseline; keys are matched like the
#: coded stems (lower-case prefix of a token), longest key first, and the
#: replacement is used for the whole token. ``None`` is returned for coded words
#: without a safe substitute (e.g. "analytical" -> no neutral synonym).
NEUTRAL_LEXICON: dict[str, str] = {
    # masculine-coded -> neutral
    "ninja": "expert", "rockstar": "expert", "rock-star": "expert", "guru": "specialist",
    "superstar": "skilled professional", "hacker": "engineer", "crush": "meet", "killer": "excellent",
    "warrior": "professional",
    "dominant": "established", "dominate": "excel in", "domina": "established",
    "aggressive": "energetic", "aggress": "energetic",
    "competitive": "strong", "competition": "market", "compet": "strong",
    "driven": "motivated", "fearless": "bold", "forceful": "clear", "force": "strength",
    "assertive": "clear", "assert": "state", "decisive": "timely", "determined": "motivated",
    "determin": "motivated", "headstrong": "focused", "head-strong": "focused",
    "superior": "excellent", "battle": "work", "fight": "work", "challenging": "demanding",
    "challenge": "task", "champion": "advocate", "ambitious": "motivated", "ambitio": "motivated",
    "confident": "capable", "outspoken": "articulate", "stubborn": "tenacious",
    "hostile": "difficult", "reckless": "fast", "independent": "self-directed",
    "independen": "self-directed", "self-reliant": "self-directed", "self-sufficient": "self-directed",
    "adventurous": "curious", "boast": "offer", "greedy": "eager", "hierarchical": "structured",
    "impulsive": "quick", "individual": "person", "active": "engaged", "athletic": "fit",
    "courageous": "bold", "persist": "continue", "objective": "goal", "principle": "value",
    "opinion": "view", "lead": "guide", "leader": "manager", "leadership": "management",
    "challenges": "tasks", "decision": "choice", "decisions": "choices",
    "decide": "choose",
    # feminine-coded -> neutral
    "nurturing": "mentoring", "nurtur": "develop", "compassionate": "attentive",
    "compassion": "care", "sympathetic": "attentive", "affectionate": "friendly", "gentle": "calm",
    "warm": "friendly", "tender": "careful", "emotional": "personal", "empathetic": "attentive",
    "empath": "attentive", "sensitive": "attentive", "sensitiv": "attentive",
    "submissive": "accommodating", "yield": "produce", "whiny": "vocal", "nag": "remind",
    "cheerful": "positive", "cheer": "positive", "pleasant": "friendly", "polite": "courteous",
    "quiet": "calm", "loyal": "long-serving", "kind": "helpful", "kindness": "helpfulness",
    "considerate": "thoughtful", "communal": "common", "enthusiastic": "keen", "enthusias": "keen",
    "collaborative": "team-oriented", "collaborate": "work with others", "collab": "teamwork",
    "interpersonal": "people", "warmth": "friendliness", "understanding": "knowledge",
    "commitment": "focus", "committed": "focused", "supportive": "helpful", "support": "help",
    "together": "jointly", "trust": "reliance", "dependable": "reliable",
    "responsible": "accountable", "responsibility": "duty", "responsibilities": "duties",
    "share": "exchange", "sharing": "exchanging", "feel": "sense", "honest": "open",
    "connect": "link", "cooperative": "team-oriented", "cooperate": "work with others",
}

_STRIP = re.compile(r"[.\t,:;()!?\"']")


@lru_cache(maxsize=1)
def _gaucher_lists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    # The published lists as shipped by genderdecoder3 (imported lazily so the
    # rest of the package works without it).
    from genderdecoder3 import wordlists

    masc = tuple(dict.fromkeys(w.lower() for w in wordlists.masculine_coded_words))
    fem = tuple(dict.fromkeys(w.lower() for w in wordlists.feminine_coded_words))
    return masc, fem


def gender_coded_words(extension: bool = True) -> dict[str, list[str]]:
    """The masculine- and feminine-coded word stems.

    Parameters
    ----------
    extension : bool, default True
        Add ``EXTENSION_MASCULINE`` (tech jargon such as "ninja", not from
        Gaucher et al.) to the masculine list.

    Returns
    -------
    dict
        ``{"masculine": [...], "feminine": [...]}``, lower-case stems; a word is
        coded when it starts with one of them.
    """
    masc, fem = _gaucher_lists()
    masculine = list(masc) + ([w for w in EXTENSION_MASCULINE if w not in masc] if extension else [])
    return {"masculine": masculine, "feminine": list(fem)}


def _tokens(text: str) -> list[str]:
    # gender-decoder's tokenisation: non-ASCII -> space, drop punctuation, split
    # on whitespace. We also drop !?"' so that "ninja!" is still a word.
    text = "".join(ch if ord(ch) < 128 else " " for ch in str(text))
    text = _STRIP.sub("", re.sub(r"\s", " ", text))
    return [t for t in text.split(" ") if t]


_QUOTES = "\u201c\u201d\u2018\u2019\u00ab\u00bb"


def _analysed_tokens(text: str) -> Iterator[tuple[str, str]]:
    """``(as written, as analysed)`` for every token of :func:`_tokens`, each whitespace word normalised first.

    A word that ``fairaudit.text.textnorm.normalise()`` changes (a Cyrillic "і", a
    zero-width space) is reported as written, so that callers can find it in the
    text; unchanged words tokenise exactly as gender-decoder does.
    """
    text = str(text)
    if text.isascii():  # nothing to normalise: gender-decoder's tokens as they are (the common, fast case)
        yield from ((t, t) for t in _tokens(text))
        return
    for raw in re.split(r"\s", text):
        if not raw:
            continue
        norm = normalise(raw)
        subs = _tokens(norm)
        if norm != raw and len(subs) == 1:
            yield _STRIP.sub("", raw).strip(_QUOTES), subs[0]
        else:
            yield from ((t, t) for t in subs)


def find_coded_words(text: str, extension: bool = True) -> list[tuple[str, str]]:
    """Find gender-coded words in ``text`` the way gender-decoder does.

    A token is coded when its lower-cased form starts with a stem of
    :func:`gender_coded_words` (prefix matching, as in Gaucher et al. 2011 and
    gender-decoder: "leadership" matches "lead", "responsible" matches "respon").
    Unlike gender-decoder, a token matching two stems of the same category
    ("dominant" and "domina") is reported once, and each word is read as
    ``fairaudit.text.textnorm.normalise()`` writes it: "n\u0456nja" (Cyrillic "і") and
    "domi\u200bnant" (zero-width space) are found, and reported as written.

    Parameters
    ----------
    text : str
    extension : bool, default True
        Include ``EXTENSION_MASCULINE``.

    Returns
    -------
    list of (word, category)
        In text order; ``word`` as written (punctuation stripped), ``category``
        is ``"masculine"`` or ``"feminine"``.

    Examples
    --------
    >>> find_coded_words("A competitive ninja with a nurturing style.")
    [('competitive', 'masculine'), ('ninja', 'masculine'), ('nurturing', 'feminine')]
    """
    lists = gender_coded_words(extension)
    masc, fem = tuple(lists["masculine"]), tuple(lists["feminine"])
    out: list[tuple[str, str]] = []
    for tok, norm in _analysed_tokens(text):
        low = norm.lower()
        if low.startswith(masc):
            out.append((tok, "masculine"))
        if low.startswith(fem):
            out.append((tok, "feminine"))
    return out


def assess_coding(text: str, extension: bool = True) -> str:
    """Overall coding of a text: ``"masculine"``, ``"feminine"`` or ``"neutral"``.

    The sign of (#masculine - #feminine) coded words, as in gender-decoder's
    summary (which further splits into "strongly"/plain coded).
    """
    found = find_coded_words(text, extension)
    m = sum(c == "masculine" for _, c in found)
    f = sum(c == "feminine" for _, c in found)
    return "masculine" if m > f else "feminine" if f > m else "neutral"


_LEX_KEYS = tuple(sorted(NEUTRAL_LEXICON, key=len, reverse=True))


def neutral_replacement(word: str) -> str | None:
    """A neutral substitute for a gender-coded word, or ``None``.

    Looks ``word`` up in ``NEUTRAL_LEXICON`` by the longest key that the
    lower-cased, normalised (``fairaudit.text.textnorm.normalise()``) word starts with. Returns ``None`` when the word is not coded
    or no safe substitute is listed (callers should then keep the word).
    Capitalisation of the first letter is preserved.

    Parameters
    ----------
    word : str
        One word, as it appears in the text.

    Returns
    -------
    str or None

    Examples
    --------
    >>> neutral_replacement("Ninja")
    'Expert'
    >>> neutral_replacement("nurturing")
    'mentoring'
    >>> neutral_replacement("table") is None
    True
    """
    low = normalise(str(word)).lower()
    for key in _LEX_KEYS:
        if low == key or (low.startswith(key) and (len(key) >= 5 or low == key)):
            rep = NEUTRAL_LEXICON[key]
            return rep[:1].upper() + rep[1:] if word[:1].isupper() else rep
    return None


#: A word: letters of any script, with hyphens and invisible format characters inside it.
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[-\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff])*")


def neutralize_text(text: str, extension: bool = True) -> str:
    """Replace every coded word that has a :func:`neutral_replacement`.

    The lexicon-substitution baseline: purely lexical, keeps everything else
    (punctuation, spacing) as written. Coded words without a substitute stay.
    An indefinite article before a replaced word follows the new word
    ("a ninja" -> "an expert").

    Examples
    --------
    >>> neutralize_text("We want a ninja, an aggressive closer.")
    'We want an expert, an energetic closer.'
    """
    lists = gender_coded_words(extension)
    stems = tuple(lists["masculine"]) + tuple(lists["feminine"])
    text = str(text)
    out: list[str] = []
    last = 0
    for m in _WORD.finditer(text):
        w = m.group(0)
        rep = neutral_replacement(w) if normalise(w).lower().startswith(stems) else None
        if rep is None or rep == w:
            continue
        head = text[last:m.start()]
        art = _ARTICLE_BEFORE.search(head)
        if art:
            head = head[:art.start(1)] + _article_for(art.group(1), rep) + art.group(2)
        out += [head, rep]
        last = m.end()
    out.append(text[last:])
    return "".join(out)


#: "a" or "an" and the spaces after it, at the end of the text before a word.
_ARTICLE_BEFORE = re.compile(r"(?<![\w-])(an|a)(\s+)$", re.IGNORECASE)


def _article_for(article: str, word: str) -> str:
    # by the first letter (the replacements are plain words: no "hour", "unique"); the case kept
    new = "an" if word[:1].lower() in "aeiou" else "a"
    return new.capitalize() if article[:1].isupper() else new
