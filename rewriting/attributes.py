"""Rewriting for every audited attribute: one ranking, the gap of each attribute, and a guard.

A user's target is not only sex. :class:`AttributeGaps` ranks the pool once per text and
measures the top-k gap of every audited attribute (sex, race/ethnicity and their
intersection ``sex_race``; :func:`fairaudit.data.groups.encode`) from that one ranking. The
reward's fairness term closes the **mean gap of the named attributes**

.. math:: \\tilde g(x) = \\frac{1}{|A|} \\sum_{a \\in A} \\tilde g_a(x),

and the guard (:meth:`AttributeGaps.harm`) rejects a rewrite that raises **any** audited
attribute's smoothed gap by more than ``tolerance`` and beyond what meaning-neutral edits of
the same ad do on the same pool (:func:`rewriting.noise.rise_beyond_noise`, a one-sided
prediction bound at ``alpha``), to above that attribute's noise floor (the expected gap of a
random top-k). "Rose and ends above the noise floor" alone was no test of harm: it flagged a
third of the careful human rewrites.

Where no wording of a
job moves an attribute's gap (occlusion, :func:`text_driven`), the gap comes from who the
candidates are (names, pronouns and experience in their profiles), not from the ad: the
rewrite says so for that job instead of rewriting for it.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.engine.gap import GapScorer
from fairaudit.data.groups import INTERSECTION, candidate_attributes, encode
from fairaudit.metrics.diversity import gap as gap_fn
from fairaudit.metrics.diversity import soft_topk_shares

#: What a job's note says of an attribute whose gap no sentence or word of the job moves.
NO_WORDING = "no wording moves this job's gap"
NAMES = {"sex": "sex", "race_ethnicity": "race/ethnicity", INTERSECTION: "sex × race/ethnicity"}


def rated_attributes(candidates: pd.DataFrame) -> tuple[str, ...]:
    """Every attribute the audit can rate on this pool: a column with at least two known groups."""
    out = []
    for a in candidate_attributes(candidates, use_inferred=False):
        try:
            if encode(candidates, a).n_known >= 2:
                out.append(a)
        except Exception:  # an all-unknown column: the audit skips it too
            continue
    if INTERSECTION in out and not {"sex", "race_ethnicity"} <= set(out):
        out.remove(INTERSECTION)
    return tuple(out)


def resolve_attributes(attributes: Any, candidates: pd.DataFrame | None, default: str = "sex") -> tuple[str, ...]:
    """``None``/"all" -> every rated attribute of the pool; a string or list -> those, checked."""
    if candidates is None:
        return (default,) if attributes in (None, "all") else tuple([attributes] if isinstance(attributes, str)
                                                                    else attributes)
    rated = rated_attributes(candidates)
    if attributes in (None, "all"):
        return rated or (default,)
    names = [a.strip() for a in (attributes.split(",") if isinstance(attributes, str) else attributes)]
    bad = [a for a in names if a not in rated]
    if bad or not names:
        raise ConfigError(f"cannot rewrite for {', '.join(bad) or 'no attribute'}: the candidates have rated "
                          f"groups for {', '.join(rated) or 'no attribute'} (use one or more of them, or 'all')")
    return tuple(dict.fromkeys(names))


def attribute_target(target: Any, candidates: pd.DataFrame, attributes: Sequence[str]) -> Any:
    """``target`` for the rewrite's attributes and the rated ones it guards: a flat ``{group: share}``
    mapping applies to the attribute whose groups it names (:func:`fairaudit.metrics.diversity.nest_flat_target`).

    Parameters
    ----------
    target : any
        The target spec given to AutoRefine.
    candidates : DataFrame
        The pool (its group labels, with the canonical ones of each attribute).
    attributes : sequence of str
        The attributes the rewrite closes the gap of.
    """
    from fairaudit.data.group_labels import LABELS
    from fairaudit.metrics.diversity import nest_flat_target

    groups = {}
    for a in dict.fromkeys([*attributes, *rated_attributes(candidates)]):
        try:
            labels = set(encode(candidates, a).labels)
        except Exception:  # an attribute the pool cannot encode is reported where it is used
            labels = set()
        groups[a] = labels | set(LABELS.get(a, {}))
    return nest_flat_target(target, groups)


class AttributeGaps:
    """The gaps of several attributes from one ranking (a drop-in for :class:`GapScorer` in the reward).

    Parameters
    ----------
    recommender, candidates, k, target
        As for :class:`GapScorer`.
    attributes : sequence of str
        The attributes whose mean gap the rewrite closes.
    guarded : sequence of str, optional
        The attributes the guard watches (default: every rated attribute of the pool).
    tolerance : float
        A rise of a smoothed gap up to this is never harm (0.005 = half a percentage point
        of the top-k mix).
    alpha : float
        Family-wise false-alarm rate of the harm test on meaning-neutral edits (:meth:`harm`):
        each of the ``m`` guarded attributes is tested at ``alpha / m`` (Bonferroni), so a neutral
        edit is rejected for *some* attribute at most ``alpha`` of the time, not ``m`` times that.
    n_null : int
        Meaning-neutral variants of each original that make the harm test's null.
    seed : int
        Seeds the neutral variants.
    fit : bool
        Fit the recommender on the candidates (once, for the first scorer).
    """

    def __init__(self, recommender: Any, candidates: pd.DataFrame, k: int = 50, target: Any = "pool",
                 attributes: Sequence[str] = ("sex",), guarded: Sequence[str] | None = None,
                 tolerance: float = 0.005, fit: bool = True, alpha: float = 0.05, n_null: int = 8, seed: int = 0):
        self.attributes = tuple(attributes)
        self.guarded = tuple(dict.fromkeys([*self.attributes, *(guarded or rated_attributes(candidates))]))
        self.scorers = {a: GapScorer(recommender, candidates, k=k, target=target, attribute=a, fit=fit and i == 0)
                        for i, a in enumerate(self.guarded)}
        first = self.scorers[self.attributes[0]]
        self.recommender, self.k, self.n_candidates = recommender, first.k, first.n_candidates
        self.encoding, self.target = first.encoding, first.target  # for callers that fingerprint the pool
        self.tolerance = float(tolerance)
        if not 0 < alpha < 1 or n_null < 2:
            raise ConfigError(f"alpha must lie in (0, 1) and n_null be >= 2, got {alpha} and {n_null}")
        self.alpha, self.n_null, self.seed = float(alpha), int(n_null), int(seed)
        self._memo: dict[tuple[str, float], dict[str, float]] = {}

    @property
    def labels(self) -> tuple[str, ...]:
        return self.scorers[self.attributes[0]].labels

    @property
    def noise_floors(self) -> dict[str, float]:
        return {a: s.noise_floor for a, s in self.scorers.items()}

    @property
    def noise_floor(self) -> float:
        return float(np.mean([self.scorers[a].noise_floor for a in self.attributes]))

    def hard_gaps_all(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The audit's hard top-k gap of every watched attribute (one ranking per text)."""
        first = self.scorers[self.attributes[0]]
        idx = first.topk(list(texts)) if len(texts) else np.zeros((0, self.k), int)
        from fairaudit.engine.measure import job_gaps

        return {a: job_gaps(idx, s.encoding, s.target).gaps for a, s in self.scorers.items()}

    def gaps(self, texts: Sequence[str]) -> np.ndarray:
        """Mean hard gap over the named attributes."""
        if len(texts) == 0:
            return np.zeros(0)
        g = self.hard_gaps_all(texts)
        return np.mean([g[a] for a in self.attributes], axis=0)

    def smooth_gaps_all(self, texts: Sequence[str], temperature: float = 0.5) -> dict[str, np.ndarray]:
        """Smoothed gap of every watched attribute; each distinct text is ranked once (memoised)."""
        texts = [str(t) for t in texts]
        todo = list(dict.fromkeys(t for t in texts if (t, temperature) not in self._memo))
        if len(self._memo) > 100_000:
            self._memo.clear()
        first = self.scorers[self.attributes[0]]
        for s in range(0, len(todo), first.block_size):
            block = todo[s:s + first.block_size]
            scores = first.scores(block)
            per = {a: gap_fn(soft_topk_shares(scores, sc.encoding.codes, sc.encoding.n_known, self.k, temperature),
                             sc.target) for a, sc in self.scorers.items()}
            for i, t in enumerate(block):
                self._memo[(t, temperature)] = {a: float(per[a][i]) for a in self.scorers}
        return {a: np.array([self._memo[(t, temperature)][a] for t in texts]) for a in self.scorers}

    def smooth_gaps(self, texts: Sequence[str], temperature: float = 0.5) -> np.ndarray:
        """Mean smoothed gap over the named attributes (the reward's fairness term)."""
        if len(texts) == 0:
            return np.zeros(0)
        g = self.smooth_gaps_all(texts, temperature)
        return np.mean([g[a] for a in self.attributes], axis=0)

    def harm(self, before: Sequence[str], after: Sequence[str], temperature: float = 0.5) -> list[list[str]]:
        """For each pair, the attributes whose gap rose beyond noise (:func:`rewriting.noise.rise_beyond_noise`).

        The null of each original text is the rise of its ``n_null`` meaning-neutral variants
        (:func:`rewriting.noise.neutral_variants`) on this pool; a rise must also exceed
        ``tolerance`` and end above the attribute's noise floor (a gap under the floor is what a
        random top-k gives). Rankings are memoised, so an original met again costs nothing.
        """
        from .noise import neutral_variants, rise_beyond_noise

        gaps = (lambda t: self.hard_gaps_all(t)) if temperature <= 0 else \
            (lambda t: self.smooth_gaps_all(t, temperature))
        before, after = [str(t) for t in before], [str(t) for t in after]
        if not before:
            return []
        distinct = list(dict.fromkeys(before))
        variants = {t: neutral_variants(t, self.n_null, self.seed) for t in distinct}
        flat = [v for t in distinct for v in variants[t]]
        gb, ga = gaps(before), gaps(after)
        g0 = gaps(distinct)
        gv = gaps(flat) if flat else {a: np.zeros(0) for a in self.scorers}
        out: list[list[str]] = [[] for _ in before]
        floors = self.noise_floors
        pos, start = {t: i for i, t in enumerate(distinct)}, {}
        k = 0
        for t in distinct:
            start[t] = (k, k + len(variants[t]))
            k += len(variants[t])
        alpha = self.alpha / len(self.scorers)  # family-wise over the guarded attributes (Bonferroni)
        for a in self.scorers:
            for i, t in enumerate(before):
                s0, s1 = start[t]
                if s1 - s0 < 2:  # too short an ad for a null: the plain tolerance decides
                    bad, bound = ga[a][i] > gb[a][i] + self.tolerance, gb[a][i] + self.tolerance
                else:
                    null = (gv[a][s0:s1] - g0[a][pos[t]])[:, None]
                    test = rise_beyond_noise(np.array([ga[a][i] - gb[a][i]]), null, alpha, self.tolerance)
                    bad, bound = bool(test.flagged), gb[a][i] + float(test.bound)
                if bad and ga[a][i] > floors[a]:
                    out[i].append(f"{NAMES.get(a, a)} {gb[a][i]:.3f} → {ga[a][i]:.3f} (neutral edits reach "
                                  f"{bound:.3f} at α = {alpha:.3g})")
        return out


def text_driven(occlusion: dict[str, pd.DataFrame], n_jobs: int, min_effect: float = 0.005) -> list[list[str]]:
    """Per job, the named attributes whose gap no wording moves (largest occlusion effect <= ``min_effect``).

    ``occlusion`` maps each attribute to :func:`fairaudit.engine.occlusion.occlusion_drivers`'s table of
    that attribute's smoothed gap (``job_id`` = row number).
    """
    out: list[list[str]] = [[] for _ in range(n_jobs)]
    for a, table in occlusion.items():
        best = (table.groupby(table["job_id"].astype(int))["delta"].max() if len(table)
                else pd.Series(dtype=float))
        for j in range(n_jobs):
            effect = float(best.get(j, 0.0))
            effect = effect if np.isfinite(effect) else 0.0
            if effect <= min_effect:
                out[j].append(f"{NAMES.get(a, a)}: {NO_WORDING} (largest effect of removing a "
                              f"sentence or word {effect:+.3f} <= {min_effect}); the gap comes from the candidates, "
                              "so the text is not rewritten for it")
    return out
