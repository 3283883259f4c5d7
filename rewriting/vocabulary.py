"""An edit vocabulary learned from careful human rewrites of the *training* ads.

The free-style training ads (``benchmarks/data``: the train split of ``freestyle_ads.csv`` and
``freestyle_train_extra.csv`` with ``freestyle_train_extra_rewrites.csv``) each have a careful
human neutral rewrite. Aligning original and rewrite word by word (:func:`align_pairs`,
``difflib.SequenceMatcher``) gives phrase-level replacement pairs ("crush -> reduce",
"rock-solid -> strong", "hit the ground running -> become productive quickly", "cosy ->
(removed)"). ``benchmarks/mine_phrases.py`` writes them to ``rewriting/data/phrase_pairs.csv``
(shipped); no test ad is read. They serve three purposes:

* **edit plans**: :func:`pair_plans` proposes every pair whose phrase occurs in a sentence (the
  search's and the policy's extra candidates; the reward still decides);
* **editable words**: :func:`style_words` are the words the human removed or replaced and
  never used in any neutral rewrite ("crush", "hungry", "lovingly", "cosy"), i.e. coded or
  style words learned from data, not from a list; they may be edited inside duty sentences
  too (their removal is still checked for grammar);
* **vetted replacements**: :func:`vetted_words` are the words the human used as replacements;
  with the lexicon's and plain job vocabulary they are what a replacement may introduce.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import pandas as pd

from fairaudit.text.lexicon import find_coded_words
from fairaudit.engine.occlusion import STOP_WORDS

from .edits import EditPlan

DATA = Path(__file__).resolve().parent / "data" / "phrase_pairs.csv"
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d+|[^\w\s]")
_WORDY = re.compile(r"^[A-Za-z][A-Za-z-]*$")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(str(text))


def align_pairs(original: str, rewrite: str, max_old: int = 5, max_new: int = 4) -> list[tuple[str, str]]:
    """Phrase pairs (old, new) where a careful rewrite replaced or dropped a few words of the original.

    Only short spans of plain words (no digits, punctuation or contractions) with at least one
    non-stop word are kept; ``new`` is empty for a removal.
    """
    a, b = _tokens(original), _tokens(rewrite)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op not in ("replace", "delete") or i2 - i1 > max_old or j2 - j1 > max_new:
            continue
        old, new = a[i1:i2], b[j1:j2]
        if not all(_WORDY.match(t) for t in old + new):
            continue
        if all(t.lower() in STOP_WORDS for t in old) or any(t[:1].isupper() for t in old[1:] + new[1:]):
            continue
        out.append((" ".join(old).lower(), " ".join(new).lower()))
    return out


def mine(originals: Sequence[str], rewrites: Sequence[str]) -> pd.DataFrame:
    """Every pair of every (original, rewrite), with the number of ads it came from; columns old, new, ads."""
    rows = {}
    kept = set()
    for o, r in zip(originals, rewrites):
        if not isinstance(r, str) or not r.strip() or o == r:
            continue
        kept |= {t.lower() for t in _tokens(r)}
        for pair in set(align_pairs(o, r)):
            rows[pair] = rows.get(pair, 0) + 1
    table = pd.DataFrame([(o, n, c) for (o, n), c in rows.items()], columns=["old", "new", "ads"])
    if len(table):
        coded_new = table["new"].map(lambda t: bool(find_coded_words(t)))
        table = table[~coded_new]
        # words the human removed and never wrote in any neutral rewrite: learned style words
        table["style"] = table["old"].map(lambda t: " ".join(w for w in t.split()
                                                             if w not in kept and w not in STOP_WORDS))
    return table.sort_values(["old", "new"]).reset_index(drop=True)


@lru_cache(maxsize=1)
def phrase_pairs() -> pd.DataFrame:
    """The shipped pairs (empty table when the file is absent)."""
    if not DATA.is_file():
        return pd.DataFrame(columns=["old", "new", "ads", "style"])
    return pd.read_csv(DATA, keep_default_na=False)


@lru_cache(maxsize=1)
def style_words() -> frozenset[str]:
    """Words the careful human removed or replaced and never used in a neutral rewrite."""
    return frozenset(w for s in phrase_pairs()["style"] for w in str(s).split() if w)


@lru_cache(maxsize=1)
def vetted_words() -> frozenset[str]:
    """Words the careful human used as replacements."""
    return frozenset(w for s in phrase_pairs()["new"] for w in str(s).split() if w)


def pair_plans(sentence: str, limit: int = 6) -> list[EditPlan]:
    """One plan per phrase of the shipped pairs that occurs in ``sentence`` (whole words), longest first.

    A one-word phrase needs the agreement of careful humans in two training ads or more.
    """
    low = str(sentence).lower().replace("\u2019", "'")
    plans, seen = [], set()
    table = phrase_pairs()
    # longest phrase first; for one phrase, the replacement most ads agree on
    for old, new, ads in sorted(zip(table["old"], table["new"], table["ads"]), key=lambda p: (-len(p[0]), -int(p[2]))):
        if old in seen or not re.search(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", low):
            continue
        if len(str(old).split()) == 1 and int(ads) < 2:
            # a one-word swap that one careful human made fits that ad's context, not every sentence
            # ("a shared thermos" -> "a split thermos"); a longer phrase carries its own context
            continue
        seen.add(old)
        start = low.index(old)
        plans.append(EditPlan(replacements=((str(sentence)[start:start + len(old)], new),)))
        if len(plans) >= limit:
            break
    return plans
