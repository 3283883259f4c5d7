"""Three causes of an attribute's gap, separated: who applied, identity cues in profiles, the job text.

An audit of per-job candidate sets ranks, for job :math:`j`, its own candidates
:math:`C_j`. Compared with the whole candidates table's known mix :math:`\\pi`,
job :math:`j`'s top-k known mix :math:`m_j` differs by :math:`e_j = m_j - \\pi`,
and its gap against the pool is :math:`g_j = \\tfrac12 \\lVert e_j \\rVert_1`
(W1 for two groups, total variation otherwise: the audit's gap with
``target="pool"``). The split explains the mean of that gap,
:math:`D = \\frac1J \\sum_j g_j`, by four vectors that add up to :math:`e_j`:

* **who applied**: :math:`a_j = o_j - \\pi`, job :math:`j`'s own candidates' known
  mix :math:`o_j` against the pool (the candidate sets);
* **identity cues in profiles** and **the job text**: the job is ranked four
  times, :math:`m_j(p, t)` with profiles as written (:math:`p = 0`) or with names,
  titles and pronouns masked (:math:`p = 1`), and the job text as written
  (:math:`t = 0`) or neutralised (:math:`t = 1`: every gender-coded word
  replaced by its neutral word, or a rewrite you give). Their two-factor
  Shapley values do not depend on which change comes first:

  .. math::
      b_j = \\tfrac12\\left[(m_j(0,0) - m_j(1,0)) + (m_j(0,1) - m_j(1,1))\\right], \\quad
      c_j = \\tfrac12\\left[(m_j(0,0) - m_j(0,1)) + (m_j(1,0) - m_j(1,1))\\right]

* **residual**: :math:`r_j = m_j(1,1) - o_j`, what the ranking does with the
  job's own candidates once identity cues are masked and the text is neutral
  (the profiles' content, such as skills that differ between groups, and chance).

:math:`a_j + b_j + c_j + r_j = e_j`. Each part's share of the gap is its
projection on the direction of :math:`e_j`, :math:`\\sigma_j = \\operatorname{sign}(e_j)`,

.. math::
    \\phi_x = \\frac1J \\sum_j \\tfrac12 \\langle x_j, \\sigma_j \\rangle, \\qquad
    D = \\phi_a + \\phi_b + \\phi_c + \\phi_r

exactly (:math:`\\tfrac12\\langle e_j, \\sigma_j\\rangle = g_j`). A part is
negative when it pushes against the difference the job shows (it hides part of
it); a job whose top-k matches the pool exactly contributes 0 to every part.
Jobs whose top-k holds no known candidate in one of the rankings are left out
(``n_jobs``). A part that cannot be computed (a log has no texts to re-rank) is
left in the residual, which then says so.

Chance levels (``chance_median`` and the central ``1 - alpha`` interval of the
null, ``p_value`` two-sided). Each null changes one part and keeps the others
as observed, then projects again (the direction :math:`\\sigma_j` depends on
every part, so a part cannot be judged on its own):

* **who applied**: each job's set drawn at random from the whole table (its size
  kept: multivariate hypergeometric), the rankings' within-set deviations
  :math:`b_j, c_j, r_j` kept: "the sets ignore the attribute";
* **identity cues** / **job text**: a paired randomisation (sign-flip) test on
  each job's change of its gap against the pool when its profiles are masked
  (its text neutralised),
  :math:`d_j = \\tfrac12[(g_j(0,0) - g_j(1,0)) + (g_j(0,1) - g_j(1,1))]` with
  :math:`g_j(p,t) = \\tfrac12\\lVert m_j(p,t) - \\pi\\rVert_1` (the text's
  :math:`d_j` swaps the roles of :math:`p` and :math:`t`): if masking (the
  text) does not matter for the attribute, the two rankings are exchangeable
  and :math:`d_j` is as likely negative as positive. :math:`d_j` is the job's
  part whenever its four rankings lie on the same side of the pool; the
  interval and the p-value are those of the mean of :math:`d_j`;
* **residual**: the masked, neutral ranking's top-k drawn at random from each
  job's own set (labels permuted within the set), :math:`a_j, b_j, c_j` kept;
* **total**: both draws at once, nothing kept: the noise floor of the mean gap
  against the pool for these set sizes and cut-offs.

The set and top-k draws treat jobs as independent; when the same people are
ranked high in many jobs the spread of the mean is understated (the caveat of
the per-job chance level, ``docs/concepts/candidate-sets.md``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.groups import GroupEncoding
from ..options import RECORDED_SELECTION
from .cause_rankings import FROM_LOG
from .cause_result import COLUMNS, PART_WORDS, PARTS, CauseSplit
from .permutation import p_lower, p_upper

if TYPE_CHECKING:
    from .audit_config import AuditConfig
    from .candidate_sets import SetRanking, StreamedSets

__all__ = ["split_causes", "contributions"]

#: A deviation below this is no deviation (its sign would be rounding noise).
_ATOL = 1e-12
#: Largest number of (draw x job x group) counts held at once.
_BLOCK_ENTRIES = 4_000_000
#: The counterfactual rankings: (profiles masked, text neutralised).
STATES = ((1, 0), (0, 1), (1, 1))
_RECORDED = {p: "the recorded selection (k = 0) has no places to re-rank" for p in ("identity_cues", "job_text")}


def _mix(counts: np.ndarray, n_known: int) -> np.ndarray:
    """Known shares of each count row (last axis); NaN where no member is known."""
    known = counts[..., :n_known].astype(float)
    tot = known.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, known / np.where(tot > 0, tot, 1), np.nan)


def part_vectors(own: np.ndarray, pool: np.ndarray, mixes: Mapping[tuple[int, int], np.ndarray]
                 ) -> dict[str, np.ndarray]:
    """The vectors :math:`a_j, b_j, c_j, r_j` of the module docstring, each shaped as ``own``."""
    m00, m10, m01, m11 = (mixes[s] for s in ((0, 0), (1, 0), (0, 1), (1, 1)))
    return {"who_applied": own - pool, "identity_cues": 0.5 * ((m00 - m10) + (m01 - m11)),
            "job_text": 0.5 * ((m00 - m01) + (m10 - m11)), "residual": m11 - own}


def project(vectors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each part's contribution :math:`\\tfrac12\\langle x_j, \\sigma_j\\rangle` per job, and ``total``."""
    e = sum(vectors[p] for p in PARTS)
    sigma = np.sign(np.where(np.abs(e) <= _ATOL, 0.0, e))
    out = {p: 0.5 * (vectors[p] * sigma).sum(axis=-1) for p in PARTS}
    out["total"] = 0.5 * np.abs(e).sum(axis=-1)
    return out


def contributions(own: np.ndarray, pool: np.ndarray, mixes: Mapping[tuple[int, int], np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """Each job's contribution of every part to its gap against ``pool`` (see the module), shape ``own.shape[:-1]``.

    Parameters
    ----------
    own : ndarray (..., n_jobs, n_known)
        Each job's own candidates' known mix :math:`o_j`.
    pool : ndarray (n_known,)
        The whole table's known mix :math:`\\pi`.
    mixes : mapping
        :math:`m_j(p, t)` for ``(p, t)`` in ``(0, 0), (1, 0), (0, 1), (1, 1)``, each shaped as ``own``.
    """
    return project(part_vectors(own, pool, mixes))


def _means(parts: Mapping[str, np.ndarray], defined: np.ndarray) -> dict[str, np.ndarray]:
    """Each part's mean over the defined jobs (last axis); NaN where none is defined."""
    n = defined.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {p: np.where(n > 0, np.where(defined, v, 0.0).sum(axis=-1) / np.maximum(n, 1), np.nan)
                for p, v in parts.items()}


def _complete(mixes: Mapping[tuple[int, int], np.ndarray]) -> dict[tuple[int, int], np.ndarray]:
    """The four mixes, a missing ranking replaced by the one it would equal without its change (part 0)."""
    m = dict(mixes)
    m.setdefault((1, 0), m[(0, 0)])
    m.setdefault((0, 1), m[(0, 0)])
    m.setdefault((1, 1), m[(1, 0)] if (1, 0) in mixes else m[(0, 1)])
    return m


def _ok(*arrays: np.ndarray) -> np.ndarray:
    """Jobs whose mixes are all defined (no NaN along the groups)."""
    out = None
    for a in arrays:
        ok = ~np.isnan(a).any(axis=-1)
        out = ok if out is None else out & ok
    return out


def draw_counts(counts: np.ndarray, n: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Group counts of ``n`` members drawn without replacement from groups of ``counts`` (any leading shape).

    Group by group, each from a hypergeometric of that group against those after it
    (as :func:`fairaudit.engine.permutation.hypergeometric_counts`), broadcast over the leading axes.

    Parameters
    ----------
    counts : ndarray (..., n_codes) of int
        Members per group code.
    n : ndarray (...) of int
        Members drawn (at most the sum of ``counts``).
    rng : numpy.random.Generator
        The source of randomness.
    """
    counts = np.asarray(counts, dtype=np.int64)
    out = np.zeros(counts.shape, dtype=np.int64)
    left = np.array(n, dtype=np.int64, copy=True)
    rest = np.flip(np.flip(counts, axis=-1).cumsum(axis=-1), axis=-1)
    for g in range(counts.shape[-1] - 1):
        out[..., g] = rng.hypergeometric(counts[..., g], rest[..., g + 1], left)
        left = left - out[..., g]
    out[..., -1] = left
    return out


def gap_changes(pool: np.ndarray, mixes: Mapping[tuple[int, int], np.ndarray]) -> dict[str, np.ndarray]:
    """Each job's change of its gap against ``pool`` when the profiles are masked (the text neutralised):
    :math:`d_j`, averaged over the other factor's two states (see the module docstring)."""
    g = {s: 0.5 * np.abs(m - pool).sum(axis=-1) for s, m in mixes.items()}
    return {"identity_cues": 0.5 * ((g[(0, 0)] - g[(1, 0)]) + (g[(0, 1)] - g[(1, 1)])),
            "job_text": 0.5 * ((g[(0, 0)] - g[(0, 1)]) + (g[(1, 0)] - g[(1, 1)]))}


def _flip_null(d: np.ndarray, defined: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """The mean of ``d`` over the defined jobs with each job's sign flipped at random (a paired randomisation)."""
    signs = np.where(rng.random((n_draws, d.shape[-1])) < 0.5, -1.0, 1.0)
    return _means({"d": signs * np.where(defined, d, 0.0)}, np.broadcast_to(defined, signs.shape))["d"]


def _draw_nulls(considered: np.ndarray, n_selected: np.ndarray, pool_counts: np.ndarray, n_known: int,
                vectors: Mapping[str, np.ndarray], defined: np.ndarray, n_draws: int,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The nulls of who applied, the residual and the total (see the module), in blocks of draws."""
    n_jobs, n_codes = considered.shape
    pool = pool_counts[:n_known] / max(pool_counts[:n_known].sum(), 1)
    out: dict[str, list[np.ndarray]] = {"who_applied": [], "residual": [], "total": []}
    step = max(1, _BLOCK_ENTRIES // max(n_jobs * n_codes, 1))
    sizes = considered.sum(axis=1)
    for s in range(0, n_draws, step):
        b = min(step, n_draws - s)
        sets = draw_counts(np.broadcast_to(pool_counts, (b, n_jobs, n_codes)), np.broadcast_to(sizes, (b, n_jobs)),
                           rng)  # each job's set drawn at random from the whole table
        own = _mix(sets, n_known)
        ok = defined & _ok(own)
        who = dict(vectors, who_applied=own - pool)
        out["who_applied"].append(_means(project(who), ok)["who_applied"])
        top = _mix(draw_counts(np.broadcast_to(considered, (b, n_jobs, n_codes)),
                               np.broadcast_to(n_selected, (b, n_jobs)), rng), n_known)
        res = dict(vectors, residual=top - (vectors["who_applied"] + pool))  # o_j = a_j + pi
        out["residual"].append(_means(project(res), defined & _ok(top))["residual"])
        blind = _mix(draw_counts(sets, np.broadcast_to(n_selected, (b, n_jobs)), rng), n_known)
        e = blind - pool
        out["total"].append(_means({"total": 0.5 * np.abs(e).sum(axis=-1)}, ok & _ok(blind))["total"])
    return {p: np.concatenate(v) for p, v in out.items()}


def _chance(null: np.ndarray | None, observed: float, alpha: float) -> dict[str, Any]:
    """The null's median and central ``1 - alpha`` interval, and the two-sided p-value of ``observed``."""
    null = None if null is None else null[np.isfinite(null)]
    if null is None or not len(null) or not np.isfinite(observed):
        return {"chance_median": float("nan"), "chance_low": float("nan"), "chance_high": float("nan"),
                "p_value": float("nan"), "beyond_chance": None}
    p = min(1.0, 2 * min(p_lower(null, observed), p_upper(null, observed)))
    lo, med, hi = np.quantile(null, [alpha / 2, 0.5, 1 - alpha / 2])
    return {"chance_median": float(med), "chance_low": float(lo), "chance_high": float(hi), "p_value": p,
            "beyond_chance": bool(p <= alpha)}


def split_cut(considered: np.ndarray, tops: Mapping[tuple[int, int], np.ndarray], enc: GroupEncoding, k: int,
              n_draws: int, alpha: float, rng: np.random.Generator, not_computed: Mapping[str, str]
              ) -> list[dict[str, Any]]:
    """The table rows of one attribute at one k (see the module docstring for every quantity).

    Parameters
    ----------
    considered : ndarray (n_jobs, n_codes)
        Each job's candidates per group code.
    tops : mapping
        Each ranking's selections per job and group code, by state ``(p, t)``; ``(0, 0)`` is the audited one.
    enc : GroupEncoding
        The attribute over the candidates table (its pool is :math:`\\pi`).
    k : int
        The cut-off.
    n_draws : int
        Draws of each null (0: no chance levels).
    alpha : float
        The level of "beyond chance".
    rng : numpy.random.Generator
        The source of the null draws.
    not_computed : mapping
        Part -> why it is not computed.
    """
    pool_counts = enc.pool_counts.astype(np.int64)
    pool = pool_counts[: enc.n_known] / max(pool_counts[: enc.n_known].sum(), 1)
    own = _mix(considered, enc.n_known)
    mixes = _complete({s: _mix(c, enc.n_known) for s, c in tops.items()})
    defined = _ok(own, *mixes.values())
    vectors = part_vectors(own, pool, mixes)
    obs = _means(project(vectors), defined)
    nulls: dict[str, np.ndarray | None] = {p: None for p in ("total",) + PARTS}
    tested: dict[str, float] = {}  # the statistic a null judges, where it is not the part itself
    if n_draws and defined.any():
        nulls.update(_draw_nulls(considered, tops[(0, 0)].sum(axis=1), pool_counts, enc.n_known, vectors, defined,
                                 n_draws, rng))
        if (1, 0) in tops:  # the paired tests judge the change of the gap, d_j
            changes = gap_changes(pool, mixes)
            for p in ("identity_cues", "job_text"):
                tested[p] = float(_means({p: changes[p]}, defined)[p])
                nulls[p] = _flip_null(changes[p], defined, n_draws, rng)
    total = float(obs["total"])
    rows = []
    for part in ("total",) + PARTS:
        computed = part not in not_computed
        value = float(obs[part]) if computed else float("nan")
        reason = not_computed.get(part, "")
        if part == "residual" and not_computed:
            reason = "includes " + " and ".join(PART_WORDS[p] for p in PARTS if p in not_computed) + \
                     ", not separated in this audit"
        rows.append({"k": int(k), "attribute": enc.attribute, "part": part, "value": value,
                     "share": value / total if computed and total > _ATOL else float("nan"),
                     **_chance(nulls[part] if computed else None, tested.get(part, value), alpha),
                     "n_jobs": int(defined.sum()), "computed": computed, "reason": reason})
    return rows


def _same_pairs(sets: Any, other: Any) -> bool:
    if other.job_ids != sets.job_ids or other.n_pairs != sets.n_pairs:
        return False
    key = (lambda r: np.sort(r.job * (r.n_candidates + 1) + r.candidate))  # noqa: E731
    return bool(np.array_equal(key(sets), key(other)))


def _selections(ranking: Any, k: int, enc: GroupEncoding) -> np.ndarray:
    if k == RECORDED_SELECTION:
        return ranking.flagged(enc.codes, enc.n_codes)
    return ranking.top_counts(k, enc.codes, enc.n_codes)


def split_causes(sets: Any, encodings: Sequence[GroupEncoding], ks: Sequence[int], *, alpha: float, seed: int,
                 n_draws: int, rankings: Mapping[tuple[int, int], Any] | None = None,
                 not_computed: Mapping[str, str] | None = None, text: str = "none") -> CauseSplit:
    """The three-way split of every attribute's gap at every k (see the module docstring).

    Parameters
    ----------
    sets : SetRanking or StreamedSets
        Each job's own candidates, ranked as audited.
    encodings : sequence of GroupEncoding
        The audited attributes.
    ks : sequence of int
        The cut-offs; the first is the headline.
    alpha : float
        The level of "beyond chance".
    seed : int
        Seed of the null draws.
    n_draws : int
        Draws of each null (0: no chance levels).
    rankings : mapping, optional
        The same pairs ranked with profiles masked ``(1, 0)``, the job text neutralised ``(0, 1)`` and both
        ``(1, 1)``; a part whose rankings are missing is not computed.
    not_computed : mapping, optional
        Part -> why it is not computed (a part without its rankings needs a reason).
    text : str
        How the job texts were neutralised: ``"lexicon"``, ``"given"`` or ``"none"``.

    Raises
    ------
    ValueError
        A counterfactual ranking ranks other pairs than ``sets``, or a part lacks its rankings and a reason.
    """
    rankings = dict(rankings or {})
    reasons = dict(not_computed or {})
    for state, r in rankings.items():
        if state not in STATES or not _same_pairs(sets, r):
            raise ValueError(f"the counterfactual ranking {state} must rank the audited pairs")
    if set(rankings) not in (set(), set(STATES)):
        raise ValueError("give all three counterfactual rankings, or none")
    if not rankings and not {"identity_cues", "job_text"} <= set(reasons):
        raise ValueError("identity_cues and job_text: no rankings and no reason why they are not computed")
    rows = []
    for a, enc in enumerate(encodings):
        considered = sets.considered(enc.codes, enc.n_codes)
        for k in ks:
            recorded = k == RECORDED_SELECTION
            tops = {(0, 0): _selections(sets, k, enc),
                    **({} if recorded else {s: _selections(r, k, enc) for s, r in rankings.items()})}
            rng = np.random.default_rng([int(seed), 0xCA5E, a, int(k)])
            rows += split_cut(considered, tops, enc, k, n_draws, alpha, rng, {**reasons, **_RECORDED} if recorded
                              else reasons)
    return CauseSplit(table=pd.DataFrame(rows, columns=list(COLUMNS)), k=int(ks[0]), text=text, n_draws=n_draws,
                      alpha=float(alpha), not_computed=reasons)


def split_of_log(sets: SetRanking | StreamedSets, encodings: Sequence[GroupEncoding], config: AuditConfig,
                 rankings: Mapping[tuple[int, int], SetRanking] | None = None, not_computed: Mapping[str, str] = FROM_LOG,
                 text: str = "none") -> CauseSplit:
    """The cause split of an audit of per-job sets with the audit's settings (:func:`split_causes`).

    Parameters
    ----------
    sets : SetRanking or StreamedSets
        Who each job considered, best first.
    encodings : sequence of GroupEncoding
        The attributes.
    config : AuditConfig
        The audit's settings: cut-offs, level, seed and ``n_permutations_gap`` draws of each null.
    rankings : mapping, optional
        The counterfactual rankings of a live audit; a log has none.
    not_computed : mapping
        Why the parts without rankings are not computed.
    text : str
        How the job texts were neutralised.
    """
    n_draws = min(config.n_permutations, config.n_permutations_gap) if config.n_permutations else 0
    return split_causes(sets, encodings, config.ks, alpha=config.alpha, seed=config.seed, n_draws=n_draws,
                        rankings=rankings, not_computed=not_computed, text=text)
