"""Occlusion drivers: which sentences and words of a job text move its gap, beyond any word list.

Gender-coded word lists (Gaucher et al. 2011) name only part of what moves an
embedding recommender: replacing "competitive, ninja, dominates" by the
word-list substitutes "strong, expert, excel" lowered one ad's female top-50
share by 24 points. Occlusion asks the recommender instead: remove each
sentence, and each candidate word, in turn; re-rank; the change of the gap is
that unit's effect,

.. math::
    \\delta(u) = g(x) - g(x \\setminus u)

positive when ``u`` widens the gap. The lexicon is a *label* on the result
(``coded``, ``category``), not a filter.

The text helpers here (:func:`split_sentences`, :func:`assemble`) are the ones
the rewriting step uses, so "sentence 3" means the same sentence everywhere.

References
----------
.. [1] Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks",
       ECCV 2014 (occlusion sensitivity).
.. [2] Li, Monroe & Jurafsky, "Understanding Neural Networks through
       Representation Erasure", arXiv:1612.08220 (erasure of words in text).
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..text.lexicon import find_coded_words
from ..text.textnorm import normalise

_SPLIT = re.compile(r"((?<=[.!?])\s+|\n+)")
#: Abbreviations that never end a sentence ("Dr. Patel", "e.g. Sage"); "a.m." may, unless lower case follows.
_TITLES = (" dr.", " mr.", " mrs.", " ms.", " e.g.", " i.e.", " vs.", " approx.", " incl.", " no.")
#: Words never worth occluding on their own (function words).
STOP_WORDS = frozenset(
    "a an and are as at be been being but by can could do does for from has have having how i if in into "
    "is it its of on or our ours so such than that the their them then there these they this those to "
    "too us very was we were what when where which while who whom why will with would you your yours "
    "also all any each more most other some own same just not no nor only both few about above after "
    "again against below between during over under until up down out off once here further should "
    "may might must shall am etc per via within without across we're you'll you're we'll it's".split()
)
COLUMNS = ("job_id", "kind", "sentence_no", "sentence", "word", "coded", "category", "gap", "gap_without", "delta")


def split_sentences(text: str) -> list[str]:
    """Sentences and the separators between them (even positions are sentences).

    ``"".join(split_sentences(t)) == t`` always holds, so a text can be
    reassembled exactly after replacing some sentences.
    """
    parts = _SPLIT.split(str(text))
    # a full stop inside "7:30 a.m. clinic" or "e.g. bricks" does not end a sentence: a piece that
    # starts in lower case, or follows such an abbreviation, continues the previous sentence
    out = parts[:1]
    for i in range(1, len(parts) - 1, 2):
        sep, nxt = parts[i], parts[i + 1]
        prev = out[-1]
        if "\n" not in sep and prev.strip() and nxt[:1].isalpha() and (
                nxt[:1].islower() or prev.lower().endswith(_TITLES)):
            out[-1] = prev + sep + nxt
        else:
            out += [sep, nxt]
    return out


def sentence_slots(parts: Sequence[str]) -> list[int]:
    """Indices of the non-blank sentences in :func:`split_sentences` output."""
    return [i for i in range(0, len(parts), 2) if parts[i].strip()]


def assemble(parts: Sequence[str], slot: int, sentence: str) -> str:
    """The text with ``parts[slot]`` replaced; an empty sentence is removed with its separator."""
    p = list(parts)
    p[slot] = sentence
    if not sentence.strip():
        if slot + 1 < len(p):
            p[slot + 1] = ""
        elif slot >= 1:
            p[slot - 1] = ""
    return "".join(p)


def content_words(sentence: str, title: str = "") -> list[str]:
    """Alphabetic words of three or more letters that are not function words, in order, once each.

    Letters of any script count; each word is judged as
    :func:`fairaudit.text.textnorm.normalise` writes it ("domi\u200bnant" is one
    word of eight letters) and returned as written, so that :func:`drop_word`
    finds it in the sentence.
    """
    out = []
    for tok in str(sentence).replace("\u2019", "'").split():
        w = tok.strip(".,;:!?()[]\"'\u201c\u201d\u2013-")
        nw = normalise(w)
        if len(nw) >= 3 and nw.lower() not in STOP_WORDS and re.fullmatch(r"[^\W\d_](?:[^\W\d_]|-)*", nw):
            out.append(w)
    return list(dict.fromkeys(out))


def drop_word(sentence: str, word: str) -> str:
    """``sentence`` without ``word`` (every whole-word occurrence), spacing and commas tidied."""
    out = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", "", sentence)
    out = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", out))
    return re.sub(r",\s*,", ",", out).strip()


def _job_units(text: str, title: str, words: Callable[[str, str], Sequence[str]] | None, sentences: bool,
               deletable: Callable[[str, str], bool] | None,
               max_sentence_no: int | None) -> tuple[list[str], list[tuple[str, int, str | None]]]:
    """A text's parts and its occlusion units ``(kind, slot, word)`` in text order (no variant built yet)."""
    parts = split_sentences(text)
    slots = sentence_slots(parts)
    units: list[tuple[str, int, str | None]] = []
    for s in slots:
        if max_sentence_no is not None and s // 2 + 1 > max_sentence_no:
            break
        sent = parts[s]
        if sentences and len(slots) > 1 and (deletable is None or deletable(sent, title)):
            units.append(("sentence", s, None))
        if words is not None:
            units += [("word", s, w) for w in words(sent, title)]
    return parts, units


def _within_budget(units: list[tuple[str, int, str | None]], budget: int | None,
                   sentence_delta: dict[int, float] | None) -> list[tuple[str, int, str | None]]:
    """The units to occlude: all of them within ``budget``; else sentences, then words of the strongest sentences.

    ``sentence_delta`` (slot -> delta of removing that sentence, known after a
    first pass over the sentences) orders the sentences whose words are
    occluded; unmeasured sentences count as 0, ties keep the text's order.
    """
    if budget is None or len(units) <= budget:
        return units
    sent = [u for u in units if u[0] == "sentence"][:budget]
    if sentence_delta is None:
        return sent
    order = {s: i for i, s in enumerate(sorted(dict.fromkeys(u[1] for u in units),
                                               key=lambda s: -sentence_delta.get(s, 0.0)))}
    words = sorted((u for u in units if u[0] == "word"), key=lambda u: order[u[1]])  # stable: text order within
    return sent + words[: max(budget - len(sent), 0)]


def occlusion_drivers(gap_fn: Callable[[list[str]], np.ndarray], jobs: pd.DataFrame, *,
                      words: Callable[[str, str], Sequence[str]] | None = content_words,
                      remove: Callable[[str, str], str] = drop_word, sentences: bool = True,
                      deletable: Callable[[str, str], bool] | None = None,
                      base_gaps: np.ndarray | None = None, max_sentence_no: int | None = None,
                      max_variants: int | None = None) -> pd.DataFrame:
    """The effect of removing each sentence and each candidate word of every job text.

    Parameters
    ----------
    gap_fn : callable texts -> gaps
        The measure, e.g. :meth:`fairaudit.engine.gap.GapScorer.gaps` or the smoothed
        :meth:`~fairaudit.engine.gap.GapScorer.smooth_gaps` (lower variance).
    jobs : DataFrame with ``job_id``, ``text`` (and ``title``, passed to ``words`` and ``deletable``)
    words : callable (sentence, title) -> words, or None
        Which words of a sentence to occlude (default :func:`content_words`);
        None occludes sentences only.
    remove : callable (sentence, word) -> sentence
    sentences : bool
        Occlude whole sentences too (jobs of one sentence are skipped).
    deletable : callable (sentence, title) -> bool, optional
        Only sentences for which it returns True are occluded.
    base_gaps : array, optional
        ``gap_fn`` of the original texts.
    max_sentence_no : int, optional
        Occlude only sentences numbered up to this (``sentence_no``): the part
        of a long text the model reads (:func:`fairaudit.engine.reading.read_extent`).
    max_variants : int, optional
        The most units occluded per job. Each variant is the whole text, so
        without a bound the work grows with the square of a text's length.
        When a job has more units, its sentences are occluded first (in a
        first pass) and then the words of the sentences whose removal narrows
        the gap most, until the bound; ``table.attrs["not_occluded"]`` counts
        the units left out, per job id.

    Returns
    -------
    DataFrame with ``COLUMNS``: one row per occluded unit, ``kind`` is
    ``"sentence"`` or ``"word"``, ``sentence_no`` counts from 1, ``coded``
    and ``category`` are the Gaucher label of a word (masculine/feminine),
    ``delta = gap - gap_without``; sorted by job, then decreasing delta.
    """
    texts = jobs["text"].astype(str).tolist()
    ids = jobs["job_id"].astype(str).tolist()
    titles = jobs["title"].astype(str).tolist() if "title" in jobs else [""] * len(texts)
    g0 = np.asarray(gap_fn(texts) if base_gaps is None else base_gaps, dtype=float)
    found = [_job_units(t, titles[j], words, sentences, deletable, max_sentence_no) for j, t in enumerate(texts)]
    over = [j for j, (_, units) in enumerate(found) if max_variants is not None and len(units) > max_variants]
    deltas: dict[int, dict[int, float]] = {}
    gap_of: dict[str, float] = {}
    if over:  # first pass: the sentences of the long texts, to choose whose words to occlude
        first = [(j, u[1], assemble(found[j][0], u[1], "")) for j in over
                 for u in _within_budget(found[j][1], max_variants, None)]
        g1 = np.asarray(gap_fn([v for _, _, v in first]), dtype=float) if first else np.zeros(0)
        for (j, slot, v), g in zip(first, g1):
            deltas.setdefault(j, {})[slot] = float(g0[j] - g)
            gap_of[v] = float(g)
    rows, variants, left_out = [], [], {}
    for j, (parts, units) in enumerate(found):
        chosen = _within_budget(units, max_variants, deltas.get(j, {}))
        if len(chosen) < len(units):
            left_out[ids[j]] = len(units) - len(chosen)
        coded_by_slot: dict[int, dict[str, str]] = {}
        for kind, s, w in chosen:
            sent = parts[s]
            if kind == "sentence":
                rows.append((j, "sentence", s, sent, None, False, None))
                variants.append(assemble(parts, s, ""))
                continue
            new = remove(sent, w)
            if new != sent:
                if s not in coded_by_slot:
                    coded_by_slot[s] = {normalise(cw).lower(): cat for cw, cat in find_coded_words(sent)}
                coded = coded_by_slot[s]
                key = normalise(w).lower()
                rows.append((j, "word", s, sent, w, key in coded, coded.get(key)))
                variants.append(assemble(parts, s, new))
    if not rows:
        out = pd.DataFrame(columns=list(COLUMNS))
        out.attrs["not_occluded"] = left_out
        return out
    # one ranking pass per distinct text not ranked in the first pass
    uniq = [v for v in dict.fromkeys(variants) if v not in gap_of]
    if uniq:
        gap_of.update(zip(uniq, np.asarray(gap_fn(uniq), dtype=float).tolist()))
    out = pd.DataFrame({
        "job_id": [ids[r[0]] for r in rows], "kind": [r[1] for r in rows],
        "sentence_no": [r[2] // 2 + 1 for r in rows], "sentence": [r[3].strip() for r in rows],
        "word": [r[4] for r in rows], "coded": [r[5] for r in rows], "category": [r[6] for r in rows],
        "gap": [float(g0[r[0]]) for r in rows], "gap_without": [gap_of[v] for v in variants],
    })
    out["delta"] = out["gap"] - out["gap_without"]
    out["_o"] = [r[0] for r in rows]
    out = (out.sort_values(["_o", "delta"], ascending=[True, False], kind="stable").drop(columns="_o")
           .reset_index(drop=True)[list(COLUMNS)])
    out.attrs["not_occluded"] = left_out
    return out
