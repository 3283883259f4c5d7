"""The cause of an impact-ratio breach: how much of it goes when identity cues in the profiles are masked.

The identity-blind decomposition (:mod:`fairaudit.engine.identity_blind`,
:func:`fairaudit.engine.drivers.decomposition`) explains the *mean gap* of each
attribute. A breach of the four-fifths rule is a different figure: the lowest
impact ratio at some k. For every attribute whose lowest ratio breaches, at the
breach's k, the same two rankings (profiles as written, and with names, titles
and pronouns masked) give that ratio twice; the share of the shortfall below
the floor that masking removes,

.. math:: s = \\frac{IR_{masked} - IR}{\\text{floor} - IR},

says how much of the breach comes from identity cues the recommender reads in
the profiles, which no rewrite of the job ad can fix. "Most" is ``s >= 0.5``.
On a sample (``decomposition="sample"``) both ratios are the sample's, at its
cut-off :math:`k_S`, and are labelled as sample estimates, never mixed with the
audit's exact ratio.

Each of the two ratios gets its own p-value and verdict, computed as the audit's
(:func:`fairaudit.engine.verdicts.assess`): the labels of the ranked candidates
are shuffled with the audit's permutations (same seed, same strata, the
attributes together), each ranking's lowest impact ratio is compared with the
lowest ratio of every shuffle (the attribute's family), and the power decides
"too little power to judge". On the full pool the ranking as written is the
audit's own, so its p-value and verdict are the audit's.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..data.groups import GroupEncoding
from ..metrics.counts import group_counts
from ..metrics.impact import impact_ratios, is_below, reference_mask, selection_rates
from .permutation import null_draws
from .verdicts import assess

__all__ = ["LowestRatio", "breach_cuts", "lowest_ratio_tests", "breach_entry", "breach_line"]


class LowestRatio(NamedTuple):
    """A ranking's lowest impact ratio at one k, its group and, when assessed, its p-value and verdict."""

    ratio: float
    group: str
    p_value: float = float("nan")
    verdict: str | None = None


def breach_cuts(parity: pd.DataFrame, floor: float) -> list[tuple[str, int, float]]:
    """(attribute, k, ratio) of every lowest impact ratio below ``floor`` in the audit's ``parity`` table."""
    rows = parity[parity["min_impact_ratio"].notna()] if "min_impact_ratio" in parity else parity.iloc[0:0]
    return [(str(r["attribute"]), int(r["k"]), float(r["min_impact_ratio"])) for r in rows.to_dict("records")
            if is_below(float(r["min_impact_ratio"]), floor)]


def _impact(topk: np.ndarray, enc: GroupEncoding, rated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Impact ratios of the top-k ``topk`` (rows of ``enc.codes``), the pool and the groups rated on it.

    The audit's rule (:func:`fairaudit.engine.measure.measure_cut`): the rated groups present
    in this pool, divided by the highest rate among those allowed to be the reference.
    """
    pool = np.bincount(enc.codes, minlength=enc.n_codes)
    sel = group_counts(topk, enc.codes, enc.n_codes).sum(axis=0)
    here = rated & (pool[: enc.n_known] > 0)
    ir = impact_ratios(selection_rates(sel, pool, topk.shape[0])[: enc.n_known], here, reference_mask(pool, here))
    return ir, pool, here


def lowest_ratio_tests(order: np.ndarray, encodings: Sequence[GroupEncoding], rated: dict[str, np.ndarray],
                       ks: Sequence[int], config: Any, strata: np.ndarray | None = None
                       ) -> dict[tuple[str, int], LowestRatio]:
    """Each attribute's lowest impact ratio of one ranking at each k, with its p-value and verdict.

    Parameters
    ----------
    order : ndarray (n_jobs, depth)
        The ranking (rows of the encodings' candidates, best first), at least ``max(ks)`` deep.
    encodings : sequence of GroupEncoding
        The attributes, over the ranked candidates.
    rated : dict of str to ndarray of bool
        Each attribute's rated groups (the audit's).
    ks : sequence of int
        The cut-offs.
    config : AuditConfig
        ``n_permutations``, ``seed``, ``alpha``, ``four_fifths``, ``power`` and
        ``judge_ratio``, as the audit used them; without permutations the
        p-values are NaN and the verdicts None (not assessed).
    strata : ndarray of int, optional
        The audit's strata codes of the ranked candidates (labels shuffle within them).
    """
    draws = null_draws(order, encodings, ks, {e.attribute: np.zeros(e.n_known) for e in encodings},
                       config.tolerance, config.n_permutations, config.seed, strata, 0) \
        if config.n_permutations > 0 and encodings else {}
    out = {}
    for enc in encodings:
        for k in ks:
            ir, pool, here = _impact(order[:, :k], enc, rated[enc.attribute])
            if not np.isfinite(ir).any():
                out[(enc.attribute, k)] = LowestRatio(float("nan"), "")
                continue
            g = int(np.nanargmin(ir))
            p, verdict = float("nan"), None
            if (enc.attribute, k) in draws:  # the audit's own test (match rate and gap left out)
                ch = assess(draws[(enc.attribute, k)], impact=ir, rated=here, pool=pool, n_jobs=order.shape[0],
                            match_rate=float("nan"), mean_gap=float("nan"), alpha=config.alpha,
                            four_fifths=config.four_fifths, power=config.power, judge_ratio=config.judge_ratio,
                            seed=config.seed)
                p, verdict = ch.min_p, ch.verdict_attribute
            out[(enc.attribute, k)] = LowestRatio(float(ir[g]), enc.labels[g], p, verdict)
    return out


def breach_entry(attribute: str, k: int, audit_ratio: float, original: Sequence[Any], masked: Sequence[Any],
                 floor: float, method: str, sample_size: int, sample_k: int) -> dict[str, Any]:
    """One breach's identity-blind comparison (see the module docstring).

    Parameters
    ----------
    attribute : str
        The breaching attribute.
    k : int
        The breach's cut-off.
    audit_ratio : float
        The audit's (exact) lowest impact ratio.
    original, masked : LowestRatio or (ratio, group)
        The lowest ratio on the compared rankings, profiles as written and masked
        (:func:`lowest_ratio_tests`; a bare pair has no test).
    floor : float
        The four-fifths floor.
    method : {"full", "sample"}
        Whether the rankings cover the whole pool or a sample of it.
    sample_size, sample_k : int
        Candidates ranked and the cut-off used (the pool and k for ``"full"``).
    """
    original, masked = LowestRatio(*original), LowestRatio(*masked)
    ir, ir_blind = original.ratio, masked.ratio
    short = floor - ir
    share = (ir_blind - ir) / short if np.isfinite(ir_blind) and short > 0 else float("nan")
    return {"attribute": attribute, "k": k, "min_impact_ratio": audit_ratio, "group": original.group,
            "compared_min_impact_ratio": ir, "compared_p_value": original.p_value,
            "compared_verdict": original.verdict, "masked_min_impact_ratio": ir_blind,
            "masked_group": masked.group, "masked_p_value": masked.p_value, "masked_verdict": masked.verdict,
            "floor": floor, "identity_share": share, "masked_above_floor": bool(np.isfinite(ir_blind)
                                                                                and not is_below(ir_blind, floor)),
            "mostly_identity": bool(np.isfinite(share) and share >= 0.5), "method": method,
            "sample_size": int(sample_size), "sample_k": int(sample_k)}


def _num(v: Any) -> float:
    """A figure of an entry as a float: NaN for a missing one (JSON writes NaN as null)."""
    return float(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else float("nan")


def _ratio(v: Any) -> str:
    return f"{_num(v):.3f}" if np.isfinite(_num(v)) else "—"


def chance_words(verdict: Any, p: Any) -> str:
    """``" (breach, within chance, p = 0.210)"``: a ratio's verdict as the verdict lines write it ("" unassessed)."""
    if not isinstance(verdict, str) or not verdict:
        return ""
    return f" ({verdict}" + (f", p = {_num(p):.3f})" if np.isfinite(_num(p)) else ")")


def breach_line(e: dict[str, Any]) -> str:
    """The breach's comparison in one sentence, with what it means for rewriting the ad.

    Reads an entry as :func:`breach_entry` makes it or as a stored audit's JSON holds it
    (a missing figure is null there).
    """
    head = f"Cause of the breach, {e['attribute']} at k={e['k']}: lowest impact ratio {_ratio(e['min_impact_ratio'])}"
    original = chance_words(e.get("compared_verdict"), e.get("compared_p_value"))
    masked = chance_words(e.get("masked_verdict"), e.get("masked_p_value"))
    if e["method"] == "sample":
        fig = (f"; on a sample of {e['sample_size']:,} candidates at top-{e['sample_k']} (sample estimates) it is "
               f"{_ratio(e['compared_min_impact_ratio'])} as written{original} and "
               f"{_ratio(e['masked_min_impact_ratio'])} with names, titles and pronouns masked in the profiles{masked}")
    else:  # the compared ranking is the audit's own: its ratio, p-value and verdict are the audit's
        fig = (f"{original}, {_ratio(e['masked_min_impact_ratio'])} with names, titles and pronouns masked in the "
               f"profiles{masked}")
    share, floor = _num(e.get("identity_share")), _num(e.get("floor"))
    if not np.isfinite(share):
        return head + fig + "."
    if e.get("mostly_identity"):
        what = (f". Masking removes {100 * min(share, 1):.0f}% of the shortfall below {floor:.2f}"
                + (f" (the masked ratio is at or above {floor:.2f})" if e.get("masked_above_floor") else "")
                + ": most of the breach comes from identity cues in the profiles that the recommender reads, "
                  "which no rewrite of the ad can fix.")
    else:
        what = (f". Masking removes {100 * max(share, 0):.0f}% of the shortfall below {floor:.2f}: most of "
                "the breach stays without identity cues (it follows the job text and the profiles' content).")
    return head + fig + what
