"""Audit aggregate counts: the NYC LL144 tables and verdicts from (category, assessed, selected) alone.

An independent auditor often receives only counts per category. From them this
module gives the ``impact`` and ``parity`` tables of any other audit: selection
rates (selected / assessed), impact ratios with the four-fifths flag, scoring
rates when the counts of pairs scoring above the median are given, the
unknown count, the 2 % exclusion, and each verdict with its chance level.

The chance level is an **exact conditional test**: given the margins (the
assessed per category and the total selected), a selection that ignores the
category picks the selected uniformly among the assessed, so the selected
counts per category are multivariate hypergeometric (the null of Fisher's and
the Freeman-Halton exact tests). The statistic is the lowest impact ratio, as in
every audit (:mod:`fairaudit.engine.verdicts`); its null distribution is drawn
exactly from that hypergeometric law (Monte Carlo, ``n_permutations`` draws,
p-values as in :func:`fairaudit.engine.permutation.p_lower`).

What cannot be computed from counts (``summary["not_possible"]``): everything
that needs each job's own mix or places (the diversity match rate and gaps,
NDKL, skew and exposure, the per-job table), intervals that resample jobs,
drivers, the decomposition and rewriting. And the test treats every assessed
pair as exchangeable: it cannot take into account that a job ranks only its own
candidates, which a log audit's per-job null does.

Counts table columns: ``category``, ``assessed``, ``selected`` (required);
``attribute`` (sex, race_ethnicity or sex_race; default: the one the categories
belong to), ``k`` (the cut-off the counts come from; 0 = the recorded
selection, the default), ``scored_above_median`` (LL144 scoring-rate counts),
``individuals`` (distinct people assessed, default ``assessed``).
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.group_labels import LABELS, UNKNOWN
from ..data.groups import INTERSECTION, GroupEncoding, encode
from ..data.io import frame_sha256, read_table, validate_candidates
from ..errors import DataError
from ..metrics.impact import impact_ratios, rated_mask, reference_mask, selection_rates
from ..options import RECORDED_SELECTION
from ..version import library_versions
from .counterfactuals import empty_tables
from .log_audit import not_possible
from .cause_result import not_split
from .measure import Cut, JobGaps, impact_rows, parity_row, summarize
from .permutation import NullDraws
from .provenance import sha256_of, resolve_created_at
from .result import AuditConfig, AuditResult
from .verdicts import assess

REQUIRED = ("category", "assessed", "selected")
#: What counts cannot give, and why.
NOT_FROM_COUNTS = {
    "diversity match rate and gaps": "they compare each job's top-k mix with a target; counts have no jobs",
    "ranking metrics (NDKL, skew@k, exposure)": "they need each job's places; counts have no order",
    "per-job table": "counts are totals over jobs",
    "confidence intervals": "they resample jobs; counts have no jobs",
    "word drivers, decomposition and rewriting": "they re-rank job texts with a recommender",
    "cause split (who applied, identity cues, job text)": "it compares each job's own candidates and top-k with "
                                                          "the pool; counts have no jobs",
    "per-job chance level": "the exact test conditions on the totals and treats every assessed pair as "
                            "exchangeable; it cannot restrict the comparison to each job's own candidates "
                            "(a log audit does)",
}
#: The headline verdict's diversity fields of a counts audit: counts have no jobs to match.
NO_DIVERSITY_VERDICT = {"match_goal": None, "diversity_goal_met": None, "diversity_category": None}
#: Empty tables of the measures counts cannot give, with the columns the summary reads.
_EMPTY = {"diversity": ["k", "attribute", "target", "tolerance", "match_rate", "mean_gap", "paper_score", "ndkl",
                        "n_jobs_undefined"],
          "ranking": ["k", "attribute", "group", "target_share", "topk_share", "skew_at_k", "exposure",
                      "exposure_ratio"],
          "per_job": ["job_id", "title", "k", "attribute", "gap", "paper_score", "match", "dp_difference", "ndkl",
                      "mix", "order_decided"]}


def no_job_tables() -> dict[str, pd.DataFrame]:
    """The empty diversity, ranking and per-job tables of a counts audit, with the columns the summary reads."""
    return {name: pd.DataFrame(columns=cols) for name, cols in _EMPTY.items()}


def _whole_numbers(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    num = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(num) | (num < 0) | (num != np.round(num))
    if bad.any():
        raise DataError(f"counts {source}: {col!r} must be whole numbers >= 0; {int(bad.sum())} row(s) are not "
                        f"(first: {df.loc[bad, col].astype(str).head(3).tolist()})")
    return num.astype(np.int64)


def _attribute_of(categories: pd.Series) -> str:
    values = set(categories.str.strip().str.lower()) - {"", UNKNOWN}
    if values and all("|" in v for v in values):
        return INTERSECTION
    for attr in ("sex", "race_ethnicity"):
        spellings = {s for canon, alts in LABELS[attr].items() for s in (canon, *alts)}
        if values and values <= spellings:
            return attr
    raise DataError("counts: add an 'attribute' column (sex, race_ethnicity or sex_race); the categories "
                    f"{sorted(values)[:6]} are not all of one attribute")


def validate_counts(df: Any, source: str = "table") -> pd.DataFrame:
    """Check a counts table: the required columns, whole non-negative counts, selected <= assessed, one row per category.

    Parameters
    ----------
    df : DataFrame
        The counts (see the module for the columns).
    source : str
        Where the table came from, for the error messages.
    """
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise DataError(f"counts {source} must be a table with rows")
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"counts {source} is missing column(s) {missing}; it has {list(df.columns)}")
    out = df.reset_index(drop=True).copy()
    out["category"] = out["category"].astype(object).where(out["category"].notna(), "").astype(str).str.strip()
    for col in ("assessed", "selected", "scored_above_median", "individuals", "k"):
        if col in out.columns:
            out[col] = _whole_numbers(out, col, source)
    for col in ("selected", "scored_above_median"):
        if col in out.columns and (out[col] > out["assessed"]).any():
            raise DataError(f"counts {source}: {col!r} exceeds 'assessed' in {int((out[col] > out['assessed']).sum())} "
                            "row(s); a category cannot select more than it assessed")
    if "individuals" in out.columns and (out["individuals"] > out["assessed"]).any():
        raise DataError(f"counts {source}: 'individuals' exceeds 'assessed' in "
                        f"{int((out['individuals'] > out['assessed']).sum())} row(s); each person assessed is at "
                        "least one assessment")
    if "attribute" not in out.columns:
        out["attribute"] = _attribute_of(out["category"])
    if "k" not in out.columns:
        out["k"] = RECORDED_SELECTION
    return out


def _encoding(categories: pd.Series, attribute: str, labels: Mapping[str, Any] | None) -> GroupEncoding:
    """The categories as a group encoding (canonical labels and order; one code per row)."""
    frame = pd.DataFrame({"candidate_id": [f"row{i}" for i in range(len(categories))], "text": "counts"})
    if attribute == INTERSECTION:
        parts = categories.str.split("|", n=1, expand=True).reindex(columns=[0, 1]).fillna("")
        frame["sex"], frame["race_ethnicity"] = parts[0].to_numpy(), parts[1].to_numpy()
    else:
        frame[attribute] = categories.to_numpy()
    return encode(validate_candidates(frame, labels=labels), attribute)


def counts_cut(rows: pd.DataFrame, attribute: str, k: int, config: AuditConfig,
               labels: Mapping[str, Any] | None = None) -> Cut:
    """The :class:`~fairaudit.engine.measure.Cut` of one attribute at one k from its counts rows."""
    enc = _encoding(rows["category"], attribute, labels)
    if len(np.unique(enc.codes)) != len(enc.codes):
        raise DataError(f"counts: a {attribute} category appears twice at k={k}; give one row per category")
    n_codes, n_known = enc.n_codes, enc.n_known

    def per_code(col: str) -> np.ndarray:
        return np.bincount(enc.codes, weights=rows[col].to_numpy(float), minlength=n_codes).astype(np.int64)

    pairs, sel = per_code("assessed"), per_code("selected")
    people = per_code("individuals") if "individuals" in rows else pairs
    rated = rated_mask(pairs, n_known, config.min_share)
    rates = selection_rates(sel, pairs, 1)
    ref = reference_mask(pairs, rated)
    impact = impact_ratios(rates[:n_known], rated, ref)
    if "scored_above_median" in rows:
        s_sel = per_code("scored_above_median")
        s_rates = selection_rates(s_sel, pairs, 1)
        s_ir = impact_ratios(s_rates[:n_known], rated, ref)
    else:
        s_sel, s_rates, s_ir = np.full(n_codes, np.nan), np.full(n_codes, np.nan), np.full(n_known, np.nan)
    chance = None
    if config.n_permutations > 0:
        rng = np.random.default_rng([int(config.seed), 0xC0C0, int(k)])
        null = rng.multivariate_hypergeometric(pairs, int(sel.sum()), size=config.n_permutations)
        draws = NullDraws(selected=null, match_rate=np.empty(0), mean_gap=np.empty(0))
        chance = assess(draws, impact=impact, rated=rated, pool=pairs, n_jobs=1, match_rate=float("nan"),
                        mean_gap=float("nan"), alpha=config.alpha, four_fifths=config.four_fifths,
                        power=config.power, judge_ratio=config.judge_ratio, seed=config.seed)
    none = np.empty(0)
    nan_pair = (np.full(n_codes, np.nan), np.full(n_codes, np.nan))
    no_ci = {"rate": nan_pair, **{key: (np.nan, np.nan) for key in ("dpd", "dpr", "match", "gap", "ndkl")}}
    return Cut(k=k, enc=enc, target=np.full(n_known, np.nan), rated=rated,
               known_share=pairs[:n_known] / max(pairs[:n_known].sum(), 1),
               gaps=JobGaps(counts=np.zeros((0, n_codes)), shares=np.zeros((0, n_known)), gaps=none,
                            target=np.full(n_known, np.nan)),
               selected=sel, rates=rates, impact=impact, scoring_selected=s_sel, scoring_rates=s_rates,
               scoring_impact=s_ir, codes_topk=np.zeros((0, 0), dtype=np.int64), job_ndkl=none, job_match=none,
               job_dpd=none, defined=none.astype(bool), by_order=none, ci=no_ci, chance=chance,
               pairs=pairs, individuals=people)


def audit_counts(counts: pd.DataFrame | str | os.PathLike, *, min_share: float = 0.02,
                 n_permutations: int | None = None, alpha: float | None = None, seed: int = 0,
                 labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None, data_source: str | None = None,
                 period: str | None = None, created_at: str | None = None) -> AuditResult:
    """Audit aggregate counts per category: the LL144 tables and verdicts by an exact conditional test.

    Parameters
    ----------
    counts : DataFrame or path
        ``category``, ``assessed``, ``selected`` and optionally ``attribute``,
        ``k``, ``scored_above_median``, ``individuals`` (see the module).
    min_share : float
        Categories under this share of the known assessed are not rated.
    n_permutations : int, optional
        Draws of the exact conditional null (default ``AuditConfig.n_permutations``).
    alpha : float, optional
        Significance level (default ``AuditConfig.alpha``).
    seed : int
        Seed of the draws.
    labels : mapping, optional
        Custom categories and spellings (:mod:`fairaudit.data.labels`).
    data_source, period, created_at : str, optional
        Recorded in the provenance.

    Returns
    -------
    AuditResult
        ``impact`` and ``parity`` tables; the others empty, with the reasons in
        ``summary["not_possible"]``.
    """
    on_disk = isinstance(counts, (str, os.PathLike))
    table = validate_counts(read_table(counts) if on_disk else counts, str(counts) if on_disk else "table")
    ks = tuple(dict.fromkeys(int(k) for k in table["k"]))
    attrs = tuple(dict.fromkeys(str(a) for a in table["attribute"]))
    config = AuditConfig(ks=ks, attributes=attrs, min_share=float(min_share), seed=seed, n_bootstrap=0,
                         drivers="none", decomposition="none", gap_attribute=attrs[0],
                         **{name: value for name, value in (("n_permutations", n_permutations), ("alpha", alpha))
                            if value is not None})
    created = resolve_created_at(created_at)
    impact, parity, groups, totals = [], [], {}, []
    for attr in attrs:
        for k in ks:
            rows = table[(table["attribute"] == attr) & (table["k"] == k)]
            if rows.empty:
                continue
            cut = counts_cut(rows, attr, k, config, labels)
            # what the groups add up to, so that the consistency check can re-derive the tables' sums
            totals.append({"attribute": attr, "k": k, "individuals": int(cut.people().sum()),
                           "assessed": int(cut.assessed().sum()), "selected": int(cut.selected.sum())})
            groups[attr] = list(cut.enc.labels)
            impact += impact_rows(cut, config)
            parity.append(parity_row(cut, config))
    tables = {"impact": pd.DataFrame(impact), "parity": pd.DataFrame(parity),
              **no_job_tables(), **empty_tables()}
    summary = summarize(tables, config)
    summary["verdict"].update(NO_DIVERSITY_VERDICT)
    reasons, texts = not_possible(NOT_FROM_COUNTS, "Not possible from counts")
    summary.update({"warnings": texts, "not_possible": reasons, "causes": {},
                    "cause_split": not_split("aggregate counts have no jobs and no candidate sets to split the "
                                             "gap by", config.ks[0]).summary()})
    src = str(counts) if on_disk else "DataFrame"
    prov = {"source": "counts", "historical": True, "counts_sha256": frame_sha256(table),
            "config_sha256": sha256_of(config.to_dict()), "recommender": {"name": "aggregate counts", "source": src},
            "data_source": data_source or f"counts: {src}", "period": period, "created_at": created,
            "n_jobs": None, "versions": library_versions(),
            # the individuals assessed (LL144's count): of the first attribute, whose categories cover everyone
            "n_candidates": int(table.loc[table["attribute"] == attrs[0]].pipe(
                lambda t: t[t["k"] == ks[0]]["individuals" if "individuals" in t else "assessed"].sum())) or None,
            "attribute_sources": {a: "self-reported" for a in attrs}, "totals": totals}
    prov["audit_id"] = sha256_of({"counts": prov["counts_sha256"], "config": prov["config_sha256"]})[:16]
    return AuditResult(config=config, provenance=prov, summary=summary, tables=tables, groups=groups)
