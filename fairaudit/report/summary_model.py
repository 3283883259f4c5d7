"""The figures of an LL144 public summary as plain data: what the page shows and the JSON holds.

:func:`fairaudit.report.summary.build_summary` fills them from an audit (nothing is
recomputed); ``fairaudit.report.summary`` re-exports them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..version import __version__

SUMMARY_FORMAT = "fairaudit-ll144-summary"
SUMMARY_VERSION = 1


@dataclass(frozen=True)
class CategoryRow:
    """One category of one table: its counts, rates and impact ratios (None where undefined)."""

    group: str
    label: str
    candidates: int
    selections: int
    selection_rate: float | None
    impact_ratio: float | None
    scoring_rate: float | None
    scoring_impact_ratio: float | None
    rated: bool
    note: str = ""
    p_value: float | None = None  # family-wise permutation p-value (None: not assessed, not rated, reference group)
    verdict: str | None = None  # fairaudit.engine.verdicts category of the group

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CategoryTable:
    """The rates and impact ratios of one attribute at one cut-off k."""

    k: int
    attribute: str
    label: str
    rows: tuple[CategoryRow, ...]
    verdict: str | None = None  # the attribute's verdict (its lowest impact ratio against the permutation null)
    p_value: float | None = None
    null_breach_share: float | None = None  # share of permutations below four-fifths

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "attribute": self.attribute, "label": self.label, "verdict": self.verdict,
                "p_value": self.p_value, "null_breach_share": self.null_breach_share,
                "rows": [r.to_dict() for r in self.rows]}


@dataclass
class PublicSummary:
    """Everything the LL144 summary page shows (the elements 6 RCNY § 5-303 requires: ``fairaudit.report.summary``).

    Parameters
    ----------
    audit_id : str
        The audit's id (its provenance ``audit_id``).
    audit_date : str
        The date of the bias audit, ``YYYY-MM-DD`` (the audit's ``created_at``).
    distribution_date : str or None
        When the AEDT was (or will be) first used, ``YYYY-MM-DD``; None marks the
        summary incomplete.
    organization : str or None
        The employer or employment agency publishing the summary.
    data_source : str
        The source of the data, as published (file names only, never paths).
    data_explanation : str
        The explanation of the data: the employer's own words, then the one
        generated from the audit.
    n_candidates : int
        Applicants or candidates assessed (for a log, the individuals it holds).
    n_jobs : int or None
        Jobs ranked; None when the audit records none (aggregate counts).
    unknown : dict of str to int
        Per attribute, individuals assessed who fall within the unknown category
        (at the headline k).
    tables : list of CategoryTable
        One table of rates and impact ratios per k and attribute (sex,
        race/ethnicity, their intersection).
    tool : dict of str to str
        The recommender's description (name, model, ...) as shown on the page.
    ks : list of int
        The audit's cut-offs.
    headline_k : int or None
        The cut-off of the verdict (the first of ``ks``).
    scoring_median : str
        How the scoring rate's median was taken (``"job"`` or ``"sample"``).
    min_share : float
        Categories under this share of the known pool are excluded from the
        impact ratios (0.02 = 2 %).
    incomplete : list of str, default []
        What § 5-303 asks for that the summary lacks (shown on the page).
    notices : list of str, default []
        What the page warns about without refusing it (a distribution date more
        than a year after the audit).
    n_permutations : int, default 0
        Label permutations behind the significance statements; 0: not assessed.
    """

    audit_id: str
    audit_date: str
    distribution_date: str | None
    organization: str | None
    data_source: str
    data_explanation: str
    n_candidates: int
    n_jobs: int | None
    unknown: dict[str, int]
    tables: list[CategoryTable]
    tool: dict[str, str]
    ks: list[int]
    headline_k: int | None
    scoring_median: str
    min_share: float
    incomplete: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    n_permutations: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "tables"}
        d["tables"] = [t.to_dict() for t in self.tables]
        return {"format": SUMMARY_FORMAT, "format_version": SUMMARY_VERSION, "regulation": "6 RCNY § 5-303",
                **d, "generator": f"fairaudit {__version__}"}


@dataclass(frozen=True)
class SummaryFiles:
    """What :func:`write_summary` wrote."""

    html: Path
    json: Path
    summary: PublicSummary
