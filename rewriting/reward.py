"""AutoRefine's reward: fairness gain under the recommender, guarded by meaning and form.

One function, :meth:`Reward.score`, computes every term for a batch of rewritten
jobs; the trainer logs each term and the inference-time methods (best-of-n,
acceptance) use the same numbers.

For a job text :math:`x \\to x'` (one sentence edited or deleted):

.. math::

    R = \\underbrace{100\\,w_f\\,[\\tilde g(x) - \\tilde g(x')]}_{\\text{fairness}}
        \\; \\underbrace{- w_s (1 - \\mathrm{sim}(x, x')) - w_r (1 - \\mathrm{recall}(x, x'))}_{\\text{meaning}}
        \\; \\underbrace{- w_p\\,[\\text{plan had problems}] - w_{rep}\\,\\mathrm{rep}(x')}_{\\text{form}}

where :math:`\\tilde g` is the **smoothed** gap of the job's top-k mix to the
target (:meth:`fairaudit.engine.gap.GapScorer.smooth_gaps`, temperature
``RewardConfig.temperature``; 0 uses the audit's hard top-k gap), ``sim`` the
cosine similarity of whole-text embeddings and ``recall`` the share of the
requirement terms kept (:func:`rewriting.meaning.skill_recall`).

Why smoothed: the hard top-k count moves only when a candidate crosses rank k,
so most edits score 0 or one candidate's worth, and *which* candidate crosses is
an accident of the training pool; selecting on it fits that pool's noise. The
smoothed mix changes continuously and estimates what a fresh pool would do
(measured in ``benchmarks/rewrite_bench.py``, "reward ablation"). The audit and
the benchmark still report the hard gap.

**Guard.** A rewrite is *rejected* (original kept, fairness 0, meaning term
``-reject_penalty``) when it breaks any rule of the guard's registry
(:data:`rewriting.guards.RULES`: each rule's name, description and bad cases in one
place): it empties the text, falls below the similarity or recall threshold, drops a
title word, edits a word the job needs, breaks the grammar or a fixed expression, deletes
a clause or a requirement or scope sentence, adds demographic or gender-coded words,
raises any audited attribute's gap beyond what meaning-neutral edits do
(:meth:`rewriting.attributes.AttributeGaps.harm`), echoes the prompt, invents content, or
reads worse under the base language model. The ``rules`` column of :meth:`Reward.score`
names the rules that fired (:func:`rewriting.guards.rule_counts` counts them).
Rejection, not a penalty, closes the reward hacks: emptying
the text, stuffing it with words that pull one group's profiles up ("she",
"women", "nurturing"), or copying instruction fragments.

References
----------
AutoRefine, arXiv:2501.07324 (reward = -100 x Wasserstein distance between the
target and the top-k gender mix of a cosine-similarity matcher).
Gaucher, Friesen & Kay (2011), J. Pers. Soc. Psychol. 101(1):109-128.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.options import known_fields

from .edits import EditPlan
from .fluency import continuation_loss
from .guards import Edit, run_rules
from .meaning import repetition, skill_recall


@dataclass
class RewardConfig:
    """Weights and guard thresholds of :class:`Reward` (saved with every adapter).

    Parameters
    ----------
    fairness_weight : float, default 1.0
        Multiplies ``100 x (gap_before - gap_after)`` (paper-score points).
    temperature : float, default 0.5
        Smoothing of the top-k mix in the fairness term
        (:func:`fairaudit.metrics.soft_topk_shares`); 0 = the hard top-k gap.
    similarity_weight, recall_weight : float, default 4.0 and 2.0
        Penalty per unit of lost whole-text similarity / requirement recall.
    min_similarity, min_recall : float, default 0.85 and 0.9
        Guard: below either (whole job text), the rewrite is rejected; each in [0, 1].
    problem_weight : float, default 1.0
        Form penalty of an answer that is not a clean edit plan (it is also rejected).
    max_repetition, repetition_weight : float, default 0.2 and 2.0
        Repeated-3-gram share above which ``repetition_weight`` applies.
    reject_penalty : float, default 3.0
        Meaning term of a rejected rewrite.
    max_fluency_loss : float, default 1.0
        Guard: an edited sentence whose mean token NLL under the base language
        model exceeds the original's by more than this (nats) is rejected as
        broken ("Are you a caring with a big heart?"); needs ``Reward.fluency``.
    max_continuation_loss : float, default 2.0
        Guard (phrase level): the words after an edit may lose at most this much
        likelihood (nats, summed over the next three words) under the base model
        ("a love note" -> "a like note", "beat every deadline" -> "perform better
        than every deadline"; ``fairaudit.rewriting.fluency``); needs ``Reward.tokens``; 0 = off.
    """

    fairness_weight: float = 1.0
    temperature: float = 0.5
    similarity_weight: float = 4.0
    recall_weight: float = 2.0
    min_similarity: float = 0.85
    min_recall: float = 0.9
    problem_weight: float = 1.0
    max_repetition: float = 0.2
    repetition_weight: float = 2.0
    reject_penalty: float = 3.0
    max_fluency_loss: float = 1.0
    max_continuation_loss: float = 2.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_similarity <= 1 or not 0 <= self.min_recall <= 1:
            raise ConfigError("min_similarity and min_recall must lie in [0, 1]")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0 (0 = hard top-k), got {self.temperature}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RewardConfig":
        return cls(**known_fields(cls, d))


TERMS = ("fairness", "meaning", "form")


@dataclass
class Reward:
    """The AutoRefine reward (see module docstring for the formula).

    Parameters
    ----------
    gap_scorer : object with ``gaps(texts)`` (and ``smooth_gaps(texts, temperature)``)
        Normally :class:`fairaudit.engine.gap.GapScorer` (recommender + candidates).
        A scorer without ``smooth_gaps`` is used with its hard gap.
    encode : callable ``texts -> (n, d) array``
        Sentence embedder for the meaning term (the recommender's ``encode``).
    config : RewardConfig
    fluency : callable ``texts -> mean token NLL``, optional
        The fluency guard's language model (``fairaudit.rewriting.policy.sentence_nll()``
        of the base model); None skips that check.
    tokens : callable ``texts -> [(offsets, nll)]``, optional
        Token NLLs of the base model (``fairaudit.rewriting.policy.token_nll()``) for the
        phrase-level guard (rule ``phrase_fit``); None skips it.
    """

    gap_scorer: Any
    encode: Callable[[Sequence[str]], np.ndarray]
    config: RewardConfig = field(default_factory=RewardConfig)
    fluency: Callable[[Sequence[str]], np.ndarray] | None = None
    tokens: Callable[[Sequence[str]], list] | None = None

    def fairness_gaps(self, texts: Sequence[str]) -> np.ndarray:
        """The gap the fairness term uses: smoothed unless ``temperature`` is 0.

        Parameters
        ----------
        texts : sequence of str
            Job texts (whole, as ranked).

        Returns
        -------
        ndarray of float, shape (n_texts,)
            The gap scorer's ``smooth_gaps`` at ``config.temperature``, or its hard
            ``gaps`` when the temperature is 0 (or the scorer has no smooth gaps).
        """
        t = self.config.temperature
        if t > 0 and hasattr(self.gap_scorer, "smooth_gaps"):
            return np.asarray(self.gap_scorer.smooth_gaps(list(texts), t), dtype=float)
        return np.asarray(self.gap_scorer.gaps(list(texts)), dtype=float)

    def _nll(self, texts: Sequence[str]) -> np.ndarray:
        # the same original sentence meets many candidate edits: score each distinct text once
        memo = self.__dict__.setdefault("_nll_memo", {})
        todo = list(dict.fromkeys(t for t in texts if t not in memo))
        if todo:
            memo.update(zip(todo, np.asarray(self.fluency(todo), dtype=float)))  # type: ignore[misc]
            if len(memo) > 200_000:  # bound the memo on very long runs
                memo.clear()
                return np.asarray(self.fluency(list(texts)), dtype=float)  # type: ignore[misc]
        return np.array([memo[t] for t in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        # originals recur across candidates and calls: embed each distinct text once
        memo = self.__dict__.setdefault("_emb_memo", {})
        if len(memo) > 50_000:
            memo.clear()
        todo = list(dict.fromkeys(t for t in texts if t not in memo))
        if todo:
            memo.update(zip(todo, np.asarray(self.encode(todo), dtype=np.float64)))
        return np.stack([memo[t] for t in texts]) if texts else np.zeros((0, 1))

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each pair (``a[i]``, ``b[i]``); empty text -> 0.

        Parameters
        ----------
        a : sequence of str
            The first text of each pair (e.g. the originals).
        b : sequence of str
            The second text of each pair, as many as ``a``; an empty or blank one
            gives similarity 0.

        Returns
        -------
        ndarray of float, shape (len(a),)
            In [-1, 1], embedded with the reward's encoder.
        """
        if len(a) == 0:
            return np.zeros(0)
        ea, eb = self._embed(list(a)), self._embed(list(b))
        na = np.linalg.norm(ea, axis=1) * np.linalg.norm(eb, axis=1)
        sim = np.where(na > 0, (ea * eb).sum(axis=1) / np.where(na > 0, na, 1), 0.0)
        empty = np.array([not str(t).strip() for t in b])
        return np.where(empty, 0.0, np.clip(sim, -1.0, 1.0))

    def score(self, jobs_before: Sequence[str], jobs_after: Sequence[str], *,
              titles: Sequence[str] | None = None, units_before: Sequence[str] | None = None,
              units_after: Sequence[str] | None = None, plans: Sequence[EditPlan | None] | None = None,
              fair_before: Sequence[float] | None = None) -> pd.DataFrame:
        """Every reward term for a batch of rewritten jobs.

        Parameters
        ----------
        jobs_before, jobs_after : sequence of str
            Whole job texts before and after the rewrite.
        titles : sequence of str, optional
        units_before, units_after : sequence of str, optional
            The edited sentence before/after ("" after = deleted); default the
            whole texts.
        plans : sequence of EditPlan or None, optional
            The parsed edit plans (None for a free-text rewrite).
        fair_before : sequence of float, optional
            Precomputed :meth:`fairness_gaps` of ``jobs_before``.

        Returns
        -------
        DataFrame
            One row per rewrite: fair_before, fair_after (the fairness term's
            gaps), similarity, skill_recall, accepted, reason, rules (the
            names of the guard rules that fired), fairness, meaning, form,
            reward, changed.
        """
        c = self.config
        n = len(jobs_before)
        if len(jobs_after) != n:
            raise ConfigError(f"{n} original jobs but {len(jobs_after)} rewrites")
        before = [str(t) for t in jobs_before]
        after = [str(t) for t in jobs_after]
        titles = [str(t) for t in titles] if titles is not None else [""] * n
        ub = [str(t) for t in units_before] if units_before is not None else before
        ua = [str(t) for t in units_after] if units_after is not None else after
        plans = list(plans) if plans is not None else [None] * n
        changed = np.array([b.strip() != a.strip() for b, a in zip(before, after)])
        fb = np.asarray(self.fairness_gaps(before) if fair_before is None else fair_before, dtype=float)
        fa = fb.copy()
        idx = [i for i in range(n) if changed[i] and after[i].strip()]
        if idx:
            fa[idx] = self.fairness_gaps([after[i] for i in idx])
        sim = np.ones(n)
        if idx:
            sim[idx] = self.similarity([before[i] for i in idx], [after[i] for i in idx])
        flu = np.zeros(n)
        harm: list[list[str]] = [[] for _ in range(n)]
        if idx and hasattr(self.gap_scorer, "harm"):  # every audited attribute (rewriting.attributes)
            for i, w in zip(idx, self.gap_scorer.harm([before[i] for i in idx], [after[i] for i in idx],
                                                      c.temperature)):
                harm[i] = w
        recalls = [skill_recall(before[i], after[i], titles[i]) if changed[i] else 1.0 for i in range(n)]
        edits = [Edit(job_before=before[i], job_after=after[i], unit_before=ub[i], unit_after=ua[i], title=titles[i],
                      plan=plans[i], similarity=float(sim[i]), recall=recalls[i], harm=tuple(harm[i]), config=c)
                 for i in range(n)]
        fired: list[list[tuple[str, str]]] = []
        for i, e in enumerate(edits):
            # a plan with problems is judged even when it changed nothing; everything else only on a change
            fired.append(run_rules(e) if changed[i] else [(r, w) for r, w in run_rules(e) if r == "edit_plan"])
        # the model rules run the base language model: only on edits that passed every text rule
        edited = [i for i in idx if ua[i].strip() and ub[i].strip() != ua[i].strip() and not fired[i]]
        if edited and (self.fluency is not None or self.tokens is not None):
            cont = np.full(n, np.nan)
            if self.fluency is not None:
                nll = self._nll([ub[i] for i in edited] + [ua[i] for i in edited])
                flu[edited] = nll[len(edited):] - nll[:len(edited)]
            if self.tokens is not None and c.max_continuation_loss > 0:
                cont[edited] = continuation_loss(self.tokens, [ub[i] for i in edited], [ua[i] for i in edited])
            for i in edited:
                e = replace(edits[i], fluency_loss=float(flu[i]) if self.fluency is not None else None,
                            continuation_loss=float(cont[i]) if np.isfinite(cont[i]) else None)
                fired[i] += run_rules(e, stage="model")
        all_reasons = [[w for _, w in f] for f in fired]
        rows = []
        for i in range(n):
            plan, reasons, rec = plans[i], all_reasons[i], recalls[i]
            rep = repetition(ua[i])
            accepted = changed[i] and not reasons
            form = -(c.problem_weight * float(plan is not None and not plan.valid)
                     + c.repetition_weight * max(0.0, rep - c.max_repetition) / (1 - c.max_repetition))
            if accepted:
                delta = fb[i] - fa[i]
                fairness = c.fairness_weight * 100.0 * (float(delta) if np.isfinite(delta) else 0.0)
                meaning = -(c.similarity_weight * (1.0 - sim[i]) + c.recall_weight * (1.0 - rec))
            elif reasons:
                fairness, meaning = 0.0, -c.reject_penalty
            else:  # no change: the neutral reference point
                fairness, meaning = 0.0, 0.0
            rows.append({
                "fair_before": fb[i], "fair_after": fa[i] if accepted else fb[i], "fair_candidate": fa[i],
                "similarity": float(sim[i]), "skill_recall": rec, "fluency_loss": float(flu[i]),
                "changed": bool(changed[i]),
                "accepted": bool(accepted), "reason": "; ".join(reasons),
                "rules": tuple(dict.fromkeys(r for r, _ in fired[i])),
                "fairness": fairness, "meaning": meaning, "form": form, "reward": fairness + meaning + form,
            })
        return pd.DataFrame(rows)
