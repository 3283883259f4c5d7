"""What the rules of :mod:`fairaudit.engine.consistency` work on: an audit's numbers re-derived from its counts.

:class:`AuditView` holds a stored audit and, per attribute and k, the selection
rates, rated groups, reference groups and impact ratios that the engine's own
functions (:mod:`fairaudit.metrics.impact`) give for its stored counts. A rule
is a function of a view that yields a :class:`Disagreement` for each stored
value that does not match (:mod:`fairaudit.engine.consistency_rules`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator

import numpy as np
import pandas as pd

from ..metrics.impact import impact_ratios, rated_mask, reference_mask, selection_rates
from .result import AuditResult

#: Tolerance of a re-derived number. The audit JSON keeps every float at full precision (``repr``),
#: so a genuine file agrees to about 1e-15; 1e-6 relative also accepts a file re-saved with 10
#: significant digits (pandas' default) and still catches every change a report shows (3 decimals).
RTOL, ATOL = 1e-6, 1e-9
#: The per-job mixes are stored rounded to 6 decimals: a gap re-derived from them is this close.
MIX_ATOL = 1e-5


@dataclass(frozen=True)
class Disagreement:
    """A stored value that its audit's own counts do not give.

    Attributes
    ----------
    rule : str
        The name of the rule in :data:`RULES`.
    path : str
        Where the value is in the audit JSON (``tables.impact[3].impact_ratio``).
    stored : Any
        The value in the file.
    derived : str
        What the counts give, as a phrase: "its counts give 0.774648", or what the value
        must be ("it must be a p-value of 1,000 permutations in [0.000999001, 1]").
    """

    rule: str
    path: str
    stored: Any
    derived: str


def show(value: Any) -> str:
    """A stored or derived value as one short piece of text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and np.isnan(v))


def number(v: Any) -> float:
    """``v`` as a float, NaN when it is missing or not a number."""
    if missing(v) or isinstance(v, (bool, np.bool_, str)):
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def same(stored: Any, derived: Any, atol: float = ATOL) -> bool:
    """Whether ``stored`` equals ``derived``: numbers within :data:`RTOL` / ``atol``, both missing, or equal."""
    if missing(derived):
        return missing(stored)
    if isinstance(derived, (bool, np.bool_)):
        return isinstance(stored, (bool, np.bool_)) and bool(stored) == bool(derived)
    if isinstance(derived, (int, float, np.integer, np.floating)):
        if missing(stored) or isinstance(stored, (bool, np.bool_, str)):
            return False
        s, d = float(stored), float(derived)
        return bool(np.isfinite(s) and np.isclose(s, d, rtol=RTOL, atol=atol)) if np.isfinite(d) else s == d
    return stored == derived


@dataclass
class Cut:
    """One attribute at one k of the ``impact`` table, with what its counts give."""

    k: int
    attribute: str
    rows: list[int]  # impact-table positions: the known groups in code order, then the unknown group
    n_known: int
    pool: np.ndarray
    selected: np.ndarray
    scoring_selected: np.ndarray
    rated: np.ndarray
    reference: np.ndarray
    rates: np.ndarray
    impact: np.ndarray
    scoring_impact: np.ndarray


class AuditView:
    """The stored audit and what the engine's functions derive from its counts (cached per view)."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        self.config = result.config
        self.tables = {name: df.reset_index(drop=True) for name, df in result.tables.items()}
        self.provenance = result.provenance or {}

    @cached_property
    def n_jobs(self) -> int | None:
        """The number of jobs: the provenance's, else the per-job table's distinct job ids."""
        n = self.provenance.get("n_jobs")
        if isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0:
            return int(n)
        pj = self.tables.get("per_job")
        return int(pj["job_id"].nunique()) if pj is not None and len(pj) and "job_id" in pj else None

    @cached_property
    def groups_assessed(self) -> bool:
        """Whether the group rows carry family-wise p-values and verdicts.

        A file written before schema version 3 held each group's own, unadjusted
        p-value; it is read with its group verdicts "not assessed" (null) and
        nothing at group level is re-derived from it.
        """
        return self.assessed and not self.legacy

    @cached_property
    def legacy(self) -> bool:
        """Whether the file was written before schema version 3 (its words are an earlier version's)."""
        version = (self.result.run_info or {}).get("schema_version")
        return isinstance(version, int) and version < 3

    @cached_property
    def assessed(self) -> bool:
        """Whether the audit has a permutation null (verdicts and p-values)."""
        par = self.tables.get("parity")
        return bool(self.config.n_permutations > 0 and par is not None and "p_value" in par
                    and par["verdict"].notna().any())

    @cached_property
    def cuts(self) -> list[Cut]:
        """Every (k, attribute) of the impact table, known groups first in the order of ``groups``."""
        imp = self.tables.get("impact")
        if imp is None or not len(imp) or not self.n_jobs:
            return []
        out = []
        for (k, attr), sub in imp.groupby(["k", "attribute"], sort=False):
            labels = list(self.result.groups.get(str(attr)) or [])
            known = [int(sub.index[sub["group"] == lbl][0]) for lbl in labels if (sub["group"] == lbl).any()]
            if len(known) != len(labels):
                continue  # a group row is missing: the schema reports that
            rows = known + [int(i) for i in sub.index if int(i) not in known]
            n_known = len(known)
            num = lambda col: pd.to_numeric(imp.loc[rows, col], errors="coerce").to_numpy(float)  # noqa: E731
            pool, sel = num("n_pool"), num("selected")
            s_sel = num("scoring_selected") if "scoring_selected" in imp else np.full(len(rows), np.nan)
            rated = rated_mask(np.nan_to_num(pool), n_known, self.config.min_share)
            ref = reference_mask(np.nan_to_num(pool), rated)
            rates = selection_rates(sel, pool, self.n_jobs)
            s_rates = selection_rates(s_sel, pool, self.n_jobs)
            out.append(Cut(k=int(k), attribute=str(attr), rows=rows, n_known=n_known, pool=pool, selected=sel,
                           scoring_selected=s_sel, rated=rated, reference=ref, rates=rates,
                           impact=impact_ratios(rates[:n_known], rated, ref),
                           scoring_impact=impact_ratios(s_rates[:n_known], rated, ref)))
        return out


def compare(name: str, table: str, row: int, column: str, stored: Any, derived: Any,
            atol: float = ATOL) -> Iterator[Disagreement]:
    """A disagreement of ``table[row].column`` when ``stored`` is not ``derived``."""
    if not same(stored, derived, atol):
        yield Disagreement(name, f"tables.{table}[{row}].{column}", stored, f"its counts give {show(derived)}")


def in_range(name: str, path: str, value: Any, low: float, high: float, what: str) -> Iterator[Disagreement]:
    ok = not missing(value) and not isinstance(value, (bool, np.bool_, str)) and low <= float(value) <= high
    if not ok:
        yield Disagreement(name, path, value, f"it must be {what} in [{low:.6g}, {high:.6g}]")


def whole(value: Any) -> bool:
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))) or (
        isinstance(value, (float, np.floating)) and float(value).is_integer())
