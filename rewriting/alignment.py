"""Sentence alignment of a job ad with its careful human rewrite: (original sentence → human sentence) pairs.

Round 3 measured where the missing shift is: swapping the one to three sentences that drive a
job's gap for the aligned sentences of its human rewrite gives most of the human rewrite's shift,
and those sentences are mostly duty sentences with coding inside. So the policy learns to rewrite
a whole sentence the way the human did, and this module finds those pairs in the **training** ads
(``benchmarks/align_sentences.py`` writes them to ``rewriting/data/sentence_pairs.csv``):

1. both texts are split into sentences (:func:`fairaudit.engine.occlusion.split_sentences`);
2. a monotone alignment (dynamic programming, as Gale & Church align bitexts) matches each
   original sentence with at most one human sentence, maximising the summed similarity of the
   matched pairs above ``min_similarity``; the similarity is the token overlap (difflib's ratio)
   or, given an encoder (the packaged MiniLM), the mean of that and the embedding cosine, so a
   sentence the human reworded ("take the pager like a man" → "take your turn on call") still
   finds its partner while a dropped culture sentence is left unmatched;
3. :func:`sentence_pairs` keeps a pair only when the human changed the sentence and kept every
   duty, skill, tool, qualification, title word and number of it
   (:func:`rewriting.meaning.duty_kept`).

References
----------
Gale & Church (1993), "A program for aligning sentences in bilingual corpora", Computational
Linguistics 19(1):75-102.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from fairaudit.engine.occlusion import split_sentences

from .meaning import duty_kept

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class SentencePair:
    """One original sentence and the human sentence aligned with it.

    Attributes
    ----------
    original, human : str
        The two sentences.
    similarity : float
        The alignment's similarity of the two (0 to 1).
    position : int
        Index of the original sentence among the ad's sentences (0 = first).
    """

    original: str
    human: str
    similarity: float
    position: int


def sentences(text: str) -> list[str]:
    """The non-blank sentences of a text, stripped."""
    return [s.strip() for s in split_sentences(str(text))[0::2] if s.strip()]


def token_similarity(a: str, b: str) -> float:
    """difflib's ratio of the two sentences' lower-case token sequences."""
    ta, tb = _TOKEN.findall(str(a).lower()), _TOKEN.findall(str(b).lower())
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio() if ta or tb else 1.0


def similarity_matrix(a: Sequence[str], b: Sequence[str],
                      encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> np.ndarray:
    """Similarity of every (original sentence, human sentence): token overlap, averaged with the
    embedding cosine when ``encode`` (texts -> unit-norm vectors) is given."""
    tok = np.array([[token_similarity(x, y) for y in b] for x in a]).reshape(len(a), len(b))
    if encode is None or not len(a) or not len(b):
        return tok
    ea, eb = np.asarray(encode(list(a)), dtype=float), np.asarray(encode(list(b)), dtype=float)
    ea /= np.maximum(np.linalg.norm(ea, axis=1, keepdims=True), 1e-12)
    eb /= np.maximum(np.linalg.norm(eb, axis=1, keepdims=True), 1e-12)
    return 0.5 * tok + 0.5 * np.clip(ea @ eb.T, 0.0, 1.0)


def align(sim: np.ndarray, min_similarity: float) -> list[tuple[int, int]]:
    """The monotone one-to-one matching of rows to columns that maximises the summed ``sim - min_similarity``
    over matched pairs (only pairs above ``min_similarity`` may match); ``(row, column)`` in order."""
    n, m = sim.shape
    gain = sim - min_similarity
    best = np.zeros((n + 1, m + 1))
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = gain[i, j] + best[i + 1, j + 1] if gain[i, j] > 0 else -np.inf
            best[i, j] = max(take, best[i + 1, j], best[i, j + 1])
    out, i, j = [], 0, 0
    while i < n and j < m:
        if gain[i, j] > 0 and np.isclose(best[i, j], gain[i, j] + best[i + 1, j + 1]):
            out.append((i, j))
            i, j = i + 1, j + 1
        elif np.isclose(best[i, j], best[i + 1, j]):
            i += 1
        else:
            j += 1
    return out


def align_sentences(original: str, rewrite: str, encode: Callable[[Sequence[str]], np.ndarray] | None = None,
                    min_similarity: float = 0.35) -> list[SentencePair]:
    """Every aligned (original sentence, human sentence) pair of an ad and its rewrite, unchanged ones included.

    Parameters
    ----------
    original, rewrite : str
        The ad and its careful human rewrite.
    encode : callable texts -> embeddings, optional
        A sentence encoder (the packaged MiniLM); without it only the token overlap is used.
    min_similarity : float
        Pairs at or below this similarity never match (the human dropped or added a sentence).
    """
    a, b = sentences(original), sentences(rewrite)
    if not a or not b:
        return []
    sim = similarity_matrix(a, b, encode)
    return [SentencePair(a[i], b[j], float(sim[i, j]), i) for i, j in align(sim, min_similarity)]


def sentence_pairs(original: str, rewrite: str, title: str = "",
                   encode: Callable[[Sequence[str]], np.ndarray] | None = None,
                   min_similarity: float = 0.35) -> list[SentencePair]:
    """The aligned pairs the human **changed** while keeping every duty, skill, tool, qualification, title word
    and number (:func:`rewriting.meaning.duty_kept`): the supervision of the policy's sentence rewrites.

    Parameters
    ----------
    original, rewrite, title : str
        The ad, its careful human rewrite and its title.
    encode : callable texts -> embeddings, optional
        See :func:`align_sentences`.
    min_similarity : float
        See :func:`align_sentences`.
    """
    return [p for p in align_sentences(original, rewrite, encode, min_similarity)
            if p.original != p.human and duty_kept(p.original, p.human, title)]
