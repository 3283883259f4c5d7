"""AutoRefine's reward: fairness gain under the recommender, guarded by meaning and form.

One function, :meth:`Reward.score`, computes every term for a batch of rewrites;
the trainer logs each term (``rewards/fairness``, ``rewards/meaning``,
``rewards/form``) and the inference-time methods (best-of-n) rank with the same
numbers.

For a rewritten unit :math:`u'` of an original unit :math:`u` (a sentence during
training, the whole text otherwise) inside job text :math:`x \\to x'`:

.. math::

    R = \\underbrace{100\\,[g(x) - g(x')]}_{\\text{fairness}}
        \\; \\underbrace{- w_s (1 - \\mathrm{sim}(u, u')) - w_r (1 - \\mathrm{recall}(u, u'))}_{\\text{meaning}}
        \\; \\underbrace{- \\textstyle\\sum_t w_t\\,\\mathrm{violation}_t(u, u')}_{\\text{form}}

where :math:`g` is the audit's per-job gap (:class:`fairaudit.gap.GapScorer`:
W1 between the target and the top-k sex mix, so the fairness term is the change
of AutoRefine's paper score :math:`-100\\,W`), ``sim`` the cosine similarity of
sentence embeddings and ``recall`` the share of the original's content words
(skills, tools, requirements; Gaucher-coded words excluded since replacing them
is the point) still present.

**Guard.** A rewrite whose similarity or recall falls below the thresholds, that
drops the job title, is empty, or adds demographic words is *rejected*: the
original is kept, so its fairness term is 0, and it receives ``-reject_penalty``
as meaning term. This closes the obvious reward hacks: emptying the text or
stuffing it with words that pull one group's profiles up (``"she"``, ``"women"``,
``"young"``) moves the recommender but is never rewarded.

References
----------
AutoRefine, arXiv:2501.07324 (reward = -100 x Wasserstein distance between the
target and the top-k gender mix of a cosine-similarity matcher).
Gaucher, Friesen & Kay (2011), J. Pers. Soc. Psychol. 101(1):109-128.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.lexicon import find_coded_words

#: Words that name or imply a protected group (sex, age, family, race). Adding
#: any of them to a job text is rejected by the guard (it is discriminatory
#: wording, and the cheapest way to move an embedding recommender).
DEMOGRAPHIC_WORDS: tuple[str, ...] = (
    "he", "she", "him", "her", "his", "hers", "himself", "herself", "man", "men", "woman", "women",
    "male", "males", "female", "females", "gentleman", "gentlemen", "lady", "ladies", "girl", "girls",
    "boy", "boys", "guy", "guys", "mother", "mothers", "father", "fathers", "mom", "moms", "dad", "dads",
    "wife", "husband", "maternity", "paternity", "feminine", "masculine", "salesman", "saleswoman",
    "chairman", "chairwoman", "young", "younger", "youthful", "old", "older", "elderly", "mature",
    "energetic", "digital native", "digital natives", "recent graduate", "recent graduates",
    "new graduate", "fresh graduate", "pregnant", "married", "single", "christian", "muslim",
    "white", "black", "asian", "hispanic", "latino", "latina",
)

_STOP = frozenset(
    "a an and are as at be been being but by can could do does for from has have having how i if in into "
    "is it its of on or our ours so such than that the their them then there these they this those to "
    "too us very was we were what when where which while who whom why will with would you your yours "
    "also all any each more most other some own same just not no nor only both few about above after "
    "again against below between during over under until up down out off once here further should "
    "may might must shall am etc per via within without across".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9+#./-]*[a-z0-9+#]|[a-z0-9]", re.IGNORECASE)
#: Fragments of the instruction that must never appear in an answer (prompt echo).
_ECHO = ("rewritten sentence", "rewrite", "gender-neutral", "job advertisement", "sentence:", "job title:",
         "answer with", "as an ai", "i cannot", "i can't", "here is", "here's")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(str(text))]


def _stem(w: str) -> str:
    # crude plural/verb folding so "databases"/"database" and "leads"/"lead" match
    for suf in ("ies", "es", "s"):
        if len(w) > 4 and w.endswith(suf):
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def content_words(text: str) -> set[str]:
    """Content words of a text: skills, tools, duties (stop words and coded words removed).

    Gender-coded words (Gaucher et al.) are excluded because replacing them is
    the purpose of the rewrite; numbers and tokens like ``c++`` or ``sql`` stay.
    """
    coded = {w.lower() for w, _ in find_coded_words(text)}
    return {_stem(w) for w in _words(text) if w not in _STOP and w not in coded and (len(w) > 2 or w.isdigit())}


def skill_recall(original: str, rewrite: str) -> float:
    """Share of the original's content words still present in the rewrite.

    .. math:: \\mathrm{recall} = |C(u) \\cap C(u')| \\,/\\, |C(u)|

    with :math:`C` = :func:`content_words`; 1.0 when the original has none.
    """
    orig = content_words(original)
    if not orig:
        return 1.0
    new = {_stem(w) for w in _words(rewrite)}
    return len(orig & new) / len(orig)


def demographic_added(original: str, rewrite: str) -> list[str]:
    """Demographic words/phrases (:data:`DEMOGRAPHIC_WORDS`) in ``rewrite`` but not ``original``."""
    def found(text: str) -> set[str]:
        low = " " + " ".join(_words(text)) + " "
        return {w for w in DEMOGRAPHIC_WORDS if f" {w} " in low}

    return sorted(found(rewrite) - found(original))


def coded_added(original: str, rewrite: str) -> list[str]:
    """Gender-coded words whose count grows from ``original`` to ``rewrite``."""
    before = pd.Series([w.lower() for w, _ in find_coded_words(original)], dtype=object).value_counts()
    after = pd.Series([w.lower() for w, _ in find_coded_words(rewrite)], dtype=object).value_counts()
    return sorted(w for w, n in after.items() if n > before.get(w, 0))


def repetition(text: str) -> float:
    """Share of repeated word 3-grams (0 = none); degenerate loops score near 1."""
    w = _words(text)
    grams = list(zip(w, w[1:], w[2:]))
    if len(grams) < 2:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def prompt_echo(original: str, rewrite: str) -> bool:
    """True when the rewrite repeats instruction fragments absent from the original."""
    o, r = str(original).lower(), str(rewrite).lower()
    return any(frag in r and frag not in o for frag in _ECHO)


def title_kept(title: str, original: str, rewrite: str) -> bool:
    """The job title's content words that the original mentions are all still there."""
    need = {_stem(w) for w in _words(title) if w not in _STOP} & {_stem(w) for w in _words(original)}
    have = {_stem(w) for w in _words(rewrite)}
    return need <= have


@dataclass
class RewardConfig:
    """Weights and guard thresholds of :class:`Reward` (saved with every adapter).

    Attributes
    ----------
    fairness_weight : float
        Multiplies ``100 x (gap_before - gap_after)`` (paper-score points).
    similarity_weight, recall_weight : float
        Penalty per unit of lost embedding similarity / skill recall.
    min_similarity, min_recall : float
        Guard: below either, the rewrite is rejected.
    length_bounds : (float, float)
        Allowed ratio of rewrite words to original words; outside costs
        ``length_weight`` per unit of excess ratio.
    max_repetition : float
        Repeated-3-gram share above which ``repetition_weight`` applies.
    echo_weight, demographic_weight, coded_weight : float
        Penalties for prompt echo, each added demographic word (also rejects),
        each added gender-coded word.
    reject_penalty : float
        Meaning term of a rejected rewrite.
    """

    fairness_weight: float = 1.0
    similarity_weight: float = 4.0
    recall_weight: float = 2.0
    min_similarity: float = 0.7
    min_recall: float = 0.6
    length_bounds: tuple[float, float] = (0.6, 1.6)
    length_weight: float = 2.0
    max_repetition: float = 0.2
    repetition_weight: float = 2.0
    echo_weight: float = 2.0
    demographic_weight: float = 2.0
    coded_weight: float = 0.5
    reject_penalty: float = 3.0

    def __post_init__(self) -> None:
        lo, hi = self.length_bounds
        if not 0 < lo < 1 < hi:
            raise ConfigError(f"length_bounds must satisfy 0 < low < 1 < high, got {self.length_bounds}")
        if not 0 <= self.min_similarity <= 1 or not 0 <= self.min_recall <= 1:
            raise ConfigError("min_similarity and min_recall must lie in [0, 1]")
        self.length_bounds = (float(lo), float(hi))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["length_bounds"] = list(self.length_bounds)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RewardConfig":
        d = dict(d)
        if "length_bounds" in d:
            d["length_bounds"] = tuple(d["length_bounds"])
        return cls(**d)


TERMS = ("fairness", "meaning", "form")


@dataclass
class Reward:
    """The AutoRefine reward (see module docstring for the formula).

    Parameters
    ----------
    gap_scorer : object with ``gaps(texts) -> ndarray``
        Normally :class:`fairaudit.gap.GapScorer` (recommender + candidates).
    encode : callable ``texts -> (n, d) unit-norm float array``
        Sentence embedder for the meaning term (the recommender's ``encode``).
    config : RewardConfig
    """

    gap_scorer: Any
    encode: Callable[[Sequence[str]], np.ndarray]
    config: RewardConfig = field(default_factory=RewardConfig)

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each pair (``a[i]``, ``b[i]``); empty text -> 0."""
        if len(a) == 0:
            return np.zeros(0)
        ea = np.asarray(self.encode(list(a)), dtype=np.float64)
        eb = np.asarray(self.encode(list(b)), dtype=np.float64)
        na = np.linalg.norm(ea, axis=1) * np.linalg.norm(eb, axis=1)
        sim = np.where(na > 0, (ea * eb).sum(axis=1) / np.where(na > 0, na, 1), 0.0)
        empty = np.array([not str(t).strip() for t in b])
        return np.where(empty, 0.0, np.clip(sim, -1.0, 1.0))

    def score(self, originals: Sequence[str], rewrites: Sequence[str], *,
              jobs_before: Sequence[str] | None = None, jobs_after: Sequence[str] | None = None,
              titles: Sequence[str] | None = None, gap_before: Sequence[float] | None = None) -> pd.DataFrame:
        """Every reward term for a batch of rewrites.

        Parameters
        ----------
        originals, rewrites : sequence of str
            The rewritten units (sentences, or whole texts).
        jobs_before, jobs_after : sequence of str, optional
            Whole job texts before/after (default: the units themselves); the gap
            is measured on these.
        titles : sequence of str, optional
        gap_before : sequence of float, optional
            Precomputed gaps of ``jobs_before`` (saves one ranking pass).

        Returns
        -------
        DataFrame
            One row per rewrite: gap_before, gap_after, similarity, skill_recall,
            title_kept, length_ratio, repetition, echo, demographic_added,
            coded_added, accepted, reason, fairness, meaning, form, reward.
        """
        c = self.config
        n = len(originals)
        if len(rewrites) != n:
            raise ConfigError(f"{n} originals but {len(rewrites)} rewrites")
        jobs_before = list(originals if jobs_before is None else jobs_before)
        jobs_after = list(rewrites if jobs_after is None else jobs_after)
        titles = list(titles) if titles is not None else [""] * n
        rewrites = [str(r) for r in rewrites]
        gb = np.asarray(self.gap_scorer.gaps(jobs_before) if gap_before is None else gap_before, dtype=float)
        nonempty = [i for i, r in enumerate(rewrites) if r.strip()]
        ga = np.full(n, np.nan)
        if nonempty:
            ga[nonempty] = self.gap_scorer.gaps([jobs_after[i] for i in nonempty])
        sim = self.similarity(list(originals), rewrites)
        rows = []
        for i in range(n):
            o, r = str(originals[i]), rewrites[i]
            n_o = max(len(_words(o)), 1)
            ratio = len(_words(r)) / n_o
            lo, hi = c.length_bounds
            rec = skill_recall(o, r)
            demo = demographic_added(o, r)
            coded = coded_added(o, r)
            rep = repetition(r)
            echo = prompt_echo(o, r)
            kept = title_kept(titles[i], o, r)
            reasons = []
            if not r.strip():
                reasons.append("empty")
            if sim[i] < c.min_similarity:
                reasons.append(f"similarity {sim[i]:.2f} < {c.min_similarity}")
            if rec < c.min_recall:
                reasons.append(f"skill recall {rec:.2f} < {c.min_recall}")
            if not kept:
                reasons.append("job title dropped")
            if demo:
                reasons.append("adds demographic words: " + ", ".join(demo))
            accepted = not reasons
            excess = max(0.0, lo - ratio) + max(0.0, ratio - hi)
            form = -(c.length_weight * excess
                     + c.repetition_weight * max(0.0, rep - c.max_repetition) / (1 - c.max_repetition)
                     + c.echo_weight * float(echo)
                     + c.demographic_weight * len(demo)
                     + c.coded_weight * len(coded))
            if accepted:
                delta = gb[i] - ga[i]
                fairness = c.fairness_weight * 100.0 * (0.0 if not np.isfinite(delta) else delta)
                meaning = -(c.similarity_weight * (1.0 - sim[i]) + c.recall_weight * (1.0 - rec))
            else:
                fairness, meaning = 0.0, -c.reject_penalty
            rows.append({
                "gap_before": gb[i], "gap_after": ga[i] if accepted else gb[i], "gap_candidate": ga[i],
                "similarity": float(sim[i]), "skill_recall": rec, "title_kept": kept,
                "length_ratio": ratio, "repetition": rep, "echo": echo,
                "demographic_added": ", ".join(demo), "coded_added": ", ".join(coded),
                "accepted": accepted, "reason": "; ".join(reasons) if reasons else "",
                "fairness": fairness, "meaning": meaning, "form": form,
                "reward": fairness + meaning + form,
            })
        return pd.DataFrame(rows)
