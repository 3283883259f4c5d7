"""Is a text English? A cheap stop-word test, because the word list and the rewriter are English-only.

The Gaucher word list and the AutoRefine policy know English only; a German ad
runs them without error and finds nothing meaningful. The audit's figures (top-k
mixes, impact ratios, gaps) are measured on the recommender's ranking and stay
valid in any language; only the English-only parts need a warning.

The test is the share of a text's words that are frequent English function
words (:data:`ENGLISH_MARKERS`): words common in every English text and rare
in other languages that use the Latin alphabet ("in", "an", "die", "also" are
left out: they are German or Dutch words too). Written English has roughly one
such word in five; the packaged synthetic ads are at 0.19-0.34 and the 48 hand-written benchmark ads
at 0.16-0.30 (measured), a German ad
near 0. A text of at least :data:`MIN_WORDS` words with a share below
:data:`THRESHOLD` is called not English.

References
----------
.. [1] Grefenstette, "Comparing two language identification schemes", JADT 1995
       (language identification by frequent short words).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from .textnorm import normalise

#: Frequent English function words that are rare words in other Latin-script languages.
ENGLISH_MARKERS = frozenset(
    "the and of to with for you your we our is are be will that this who have has it its from or as at by "
    "on not can their they were was would should been which what when all any more into about".split()
)
#: Below this share of :data:`ENGLISH_MARKERS` a text is called not English.
THRESHOLD = 0.08
#: Texts shorter than this (in words) are not judged.
MIN_WORDS = 12
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


@dataclass(frozen=True)
class LanguageGuess:
    """How English a text looks: ``share`` of marker words among ``n_words`` words."""

    n_words: int
    share: float
    english: bool | None  # None: too short to judge

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def english_share(text: str) -> LanguageGuess:
    """The share of :data:`ENGLISH_MARKERS` among the words of ``text`` (read normalised).

    .. math:: s = \\frac{|\\{w \\in W : w \\in M\\}|}{|W|}

    Examples
    --------
    >>> english_share("We are hiring a developer who will write and test code for our platform.").english
    True
    >>> english_share("Wir suchen eine Entwicklerin, die Code schreibt und testet, für unsere Plattform in Berlin.").english
    False
    """
    words = [w.lower() for w in _WORD.findall(normalise(str(text)))]
    n = len(words)
    share = sum(w in ENGLISH_MARKERS for w in words) / n if n else 0.0
    return LanguageGuess(n_words=n, share=share, english=None if n < MIN_WORDS else share >= THRESHOLD)


def language_warnings(text: str, what: str = "the ad") -> list[str]:
    """One warning when ``text`` does not look English (empty otherwise, and for short texts)."""
    guess = english_share(text)
    if guess.english is not False:
        return []
    return [f"{what} does not look English ({100 * guess.share:.0f}% of its {guess.n_words} words are common English "
            f"words; English text has about 20%, the threshold is {100 * THRESHOLD:.0f}%): the word list and the "
            "AutoRefine rewriter are English-only, so coded-word labels and rewrites mean little here; the top-k "
            "mix, the gaps and the drivers found by occlusion are measured on the ranking and stay valid"]


def job_text_warnings(job_ids: Sequence[str], texts: Sequence[str]) -> list[str]:
    """Warnings for an audit's job texts: how many are not English, how many hide words with mixed scripts.

    The audit's figures are unaffected (the recommender reads the texts as
    given); the warnings concern the English word list used for the drivers and
    the rewriter.
    """
    from .textnorm import mixed_script_words

    out = []
    ids = [str(j) for j in job_ids]
    foreign = [j for j, t in zip(ids, texts) if english_share(t).english is False]
    if foreign:
        out.append(f"{len(foreign):,} of {len(ids):,} job texts do not look English ({_some(foreign)}): the word "
                   "list (drivers) and the AutoRefine rewriter are English-only; the audit's figures stay valid")
    mixed = [j for j, t in zip(ids, texts) if mixed_script_words(t)]
    if mixed:
        out.append(f"{len(mixed):,} of {len(ids):,} job texts mix scripts inside a word ({_some(mixed)}), e.g. a "
                   "Cyrillic letter in a Latin word: the word list reads them folded to Latin letters "
                   "(docs/concepts/text-normalisation.md)")
    return out


def _some(ids: Sequence[str], n: int = 5) -> str:
    return ", ".join(ids[:n]) + (", ..." if len(ids) > n else "")
