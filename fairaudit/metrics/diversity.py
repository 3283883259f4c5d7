"""Distance between each job's top-k group mix and a target distribution.

References
----------
.. [1] Wasserstein gap and reward: "Foundation Models at Work: Fine-Tuning for
       Fairness in Algorithmic Hiring", arXiv:2501.07324 (AutoRefine).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import ConfigError
from ..data.group_labels import LABELS


def target_distribution(target: Any, attribute: str, labels: tuple[str, ...], pool_counts: np.ndarray) -> np.ndarray:
    """Resolve a target spec into a probability vector over the known groups.

    Parameters
    ----------
    target : {"pool", "uniform"} or mapping
        ``"pool"``: the known candidates' mix; ``"uniform"``: 1/G each; a mapping
        ``{group: share}`` or ``{attribute: {group: share}}`` (shares checked by
        ``check_shares()``: non-negative, summing to 1). A per-attribute mapping
        that does not name ``attribute`` gives that attribute the pool mix.
    attribute : str
        The protected attribute the distribution is for (``"sex"``, ``"race"``, ...):
        selects the entry of a per-attribute mapping and names it in errors.
    labels : tuple of str
        The attribute's known group labels, in group-code order (G of them).
    pool_counts : ndarray, shape (G,) or longer
        Candidates per group code; only the first G (the known groups) are used,
        so an unknown bucket at the end is left out.

    Returns
    -------
    ndarray of float, shape (G,)
        The target share of each known group, summing to 1.

    Raises
    ------
    ConfigError
        An unknown target name, a group that is not one of ``labels`` (or has no
        candidates), or shares that break ``check_shares()``.
    """
    g = len(labels)
    if isinstance(target, str):
        if target == "pool":
            counts = np.asarray(pool_counts[:g], dtype=float)
            return counts / counts.sum()
        if target == "uniform":
            return np.full(g, 1.0 / g)
        raise ConfigError(f"target must be 'pool', 'uniform' or a mapping of shares, got {target!r}")
    if not isinstance(target, Mapping):
        raise ConfigError(f"target must be 'pool', 'uniform' or a mapping, got {type(target).__name__}")
    spec = target.get(attribute, target) if attribute in target else target
    if isinstance(spec, str):
        return target_distribution(spec, attribute, labels, pool_counts)
    if not all(isinstance(v, (int, float)) for v in spec.values()):
        # a per-attribute mapping that does not name this attribute: use the pool
        return target_distribution("pool", attribute, labels, pool_counts)
    unknown = sorted(set(spec) - set(labels))
    empty = [g for g in unknown if g in LABELS.get(attribute, {})]
    if empty:
        raise ConfigError(f"target for {attribute!r} gives a share to group(s) {empty} with zero candidates "
                          f"in the pool; groups with candidates are {list(labels)}")
    if unknown:
        raise ConfigError(f"target for {attribute!r} names unknown group(s) {unknown}; groups are {list(labels)}")
    check_shares(attribute, spec)
    return np.array([float(spec.get(lbl, 0.0)) for lbl in labels])


def nest_flat_target(target: Any, groups: Mapping[str, Any]) -> Any:
    """A flat ``{group: share}`` target nested under the one attribute whose groups it names.

    With several attributes in play, ``{"female": .5, "male": .5}`` is meant for
    sex: it becomes ``{"sex": {"female": .5, "male": .5}}`` and every other
    attribute keeps its pool mix (:func:`target_distribution`'s rule for an
    attribute a per-attribute mapping does not name). Any other target is
    returned as it is.

    Parameters
    ----------
    target : any
        A target spec (``"pool"``, ``"uniform"``, a flat or a per-attribute mapping).
    groups : mapping attribute -> iterable of str
        The group labels each attribute in play can take.

    Raises
    ------
    ConfigError
        A flat mapping whose groups belong to no attribute, or to more than one.
    """
    if not isinstance(target, Mapping) or not target or any(k in groups for k in target):
        return target
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in target.values()):
        return target
    named = {str(k) for k in target}
    owners = [a for a, gs in groups.items() if named <= {str(g) for g in gs}]
    known = "; ".join(f"{a}: {', '.join(sorted(map(str, gs)))}" for a, gs in groups.items())
    if not owners:
        raise ConfigError(f"target {dict(target)} names group(s) of no single attribute ({known}); name the "
                          "groups of one attribute, or give one mapping per attribute, e.g. "
                          "{\"sex\": {\"female\": 0.5, \"male\": 0.5}}")
    if len(owners) > 1:
        raise ConfigError(f"target {dict(target)} names groups of {' and '.join(owners)}; say which attribute it "
                          f"is for: {{\"{owners[0]}\": {dict(target)}}}")
    return {owners[0]: dict(target)}


def check_shares(attribute: str, shares: Mapping[str, float]) -> None:
    """The one rule of a target's shares: finite, non-negative, at least one, summing to 1 (within 1e-6).

    Used by :func:`target_distribution` (the API) and by the review TOML's
    ``[audit] target``, so both refuse the same targets.

    Parameters
    ----------
    attribute : str
        The attribute the shares are for, named in the error message.
    shares : mapping of str to float
        ``{group: share}``, the target share of each group.

    Raises
    ------
    ConfigError
        Naming the attribute and what is wrong.
    """
    vec = np.array([float(v) for v in shares.values()], dtype=float)
    if not len(vec) or (vec < 0).any() or not np.isfinite(vec).all() or vec.sum() <= 0:
        raise ConfigError(f"target shares for {attribute!r} must be non-negative numbers with a positive sum")
    if abs(vec.sum() - 1.0) > 1e-6:
        raise ConfigError(f"target shares for {attribute!r} must sum to 1, they sum to {vec.sum():g}")


def topk_shares(counts: np.ndarray, n_known: int) -> np.ndarray:
    """Shares of each known group among the known members of each top-k.

    Parameters
    ----------
    counts : ndarray of int, shape (n_jobs, n_codes)
        Members of each group code in each job's top-k (:func:`group_counts`), the
        known groups first and the unknown bucket last.
    n_known : int
        Number of known groups G: the first ``n_known`` columns of ``counts``.
        Unknown members count neither in a share nor in its denominator.

    Returns
    -------
    ndarray of float, shape (n_jobs, n_known)
        Each row sums to 1; a row whose top-k holds no known member is all NaN.
    """
    known = counts[:, :n_known].astype(float)
    tot = known.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, known / np.where(tot > 0, tot, 1), np.nan)


def total_variation(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Total variation distance per row.

    .. math:: \mathrm{TV}(p, q) = \tfrac12 \sum_g |p_g - q_g|

    Parameters
    ----------
    shares : ndarray of float, shape (n, G)
        One group mix per row (:func:`topk_shares`); a NaN row gives NaN.
    target : ndarray of float, shape (G,) or (n, G)
        One target distribution for every row, or one per row.

    Returns
    -------
    ndarray of float, shape (n,)
        The distance of each row, in [0, 1] (0 = the target mix exactly).
    """
    return 0.5 * np.abs(shares - _rows(target)).sum(axis=1)


def _rows(target: np.ndarray) -> np.ndarray:
    """A target as (1, G) or (n, G), to broadcast against rows of shares."""
    target = np.asarray(target, dtype=float)
    return target[None, :] if target.ndim == 1 else target


def wasserstein_binary(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    r"""Wasserstein-1 distance between two distributions on two ordered points.

    With the groups placed at 0 and 1, :math:`W_1(p, q) = |F_p(0) - F_q(0)| =
    |p_0 - q_0|`, which equals the total variation distance (checked against
    ``scipy.stats.wasserstein_distance()`` in the tests).

    Parameters
    ----------
    shares : ndarray of float, shape (n, 2)
        One two-group mix per row (:func:`topk_shares`).
    target : ndarray of float, shape (2,) or (n, 2)
        One target distribution for every row, or one per row.

    Returns
    -------
    ndarray of float, shape (n,)
        :math:`|p_0 - q_0|` per row, in [0, 1].

    Raises
    ------
    ValueError
        ``shares`` does not have exactly two columns.
    """
    if shares.shape[1] != 2:
        raise ValueError("wasserstein_binary needs exactly two groups")
    return np.abs(shares[:, 0] - _rows(target)[:, 0])


def gap(shares: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The per-job gap: W1 for two groups (as in AutoRefine), TV otherwise.

    Parameters
    ----------
    shares : ndarray of float, shape (n_jobs, G)
        Each job's top-k mix of the known groups (:func:`topk_shares`); NaN rows
        (no known member in the top-k) give a NaN gap.
    target : ndarray of float, shape (G,) or (n_jobs, G)
        One target distribution for every job, or one per job.

    Returns
    -------
    ndarray of float, shape (n_jobs,)
        :func:`wasserstein_binary` when G = 2, else :func:`total_variation`; in [0, 1].
    """
    if shares.shape[1] == 2:
        return wasserstein_binary(shares, target)
    return total_variation(shares, target)


def gap_score(gaps: np.ndarray) -> np.ndarray:
    r"""The gap score :math:`-100 \cdot \text{gap}` (:math:`-100 \cdot W_1` for two groups; higher is fairer,
    0 is a perfect match), the score the AutoRefine paper reports.

    The audit tables store it as ``paper_score`` (the name audit files and
    review histories were written with).

    Parameters
    ----------
    gaps : ndarray of float
        Gaps from :func:`gap` (a fraction in [0, 1]; NaN stays NaN).

    Returns
    -------
    ndarray of float
        The same shape, in [-100, 0].
    """
    return -100.0 * gaps


def match(gaps: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether each job's top-k mix is within ``tolerance`` of the target (TV / W1).

    A gap equal to the tolerance up to float rounding matches (see
    :func:`fairaudit.metrics.is_above`); NaN gaps never do.

    Parameters
    ----------
    gaps : array_like of float
        Per-job gaps from :func:`gap` (fractions in [0, 1]).
    tolerance : float
        The largest gap that still matches, as a fraction (0.1 = ten percentage
        points of the top-k mix).

    Returns
    -------
    ndarray of bool
        The shape of ``gaps``: True where ``gap <= tolerance`` (within ``RTOL`` /
        ``ATOL`` of ``fairaudit.metrics.impact``).
    """
    from .impact import is_above

    g = np.asarray(gaps, dtype=float)
    return ~np.asarray(is_above(g, tolerance), dtype=bool) & ~np.isnan(g)


def soft_topk_shares(scores: np.ndarray, codes: np.ndarray, n_known: int, k: int,
                     temperature: float = 0.5) -> np.ndarray:
    r"""Temperature-smoothed top-k group shares: a low-variance stand-in for the top-k mix.

    The hard top-k count only changes when a candidate crosses rank k, so the
    gap of a slightly reworded text is mostly 0 or one candidate's worth, and
    which candidate crosses is an accident of the pool. Here every candidate
    gets a soft membership

    .. math::
        w_i = \sigma\!\left(\frac{s_i - \theta}{T}\right), \qquad
        \sum_i w_i = k, \qquad
        T = \tau \, (s_{(k/2)} - s_{(2k)})

    with :math:`\theta` found by bisection and :math:`s_{(r)}` the r-th largest
    score (so :math:`\tau` is scale-free: the same for cosine and BM25
    scores). The share of group :math:`g` is
    :math:`\sum_{i \in g} w_i / \sum_{i\,\mathrm{known}} w_i`. As
    :math:`\tau \to 0` this is the hard top-k mix; a larger :math:`\tau`
    averages over the candidates near the boundary, which estimates the mix a
    fresh pool from the same population would give.

    Only the ``4k`` best candidates of each row take part (their weights
    beyond that are negligible for :math:`\tau \le 1`).

    Parameters
    ----------
    scores : ndarray of float, shape (n_texts, n_candidates)
        Recommender scores, higher is better.
    codes : ndarray of int, shape (n_candidates,)
        Each candidate's group code; the unknown code is ``n_known``.
    n_known : int
        Number of known groups.
    k : int
        The cut-off (capped at ``n_candidates``).
    temperature : float > 0
        :math:`\tau` above (the hard top-k mix is :func:`topk_shares` of the ranking).

    Returns
    -------
    ndarray (n_texts, n_known)

    References
    ----------
    .. [1] Xie et al., "Differentiable Top-k with Optimal Transport", NeurIPS
           2020 (smoothed top-k membership with a temperature).
    """
    from scipy.special import expit

    scores = np.asarray(scores, dtype=np.float64)
    n, m = scores.shape
    k = int(min(k, m))
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    keep = min(m, 4 * k + 1)
    top = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
    s = np.take_along_axis(scores, top, axis=1)
    srt = -np.sort(-s, axis=1)
    spread = srt[:, max(k // 2, 1) - 1] - srt[:, min(2 * k, keep) - 1]
    scale = np.where(spread > 0, spread, np.abs(srt[:, 0]) * 1e-6 + 1e-12)
    t = (temperature * scale)[:, None]
    lo, hi = srt[:, -1:] - 20 * t, srt[:, :1] + 20 * t
    for _ in range(60):  # bisection on theta: sum of memberships = k
        theta = (lo + hi) / 2
        mass = expit((s - theta) / t).sum(axis=1, keepdims=True)
        lo, hi = np.where(mass > k, theta, lo), np.where(mass > k, hi, theta)
    w = expit((s - (lo + hi) / 2) / t)
    c = np.asarray(codes)[top]
    known = np.stack([(w * (c == g)).sum(axis=1) for g in range(n_known)], axis=1)
    tot = known.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, known / np.where(tot > 0, tot, 1), np.nan)


def random_topk_gap(pool_counts: np.ndarray, target: np.ndarray, k: int) -> float:
    r"""Expected gap of a top-k drawn uniformly at random from the pool: the noise floor.

    A top-k is a sample without replacement, so even a recommender that ignores
    every text is off target by chance. For group :math:`g` with :math:`K_g` of
    the :math:`N` known candidates, the count in a random top-k is
    hypergeometric, :math:`X_g \sim \mathrm{Hypergeom}(N, K_g, k)`, and by
    linearity of expectation

    .. math::
        E[\mathrm{TV}] = \tfrac12 \sum_g E\,|X_g / k - t_g|

    computed exactly from the hypergeometric pmf. For two groups this is the
    expected W1 gap, :math:`E|X_0/k - t_0|` (e.g. 0.056 for a 50/50 pool, a
    50/50 target and k = 50; 0.123 for k = 10).

    Parameters
    ----------
    pool_counts : ndarray of int, shape (G,)
        Candidates per known group (unknown left out).
    target : ndarray of float, shape (G,)
        Target distribution over the same groups.
    k : int
        Top-k size, capped at the number of known candidates N: the top-k is
        drawn from the known candidates only, as if every place held a known
        member.

    Returns
    -------
    float
        The expected gap; a job's gap is text-driven only to the extent that it
        exceeds this.

    References
    ----------
    .. [1] Geyik, Ambler & Kenthapadi, KDD 2019 (a ranking's skew is judged
           against what random sampling from the pool gives).
    """
    from scipy.stats import hypergeom

    counts = np.asarray(pool_counts, dtype=np.int64)
    target = np.asarray(target, dtype=float)
    if counts.shape != target.shape:
        raise ValueError(f"pool_counts {counts.shape} and target {target.shape} differ in shape")
    n = int(counts.sum())
    k = int(min(k, n))
    if k < 1:
        return float("nan")
    x = np.arange(k + 1)
    dev = [hypergeom.pmf(x, n, int(kg), k) @ np.abs(x / k - tg) for kg, tg in zip(counts, target)]
    if len(counts) == 2:
        return float(dev[0])
    return float(0.5 * np.sum(dev))


def diversity_match_rate(gaps: np.ndarray, tolerance: float = 0.1) -> float:
    """Share of jobs whose top-k mix is within ``tolerance`` of the target.

    Jobs with an undefined gap (no known member in the top-k) are left out.

    Parameters
    ----------
    gaps : ndarray of float, shape (n_jobs,)
        Per-job gaps from :func:`gap`; NaN marks a job with no known member in its top-k.
    tolerance : float, default 0.1
        The largest gap that matches (:func:`match`), as a fraction.

    Returns
    -------
    float
        The share of the jobs with a defined gap that match, in [0, 1]; NaN when
        no job has a defined gap.
    """
    ok = ~np.isnan(gaps)
    return float(match(gaps[ok], tolerance).mean()) if ok.any() else float("nan")
