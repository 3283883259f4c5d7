"""The consistency rule of the three-way cause split (registered in :data:`fairaudit.engine.consistency.RULES`).

The parts need the counterfactual rankings and cannot be re-derived from the
file, but they must agree with each other (``fairaudit.engine.cause_split``):
for each k and attribute, the computed parts add up to ``total``; a share is
``value / total``; a p-value lies in [0, 1] and ``beyond_chance`` is
``p_value <= alpha``; the null's quantiles are ordered. Its cases are in
``tests/test_consistency.py``.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .cause_result import PARTS
from .consistency_rules import rule
from .rederive import AuditView, Disagreement, missing, number, same, show

_SUM_ATOL = 1e-6


def _row_problems(i: int, r: dict, total: float, alpha: float) -> Iterator[Disagreement]:
    path = f"tables.cause_split[{i}]"
    value, p = number(r.get("value")), number(r.get("p_value"))
    if r.get("computed") and r.get("part") != "total" and np.isfinite(total) and abs(total) > 1e-12 \
            and not same(r.get("share"), value / total):
        yield Disagreement("cause_split", f"{path}.share", r.get("share"), f"value / total gives {show(value / total)}")
    if not missing(r.get("p_value")) and not 0 <= p <= 1:
        yield Disagreement("cause_split", f"{path}.p_value", r.get("p_value"), "it must lie in [0, 1]")
    verdict = None if missing(r.get("p_value")) else bool(p <= alpha)
    stored = r.get("beyond_chance")
    if not same(None if missing(stored) else stored, verdict):
        yield Disagreement("cause_split", f"{path}.beyond_chance", stored, f"p_value <= alpha gives {show(verdict)}")
    low, med, high = (number(r.get(c)) for c in ("chance_low", "chance_median", "chance_high"))
    if np.isfinite([low, med, high]).all() and not low <= med <= high:
        yield Disagreement("cause_split", f"{path}.chance_median", r.get("chance_median"),
                           "it must lie between chance_low and chance_high")


@rule("cause_split")
def _cause_split(view: AuditView) -> Iterator[Disagreement]:
    t = view.tables.get("cause_split")
    if t is None or not len(t) or not {"k", "attribute", "part", "value"} <= set(t.columns):
        return
    alpha = float(view.config.alpha)
    for (_, _), cut in t.groupby(["k", "attribute"], sort=False):
        rows = {r["part"]: (i, r) for i, r in zip(cut.index, cut.to_dict("records"))}
        if "total" not in rows:
            continue
        i_total, total_row = rows["total"]
        total = number(total_row.get("value"))
        parts = [number(rows[p][1].get("value")) for p in PARTS if p in rows and rows[p][1].get("computed")]
        if np.isfinite(total) and np.isfinite(parts).all() and abs(sum(parts) - total) > _SUM_ATOL:
            yield Disagreement("cause_split", f"tables.cause_split[{i_total}].value", total_row.get("value"),
                               f"its parts add up to {show(sum(parts))}")
        for i, r in rows.values():
            yield from _row_problems(i, r, total, alpha)
