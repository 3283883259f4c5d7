"""The permutation null: what a recommender that ignores an attribute shows on this pool.

The rankings (each job's stored top-k) stay fixed and the attribute labels are
permuted among the candidates, optionally within strata (e.g. occupation or
location). A recommender that ignores the attribute ranks the same candidates
whatever their labels, so under the null hypothesis "the ranking does not
depend on the attribute" every permutation of the labels is equally likely to
be the one observed, and each permutation gives one draw of every statistic of
the audit (selection counts, impact ratios, match rate, mean gap) *on the
user's own pool and jobs*.

No re-ranking is needed: only the labels of the stored top-k members change.
Group selections in permutation ``b`` are

.. math:: S^{(b)}_g = \\sum_c m_c \\, 1[\\ell_{\\pi_b(c)} = g],
    \\qquad m_c = \\#\\{j : c \\in \\mathrm{top}_k(j)\\}

(``m`` is how many top-k lists candidate ``c`` is in), one weighted
``bincount`` per permutation block; the per-job group mix (for the match rate
and the gap) comes from :func:`fairaudit.metrics.counts.group_counts` on a
batch of labellings.

References
----------
.. [1] Good, P. (2005). *Permutation, Parametric and Bootstrap Tests of
       Hypotheses*, 3rd ed., Springer, ch. 3.
.. [2] Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be
       zero. *Stat. Appl. Genet. Mol. Biol.* 9(1), art. 39.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import numpy as np

from ..data.groups import GroupEncoding
from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import match, topk_shares
from ..metrics.impact import RTOL
from ..metrics.counts import group_counts

#: Largest number of (permutation x candidate) label entries held at once (also the person-level null's bound).
BLOCK_ENTRIES = 4_000_000


@dataclass
class NullDraws:
    """One attribute at one k under the permutation null (one entry per permutation).

    Attributes
    ----------
    selected : ndarray (m, n_codes)
        Selections (job, candidate pairs in a top-k) per group code.
    match_rate, mean_gap : ndarray (m,)
        Share of jobs within tolerance and mean per-job gap.
    """

    selected: np.ndarray
    match_rate: np.ndarray
    mean_gap: np.ndarray


def permutation_blocks(n_candidates: int, n_permutations: int, seed: int,
                       strata: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Yield ``(b, n_candidates)`` index permutations; candidate ``c`` takes the labels of ``pi[c]``.

    With ``strata`` (one stratum code per candidate), candidates swap labels
    only with candidates of their own stratum. The same seed gives the same
    permutations; blocks keep memory at about 4 M entries however large the pool.
    """
    rng = np.random.default_rng([int(seed), 0x5EED])
    block = max(1, min(n_permutations, BLOCK_ENTRIES // max(n_candidates, 1)))
    if strata is not None:
        order = np.argsort(strata, kind="stable")
        bounds = np.flatnonzero(np.diff(strata[order])) + 1
        slices = np.split(np.arange(n_candidates), bounds)
    done = 0
    while done < n_permutations:
        b = min(block, n_permutations - done)
        if strata is None:  # one permutation at a time is faster than Generator.permuted on a block
            yield np.stack([rng.permutation(n_candidates) for _ in range(b)]) if n_candidates else \
                np.empty((b, 0), dtype=np.int64)
        else:
            out = np.empty((b, n_candidates), dtype=np.int64)
            for sl in slices:  # shuffle within each stratum, in sorted order
                members = order[sl]
                out[:, members] = rng.permuted(np.broadcast_to(members, (b, len(members))), axis=1)
            yield out
        done += b


def multiplicity(indices: np.ndarray, n_candidates: int) -> np.ndarray:
    """How many top-k lists each candidate is in (``indices`` is (n_jobs, k))."""
    return np.bincount(indices.ravel(), minlength=n_candidates)


def permuted_selections(perm_codes: np.ndarray, mult: np.ndarray, n_codes: int) -> np.ndarray:
    """Selections per group for each row of permuted labels ``perm_codes`` (b, n): ``S_g`` above."""
    hit = np.flatnonzero(mult)  # only candidates in some top-k count
    b = perm_codes.shape[0]
    flat = (perm_codes[:, hit] + n_codes * np.arange(b)[:, None]).ravel()
    w = np.broadcast_to(mult[hit].astype(float), (b, len(hit))).ravel()
    return np.bincount(flat, weights=w, minlength=b * n_codes).reshape(b, n_codes).round().astype(np.int64)


def _diversity(counts: np.ndarray, n_known: int, target: np.ndarray, tolerance: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Match rate and mean gap of each permutation from its per-job counts (b, n_jobs, n_codes)."""
    b, n_jobs, n_codes = counts.shape
    gaps = gap_fn(topk_shares(counts.reshape(b * n_jobs, n_codes), n_known), target).reshape(b, n_jobs)
    return rates_of_gaps(gaps, tolerance)


def null_draws(indices: np.ndarray, encodings: Sequence[GroupEncoding], ks: Sequence[int],
               targets: Mapping[str, np.ndarray], tolerance: float, n_permutations: int, seed: int,
               strata: np.ndarray | None = None, n_permutations_gap: int | None = None
               ) -> dict[tuple[str, int], NullDraws]:
    """Every attribute's statistics at every k under ``n_permutations`` label permutations.

    One permutation moves a candidate's labels of every attribute together (the
    candidate's row), so the attributes share their permutations.

    Parameters
    ----------
    indices : ndarray (n_jobs, k_max)
        The stored rankings (best first).
    targets : mapping attribute -> target distribution over the known groups
    strata : ndarray (n_candidates,) of int, optional
        Permute only within these strata.
    n_permutations_gap : int, optional
        The match rate and the mean gap need every job's group mix in every
        permutation (``n_jobs x k`` labels each, against one weighted count per
        candidate for the selections), so they use only the first
        ``n_permutations_gap`` permutations (default: all). Their arrays are then
        shorter than ``selected``.
    """
    n_cand = int(encodings[0].codes.shape[0]) if encodings else 0
    n_gap = n_permutations if n_permutations_gap is None else min(n_permutations, n_permutations_gap)
    mults = {k: multiplicity(indices[:, :k], n_cand) for k in ks}
    small = {e.attribute: e.codes.astype(np.int8 if e.n_codes < 128 else np.int32) for e in encodings}
    parts: dict[tuple[str, int], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
        (e.attribute, k): [] for e in encodings for k in ks}
    done = 0
    for perm in permutation_blocks(n_cand, n_permutations, seed, strata):
        n_div = max(0, min(len(perm), n_gap - done))  # permutations of this block that feed the gap null
        for enc in encodings:
            pc = small[enc.attribute][perm]  # (b, n) permuted labels
            for k in ks:
                sel = permuted_selections(pc, mults[k], enc.n_codes)
                m = g = np.empty(0)
                if n_div:
                    counts = group_counts(indices[:, :k], pc[:n_div], enc.n_codes)  # (b, n_jobs, n_codes)
                    m, g = _diversity(counts, enc.n_known, targets[enc.attribute], tolerance)
                parts[(enc.attribute, k)].append((sel, m, g))
        done += len(perm)
    return {key: NullDraws(*(np.concatenate([p[i] for p in v]) for i in range(3))) for key, v in parts.items()}


def p_lower(null: np.ndarray, observed: float) -> float:
    """One-sided permutation p-value for "observed is unusually low".

    .. math:: p = \\frac{1 + \\#\\{b : T^{(b)} \\le T_{obs}\\}}{1 + m}

    (Phipson & Smyth 2010: counting the observed labelling as one of the
    permutations keeps the test exact and p never 0). Ties within float rounding
    count as "at or below". NaN draws are left out; NaN without draws or observation.
    """
    null = np.asarray(null, dtype=float)
    null = null[~np.isnan(null)]
    if not np.isfinite(observed) or not len(null):
        return float("nan")
    at_or_below = (null <= observed + RTOL * max(abs(observed), 1.0)).sum()
    return float((1 + at_or_below) / (1 + len(null)))


def p_upper(null: np.ndarray, observed: float) -> float:
    """One-sided permutation p-value for "observed is unusually high" (see :func:`p_lower`)."""
    return p_lower(-np.asarray(null, dtype=float), -observed)


def random_topk_gaps(pool_counts: np.ndarray, n_known: int, k: int, target: np.ndarray, n_draws: int,
                     seed: int) -> np.ndarray:
    """Gaps of ``n_draws`` top-k lists drawn at random from the pool: one job's permutation null.

    Permuting the labels among the candidates while one job's ranking stays
    fixed makes the labels of its top-k a draw of k candidates without
    replacement from the pool, so their group counts are multivariate
    hypergeometric (``pool_counts``, unknown code last).
    """
    rng = np.random.default_rng([int(seed), 0x70C])
    counts = rng.multivariate_hypergeometric(np.asarray(pool_counts, dtype=np.int64), min(k, int(pool_counts.sum())),
                                             size=n_draws)
    return gap_fn(topk_shares(counts, n_known), target)


def hypergeometric_counts(considered: np.ndarray, n_selected: np.ndarray, size: int,
                          rng: np.random.Generator) -> np.ndarray:
    """``size`` draws of every job's top-k group counts when labels are permuted within each job's set.

    Permuting the labels among the candidates job ``j`` considered, while its
    ranking stays fixed, makes the labels of its ``n_selected[j]`` selected
    candidates a draw without replacement from its set: multivariate
    hypergeometric with the set's group counts ``considered[j]``. Drawn group by
    group (group g from a hypergeometric of g against the groups after it, given
    what is left to draw: the "marginals" method of
    :meth:`numpy.random.Generator.multivariate_hypergeometric`), vectorised over
    jobs and draws.

    Parameters
    ----------
    considered : ndarray (n_jobs, n_codes) of int
        Each job's candidates per group code.
    n_selected : ndarray (n_jobs,) of int
        Each job's selections (its top-k size, ``min(k, set size)``).
    size : int
        Draws (permutations).
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    ndarray (size, n_jobs, n_codes) of int
    """
    considered = np.asarray(considered, dtype=np.int64)
    n_jobs, n_codes = considered.shape
    out = np.empty((size, n_jobs, n_codes), dtype=np.int64)
    left = np.broadcast_to(np.asarray(n_selected, dtype=np.int64), (size, n_jobs)).copy()
    rest = considered[:, ::-1].cumsum(axis=1)[:, ::-1]  # rest[:, g]: candidates of groups g and after
    for g in range(n_codes - 1):
        out[:, :, g] = rng.hypergeometric(considered[:, g], rest[:, g + 1], left)
        left -= out[:, :, g]
    out[:, :, n_codes - 1] = left
    return out


def set_null_draws(considered: np.ndarray, n_selected: np.ndarray, n_known: int, target: np.ndarray,
                   tolerance: float, n_permutations: int, seed: int | Sequence[int],
                   n_permutations_gap: int | None = None) -> NullDraws:
    """One attribute at one k under label permutations within each job's candidate set.

    Each job's draws are independent, which is the whole null only when nobody is
    in two jobs' sets: a person keeps one label in all of their jobs, and when
    people recur the audit uses the person-level permutation instead
    (:mod:`fairaudit.engine.person_null`, chosen by
    :func:`~fairaudit.engine.person_null.choose_null`).

    The same null as permuting the labels of each job's candidates (see
    :func:`hypergeometric_counts`), drawn without materialising a permutation, in
    blocks of about :data:`BLOCK_ENTRIES` counts, so its memory does not grow
    with the number of permutations.

    Parameters
    ----------
    considered : ndarray (n_jobs, n_codes) of int
        Each job's candidates per group code (unknown last).
    n_selected : ndarray (n_jobs,) of int
        Each job's selections.
    n_known : int
        Known groups (the codes before the unknown one).
    target : ndarray (n_known,) or (n_jobs, n_known)
        The target of the per-job gaps (one for all jobs or each job's own).
    tolerance : float
        A job matches when its gap is at most this.
    n_permutations : int
        Draws of the selections.
    seed : int or sequence of int
        Seed of the draws.
    n_permutations_gap : int, optional
        Of those, how many feed the match rate and mean gap (default all).
    """
    rng = np.random.default_rng(seed)
    n_jobs, n_codes = considered.shape
    n_gap = n_permutations if n_permutations_gap is None else min(n_permutations, n_permutations_gap)
    block = max(1, BLOCK_ENTRIES // max(n_jobs * n_codes, 1))
    sel, m, g = [], [], []
    done = 0
    while done < n_permutations:
        b = min(block, n_permutations - done)
        counts = hypergeometric_counts(considered, n_selected, b, rng)
        sel.append(counts.sum(axis=1))
        n_div = max(0, min(b, n_gap - done))
        if n_div:
            gaps = gap_fn(topk_shares(counts[:n_div].reshape(n_div * n_jobs, n_codes), n_known),
                          np.broadcast_to(target, (n_div, n_jobs, n_known)).reshape(n_div * n_jobs, n_known)
                          if np.ndim(target) == 2 else target).reshape(n_div, n_jobs)
            mm, gg = rates_of_gaps(gaps, tolerance)
            m.append(mm)
            g.append(gg)
        done += b
    cat = (lambda parts: np.concatenate(parts) if parts else np.empty(0))  # noqa: E731
    return NullDraws(selected=cat(sel).reshape(-1, n_codes), match_rate=cat(m), mean_gap=cat(g))


def rates_of_gaps(gaps: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Match rate and mean gap of each row of per-job gaps, over the jobs where they are defined.

    Parameters
    ----------
    gaps : ndarray (b, n_jobs)
        Each permutation's per-job gaps (NaN where undefined).
    tolerance : float
        A job matches when its gap is at most this.
    """
    b, n_jobs = gaps.shape
    defined = ~np.isnan(gaps)
    nd = defined.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (match(gaps.ravel(), tolerance).reshape(b, n_jobs) & defined).sum(axis=1) / nd
        g = np.where(defined, gaps, 0.0).sum(axis=1) / nd
    return np.where(nd > 0, m, np.nan), np.where(nd > 0, g, np.nan)
