"""Text normalised for analysis: what the word list and occlusion read, never what is shown.

An ad can hide a coded word from a word list and still say it to the
embedding model: "nіnja" with a Cyrillic "і" (U+0456), or "domi\\u200bnant"
with a zero-width space. :func:`normalise` undoes such spellings before any
*analysis* (the word list, the occlusion words, the drivers); every output keeps
the user's text verbatim, and the recommender always reads the text as given.

Three steps, in order:

1. **NFKC** (Unicode compatibility composition): full-width "ｎｉｎｊａ",
   mathematical "𝐧𝐢𝐧𝐣𝐚" and ligatures such as "ﬁ" become plain letters.
2. **Format characters removed**: every character of Unicode general category
   ``Cf`` (zero-width space/joiner/non-joiner, soft hyphen, word joiner,
   byte-order mark, bidirectional controls); they are invisible when printed.
3. **Confusables folded to Latin**: a letter of another script that Unicode's
   confusables list (``confusable-homoglyphs``, MIT, the Unicode
   ``confusables.txt`` data) maps to a single Latin letter is replaced by it, but
   only inside a word that already holds a Latin letter or whose letters all
   have a Latin look-alike. A real word of another script ("привет", "Straße"
   is Latin) keeps its letters.

References
----------
.. [1] Unicode Standard Annex #15, Unicode Normalization Forms (NFKC).
.. [2] Unicode Technical Standard #39, Unicode Security Mechanisms
       (confusables, mixed-script detection).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold_confusables", "format_characters", "mixed_script_words", "normalise", "script_warnings"]

_NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})
_WORD = re.compile(r"\S+")


def _strip_format(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    from confusable_homoglyphs import categories

    try:
        return categories.alias(ch)
    except Exception:  # a code point missing from the package's table
        return "UNKNOWN"


@lru_cache(maxsize=4096)
def _latin_lookalike(ch: str) -> str | None:
    """The single ASCII letter ``ch`` is confusable with, or None (Latin and neutral characters: None)."""
    if ch.isascii() or not ch.isalpha() or _script(ch) in _NEUTRAL_SCRIPTS | {"LATIN"}:
        return None
    from confusable_homoglyphs import confusables

    found = confusables.is_confusable(ch, preferred_aliases=["latin"]) or []
    for entry in found:
        for h in entry.get("homoglyphs", []):
            c = h.get("c", "")
            if len(c) == 1 and c.isascii() and c.isalpha():
                return c
    return None


def _fold_word(word: str) -> str:
    letters = [ch for ch in word if ch.isalpha()]
    has_latin = any(_script(ch) == "LATIN" for ch in letters)
    subs = [_latin_lookalike(ch) for ch in word]
    all_lookalike = bool(letters) and all(s is not None or _script(ch) == "LATIN"
                                          for ch, s in zip(word, subs) if ch.isalpha())
    if not (has_latin or all_lookalike):
        return word
    return "".join(s if s is not None else ch for ch, s in zip(word, subs))


def fold_confusables(text: str) -> str:
    """Replace letters that look like Latin letters, word by word (see the module's step 3).

    >>> fold_confusables("n\\u0456nja")  # Cyrillic i
    'ninja'
    >>> fold_confusables("\\u043f\\u0440\\u0438\\u0432\\u0435\\u0442")  # a Russian word stays Russian
    'привет'
    """
    return _WORD.sub(lambda m: m.group(0) if m.group(0).isascii() else _fold_word(m.group(0)), str(text))


def normalise(text: str) -> str:
    """``text`` as the analysis reads it: NFKC, format characters removed, confusables folded to Latin.

    Idempotent; plain ASCII text comes back unchanged.

    >>> normalise("domi\\u200bnant n\\u0456nja \\uff4e\\uff49\\uff4e\\uff4a\\uff41")
    'dominant ninja ninja'
    """
    text = str(text)
    if text.isascii():
        return text
    return fold_confusables(_strip_format(unicodedata.normalize("NFKC", text)))


def format_characters(text: str) -> list[str]:
    """The names of the invisible format (``Cf``) characters in ``text``, once each, in order."""
    names = (unicodedata.name(ch, f"U+{ord(ch):04X}") for ch in str(text) if unicodedata.category(ch) == "Cf")
    return list(dict.fromkeys(n.lower() for n in names))


def _segments(word: str) -> list[str]:
    """``word`` split at punctuation and symbols (a hyphen between a Latin and a Russian word splits them).

    Combining accents and invisible format characters stay inside a segment: they hide letters, not words.
    """
    return [s for s in re.split(r"[^\w\u0300-\u036f\u200b-\u200f\u2060\u00ad]+", word) if s]


def _hides_latin(segment: str) -> bool:
    """A Latin letter next to a letter of another script that looks like a Latin letter."""
    letters = [ch for ch in segment if ch.isalpha()]
    has_latin = any(_script(ch) == "LATIN" for ch in letters)
    return has_latin and any(_script(ch) != "LATIN" and _latin_lookalike(ch) is not None for ch in letters)


def mixed_script_words(text: str) -> list[str]:
    """Words (as written, punctuation stripped) whose Latin letters sit next to look-alike letters of another script.

    A word is read in segments split at punctuation and symbols; a segment
    counts when it holds a Latin letter and a letter of another script that
    Unicode's confusables map to a Latin letter ("n\u0456nja" with a Cyrillic
    "\u0456"). Scripts without Latin look-alikes (Chinese, Japanese, Korean,
    Arabic, ...) never count, even written next to Latin words with no space
    between ("\u5f00\u53d1Python\u540e\u7aef"), and neither does a word of
    another script joined to a Latin one by a hyphen.

    >>> mixed_script_words("a n\u0456nja and a ninja")
    ['nіnja']
    >>> mixed_script_words("\u5f00\u53d1Python\u540e\u7aef\u670d\u52a1")
    []
    """
    out = []
    for m in _WORD.finditer(str(text)):
        word = m.group(0)
        if word.isascii():
            continue
        if any(_hides_latin(seg) for seg in _segments(word)):
            out.append(word.strip(".,;:!?()[]{}\"'\u201c\u201d\u2018\u2019"))
    return list(dict.fromkeys(out))


def script_warnings(text: str, what: str = "the ad") -> list[str]:
    """Readable warnings about spellings that hide words from a word list (empty for plain text)."""
    out = []
    mixed = mixed_script_words(text)
    if mixed:
        shown = ", ".join(f"\u201c{w}\u201d" for w in mixed[:5]) + (" ..." if len(mixed) > 5 else "")
        out.append(f"{what} mixes scripts inside {len(mixed)} word(s) ({shown}): letters of another script that "
                   "look Latin hide a word from a word list but not from the model; the analysis reads them as "
                   "Latin letters, the outputs keep your text as written")
    hidden = format_characters(text)
    if hidden:
        out.append(f"{what} holds invisible format characters ({', '.join(hidden[:5])}); the analysis ignores "
                   "them, the outputs keep them")
    return out
