"""The cause of an attribute's gap at the gap k: the job text, identity cues in profiles, or neither.

Reads the ``diversity`` table's permutation p-value of the mean gap and the
identity-blind decomposition (:mod:`fairaudit.engine.identity_blind`), and says
where the impact-ratio verdict (:mod:`fairaudit.engine.verdicts`) and the cause
disagree which question each answers.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .verdicts import SIGNIFICANT

#: Causes that say the mean gap is beyond chance.
GAP_BEYOND = ("identity cues in profiles", "job text and identity cues", "job text")
#: Said where an attribute's verdict and the cause of its gap disagree.
DIFFERENT_QUESTIONS = ("The verdict and the cause answer different questions: the verdict tests the lowest impact "
                       "ratio (one group's share of all top-k places against the best-selected group's), the cause "
                       "tests the mean gap between each job's top-k mix and the target mix, so one can be beyond "
                       "chance while the other is not.")


def verdict_cause_note(verdict: str | None, cause: str | None) -> str:
    """:data:`DIFFERENT_QUESTIONS` where the impact-ratio verdict and the gap's cause disagree, else ""."""
    if verdict is None or cause not in GAP_BEYOND + ("neither",):
        return ""
    return DIFFERENT_QUESTIONS if (verdict in SIGNIFICANT) != (cause in GAP_BEYOND) else ""


def verdict_cause_line(causes: Mapping[str, Mapping[str, Any]]) -> str:
    """Once for an audit, where verdicts and gap causes disagree: which attributes, and why ("" where none does).

    The terminal and the PDF print this sentence word for word (``causes``: ``summary["causes"]``).
    """
    split = [f"{attr} ({c.get('verdict')}; gap: {c.get('cause')})" for attr, c in causes.items() if c.get("note")]
    if not split:
        return ""
    return f"Verdict and cause differ for {', '.join(split)}. " + next(c["note"] for c in causes.values() if c.get("note"))


def _identity_part_words(d: dict[str, Any], dec: dict[str, Any], significant: bool, share: float) -> str:
    """The identity-blind figures of one attribute; a sample's figures are marked as the sample's."""
    verdict = "significant" if significant else "not significant"
    if dec.get("method") != "sample":
        return (f"masking identity cues in profiles changes it by {d['mean_identity_part']:+.3f} of "
                f"{d['mean_gap']:.3f} ({100 * share:.0f}%, {verdict})")
    ci = ""
    if d.get("identity_part_ci_low") is not None and np.isfinite(d["identity_part_ci_low"]):
        ci = f", CI {d['identity_part_ci_low']:+.3f} to {d['identity_part_ci_high']:+.3f}"
    return (f"on a sample of {dec.get('sample_size', 0):,} candidates at top-{dec.get('sample_k')} (sample "
            f"estimates), masking identity cues in profiles changes the sample's gap by "
            f"{d['mean_identity_part']:+.3f}{ci} of its {d['mean_gap']:.3f} ({100 * share:.0f}%, {verdict})")


def gap_causes(diversity: Any, decomposition: dict[str, Any] | None, k: int, alpha: float,
               parity: Any = None) -> dict[str, dict]:
    """Per attribute: does the job text, the identity cues in profiles, or neither explain the gap at ``k``?

    * **neither**: the mean gap is within chance (its permutation p-value > ``alpha``);
    * **identity cues in profiles**: masking names, titles and pronouns in the
      profiles (the identity-blind decomposition) removes a significant part of
      the gap (interval above 0 for a sampled decomposition, positive for the
      exact one) and at least half of it;
    * **job text and identity cues**: a significant identity part, under half of the gap;
    * **job text**: the gap is beyond chance and stays when identity cues are
      masked: the ranking follows what the job text asks for in the profiles.

    A sampled decomposition's figures are the sample's (its own gap, not the
    audit's): the reason says so and never sets them beside the exact gap as
    if they were one measure.

    Parameters
    ----------
    diversity : DataFrame, the audit's ``diversity`` table (with the null columns)
    decomposition : the audit's ``summary["decomposition"]`` (``by_attribute``), or None
    k : int, the cut-off of the gap
    alpha : float, the significance level
    parity : DataFrame, optional
        The audit's ``parity`` table: each cause then carries the attribute's
        impact-ratio ``verdict`` at ``k`` and, where the two disagree, a ``note``
        (:func:`verdict_cause_note`) on which question each answers.
    """
    out: dict[str, dict] = {}
    rows = diversity[diversity["k"] == k] if "mean_gap_p_value" in diversity else diversity.iloc[0:0]
    by_attr = (decomposition or {}).get("by_attribute") or {}
    for r in rows.to_dict("records"):
        attr, p = str(r["attribute"]), r.get("mean_gap_p_value")
        base = {"k": k, "mean_gap": r["mean_gap"], "p_value": p, "chance_median": r.get("mean_gap_null_median")}
        if p is None or not np.isfinite(p):
            out[attr] = {**base, "cause": "not assessed", "reason": "no permutation null in this audit"}
            continue
        if p > alpha:
            out[attr] = {**base, "cause": "neither", "reason": (
                f"the mean gap {r['mean_gap']:.3f} is within chance (a recommender that ignores the attribute "
                f"shows {r.get('mean_gap_null_median', float('nan')):.3f}; p = {p:.3f})")}
            continue
        d = by_attr.get(attr)
        if not d:
            out[attr] = {**base, "cause": "not measured", "reason": "beyond chance; no identity-blind decomposition"}
            continue
        part, gap = d["mean_identity_part"], d["mean_gap"]
        low = d.get("identity_part_ci_low")
        significant = (low > 0) if low is not None and np.isfinite(low) else part > 0
        share = part / gap if gap > 0 else 0.0
        cause = ("identity cues in profiles" if significant and share >= 0.5 else
                 "job text and identity cues" if significant else "job text")
        out[attr] = {**base, "cause": cause, "identity_share": share, "reason": (
            f"the mean gap {r['mean_gap']:.3f} is beyond chance (p = {p:.3f}); "
            + _identity_part_words(d, decomposition or {}, significant, share))}
    if parity is not None and "verdict" in parity:
        verdicts = {str(r["attribute"]): r["verdict"] for r in parity[parity["k"] == k].to_dict("records")}
        for attr, c in out.items():
            v = verdicts.get(attr)
            c["verdict"] = v if isinstance(v, str) else None
            c["note"] = verdict_cause_note(c["verdict"], c["cause"])
    return out
