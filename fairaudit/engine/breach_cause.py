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
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..data.groups import GroupEncoding
from ..metrics.counts import group_counts
from ..metrics.impact import impact_ratios, is_below, selection_rates

__all__ = ["breach_cuts", "lowest_ratio", "breach_entry", "breach_line"]


def breach_cuts(parity: pd.DataFrame, floor: float) -> list[tuple[str, int, float]]:
    """(attribute, k, ratio) of every lowest impact ratio below ``floor`` in the audit's ``parity`` table."""
    rows = parity[parity["min_impact_ratio"].notna()] if "min_impact_ratio" in parity else parity.iloc[0:0]
    return [(str(r["attribute"]), int(r["k"]), float(r["min_impact_ratio"])) for r in rows.to_dict("records")
            if is_below(float(r["min_impact_ratio"]), floor)]


def lowest_ratio(topk: np.ndarray, codes: np.ndarray, enc: GroupEncoding, rated: np.ndarray) -> tuple[float, str]:
    """The lowest impact ratio of the top-k ``topk`` (rows of ``codes``' candidates) and its group."""
    pool = np.bincount(codes, minlength=enc.n_codes)
    sel = group_counts(topk, codes, enc.n_codes).sum(axis=0)
    ir = impact_ratios(selection_rates(sel, pool, topk.shape[0])[: enc.n_known], rated & (pool[: enc.n_known] > 0))
    if not np.isfinite(ir).any():
        return float("nan"), ""
    g = int(np.nanargmin(ir))
    return float(ir[g]), enc.labels[g]


def breach_entry(attribute: str, k: int, audit_ratio: float, original: tuple[float, str],
                 masked: tuple[float, str], floor: float, method: str, sample_size: int, sample_k: int) -> dict[str, Any]:
    """One breach's identity-blind comparison (see the module docstring).

    Parameters
    ----------
    attribute, k : the breaching cut
    audit_ratio : float
        The audit's (exact) lowest impact ratio.
    original, masked : (ratio, group)
        The lowest ratio on the compared rankings, profiles as written and masked.
    floor : float
        The four-fifths floor.
    method : {"full", "sample"}
    sample_size, sample_k : int
        Candidates ranked and the cut-off used (the pool and k for ``"full"``).
    """
    ir, ir_blind = original[0], masked[0]
    short = floor - ir
    share = (ir_blind - ir) / short if np.isfinite(ir_blind) and short > 0 else float("nan")
    return {"attribute": attribute, "k": k, "min_impact_ratio": audit_ratio, "group": original[1],
            "compared_min_impact_ratio": ir, "masked_min_impact_ratio": ir_blind, "masked_group": masked[1],
            "floor": floor, "identity_share": share, "masked_above_floor": bool(np.isfinite(ir_blind)
                                                                                and not is_below(ir_blind, floor)),
            "mostly_identity": bool(np.isfinite(share) and share >= 0.5), "method": method,
            "sample_size": int(sample_size), "sample_k": int(sample_k)}


def breach_line(e: dict[str, Any]) -> str:
    """The breach's comparison in one sentence, with what it means for rewriting the ad."""
    head = f"Cause of the breach, {e['attribute']} at k={e['k']}: lowest impact ratio {e['min_impact_ratio']:.3f}"
    if e["method"] == "sample":
        fig = (f"; on a sample of {e['sample_size']:,} candidates at top-{e['sample_k']} (sample estimates) it is "
               f"{e['compared_min_impact_ratio']:.3f} as written and {e['masked_min_impact_ratio']:.3f} with names, "
               "titles and pronouns masked in the profiles")
    else:
        fig = f", {e['masked_min_impact_ratio']:.3f} with names, titles and pronouns masked in the profiles"
    share = e["identity_share"]
    if not np.isfinite(share):
        return head + fig + "."
    if e["mostly_identity"]:
        what = (f". Masking removes {100 * min(share, 1):.0f}% of the shortfall below {e['floor']:.2f}"
                + (" (the masked ratio passes)" if e["masked_above_floor"] else "")
                + ": most of the breach comes from identity cues in the profiles that the recommender reads, "
                  "which no rewrite of the ad can fix.")
    else:
        what = (f". Masking removes {100 * max(share, 0):.0f}% of the shortfall below {e['floor']:.2f}: most of "
                "the breach stays without identity cues (it follows the job text and the profiles' content).")
    return head + fig + what


def ratios_of(orders: Sequence[np.ndarray], codes: np.ndarray, enc: GroupEncoding, rated: np.ndarray,
              k: int) -> list[tuple[float, str]]:
    """:func:`lowest_ratio` of each ranking in ``orders`` cut at ``k``."""
    return [lowest_ratio(o[:, :k], codes, enc, rated) for o in orders]
