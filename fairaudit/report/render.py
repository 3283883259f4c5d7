"""Render an :class:`~fairaudit.engine.result.AuditResult` as an HTML report (Jinja2): the one report pipeline.

Every report, an audit, a before/after comparison or a periodic review, is
rendered by :func:`render_report` from one Jinja environment
(:func:`environment`) and the templates of ``fairaudit.reports``:
``base.html`` (the page, its header, footer and stylesheet) extended by
``audit.html`` (the audit's sections). Extra sections, such as the review's,
come in as :class:`ReportSection` objects that ``base.html`` includes after the
audit; nothing edits the rendered HTML.

The report only *formats and pivots* the audit's tables: every number comes
from :class:`~fairaudit.engine.result.AuditResult` (and, for a comparison, a second
result measured after the job texts were rewritten); see :mod:`.sections`. The
output is deterministic: the same inputs give byte-identical HTML (no clock, no
random ids; charts are deterministic SVG).
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pandas as pd

from ..errors import ReportError
from ..data.groups import INTERSECTION
from ..engine.consistency import check_consistency
from ..engine.result import AuditResult, check_comparable
from . import charts
from . import sections as sec
from .cause_section import cause_split_section
from .chance import chance_summary
from .format import as_number, attribute_label, fmt, group_label, target_text
from .sidecar import check_rewrites, sidecar_bytes

PAGE_SIZES = ("A4", "Letter")
#: The package holding ``templates/`` (the repository's ``reports/`` folder, installed as ``fairaudit.reports``).
TEMPLATE_PACKAGE = "fairaudit.reports"


@dataclass(frozen=True)
class ReportSection:
    """A section added after the audit's own, e.g. the periodic review's.

    Parameters
    ----------
    template : str
        A template of ``fairaudit.reports/templates``; it reads its data as ``section.data``.
    data : mapping, default {}
        The template's variables (plain, JSON-like values).
    """

    template: str
    data: Mapping[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def environment():
    """The Jinja environment of every report (strict variables, autoescaping, trimmed blocks)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    try:
        loader = PackageLoader(TEMPLATE_PACKAGE, "templates")
    except (ImportError, ValueError) as exc:  # ValueError: the package has no templates folder
        raise ReportError(f"the report templates ({TEMPLATE_PACKAGE}/templates) cannot be found ({exc}); "
                          "reinstall fairaudit") from None
    return Environment(loader=loader, autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _page_size(page_size: str) -> str:
    size = {s.lower(): s for s in PAGE_SIZES}.get(str(page_size).lower())
    if size is None:
        raise ReportError(f"page size must be one of {list(PAGE_SIZES)}, got {page_size!r}")
    return size


def _charts(before: AuditResult, after: AuditResult | None) -> dict[str, str]:
    """The report's three figures as SVG data URIs ("" when there is nothing to plot)."""
    cfg = before.config
    k0, gap_k = sec.headline_k(before), sec.effective_gap_k(before)
    attrs = sec.result_attributes(before)
    chart_attrs = [a for a in ("sex", "race_ethnicity") if a in attrs] or attrs[:2]
    ir_attrs = chart_attrs + ([INTERSECTION] if INTERSECTION in attrs else [])
    imp_b = sec.result_table(before, "impact")
    imp_a = None if after is None else sec.result_table(after, "impact")
    uri = charts.svg_data_uri
    return {
        "selection": uri(charts.selection_rate_chart(imp_b, imp_a, k=k0, attributes=chart_attrs,
                                                     label=group_label)) if k0 else "",
        "impact": uri(charts.impact_ratio_chart(imp_b, imp_a, k=k0, attributes=ir_attrs, label=group_label,
                                                threshold=float(getattr(cfg, "four_fifths", 0.8)))) if k0 else "",
        "gaps": uri(charts.gap_distribution_chart(
            sec.result_table(before, "per_job"), None if after is None else sec.result_table(after, "per_job"),
            k=gap_k, attribute=getattr(cfg, "gap_attribute", "sex"),
            tolerance=as_number(getattr(cfg, "tolerance", None)))) if gap_k else "",
    }


def _settings(before: AuditResult) -> dict[str, Any]:
    """The audit's settings as the methodology and cover print them."""
    cfg = before.config
    return {
        "ks": ", ".join(str(k) for k in sec.result_ks(before)),
        "k0": sec.headline_k(before), "gap_k": sec.effective_gap_k(before),
        "target": target_text(getattr(cfg, "target", "pool")),
        "targets": sec.target_rows(before),
        "tolerance": fmt(getattr(cfg, "tolerance", None)),
        "four_fifths": fmt(getattr(cfg, "four_fifths", 0.8)),
        "min_share": fmt(getattr(cfg, "min_share", 0.02), "pctg"),
        "scoring_median": str(getattr(cfg, "scoring_median", "job")),
        "confidence": fmt(getattr(cfg, "confidence", 0.95), "pctg"),
        "n_bootstrap": fmt(getattr(cfg, "n_bootstrap", None), "int"),
        "gap_attribute": attribute_label(getattr(cfg, "gap_attribute", "sex")).lower(),
        "attributes": [attribute_label(a) for a in sec.result_attributes(before)],
    }


def report_context(before: AuditResult, after: AuditResult | None = None, rewrites: pd.DataFrame | None = None,
                   *, title: str | None = None, page_size: str = "A4", period: str | None = None,
                   organization: str | None = None, max_gap_jobs: int = 10, max_rewrite_rows: int = 40,
                   max_diffs: int = 12, sidecar_sha256: str | None = None,
                   extra_sections: Sequence[ReportSection] = ()) -> dict[str, Any]:
    """The variables of ``audit.html`` (see :func:`render_report` for the parameters)."""
    if not isinstance(before, AuditResult) or (after is not None and not isinstance(after, AuditResult)):
        raise ReportError("render_report needs AuditResult objects (load one with AuditResult.from_json)")
    if after is not None:
        check_comparable(before, after)
    for audit in (before, after):  # what is rendered (and signed) is what its own counts give
        if audit is not None:
            check_consistency(audit)
    size = _page_size(page_size)
    rw = check_rewrites(rewrites)
    if sidecar_sha256 is None:
        sidecar_sha256 = hashlib.sha256(sidecar_bytes(before, after, rw)).hexdigest()
    prov = before.provenance or {}
    comparing = after is not None
    rec = prov.get("recommender")
    return {
        "title": title or ("Bias audit: before and after job-text rewriting" if comparing
                           else "Bias audit of a job-ad recommender"),
        "page_size": size,
        "comparison": comparing,
        "audit_id": str(prov.get("audit_id") or "unidentified"),
        "audit_id_after": str((after.provenance or {}).get("audit_id") or "") if comparing else "",
        "date": str(prov.get("created_at") or "")[:10],
        "created_at": str(prov.get("created_at") or ""),
        "period": period or prov.get("period") or "not stated",
        "data_source": str(prov.get("data_source") or "not stated"),
        "organization": organization,
        "recommender": sec.recommender_info(before),
        "recommender_details": sec.kv_rows(rec if isinstance(rec, Mapping) else {}),
        "n_jobs": fmt(prov.get("n_jobs"), "int"),
        "n_candidates": fmt(prov.get("n_candidates"), "int"),
        **_settings(before),
        "verdict": sec.verdict(before),
        "verdict_after": sec.verdict(after) if comparing else None,
        "chance": chance_summary(before),
        "chance_after": chance_summary(after) if comparing else None,
        "headline": sec.headline_tables(before, after),
        "warnings": sec.audit_warnings(before, after),
        "impact_sections": sec.impact_sections(before, after),
        "parity": sec.parity_tables(before, after),
        "diversity": sec.diversity_tables(before, after),
        "ranking_sections": sec.ranking_sections(before, after),
        "gap_jobs": sec.gap_jobs(before, after, max_gap_jobs),
        "cause_split": cause_split_section(before),
        "rewrites": sec.rewrite_section(rw, max_rewrite_rows, max_diffs, before.summary.get("causes")),
        "charts": _charts(before, after),
        "provenance": sec.provenance_rows(before),
        "provenance_after": sec.provenance_rows(after) if comparing else [],
        "config": sec.config_rows(before),
        "versions": sorted(sec.kv_rows(prov.get("versions") or {})),
        "report_versions": sorted(sec.report_versions().items()),
        "sidecar_sha256": sidecar_sha256,
        "extra_sections": list(extra_sections),
    }


def render_report(before: AuditResult, after: AuditResult | None = None, rewrites: pd.DataFrame | None = None,
                  *, title: str | None = None, page_size: str = "A4", period: str | None = None,
                  organization: str | None = None, max_gap_jobs: int = 10, max_rewrite_rows: int = 40,
                  max_diffs: int = 12, sidecar_sha256: str | None = None,
                  extra_sections: Sequence[ReportSection] = ()) -> str:
    """Render a report as a self-contained HTML string.

    Parameters
    ----------
    before : AuditResult
        The audit (the baseline in a comparison).
    after : AuditResult, optional
        A re-audit after rewriting; every table then shows before, after and change.
    rewrites : DataFrame, optional
        A rewrites table (``fairaudit.data.rewrites_table``; at least ``job_id,
        original, rewrite, accepted, gap_before, gap_after, meaning_score``);
        shown with a word-level diff.
    title : str, optional
    page_size : {"A4", "Letter"}
    period : str, optional
        Audit period shown on the cover; default: the audit's provenance.
    organization : str, optional
        Shown on the cover ("Prepared for").
    max_gap_jobs, max_rewrite_rows, max_diffs : int
        How many jobs / rewrites / diffs to print (all rows are in the sidecar).
    sidecar_sha256 : str, optional
        Recorded in the document metadata; default: the hash of
        :func:`~fairaudit.report.sidecar_bytes` for these inputs.
    extra_sections : sequence of ReportSection
        Sections after the audit's own (a periodic review's, for example).

    Returns
    -------
    str
        HTML (deterministic for the same inputs).

    Raises
    ------
    ReportError
        Unknown page size, malformed rewrites table, or a template error.
    DataError
        ``after`` is not a re-audit of ``before`` (other candidates, recommender
        or settings; see ``fairaudit.engine.result.check_comparable()``).
    """
    from jinja2 import TemplateError

    ctx = report_context(before, after, rewrites, title=title, page_size=page_size, period=period,
                         organization=organization, max_gap_jobs=max_gap_jobs, max_rewrite_rows=max_rewrite_rows,
                         max_diffs=max_diffs, sidecar_sha256=sidecar_sha256, extra_sections=extra_sections)
    try:
        return environment().get_template("audit.html").render(**ctx)
    except TemplateError as exc:
        raise ReportError(f"report template error: {exc}") from None
