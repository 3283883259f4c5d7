"""Per attribute, what the rewriting changed and whether the attribute's gap is text-driven.

A before/after report must never read as "rewriting fixed it" for a breach that no wording
drives. This joins two results that already exist: the rewrites table's gaps per attribute
(``gap_before_<attribute>``, ``gap_after_<attribute>`` and, where the rewriter measured it,
``text_driven_<attribute>``: some sentence or word of the job moves that gap) and the audit's
cause of each gap (``summary["causes"]``, :func:`fairaudit.engine.causes.gap_causes`: within
chance, identity cues in the profiles, the job text, or both, from the identity-blind
decomposition).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .format import attribute_label

#: Causes under which rewriting the job text can move the gap.
TEXT_CAUSES = ("job text", "job text and identity cues")


def rewrite_effects(by_attribute: Sequence[Mapping[str, Any]], causes: Mapping[str, Mapping[str, Any]] | None
                    ) -> list[dict[str, Any]]:
    """One record per attribute the rewriter measured: the change, the cause, and a sentence for the report.

    Parameters
    ----------
    by_attribute : sequence of dict
        :func:`fairaudit.report.sidecar.rewrites_summary`'s ``by_attribute`` (attribute, mean gaps of
        all and of the accepted rewrites, ``n_text_driven`` and ``n_jobs`` where measured).
    causes : dict, optional
        The audit's ``summary["causes"]`` (before rewriting), by attribute.

    Returns
    -------
    list of dict
        attribute, change (mean gap after − before over every rewritten job), cause, text_driven
        (True, False, or None when not assessed) and sentence.
    """
    out = []
    for a in by_attribute:
        attr = str(a["attribute"])
        b, f = a.get("mean_gap_before"), a.get("mean_gap_after")
        change = float(f) - float(b) if b is not None and f is not None else None
        c = (causes or {}).get(attr) or {}
        cause = c.get("cause")
        n_td, n = a.get("n_text_driven"), a.get("n_jobs")
        if cause in TEXT_CAUSES and n_td != 0:
            driven: bool | None = True
        elif cause in ("identity cues in profiles", "neither") or n_td == 0:
            driven = False
        else:
            driven = None
        moved = (f"the rewriting changed its mean gap by {change:+.3f} ({float(b):.3f} \u2192 {float(f):.3f})"
                 if change is not None and np.isfinite(change) else "the rewriting's change was not measured")
        why = f"the audit attributes the gap to {cause} ({c.get('reason')})" if cause else \
            "the audit did not assess the gap's cause"
        words = (f"; no wording moves it in {n - n_td} of {n} jobs" if n_td is not None and n and n_td < n else "")
        verdict = {True: "The gap is text-driven: rewriting the job texts can move it.",
                   False: "This gap is not text-driven: rewriting the job texts does not fix it.",
                   None: "Whether the gap is text-driven was not assessed."}[driven]
        out.append({"attribute": attr, "change": change, "cause": cause, "text_driven": driven,
                    "sentence": f"{attribute_label(attr)}: {moved}; {why}{words}. {verdict}"})
    return out
