"""What every table and column of an audit result means: the one table of definitions.

:meth:`fairaudit.AuditResult.to_frame` returns the tables below; ``audit.json``
stores them under ``tables``. The definitions here are the single source: the
JSON schema (:mod:`fairaudit.data.schema`) copies them into its field
descriptions, the documentation's "Result tables" page is generated from
:data:`TABLES` when the site is built, and a test fails when an audit emits a
column that has no definition here. The formulas behind the words are on the
concept pages named by each table's ``see``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

__all__ = ["ResultTable", "TABLES", "column_definition", "undefined_columns"]


@dataclass(frozen=True)
class ResultTable:
    """One table of an audit result.

    Parameters
    ----------
    name : str
        The table's name (``AuditResult.to_frame(name)``, ``tables.<name>`` in the JSON).
    rows : str
        What one row is.
    what : str
        What the table is for, in one sentence.
    see : tuple of str
        Documentation pages (paths under ``docs/``, without the suffix) that define the quantities.
    columns : mapping of str to str
        Column name to its definition, in the order the audit writes them.
    """

    name: str
    rows: str
    what: str
    see: tuple[str, ...]
    columns: Mapping[str, str]


_CI = "{} end of the {} confidence interval of ``{}`` (level: the config's ``confidence``)"


def _ci(column: str) -> dict[str, str]:
    return {f"{column}_ci_low": _CI.format("Lower", "bootstrap", column),
            f"{column}_ci_high": _CI.format("Upper", "bootstrap", column)}


_K = {"k": "The cut-off: each job's top k candidates are its selections.",
      "attribute": "``sex``, ``race_ethnicity``, or ``sex_race`` (their intersection)."}
_NULL = "the permutation null (a recommender that ignores the attribute, on this pool)"
_COUNTERFACTUAL = {
    "gap": "The job's gap at the config's ``gap_k`` (the largest k when unset) for its ``gap_attribute``.",
    "gap_without": "The same gap with the text removed or neutralised, the job re-ranked.",
    "delta": "``gap - gap_without``: positive when removing the text narrows the gap.",
}

TABLES: dict[str, ResultTable] = {t.name: t for t in (
    ResultTable("impact", "one per k, attribute and group; the unknown category last (counted, not rated)",
                "NYC Local Law 144 selection and scoring rates, impact ratios and the four-fifths flag, "
                "each with its chance level and power.",
                ("concepts/metrics", "concepts/significance"), {
        **_K,
        "group": "The category (a built-in label, one of your own labels, or ``unknown``).",
        "n_pool": "Candidates of this group in the pool (in a candidate-set or log audit: the distinct "
                  "people of this group assessed).",
        "n_assessed": "Candidate-set and log audits: the (job, candidate) pairs of this group that were "
                      "considered, the denominator of ``selection_rate``.",
        "pool_share": "The group's share of the candidates whose category is known (null for ``unknown``).",
        "selected": "Top-k places the group holds, summed over all jobs.",
        "selection_rate": "``selected / (jobs x n_pool)``: the share of the group's (job, candidate) pairs "
                          "that are in a top-k (6 RCNY 5-300).",
        **_ci("selection_rate"),
        "impact_ratio": "``selection_rate`` / the highest ``selection_rate`` of the rated groups (6 RCNY 5-301); "
                        "null for groups that are not rated.",
        "scoring_selected": "The group's (job, candidate) pairs whose score is above the median score (each "
                            "job's median, or the whole sample's: the config's ``scoring_median``).",
        "scoring_rate": "``scoring_selected / (jobs x n_pool)``: the LL144 scoring rate.",
        "scoring_impact_ratio": "``scoring_rate`` / the highest ``scoring_rate`` of the rated groups.",
        "excluded": "True when the group is not rated: the unknown category, or a category under the "
                    "config's ``min_share`` of the known pool.",
        "exclusion_reason": "Why the group is not rated (empty when it is).",
        "four_fifths_flag": "True when ``impact_ratio`` is below the config's ``four_fifths`` (0.8: 29 CFR "
                            "1607.4(D)).",
        "p_value": f"Family-wise p-value of the group's impact ratio under {_NULL} (Westfall-Young single-step "
                   "max-T over the attribute's groups): ``(1 + draws whose lowest ratio of any group is at or below "
                   "this group's ratio) / (1 + draws)``; null for the reference group and when not assessed.",
        "p_value_raw": "The group's own one-sided p-value, ``(1 + draws of its ratio at or below the observed) / "
                       "(1 + draws)``, not adjusted for the number of groups: for reading only, no verdict uses it.",
        "own_power_at_0_6": "Power of a test of this group alone against a true ratio of ``judge_ratio``; beside "
                            "``power_at_0_6`` it tells whether low power comes from the group's size or from the "
                            "attribute's test at this k.",
        "expected_selected": "The group's expected top-k places over all jobs under the permutation null.",
        "low_power_reason": "Why the group has too little power to judge (its size, or the attribute's test at "
                            "this k), in one sentence; empty when it has enough.",
        "verdict": "The group's verdict (one of ``fairaudit.engine.verdicts.VERDICTS``); null when the group is "
                   "not rated or the audit ran without permutations.",
        "null_ir_median": f"Median of the group's impact ratio over {_NULL}: what chance alone shows here.",
        "null_ir_p05": "5th percentile of the group's impact ratio over the permutation null.",
        "power_at_0_6": "Probability that the attribute's test finds a breach beyond chance when this group's "
                        "true impact ratio is the config's ``judge_ratio`` (0.6 by default, hence the name), "
                        "simulated by thinning the group's selections in the permutation draws.",
        "min_detectable_ratio": "The highest true impact ratio on the grid 0.95, 0.90, ..., 0.05 that the "
                                "test detects with the config's ``power``; null when none.",
        **_ci("impact_ratio"),
        "fisher_p_value": "Fisher's exact test of the group's pooled (job, candidate) pairs against those of "
                          "the highest-rate rated group: approximate (pairs are not independent), a cross-check "
                          "beside the verdict; null for that group and for unrated ones.",
        "two_sd_z": "The two-proportion z statistic of the same comparison (the 'two standard deviations' rule "
                    "of thumb); approximate like ``fisher_p_value``.",
    }),
    ResultTable("parity", "one per k and attribute",
                "Demographic parity over the rated groups, the four-fifths rule and the attribute's verdict.",
                ("concepts/metrics", "concepts/significance"), {
        **_K,
        "source": "Where the categories come from: ``self-reported``, or ``inferred`` from names.",
        "dp_difference": "Largest minus smallest ``selection_rate`` of the rated groups (fairlearn's "
                         "demographic parity difference).",
        **_ci("dp_difference"),
        "dp_ratio": "Smallest over largest ``selection_rate`` of the rated groups (fairlearn's demographic "
                    "parity ratio).",
        **_ci("dp_ratio"),
        "min_impact_ratio": "The lowest ``impact_ratio`` of the rated groups.",
        "four_fifths_pass": "True when ``min_impact_ratio`` is not below the config's ``four_fifths``.",
        "n_unknown": "Candidates whose category is unknown (counted, not rated).",
        "verdict": "The attribute's verdict at this k, from the test of its lowest impact ratio; null when the "
                   "audit ran without permutations.",
        "p_value": f"One-sided p-value of ``min_impact_ratio`` under {_NULL} of the lowest ratio.",
        "null_min_ir_median": "Median of the lowest impact ratio over the permutation null.",
        "null_min_ir_p05": "5th percentile of the lowest impact ratio over the permutation null.",
        "null_breach_share": "Share of permutation draws whose lowest impact ratio is below ``four_fifths``: "
                             "how often chance alone breaks the rule on this pool.",
        "n_permutations": "Permutation draws behind the verdict.",
        "critical_ratio": "The alpha-quantile of the lowest impact ratio over the permutation null: a lowest "
                          "ratio below it is beyond chance.",
        "too_small_groups": "Rated groups whose ``power_at_0_6`` is below the config's ``power``.",
    }),
    ResultTable("diversity", "one per k and attribute",
                "How far each job's top-k mix is from the target: match rate, mean gap, gap score and NDKL.",
                ("concepts/metrics", "concepts/ranking-metrics", "concepts/statistics"), {
        **_K,
        "target": "The target mix as JSON ``{group: share}`` (the pool's mix, uniform, or given).",
        "tolerance": "A job matches when its gap is at most this (the config's ``tolerance``).",
        "distance": "The gap's distance: ``wasserstein-1`` for two groups, ``total variation`` otherwise.",
        "match_rate": "Share of the jobs with a defined gap whose gap is at most ``tolerance``.",
        **_ci("match_rate"),
        "mean_gap": "Mean over the jobs with a defined gap of the distance between the top-k mix and the target.",
        **_ci("mean_gap"),
        "mean_wasserstein": "``mean_gap`` when the distance is Wasserstein-1 (two groups); null otherwise.",
        "paper_score": "The gap score ``-100 x mean_gap`` (AutoRefine's score; higher is fairer).",
        "paper_score_ci_low": "``-100 x mean_gap_ci_high``.",
        "paper_score_ci_high": "``-100 x mean_gap_ci_low``.",
        "ndkl": "Mean over the jobs with a defined gap of NDKL (the normalised discounted KL divergence of the "
                "top-k's prefixes from the target).",
        **_ci("ndkl"),
        "n_jobs_undefined": "Jobs whose top-k holds no candidate of a known category: no gap; left out of the "
                            "means and the match rate.",
        "match_rate_p_value": f"One-sided p-value of a match rate this low under {_NULL}.",
        "match_rate_null_median": "Median of the match rate over the permutation null.",
        "match_rate_null_p05": "5th percentile of the match rate over the permutation null.",
        "mean_gap_p_value": f"One-sided p-value of a mean gap this high under {_NULL}.",
        "mean_gap_null_median": "Median of the mean gap over the permutation null.",
        "mean_gap_null_p95": "95th percentile of the mean gap over the permutation null.",
    }),
    ResultTable("ranking", "one per k, attribute and known group",
                "Rank-aware representation (skew@k) and position-weighted attention (exposure).",
                ("concepts/ranking-metrics",), {
        **_K,
        "group": "The category.",
        "target_share": "The group's share of the target mix.",
        "topk_share": "The group's share of the top-k places held by candidates of a known category, pooled "
                      "over jobs.",
        "skew_at_k": "``ln(topk_share / target_share)`` (skew@k, Geyik et al. 2019).",
        "exposure": "Mean position weight ``1 / log2(1 + rank)`` the group's candidates receive in the top-k, "
                    "per candidate of the group (Singh & Joachims 2018).",
        "exposure_ratio": "``exposure`` / the highest ``exposure`` of the rated groups.",
    }),
    ResultTable("per_job", "one per job, k and attribute",
                "Every job's gap, score, match, parity and NDKL: the rows behind the means of ``diversity``.",
                ("concepts/metrics", "concepts/ranking-metrics"), {
        "job_id": "The job's identifier (the jobs file's ``job_id``).",
        "title": "The job's title.",
        **_K,
        "gap": "Distance between the job's top-k mix and the target (see ``distance`` in ``diversity``); null "
               "when the top-k holds no candidate of a known category.",
        "paper_score": "``-100 x gap``.",
        "match": "True when ``gap`` is at most the tolerance; null when the gap is undefined.",
        "dp_difference": "Largest minus smallest, over the rated groups, of the group's places in this job's "
                         "top-k per candidate of the group.",
        "ndkl": "The job's NDKL.",
        "order_decided": "Top-k places filled by row order among tied scores (0: the scores alone decided).",
        "mix": "The top-k mix as JSON ``{group: share}`` over the candidates of a known category.",
    }),
    ResultTable("drivers", "one per job in the audit's ``drivers`` scope and gender-coded word of its text",
                "Lexicon drivers: how much neutralising each gender-coded word narrows the job's gap.",
                ("concepts/statistics",), {
        "job_id": "The job.",
        "word": "A gender-coded word of the job text (Gaucher et al. 2011 word list).",
        "category": "``masculine`` or ``feminine``.",
        "count": "Occurrences of the word in the text.",
        **_COUNTERFACTUAL,
    }),
    ResultTable("occlusion", "one per job in the ``drivers`` scope and sentence or content word "
                "(``driver_method=\"occlusion\"``)",
                "Occlusion drivers: how much removing each sentence and each content word narrows the gap.",
                ("concepts/statistics",), {
        "job_id": "The job.",
        "kind": "``sentence`` or ``word``: what was removed.",
        "sentence_no": "The sentence's position in the text (from 1); for a word, its sentence.",
        "sentence": "The sentence's text.",
        "word": "The word removed; null for a sentence.",
        "coded": "True when the removed word is on the gender-coded word list (a label, not a filter); "
                 "False for a sentence.",
        "category": "The coded word's category (``masculine`` / ``feminine``); null when not coded.",
        **_COUNTERFACTUAL,
    }),
    ResultTable("decomposition", "one per job and attribute, at the config's ``gap_k``",
                "Identity-blind decomposition: the part of each job's gap that names and pronouns in the "
                "profiles cause, and the part its text causes.",
                ("concepts/statistics",), {
        "job_id": "The job.",
        **_K,
        "gap": "The job's gap (with ``method == \"sample\"``: in the top-``sample_k`` of the sampled candidates).",
        "gap_blind": "The same gap with names and pronouns masked in every profile, the candidates re-ranked.",
        "identity_part": "``gap - gap_blind``: the part due to identity cues in the profiles.",
        "text_part": "``gap_blind``: the part that remains without identity cues.",
        "method": "``full`` (every candidate, exact) or ``sample`` (a stratified sample of candidates).",
        "sample_size": "Candidates ranked (the whole pool for ``full``).",
        "sample_k": "The cut-off within the sample, the same share of it as k is of the pool: "
                    "``max(1, round(k x sample_size / n_candidates))``.",
    }),
    ResultTable("cause_split", "one per k, attribute and part (``total`` first); audits of per-job candidate "
                "sets and logs only",
                "Three causes, separated: how much of each attribute's mean gap against the whole pool comes "
                "from who applied, from identity cues in profiles and from the job text, each with its chance "
                "level.", ("concepts/causes",), {
        **_K,
        "part": "``total`` (the mean gap of each job's top-k against the whole candidates table's mix), "
                "``who_applied`` (each job's own candidates' mix against the pool), ``identity_cues`` (names, "
                "titles and pronouns masked in the profiles), ``job_text`` (the job text neutralised) or "
                "``residual`` (what the ranking does with each job's own candidates without them).",
        "value": "The part's contribution to the mean gap (the parts add up to ``total``; negative: the part "
                 "works against the difference the jobs show); null when not computed.",
        "share": "``value / total``; null when the total is 0 or the part is not computed.",
        "chance_median": "Median of the part under its null: labels permuted over all candidates (``total``, "
                         "``who_applied``, ``residual``), or each job's two rankings that differ only by the "
                         "masking (``identity_cues``) or the text (``job_text``) swapped at random.",
        "chance_low": "The null's ``alpha / 2`` quantile: the lower end of what chance gives.",
        "chance_high": "The null's ``1 - alpha / 2`` quantile: the upper end of what chance gives.",
        "p_value": "Two-sided: ``min(1, 2 min(p_lower, p_upper))`` against the part's null; null without a "
                   "chance level.",
        "beyond_chance": "``p_value <= alpha``; null without a chance level.",
        "n_jobs": "Jobs whose top-k holds a known candidate in every ranking compared (the mean is over them).",
        "computed": "False when the part could not be computed (``reason`` says why).",
        "reason": "Why the part is not computed, or what the residual includes; empty otherwise.",
    }),
)}


def column_definition(table: str, column: str) -> str:
    """The definition of ``column`` of ``table``.

    Parameters
    ----------
    table : str
        A table name of :data:`TABLES`.
    column : str
        A column of that table.

    Raises
    ------
    KeyError
        The table or the column has no definition.
    """
    return TABLES[table].columns[column]


def undefined_columns(tables: Mapping[str, Iterable[str]]) -> list[str]:
    """``table.column`` for every table or column that :data:`TABLES` does not define.

    Parameters
    ----------
    tables : mapping of str to iterable of str
        Table name to its column names (e.g. ``{name: df.columns for name, df in result.tables.items()}``).
    """
    return [f"{name}.{col}" for name, cols in tables.items() for col in cols
            if name not in TABLES or col not in TABLES[name].columns]
