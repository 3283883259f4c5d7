"""The registry of named rules that :func:`fairaudit.engine.consistency.check_consistency` runs.

Each rule re-derives one family of an audit's numbers from its stored counts
with the engine's own functions; what each checks, and what none can, is in
:mod:`fairaudit.engine.consistency`. :data:`RULES` runs in the order of
registration, counts before what is derived from them, so the first
disagreement names the field an edit started from. Every rule has its cases in
``tests/test_consistency.py``.
"""
from __future__ import annotations

import datetime as dt
import warnings
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import gap_score, match
from ..metrics.impact import four_fifths_flags, impact_ratios, is_below, reference_groups, selection_rates
from ..errors import ConfigError
from ..metrics.parity import demographic_parity
from ..options import check_not_future
from .measure import summarize
from .rederive import (COUNTS, MIX_ATOL, OWN, OWN_MIX, POOL, SETS, TOTAL_NAMES, AuditView, Disagreement, compare,
                       count_bounds, count_columns, diversity_targets, group_totals, in_range, missing, number, same,
                       selection_bound, show, stored_shares, whole)
from .causes import gap_causes
from .counts_audit import NO_DIVERSITY_VERDICT, no_job_tables
from .verdicts import BEYOND, PASS, SHORTFALL, TOO_SMALL, VERDICTS, WITHIN, attribute_verdict, group_verdict

__all__ = ["RULES", "rule"]

#: The rules, in the order they run: name -> function(view) yielding disagreements.
RULES: dict[str, Callable[[AuditView], Iterator[Disagreement]]] = {}


def rule(name: str) -> Callable:
    """Register a rule under ``name`` in :data:`RULES` (the order of registration is the order of checking)."""
    def register(fn: Callable[[AuditView], Iterator[Disagreement]]) -> Callable:
        RULES[name] = fn
        return fn
    return register


#: Tables whose numbers must be finite (the ranking's skew is -inf for a group absent from every top-k).
FINITE_TABLES = ("impact", "parity", "diversity", "per_job")


@rule("finite")
def _finite(view: AuditView) -> Iterator[Disagreement]:
    for name in FINITE_TABLES:
        df = view.tables.get(name)
        if df is None:
            continue
        for col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce") if df[col].dtype == object else df[col]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                bad = np.flatnonzero(np.isinf(values.to_numpy(float)))
                if len(bad):
                    yield Disagreement("finite", f"tables.{name}[{bad[0]}].{col}", df[col].iloc[bad[0]],
                                       "it must be a finite number or null")


@rule("counts")
def _counts(view: AuditView) -> Iterator[Disagreement]:
    imp = view.tables.get("impact")
    if imp is None:
        return
    columns = count_columns(view)
    for i, r in enumerate(imp.to_dict("records")):
        for col in columns:
            v = r.get(col)
            if col == "scoring_selected" and missing(v):
                continue
            if missing(v) or not whole(v) or float(v) < 0:
                yield Disagreement("counts", f"tables.impact[{i}].{col}", v, "it must be a whole number >= 0")
                return
        for col, v, bound, why in count_bounds(view, r):
            if not missing(v) and float(v) > bound:
                yield Disagreement("counts", f"tables.impact[{i}].{col}", v, f"it must be at most {show(bound)} ({why})")


@rule("pool")
def _pool(view: AuditView) -> Iterator[Disagreement]:
    first: dict[tuple[str, str, str], float] = {}
    imp = view.tables.get("impact")
    for cut in view.cuts:
        columns = {"n_pool": cut.pool} if view.kind == POOL else {"n_pool": cut.pool, "n_assessed": cut.assessed}
        for j, i in enumerate(cut.rows):
            for col, values in columns.items():
                key = (cut.attribute, str(imp.at[i, "group"]), col)
                if key in first and not same(values[j], first[key]):
                    yield Disagreement("pool", f"tables.impact[{i}].{col}", values[j],
                                       f"the group's {col} is {show(first[key])} at the first cut-off, and the "
                                       "people and pairs assessed are the same at every k")
                first.setdefault(key, values[j])
            stored = imp.at[i, "n_assessed"] if view.kind == POOL and "n_assessed" in imp else None
            if not missing(stored) and not same(stored, cut.assessed[j]):  # every job ranks every candidate
                yield Disagreement("pool", f"tables.impact[{i}].n_assessed", stored,
                                   f"it must be n_pool x n_jobs = {show(cut.assessed[j])}")
        totals = group_totals(view, cut)
        for col, values in columns.items():
            total = totals.get(col)
            if total is not None and values.sum() != total:
                yield Disagreement("pool", f"tables.impact[{cut.rows[0]}].{col}", values[0],
                                   f"the groups of {cut.attribute} must add up to "
                                   f"{TOTAL_NAMES[view.kind][col]} = {total}, not {show(values.sum())}")


@rule("selections")
def _selections(view: AuditView) -> Iterator[Disagreement]:
    n_cand = view.provenance.get("n_candidates")
    first: dict[int, float] = {}
    for cut in view.cuts:
        where = f"tables.impact[{cut.rows[0]}].selected"
        if view.kind == POOL:
            total = view.n_jobs * min(cut.k, int(n_cand) if whole(n_cand) else int(cut.pool.sum()))
            if cut.selected.sum() != total:
                yield Disagreement("selections", where, cut.selected[0],
                                   f"the selections of {cut.attribute} at k={cut.k} must add up to {total:,} "
                                   f"({view.n_jobs} jobs x top-{cut.k}), not {show(cut.selected.sum())}")
            continue
        stored = group_totals(view, cut).get("selected")
        if stored is not None and cut.selected.sum() != stored:
            yield Disagreement("selections", where, cut.selected[0],
                               f"the selections of {cut.attribute} at k={cut.k} must add up to {stored:,} "
                               f"(the audit's total at k={cut.k}), not {show(cut.selected.sum())}")
        if view.kind != SETS:
            continue
        bound, why = selection_bound(view, cut)
        if cut.selected.sum() > bound:
            yield Disagreement("selections", where, cut.selected[0],
                               f"the selections of {cut.attribute} at k={cut.k} must add up to at most "
                               f"{show(bound)} ({why}), not {show(cut.selected.sum())}")
        if cut.k in first and cut.selected.sum() != first[cut.k]:
            yield Disagreement("selections", where, cut.selected[0],
                               f"every attribute's selections at k={cut.k} add up to the same total "
                               f"({show(first[cut.k])}, the first attribute's), not {show(cut.selected.sum())}")
        first.setdefault(cut.k, cut.selected.sum())


@rule("selection_rate")
def _rates(view: AuditView) -> Iterator[Disagreement]:
    imp = view.tables["impact"] if view.cuts else None
    for cut in view.cuts:
        s_rates = selection_rates(cut.scoring_selected, cut.assessed, 1)
        for j, i in enumerate(cut.rows):
            yield from compare("selection_rate", "impact", i, "selection_rate", imp.at[i, "selection_rate"],
                               cut.rates[j])
            if "scoring_rate" in imp and not missing(cut.scoring_selected[j]):
                yield from compare("selection_rate", "impact", i, "scoring_rate", imp.at[i, "scoring_rate"],
                                   s_rates[j])


@rule("rated")
def _rated(view: AuditView) -> Iterator[Disagreement]:
    for cut in view.cuts:
        for j, i in enumerate(cut.rows):
            excluded = j >= cut.n_known or not cut.rated[j]
            yield from compare("rated", "impact", i, "excluded", view.tables["impact"].at[i, "excluded"], excluded)


@rule("impact_ratio")
def _impact(view: AuditView) -> Iterator[Disagreement]:
    imp = view.tables["impact"] if view.cuts else None
    for cut in view.cuts:
        for j, i in enumerate(cut.rows):
            known = j < cut.n_known
            yield from compare("impact_ratio", "impact", i, "impact_ratio", imp.at[i, "impact_ratio"],
                               cut.impact[j] if known else float("nan"))
            if "scoring_impact_ratio" in imp and not np.isnan(cut.scoring_selected).all():
                yield from compare("impact_ratio", "impact", i, "scoring_impact_ratio",
                                   imp.at[i, "scoring_impact_ratio"], cut.scoring_impact[j] if known else float("nan"))


@rule("four_fifths_flag")
def _flags(view: AuditView) -> Iterator[Disagreement]:
    for cut in view.cuts:
        flags = four_fifths_flags(cut.impact, view.config.four_fifths)
        for j, i in enumerate(cut.rows):
            yield from compare("four_fifths_flag", "impact", i, "four_fifths_flag",
                               view.tables["impact"].at[i, "four_fifths_flag"], bool(j < cut.n_known and flags[j]))


def _p_checks(name: str, table: str, i: int, r: dict, observed: float, p05_col: str, median_col: str,
              n_permutations: int) -> Iterator[Disagreement]:
    """A permutation p-value's range, and its lower bound from the stored null quantiles (module docstring)."""
    path, p = f"tables.{table}[{i}].p_value", r.get("p_value")
    if not np.isfinite(observed):  # no ratio (no rated group, or every rate 0): no test, no p-value
        yield from compare(name, table, i, "p_value", p, float("nan"))
        return
    p05, median = number(r.get(p05_col)), number(r.get(median_col))
    yield from in_range(name, path, p, 1 / (n_permutations + 1) * (1 - 1e-9), 1.0,
                        f"a p-value of {n_permutations:,} permutations")
    for q, quantile in ((0.05, p05), (0.5, median)):
        if not missing(p) and np.isfinite(quantile) and np.isfinite(observed) and observed >= quantile \
                and not same(observed, quantile) and float(p) < q:
            yield Disagreement(name, path, p, f"it must be above {q:g}: the ratio {show(observed)} is at or above "
                                              f"the null's {'median' if q == 0.5 else '5th percentile'} "
                                              f"{show(quantile)}")
    if np.isfinite(p05) and np.isfinite(median) and p05 > median and not same(p05, median):
        yield Disagreement(name, f"tables.{table}[{i}].{p05_col}", p05,
                           f"it must be at most the null median {show(median)}")


def _too_small(power_at_judge: float, power: float) -> bool:
    return not (np.isfinite(power_at_judge) and power_at_judge >= power)


@rule("p_value")
def _group_p(view: AuditView) -> Iterator[Disagreement]:
    if not view.groups_assessed:
        return
    imp = view.tables["impact"]
    for cut in view.cuts:
        ref = reference_groups(cut.impact, cut.rated, cut.assessed)
        for j, i in enumerate(cut.rows):
            r = imp.loc[i]
            if j >= cut.n_known or not cut.rated[j] or ref[j]:  # no test: unrated, unknown, or the reference
                yield from compare("p_value", "impact", i, "p_value", r.get("p_value"), float("nan"))
                continue
            yield from _p_checks("p_value", "impact", i, r, cut.impact[j], "null_ir_p05", "null_ir_median",
                                 view.config.n_permutations)
            yield from in_range("p_value", f"tables.impact[{i}].power_at_0_6", r.get("power_at_0_6"), 0, 1, "a power")


@rule("group_verdict")
def _group_verdicts(view: AuditView) -> Iterator[Disagreement]:
    if not view.groups_assessed:
        return
    cfg, imp = view.config, view.tables["impact"]
    for cut in view.cuts:
        ref = reference_groups(cut.impact, cut.rated, cut.assessed)
        for j, i in enumerate(cut.rows):
            rated = j < cut.n_known and cut.rated[j]
            derived = group_verdict(cut.impact[j], number(imp.at[i, "p_value"]),
                                    _too_small(number(imp.at[i, "power_at_0_6"]), cfg.power), cfg.alpha,
                                    cfg.four_fifths, bool(ref[j])) if rated else None
            yield from compare("group_verdict", "impact", i, "verdict", imp.at[i, "verdict"], derived)


def _parity_rows(view: AuditView) -> Iterator[tuple[int, dict, object]]:
    par = view.tables.get("parity")
    if par is None:
        return
    by_key = {(c.k, c.attribute): c for c in view.cuts}
    for i, r in enumerate(par.to_dict("records")):
        cut = by_key.get((int(r["k"]), str(r["attribute"])))
        if cut is not None:
            yield i, r, cut


@rule("parity")
def _parity(view: AuditView) -> Iterator[Disagreement]:
    for i, r, cut in _parity_rows(view):
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            min_ir = float(np.nanmin(cut.impact)) if np.isfinite(cut.impact).any() else float("nan")
        rated = np.flatnonzero(cut.rated)
        labels = view.tables["impact"].loc[[cut.rows[g] for g in rated], "group"].astype(str).tolist()
        dpd, dpr = demographic_parity(cut.selected[rated], cut.assessed[rated], labels)
        derived = {"min_impact_ratio": min_ir, "n_unknown": float(cut.pool[cut.n_known:].sum()),
                   "four_fifths_pass": bool(np.isfinite(min_ir) and not is_below(min_ir, view.config.four_fifths)),
                   "dp_difference": float(dpd), "dp_ratio": float(dpr)}
        if view.assessed:
            power = view.tables["impact"].loc[cut.rows[: cut.n_known], "power_at_0_6"].to_numpy(float)
            derived["too_small_groups"] = sum(_too_small(pw, view.config.power)
                                              for pw, rated in zip(power, cut.rated) if rated)
        for col, value in derived.items():
            if col in r:
                yield from compare("parity", "parity", i, col, r[col], value)


@rule("attribute_p_value")
def _attribute_p(view: AuditView) -> Iterator[Disagreement]:
    if not view.assessed:
        return
    for i, r, cut in _parity_rows(view):
        if missing(r.get("verdict")):
            continue
        observed = number(r.get("min_impact_ratio"))
        yield from _p_checks("attribute_p_value", "parity", i, r, observed, "null_min_ir_p05",
                             "null_min_ir_median", view.config.n_permutations)
        if not missing(r.get("null_breach_share")):  # none when no permutation has a ratio
            yield from in_range("attribute_p_value", f"tables.parity[{i}].null_breach_share",
                                r.get("null_breach_share"), 0, 1, "a share")
        yield from compare("attribute_p_value", "parity", i, "n_permutations", r.get("n_permutations"),
                           view.config.n_permutations)


@rule("attribute_verdict")
def _attribute_verdict(view: AuditView) -> Iterator[Disagreement]:
    if not view.assessed:
        return
    cfg = view.config
    for i, r, cut in _parity_rows(view):
        groups = [v if isinstance(v, str) else None
                  for v in view.tables["impact"].loc[cut.rows[: cut.n_known], "verdict"].tolist()]
        derived = attribute_verdict(number(r.get("min_impact_ratio")), number(r.get("p_value")), cut.impact, groups,
                                    cfg.alpha, cfg.four_fifths)
        if not view.groups_assessed and derived not in (BEYOND, SHORTFALL) \
                and r.get("verdict") in (WITHIN, TOO_SMALL, PASS):
            continue  # an earlier version's file: which non-significant category came from its group rows
        yield from compare("attribute_verdict", "parity", i, "verdict", r.get("verdict"), derived)


@rule("per_job")
def _per_job(view: AuditView) -> Iterator[Disagreement]:
    pj = view.tables.get("per_job")
    if pj is None or not len(pj) or "mix" not in pj:
        return
    targets = diversity_targets(view)
    tol = view.config.tolerance
    for i, r in enumerate(pj.to_dict("records")):
        target = targets.get((int(r["k"]), str(r["attribute"])))
        labels = view.result.groups.get(str(r["attribute"]))
        if target is None or not labels:
            continue
        if target == OWN:  # each job's own candidates' mix, stored beside its top-k mix (sets_measure.OWN_MIX)
            own = stored_shares(r.get(OWN_MIX), labels)
            if own is None:
                yield Disagreement("per_job", f"tables.per_job[{i}].{OWN_MIX}", r.get(OWN_MIX),
                                   "it must be the job's own candidates' mix (an object of group shares)")
                continue
            target_vec = np.nan_to_num(own)
        else:
            target_vec = np.array([target.get(g, 0.0) for g in labels])
        shares = stored_shares(r["mix"], labels)
        shares = np.full(len(labels), np.nan) if shares is None else shares
        with np.errstate(invalid="ignore"):
            gap = float(gap_fn(shares[None, :], target_vec)[0]) if not (target == OWN and np.isnan(own).all()) \
                else float("nan")
        yield from compare("per_job", "per_job", i, "gap", r["gap"], gap, atol=MIX_ATOL)
        yield from compare("per_job", "per_job", i, "match", r["match"],
                           None if missing(r["gap"]) else bool(match(np.array([r["gap"]]), tol)[0]))
        yield from compare("per_job", "per_job", i, "paper_score", r["paper_score"], float(gap_score(r["gap"])))


@rule("diversity")
def _diversity(view: AuditView) -> Iterator[Disagreement]:
    div, pj = view.tables.get("diversity"), view.tables.get("per_job")
    if div is None or pj is None or not len(pj):
        return
    n_perm = view.config.n_permutations
    for i, r in enumerate(div.to_dict("records")):
        rows = pj[(pj["k"] == r["k"]) & (pj["attribute"] == r["attribute"])]
        if not len(rows):
            continue
        gaps = rows["gap"].to_numpy(float)
        defined = ~np.isnan(gaps)
        mean_gap = float(gaps[defined].mean()) if defined.any() else float("nan")
        derived = {"match_rate": float(rows["match"][defined].astype(bool).mean()) if defined.any() else np.nan,
                   "mean_gap": mean_gap, "paper_score": float(gap_score(mean_gap)),
                   "n_jobs_undefined": int((~defined).sum()), "tolerance": view.config.tolerance}
        if str(r.get("distance", "")).startswith("wasserstein"):
            derived["mean_wasserstein"] = mean_gap
        for col, value in derived.items():
            if col in r:
                yield from compare("diversity", "diversity", i, col, r[col], value)
        for col in ("match_rate_p_value", "mean_gap_p_value"):
            if n_perm and not missing(r.get(col)):
                yield from in_range("diversity", f"tables.diversity[{i}].{col}", r[col], 1 / (n_perm + 1), 1,
                                    "a p-value")


@rule("ranking")
def _ranking(view: AuditView) -> Iterator[Disagreement]:
    rk = view.tables.get("ranking")
    if rk is None or not len(rk):
        return
    for cut in view.cuts:
        rows = rk.index[(rk["k"] == cut.k) & (rk["attribute"] == cut.attribute)].tolist()
        if len(rows) != cut.n_known:
            continue
        known = cut.selected[: cut.n_known]
        share = known / max(known.sum(), 1)
        exposure = rk.loc[rows, "exposure"].to_numpy(float)
        with warnings.catch_warnings():  # a recorded selection (k=0) has no places: no exposure, no ratio
            warnings.simplefilter("ignore", RuntimeWarning)
            ratio = impact_ratios(exposure, cut.rated, cut.reference)
        for j, i in enumerate(rows):
            yield from compare("ranking", "ranking", i, "topk_share", rk.at[i, "topk_share"], share[j])
            yield from compare("ranking", "ranking", i, "exposure_ratio", rk.at[i, "exposure_ratio"], ratio[j])


@rule("created_at")
def _created_at(view: AuditView) -> Iterator[Disagreement]:
    """The audit date (LL144's "date of the bias audit") is a time that has come."""
    raw = view.provenance.get("created_at")
    if raw is None:
        return
    try:
        check_not_future(dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00")), "created_at")
    except ValueError:
        yield Disagreement("created_at", "provenance.created_at", raw, "it must be an ISO 8601 time")
    except ConfigError:
        yield Disagreement("created_at", "provenance.created_at", raw, "it must be a time no later than now (1 day of "
                                                                         "clock tolerance)")


def _walk(path: str, stored: object, derived: object) -> Iterator[Disagreement]:
    """Every value of ``derived`` (nested dicts) that ``stored`` holds differently; keys it lacks are skipped."""
    if isinstance(derived, dict):
        if not isinstance(stored, dict):
            yield Disagreement("summary", path, stored, "it must be an object")
            return
        for key, value in derived.items():
            if key in stored:
                yield from _walk(f"{path}.{key}", stored[key], value)
    elif not same(stored, derived):
        yield Disagreement("summary", path, stored, f"its counts give {show(derived)}")


@rule("summary")
def _summary(view: AuditView) -> Iterator[Disagreement]:
    tables, summary = view.tables, view.result.summary or {}
    if view.kind == COUNTS:  # a file's empty tables come back without columns
        tables = {**tables, **{n: df for n, df in no_job_tables().items() if not len(tables.get(n, ()))}}
    if not {"parity", "diversity", "impact"} <= set(tables) or not len(tables["parity"]):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        derived = summarize(tables, view.config)["verdict"]
    if view.kind == COUNTS:  # counts have no jobs: no diversity goal, as the counts audit writes it
        derived.update(NO_DIVERSITY_VERDICT)
    yield from _walk("summary.verdict", summary.get("verdict", {}), derived)
    if "causes" in summary:
        causes = gap_causes(tables["diversity"], summary.get("decomposition"), view.config.effective_gap_k,
                            view.config.alpha, tables["parity"])
        if view.legacy:  # an earlier version's sentences: only the cause itself is compared
            causes = {a: {"cause": c.get("cause")} for a, c in causes.items() if isinstance(c, dict)}
        yield from _walk("summary.causes", summary["causes"], causes)
    if view.assessed:
        category = (summary.get("verdict") or {}).get("category")
        if category is not None and category not in VERDICTS:
            yield Disagreement("summary", "summary.verdict.category", category, f"it must be one of {list(VERDICTS)}")


