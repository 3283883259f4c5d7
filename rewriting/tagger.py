"""A coded-word tagger learned from what careful humans edited in the training ads.

The guard lets a rewrite change a word only when the word holds coding: a word of a published
lexicon (Gaucher et al., 2011), a gendered person word, or a style word humans edited in two
training ads. Unseen ads use coded words no list holds ("soothe", "frazzled", "weaklings"):
round 4 found that at least 125 of the test ads' driving sentences held no coding the guard knew,
so no rewrite of them could pass. This module generalises the human edits to unseen words.

Each content word of a training ad is labelled 1 when the ad's careful rewrite replaced or
removed it (word-level ``difflib`` alignment, :func:`word_labels`), 0 when the rewrite kept it. A
logistic regression reads the word's packaged MiniLM embedding (the word alone), its wordfreq
Zipf frequency and whether ESCO's job texts use it (:func:`features`). ``benchmarks/train_tagger.py``
fits it on the training ads only and writes ``rewriting/data/coded_tagger.json``; its
cross-validation with folds disjoint in ads *and* words (a word of a held-out fold was never seen in
training) is recorded in the file beside the threshold.

A word is *tagged* when its probability reaches the threshold: the threshold is chosen so
that, in that cross-validation, the tagged words that are not already coded were edited by the
human at least :data:`MIN_PRECISION` of the time. A tagged word is a target like a lexicon word; every
other rule (grammar, meaning, duties, foreign words) still judges the edit.

References
----------
Gaucher, D., Friesen, J., & Kay, A. C. (2011). Evidence that gendered wording in job
advertisements exists and sustains gender inequality. *JPSP*, 101(1), 109-128.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from fairaudit.engine.occlusion import STOP_WORDS

DATA = Path(__file__).resolve().parent / "data" / "coded_tagger.json"
#: Share of the cross-validated tagged (not already coded) words that careful humans edited.
MIN_PRECISION = 0.7
#: Words at least this frequent (wordfreq Zipf) are never tagged: whether "like", "love", "little" or "hard"
#: is coded depends on its sentence ("a heart full of love" is no "we'd love you to"), which a tagger of the
#: word alone cannot read. Coded words are rarer ("gently" 4.4, "frazzled" 2.6).
MAX_ZIPF = 5.0
#: A word in this many training ads or more is judged by what the humans did with it (:func:`kept_words`).
KEPT_MIN_ADS = 3


def kept_words(labels: pd.DataFrame, min_ads: int = 0) -> frozenset[str]:
    """Words of :func:`word_labels` that occur in ``min_ads`` ads or more (default :data:`KEPT_MIN_ADS`) and that
    the human kept in more than half of them."""
    g = labels.groupby("word")["changed"].agg(["size", "mean"])
    return frozenset(g.index[(g["size"] >= (min_ads or KEPT_MIN_ADS)) & (g["mean"] < 0.5)])


def threshold_for(p: np.ndarray, y: np.ndarray, min_precision: float, min_words: int = 20) -> float:
    """The lowest threshold whose tagged words (``p >= threshold``, at least ``min_words``) were edited
    (``y == 1``) at least ``min_precision`` of the time.

    Raises
    ------
    ValueError
        If no threshold reaches ``min_precision``.
    """
    order = np.argsort(-np.asarray(p), kind="stable")
    hits = np.cumsum(np.asarray(y)[order])
    n = np.arange(1, len(order) + 1)
    ok = (hits / n >= min_precision) & (n >= min_words)
    if not ok.any():
        raise ValueError(f"no threshold reaches precision {min_precision}")
    return float(np.asarray(p)[order][np.nonzero(ok)[0].max()])


def candidate(word: str) -> bool:
    """True when the tagger may tag ``word``: three letters or more, no stop word, rarer than :data:`MAX_ZIPF`."""
    from wordfreq import zipf_frequency

    return len(word) >= 3 and word.isalpha() and word not in STOP_WORDS and zipf_frequency(word, "en") < MAX_ZIPF


def word_labels(originals: Sequence[str], rewrites: Sequence[str],
                tokenize: Callable[[str], list[str]]) -> pd.DataFrame:
    """One row per (ad, content word): ``changed`` when the rewrite replaced or removed it somewhere in the ad.

    Parameters
    ----------
    originals, rewrites : sequence of str
        Each ad and its careful human rewrite (a missing rewrite skips the ad).
    tokenize : callable
        Lower-case words of a text (:func:`rewriting.spans.words`).

    Returns
    -------
    pandas.DataFrame
        Columns ad (position in ``originals``), word, changed.
    """
    rows = []
    for ad, (o, r) in enumerate(zip(originals, rewrites)):
        if not isinstance(r, str) or not r.strip():
            continue
        a, b = tokenize(o), tokenize(r)
        changed = np.zeros(len(a), bool)
        for op, i1, i2, _, _ in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op in ("replace", "delete"):
                changed[i1:i2] = True
        seen: dict[str, bool] = {}
        for w, c in zip(a, changed):
            if len(w) >= 3 and w.isalpha() and w not in STOP_WORDS:
                seen[w] = seen.get(w, False) or bool(c)
        rows += [(ad, w, c) for w, c in seen.items()]
    return pd.DataFrame(rows, columns=["ad", "word", "changed"])


def encoder() -> Callable[[Sequence[str]], np.ndarray]:
    """The packaged MiniLM, unit-normalised, as a function of a list of words."""
    from fairaudit.models import load_sentence_transformer

    st = load_sentence_transformer(None)
    return lambda ws: st.encode(list(ws), normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False, batch_size=256)


def features(words: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
    """Embedding of each word alone, its Zipf frequency / 7 and 1 when ESCO's job texts use it."""
    from wordfreq import zipf_frequency

    from fairaudit.data.datasets import esco_vocabulary

    if not len(words):
        return np.zeros((0, 0))
    esco = esco_vocabulary()
    extra = np.array([[zipf_frequency(w, "en") / 7.0, float(w in esco)] for w in words])
    return np.c_[encode(words), extra]


@dataclass(frozen=True)
class CodedWordTagger:
    """A fitted tagger: ``p = sigmoid(x @ coef + intercept)``; a word is tagged when ``p >= threshold``."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    cv: dict
    #: Words careful humans kept in most training ads that use them (:data:`KEPT_MIN_ADS` or more): for a word
    #: seen that often the evidence itself answers, not the generalisation ("solid" in "solid GD&T").
    kept: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(x) @ np.asarray(self.coef) + self.intercept)))

    def to_dict(self) -> dict:
        return {"coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold, "cv": self.cv,
                "kept": sorted(self.kept)}


def fit(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[tuple[float, ...], float]:
    """Class-balanced L2 logistic regression (scikit-learn, lbfgs: deterministic)."""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
    return tuple(float(v) for v in m.coef_[0]), float(m.intercept_[0])


@lru_cache(maxsize=1)
def shipped() -> CodedWordTagger | None:
    """The shipped tagger (None when the file is absent: no word is tagged)."""
    if not DATA.is_file():
        return None
    d = json.loads(DATA.read_text(encoding="utf-8"))
    return CodedWordTagger(tuple(d["coef"]), float(d["intercept"]), float(d["threshold"]), d.get("cv", {}),
                           frozenset(d.get("kept", ())))


_CACHE: dict[str, bool] = {}


def tagged_words(words: Sequence[str]) -> set[str]:
    """The lower-cased words of ``words`` that the shipped tagger tags (each word encoded once per process)."""
    tagger = shipped()
    if tagger is None:
        return set()
    todo = list(dict.fromkeys(w.lower() for w in words if w and w.lower() not in _CACHE))
    plain = [w for w in todo if candidate(w) and w not in tagger.kept]
    # encode first: a failure leaves nothing cached
    p = tagger.probability(features(plain, encoder())) if plain else []
    _CACHE.update({w: False for w in todo})
    _CACHE.update({w: bool(v >= tagger.threshold) for w, v in zip(plain, p)})
    return {w.lower() for w in words if w and _CACHE.get(w.lower(), False)}


def is_tagged(word: str) -> bool:
    """True when the shipped tagger tags ``word`` (see the module docstring)."""
    return bool(tagged_words([word]))
