"""What the rules of :mod:`fairaudit.engine.consistency` work on: an audit's numbers re-derived from its counts.

:class:`AuditView` holds a stored audit and, per attribute and k, the selection
rates, rated groups, reference groups and impact ratios that the engine's own
functions (:mod:`fairaudit.metrics.impact`) give for its stored counts. A rule
is a function of a view that yields a :class:`Disagreement` for each stored
value that does not match (:mod:`fairaudit.engine.consistency_rules`).

Three kinds of audit (:attr:`AuditView.kind`) differ in what a group's counts are:

``pool``
    Every job ranks every candidate: ``n_pool`` is the group's candidates and
    its (job, candidate) pairs are ``n_pool x n_jobs`` (``n_assessed``).
``sets``
    Each job ranks its own candidates (a live audit with candidate sets, or a
    log; provenance ``candidate_sets``): ``n_assessed`` is the pairs
    considered, ``n_pool`` the distinct people among them.
``counts``
    Aggregate counts (provenance ``source: counts``): ``n_assessed`` and
    ``n_pool`` as given; no jobs.

In each, the rates' denominator is ``n_assessed``, as the audit that wrote the
file divided (:func:`fairaudit.engine.sets_measure.set_cut`,
:func:`fairaudit.engine.counts_audit.counts_cut`; the whole-pool audit's
``n_pool x n_jobs`` is the same number, and rated groups and the reference do
not change when every count is multiplied by ``n_jobs``).
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator

import numpy as np
import pandas as pd

from ..metrics.impact import impact_ratios, rated_mask, reference_mask, selection_rates
from ..options import RECORDED_SELECTION
from .result import AuditResult
from .sets_measure import OWN, OWN_MIX

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


#: The kinds of audit (see the module).
POOL, SETS, COUNTS = "pool", "sets", "counts"


@dataclass
class Cut:
    """One attribute at one k of the ``impact`` table, with what its counts give."""

    k: int
    attribute: str
    rows: list[int]  # impact-table positions: the known groups in code order, then the unknown group
    n_known: int
    pool: np.ndarray       # n_pool: candidates (pool), distinct people assessed (sets, counts)
    assessed: np.ndarray   # (job, candidate) pairs: the rates' denominators
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
    def kind(self) -> str:
        """:data:`POOL`, :data:`SETS` or :data:`COUNTS` (see the module), from the provenance."""
        if self.provenance.get("source") == "counts":
            return COUNTS
        if self.provenance.get("candidate_sets") is True or self.provenance.get("source") == "log":
            return SETS
        return POOL

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
        if imp is None or not len(imp) or (self.kind == POOL and not self.n_jobs):
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
            if self.kind == POOL:
                assessed = pool * self.n_jobs
            else:  # the pairs as stored; none stored: nothing is rated and the counts rule names the field
                assessed = num("n_assessed") if "n_assessed" in imp else np.full(len(rows), np.nan)
            s_sel = num("scoring_selected") if "scoring_selected" in imp else np.full(len(rows), np.nan)
            rated = rated_mask(np.nan_to_num(assessed), n_known, self.config.min_share)
            ref = reference_mask(np.nan_to_num(assessed), rated)
            rates = selection_rates(sel, assessed, 1)
            s_rates = selection_rates(s_sel, assessed, 1)
            with warnings.catch_warnings():  # no scores (a log of ranks, counts): every scoring rate is NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                s_impact = impact_ratios(s_rates[:n_known], rated, ref)
            out.append(Cut(k=int(k), attribute=str(attr), rows=rows, n_known=n_known, pool=pool,
                           assessed=assessed, selected=sel, scoring_selected=s_sel, rated=rated, reference=ref,
                           rates=rates, impact=impact_ratios(rates[:n_known], rated, ref), scoring_impact=s_impact))
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


def count_columns(view: AuditView) -> tuple[str, ...]:
    """The impact table's count columns (``n_assessed`` where the rates divide by it, or a file has it)."""
    imp = view.tables["impact"]
    return ("n_pool", "selected", "scoring_selected") + (
        ("n_assessed",) if view.kind != POOL or "n_assessed" in imp else ())


def count_bounds(view: AuditView, r: dict) -> Iterator[tuple[str, float, float, str]]:
    """(column, value, bound, why) of each count of impact row ``r`` that must not exceed another.

    Whole pool: selections at most the group's pairs, ``n_pool x n_jobs``. Sets
    and counts: selections at most ``n_assessed``, the people at most their
    pairs, and (sets) the pairs at most ``n_pool x n_jobs`` (a job considers a
    person once).
    """
    if view.kind == POOL:
        if not view.n_jobs:
            return
        pairs = float(r["n_pool"]) * view.n_jobs
        for col in ("selected", "scoring_selected"):
            yield col, r.get(col), pairs, f"{show(r['n_pool'])} candidates x {view.n_jobs} jobs"
        return
    assessed = float(r["n_assessed"])
    for col in ("selected", "scoring_selected"):
        yield col, r.get(col), assessed, f"the group's {show(assessed)} (job, candidate) pairs assessed"
    yield "n_pool", r["n_pool"], assessed, "each person assessed is at least one pair assessed"
    if view.kind == SETS and view.n_jobs:
        yield "n_assessed", assessed, float(r["n_pool"]) * view.n_jobs, \
            f"{show(r['n_pool'])} people x {view.n_jobs} jobs: a job considers a person once"


def group_totals(view: AuditView, cut: Cut) -> dict[str, int | None]:
    """What the provenance says a (k, attribute)'s groups add up to: n_pool, n_assessed, selected (None: not stored).

    ``pool``: n_pool = n_candidates. ``sets``: n_pool = n_individuals, n_assessed = n_pairs, selected = the
    provenance's ``selections`` at k (every attribute codes every candidate, the unknown included, so all
    attributes add up to the same). ``counts``: the provenance's ``totals`` row of the attribute and k.
    """
    prov = view.provenance
    known = (lambda v: int(v) if whole(v) and not isinstance(v, (bool, np.bool_)) else None)  # noqa: E731
    if view.kind == POOL:
        return {"n_pool": known(prov.get("n_candidates"))}
    if view.kind == SETS:
        sel = prov.get("selections")
        return {"n_pool": known(prov.get("n_individuals")), "n_assessed": known(prov.get("n_pairs")),
                "selected": known(sel.get(str(cut.k))) if isinstance(sel, dict) else None}
    for row in prov.get("totals") or []:
        if isinstance(row, dict) and row.get("attribute") == cut.attribute and row.get("k") == cut.k:
            return {"n_pool": known(row.get("individuals")), "n_assessed": known(row.get("assessed")),
                    "selected": known(row.get("selected"))}
    return {}


#: What a total of the provenance is called in a message.
TOTAL_NAMES = {"pool": {"n_pool": "n_candidates"}, "sets": {"n_pool": "n_individuals", "n_assessed": "n_pairs"},
               "counts": {"n_pool": "the individuals of the counts", "n_assessed": "the assessed of the counts"}}


def selection_bound(view: AuditView, cut: Cut) -> tuple[float, str]:
    """The most selections a (k, attribute) of a sets audit can have: each job's top-k within its set."""
    n_pairs = number(view.provenance.get("n_pairs"))
    if cut.k == RECORDED_SELECTION or not view.n_jobs:
        return n_pairs, "the pairs considered"
    return min(n_pairs, float(view.n_jobs * cut.k)), f"{view.n_jobs} jobs x top-{cut.k}, within the pairs considered"


def diversity_targets(view: AuditView) -> dict[tuple[int, str], object]:
    """Each (k, attribute)'s target: its shares, or :data:`~fairaudit.engine.sets_measure.OWN` (per job)."""
    div = view.tables.get("diversity")
    out: dict[tuple[int, str], object] = {}
    for r in ([] if div is None else div.to_dict("records")):
        if r.get("target") == OWN:
            out[(int(r["k"]), str(r["attribute"]))] = OWN
            continue
        try:
            out[(int(r["k"]), str(r["attribute"]))] = json.loads(r["target"])
        except (TypeError, ValueError):
            continue
    return out


def stored_shares(raw: object, labels: list[str]) -> np.ndarray | None:
    """A stored mix (JSON of group -> share) in the order of ``labels``; None when it cannot be read."""
    try:
        mix = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(mix, dict):
        return None
    return np.array([number(mix.get(g)) for g in labels], dtype=float) if mix else np.full(len(labels), np.nan)
