"""The chance level of the verdicts as the reports show it (cover, summary, LL144 tables, methodology).

Reads the ``verdict`` / ``p_value`` columns and ``summary["verdict"]["attributes"]``
written by :mod:`fairaudit.engine.verdicts`; an audit without them (schema version 1,
or ``n_permutations = 0``) shows "not assessed".
"""
from __future__ import annotations

from typing import Any

from ..engine.result import AuditResult
from ..engine.verdicts import P_FORMULA, REFERENCE_NOTE, describe
from .format import attribute_label, fmt
from .tables import Col

#: One plain sentence on what the permutation means (the summary page and the LL144 summary print it).
PERMUTATION_SENTENCE = ("To tell bias from chance, the audit kept every ranking as it was and shuffled the "
                        "demographic labels among the candidates {n} times: each shuffle shows what a recommender "
                        "that ignores the attribute would produce on the same candidates and jobs. The p-value is "
                        + P_FORMULA + "; a category's p-value counts the shuffles whose lowest ratio of any category is "
                        "at or below that category's ratio, so the categories of one attribute are one family "
                        "tested at once. One category of each table is the reference group (" + REFERENCE_NOTE + ").")


def null_sentence(result: AuditResult) -> str:
    """What the shuffle of an audit of per-job candidate sets was (``summary["chance_level"]``); "" for the others."""
    level = result.summary.get("chance_level") or {}
    if not level.get("null"):
        return ""
    text = (f"Each job ranked only its own candidates; the null used here is a {level['null']}: "
            f"{level.get('description', '')}.")
    blocks = level.get("people_by_block")
    if isinstance(blocks, dict) and level.get("people"):
        text += (" People in blocks: " + ", ".join(f"{name} {int(n):,}" for name, n in blocks.items() if n)
                 + f" (of {int(level['people']):,}).")
    return text


def verdict_text(v: Any) -> str:
    """A verdict cell: the category, or "not assessed" for a rated row without one."""
    return str(v) if v else "not assessed"


def _row_verdict(r: dict[str, Any]) -> Any:
    if str(r.get("group")) == "unknown" or str(r.get("excluded")).lower() == "true" or r.get("excluded") is True:
        return None
    reason = r.get("low_power_reason")
    return verdict_text(r.get("verdict")) + (f" ({reason})" if isinstance(reason, str) and reason else "")


#: Columns added to the LL144 impact tables (per group) and to the parity / headline tables (per attribute);
#: the header matches the LL144 summary page's, and is short enough for the tables to fit a page.
IMPACT_COLS = [Col("p_value", "p (family-wise)", "ratio", better=0, family="four-fifths rule and chance level"),
               Col("verdict", "Verdict", "text", better=0, fn=_row_verdict, family="four-fifths rule and chance level")]
ATTRIBUTE_COLS = [Col("verdict", "Verdict", "text", better=0, fn=lambda r: verdict_text(r.get("verdict")),
                      family="chance level"),
                  Col("p_value", "p-value (chance)", "ratio", better=0, family="chance level")]


def chance_summary(result: AuditResult | None) -> dict[str, Any] | None:
    """Per attribute at the headline k: verdict, p-value and what a recommender ignoring it shows."""
    if result is None:
        return None
    v = result.summary.get("verdict") or {}
    n = int(getattr(result.config, "n_permutations", 0) or 0)
    rows = [{"attribute": attribute_label(a), "verdict": verdict_text(d.get("verdict")),
             "text": describe(d.get("verdict"), None, d.get("null_breach_share")),
             "p_value": fmt(d.get("p_value")), "min_impact_ratio": fmt(d.get("min_impact_ratio")),
             "null_median": fmt(d.get("null_min_ir_median")), "null_p05": fmt(d.get("null_min_ir_p05")),
             "breach_share": fmt(100 * d["null_breach_share"], "int") + "%"
             if isinstance(d.get("null_breach_share"), (int, float)) else "—"}
            for a, d in (v.get("attributes") or {}).items()]
    return {"assessed": bool(rows), "category": v.get("category") or "not assessed", "rows": rows,
            "n_permutations": f"{n:,}", "alpha": fmt(getattr(result.config, "alpha", 0.05)),
            "strata": ", ".join(getattr(result.config, "strata", ()) or ()) or "none (the whole pool)",
            "null": null_sentence(result),
            "sentence": " ".join(filter(None, (PERMUTATION_SENTENCE.format(n=f"{n:,}"), null_sentence(result))))}
