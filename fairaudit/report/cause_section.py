"""The report's "Where the gap comes from" part: the three-way cause split, or why it is missing.

Formats :class:`fairaudit.engine.cause_result.CauseSplit` (table ``cause_split``,
``summary["cause_split"]``) at the headline k for ``audit.html``; every number is
the audit's own. An audit without the split (no candidate sets, aggregate
counts, a file of an earlier version) gets one sentence saying why.
"""
from __future__ import annotations

from typing import Any

from ..engine.cause_result import PART_WORDS, PARTS, CauseSplit, judged
from .format import attribute_label, fmt

#: How the job texts were neutralised, in the report's words.
TEXT_WORDS = {"lexicon": "every gender-coded word (Gaucher et al. 2011) replaced by its neutral word",
              "given": "the neutral texts given with the audit (a rewrite)", "none": "not neutralised"}


def cause_split_section(result: Any) -> dict[str, Any]:
    """The template's data: ``computed``, ``reason``, ``k``, ``rows``, ``levers``, ``not_computed``, ``text``.

    Parameters
    ----------
    result : AuditResult
        The audit (new or read from its JSON file).
    """
    split = CauseSplit.from_result(result)
    if not split.computed:
        return {"computed": False, "reason": split.reason or "no part could be computed"}
    rows, levers = [], []
    for attr in dict.fromkeys(split.table["attribute"]):
        parts = split.parts(attr)
        if "total" not in parts:
            continue
        for part in ("total",) + PARTS:
            r = parts[part]
            verdict = {None: "—", True: "beyond chance", False: "within chance"}[judged(r)]
            rows.append({"attribute": attribute_label(attr), "part": PART_WORDS[part].capitalize(),
                         "total": part == "total", "value": fmt(r["value"]), "share": fmt(r["share"], "pct"),
                         "chance": (f"{fmt(r['chance_median'])} ({fmt(r['chance_low'])} to {fmt(r['chance_high'])})"
                                    if r["computed"] and judged(r) is not None else "—"),
                         "p": fmt(r["p_value"]), "verdict": verdict if r["computed"] else "not computed",
                         "note": str(r.get("reason") or "")})
        levers.append({"attribute": attribute_label(attr), "text": split.lever(attr)})
    return {"computed": True, "k": split.k, "rows": rows, "levers": levers, "text": TEXT_WORDS.get(split.text, ""),
            "not_computed": [{"part": PART_WORDS[p], "reason": why} for p, why in split.not_computed.items()],
            "n_draws": fmt(split.n_draws, "int"), "alpha": fmt(split.alpha, "pctg")}
