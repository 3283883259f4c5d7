"""The public summary of a bias audit that NYC Local Law 144 asks an employer to publish.

6 RCNY § 5-303 requires, before an automated employment decision tool (AEDT)
is used, a public summary of its most recent bias audit with

* the date of the bias audit,
* the source and an explanation of the data used,
* the number of individuals assessed who fall within an unknown category,
* the number of applicants or candidates,
* the selection or scoring rates and the impact ratios for all categories
  (sex, race/ethnicity and their intersection, 6 RCNY § 5-301(b)),
* the distribution date of the AEDT.

:func:`build_summary` takes these from an :class:`~fairaudit.engine.result.AuditResult`
(nothing is recomputed) and refuses an audit that cannot supply them, e.g. one
whose categories were inferred from names rather than self-reported.
:func:`render_summary` renders one self-contained, accessible HTML page through
the report's own Jinja environment (:func:`~fairaudit.report.render.environment`,
template ``summary.html`` extending ``base.html``), and :func:`write_summary`
writes it together with the same figures as JSON: both files or neither.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any

from ..atomic import write_all
from ..errors import ConfigError, DataError, FairauditWarning, ReportError
from ..data.groups import INTERSECTION
from ..engine.consistency import check_consistency
from ..engine.result import AuditResult, frame_records
from ..engine.verdicts import REFERENCE_NOTE, describe
from .chance import PERMUTATION_SENTENCE
from .format import as_bool, as_number, attribute_label, fmt, group_label
from .render import environment
from .summary_rules import check_dates, data_statement, public_source
from .sections import headline_k, recommender_info, result_ks, result_table, select_rows
# the summary's data types have their own module; this one keeps their names
from .summary_model import (SUMMARY_FORMAT, SUMMARY_VERSION, CategoryRow, CategoryTable,  # noqa: F401
                            PublicSummary, SummaryFiles)

#: The categories § 5-301(b) asks impact ratios for, in the order they are shown.
LL144_ATTRIBUTES = ("sex", "race_ethnicity", INTERSECTION)


# --------------------------------------------------------------------------- what § 5-303 needs
def _audit_date(result: AuditResult) -> str | None:
    raw = str((result.provenance or {}).get("created_at") or "")
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return None


def _sources(result: AuditResult) -> dict[str, str]:
    """Where each attribute's categories came from: "self-reported", "inferred" or a mix."""
    out = {str(a): str(s) for a, s in ((result.provenance or {}).get("attribute_sources") or {}).items()}
    par = result_table(result, "parity")
    if "source" in par:
        for r in frame_records(par):
            if str(r.get("source") or "self-reported") != "self-reported":
                out[str(r["attribute"])] = str(r["source"])
    return out


def summary_problems(result: AuditResult) -> list[str]:
    """What the audit lacks for an LL144 summary (empty when it can be published).

    Each item names the missing element in words a compliance team can act on.
    """
    problems = []
    prov = result.provenance or {}
    if _audit_date(result) is None:
        problems.append("the date of the audit (provenance.created_at)")
    if not str(prov.get("data_source") or "").strip():
        problems.append("the source of the data (provenance.data_source)")
    if as_number(prov.get("n_candidates")) is None:
        problems.append("the number of candidates assessed (provenance.n_candidates)")
    imp = result_table(result, "impact")
    sources = _sources(result)
    inferred = [a for a in LL144_ATTRIBUTES[:2] if a in sources and sources[a] != "self-reported"]
    if not inferred and sources.get(INTERSECTION, "self-reported") != "self-reported":
        inferred = [INTERSECTION]
    absent = [a for a in LL144_ATTRIBUTES if select_rows(imp, attribute=a).empty]
    if inferred:
        problems.append("self-reported categories: " + ", ".join(attribute_label(a).lower() for a in inferred)
                        + " " + ("was" if len(inferred) == 1 else "were") + " inferred, which an LL144 audit "
                        "cannot use; audit the candidates' self-reported sex and race/ethnicity")
    if absent:
        problems.append("rates and impact ratios for " + ", ".join(attribute_label(a).lower() for a in absent)
                        + " (§ 5-301(b) asks for sex, race/ethnicity and their intersection; audit candidates "
                        "with both self-reported columns)")
    elif not imp.empty and select_rows(imp, group="unknown").empty:
        problems.append("the number of candidates in an unknown category (the audit has no 'unknown' rows)")
    return problems


# --------------------------------------------------------------------------- building
def _parse_date(value: str | dt.date | None) -> str | None:
    if value is None or isinstance(value, dt.date):
        return None if value is None else value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ConfigError(f"distribution date {value!r} is not a date; write it as YYYY-MM-DD, "
                          "e.g. 2027-01-15") from None


def _row(r: dict[str, Any], min_share: float) -> CategoryRow:
    group = str(r.get("group"))
    unknown = group == "unknown"
    excluded = as_bool(r.get("excluded")) and not unknown
    reason = r.get("exclusion_reason") or f"under {fmt(min_share, 'pctg')} of the known pool"
    low_power = r.get("low_power_reason") if isinstance(r.get("low_power_reason"), str) else ""
    note = ("unknown category: counted, not included in the impact ratios" if unknown else
            f"excluded from the impact ratios: {reason}" if excluded else
            f"too little power to judge: {low_power}" if low_power else "")
    return CategoryRow(group=group, label=group_label(group), candidates=int(r.get("n_pool") or 0),
                       selections=int(r.get("selected") or 0), selection_rate=as_number(r.get("selection_rate")),
                       impact_ratio=None if (unknown or excluded) else as_number(r.get("impact_ratio")),
                       scoring_rate=as_number(r.get("scoring_rate")),
                       scoring_impact_ratio=None if (unknown or excluded) else as_number(r.get("scoring_impact_ratio")),
                       rated=not (unknown or excluded), note=note,
                       p_value=None if (unknown or excluded) else as_number(r.get("p_value")),
                       verdict=None if (unknown or excluded) else (r.get("verdict") or None))


def _explanation(result: AuditResult, tool: dict[str, str], own: str | None) -> str:
    prov = result.provenance or {}
    opening, problems = data_statement(str(prov.get("data_source") or ""), own)
    for problem in problems:
        warnings.warn(problem, FairauditWarning, stacklevel=3)
    ks = ", ".join(str(k) for k in result_ks(result))
    model = f" ({tool['model']})" if tool.get("model") else ""
    if prov.get("historical") or prov.get("candidate_sets"):
        return f"{opening} {_historical_text(prov, ks)}"
    text = (f"The tool ranked {fmt(prov.get('n_candidates'), 'int')} candidate profiles against each of "
            f"{fmt(prov.get('n_jobs'), 'int')} job texts with the recommender {tool.get('name') or 'of the audit'}"
            f"{model}. Each job's top-k (k = {ks}) counts as a selection of those candidates, so selections "
            "are (job, candidate) pairs: a candidate shown for three jobs counts three times. Sex and "
            "race/ethnicity are the categories the candidates reported themselves.")
    return f"{opening} {text}"


def _historical_text(prov: dict, ks: str) -> str:
    """The data explanation of a log, counts or per-job candidate-set audit (fairaudit.engine.log_audit)."""
    if prov.get("source") == "counts":
        return ("Historical data: aggregate counts of candidates assessed and selected per category, as supplied; "
                "the rates, impact ratios and verdicts are computed from those counts alone.")
    dates = prov.get("log_period") or {}
    when = f", from {dates['start']} to {dates['end']}" if dates.get("start") else ""
    what = "Historical data: the tool's recorded output for" if prov.get("historical") else "The tool ranked"
    return (f"{what} {fmt(prov.get('n_pairs'), 'int')} (job, candidate) pairs{when}: "
            f"{fmt(prov.get('n_individuals'), 'int')} distinct individuals assessed for "
            f"{fmt(prov.get('n_jobs'), 'int')} jobs, each job only among the candidates it considered. "
            + ("The selections the tool recorded count" if ks == "0" else f"Each job's top-k (k = {ks}) counts")
            + " as selections of (job, candidate) pairs. Sex and race/ethnicity are the categories the candidates "
            "reported themselves.")


def build_summary(result: AuditResult, *, distribution_date: str | dt.date | None = None,
                  organization: str | None = None, data_explanation: str | None = None,
                  data_source: str | None = None) -> PublicSummary:
    """The LL144 public summary of an audit (date, data and path rules: ``summary_rules``).

    Parameters
    ----------
    result : AuditResult
        The audit to publish (nothing is recomputed; its counts are checked first).
    distribution_date : str (YYYY-MM-DD) or date, optional
        When the AEDT was (or will be) first used; § 5-303 requires it, so a
        summary without it is marked incomplete (``incomplete``) and says so.
    organization : str, optional
        The employer or employment agency publishing the summary.
    data_explanation : str, optional
        The employer's own words on the data (historical or test data, and
        why), put before the explanation generated from the audit. Without
        it a warning is issued, unless the audit ran on the packaged
        synthetic data (then the page says "test data").
    data_source : str, optional
        A description of the data's source to publish instead of the audit's
        (which is shown with file names only, never paths).

    Raises
    ------
    DataError
        The audit lacks what § 5-303 needs (``summary_problems()``); the
        message lists what is missing.
    ConfigError
        ``distribution_date`` is not a date, or is before the audit date.
    """
    if not isinstance(result, AuditResult):
        raise ReportError("build_summary needs an AuditResult (load one with AuditResult.from_json)")
    check_consistency(result)  # the page publishes only numbers the audit's counts give
    problems = summary_problems(result)
    if problems:
        raise DataError("this audit cannot be published as an LL144 summary (6 RCNY § 5-303); it lacks "
                        + "; ".join(problems))
    date = _parse_date(distribution_date)
    notices = check_dates(str(_audit_date(result)), date)
    for notice in notices:
        warnings.warn(notice, FairauditWarning, stacklevel=2)
    prov, cfg = result.provenance or {}, result.config
    tool = {k: str(v or "") for k, v in recommender_info(result).items()}
    imp = result_table(result, "impact")
    k0 = headline_k(result)
    tables = []
    for k in result_ks(result):
        for attr in LL144_ATTRIBUTES:
            rows = frame_records(select_rows(imp, k=k, attribute=attr))
            rows.sort(key=lambda r: str(r.get("group")) == "unknown")  # unknown last
            par = frame_records(select_rows(result_table(result, "parity"), k=k, attribute=attr))
            chance = par[0] if par else {}
            tables.append(CategoryTable(k=int(k), attribute=attr, label=attribute_label(attr),
                                        rows=tuple(_row(r, cfg.min_share) for r in rows),
                                        verdict=chance.get("verdict") or None, p_value=as_number(chance.get("p_value")),
                                        null_breach_share=as_number(chance.get("null_breach_share"))))
    first = [t for t in tables if t.k == (k0 if k0 in result_ks(result) else result_ks(result)[0])]
    unknown = {t.attribute: next((r.candidates for r in t.rows if r.group == "unknown"), 0) for t in first}
    return PublicSummary(
        audit_id=str(prov.get("audit_id") or ""), audit_date=str(_audit_date(result)), distribution_date=date,
        organization=(organization or "").strip() or None, data_source=public_source(str(prov["data_source"]), data_source),
        data_explanation=_explanation(result, tool, data_explanation),
        n_candidates=int(prov.get("n_individuals") or prov["n_candidates"]),  # a log: the individuals it assessed
        n_jobs=None if as_number(prov.get("n_jobs")) is None else int(prov["n_jobs"]), unknown=unknown,
        tables=tables, tool=tool, ks=[int(k) for k in result_ks(result)], headline_k=k0,
        scoring_median=str(cfg.scoring_median), min_share=float(cfg.min_share),
        incomplete=[] if date else ["the distribution date of the AEDT (pass --distribution-date YYYY-MM-DD)"],
        notices=notices,
        n_permutations=int(getattr(cfg, "n_permutations", 0) or 0))


# --------------------------------------------------------------------------- rendering and writing
def summary_json(summary: PublicSummary) -> bytes:
    """The summary's figures as JSON bytes (deterministic)."""
    return (json.dumps(summary.to_dict(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _cells(row: CategoryRow) -> dict[str, str]:
    return {"candidates": fmt(row.candidates, "int"), "selections": fmt(row.selections, "int"),
            "selection_rate": fmt(row.selection_rate, "rate"), "impact_ratio": fmt(row.impact_ratio, "ratio"),
            "scoring_rate": fmt(row.scoring_rate, "pct"), "scoring_impact_ratio": fmt(row.scoring_impact_ratio, "ratio"),
            "p_value": fmt(row.p_value, "ratio"), "verdict": row.verdict or ("not assessed" if row.rated else "—")}


def render_summary(summary: PublicSummary, *, json_name: str = "summary.json", json_sha256: str = "") -> str:
    """The summary as one self-contained HTML page (template ``summary.html``, the report's environment).

    Parameters
    ----------
    summary : PublicSummary
        The figures to show (:func:`build_summary`).
    json_name : str, default "summary.json"
        The file name of the figures' JSON, linked from the page.
    json_sha256 : str, default ""
        The JSON file's sha256 hex digest printed on the page; empty: computed
        from ``summary_json()`` of ``summary``.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    ReportError
        The template fails to render.
    """
    from jinja2 import TemplateError

    sha = json_sha256 or hashlib.sha256(summary_json(summary)).hexdigest()
    ctx = {
        "title": "Summary of results of the bias audit" + (f" · {summary.organization}" if summary.organization else ""),
        "page_size": "Letter", "audit_id": summary.audit_id, "sidecar_sha256": sha, "extra_sections": [],
        "s": summary, "json_name": json_name,
        "n_candidates": fmt(summary.n_candidates, "int"), "n_jobs": fmt(summary.n_jobs, "int"),
        "unknown": [(attribute_label(a), fmt(n, "int")) for a, n in summary.unknown.items()],
        "min_share": fmt(summary.min_share, "pctg"),
        "tables": [{"k": t.k, "label": t.label, "rows": [{"row": r, "cells": _cells(r)} for r in t.rows],
                    "verdict": describe(t.verdict, t.p_value, t.null_breach_share) if t.verdict else None}
                   for t in summary.tables],
        "permutation_sentence": PERMUTATION_SENTENCE.format(n=f"{summary.n_permutations:,}")
        if summary.n_permutations else "",
        "reference_note": REFERENCE_NOTE,
    }
    try:
        return environment().get_template("summary.html").render(**ctx)
    except TemplateError as exc:
        raise ReportError(f"summary template error: {exc}") from None


def summary_paths(out: str | os.PathLike) -> dict[str, Path]:
    """The files a summary named ``out`` writes: the page and its figures (suffix ``.json``)."""
    html_path = Path(out)
    json_path = html_path.with_suffix(".json")
    if json_path == html_path:
        raise ConfigError(f"--out {out} must not end in .json: the figures are written next to it as JSON")
    return {"--out": html_path, "the figures (JSON) of --out": json_path}


def write_summary(result: AuditResult, out: str | os.PathLike, *, distribution_date: str | dt.date | None = None,
                  organization: str | None = None, data_explanation: str | None = None,
                  data_source: str | None = None) -> SummaryFiles:
    """Write the LL144 summary page ``out`` and its figures ``out`` with the suffix ``.json``, both or neither.

    Parameters
    ----------
    result : AuditResult
        The audit to publish.
    out : str or os.PathLike
        The HTML page to write; the figures go next to it with the suffix
        ``.json`` (so ``out`` must not end in ``.json``).
    distribution_date, organization, data_explanation, data_source : str, optional
        As in :func:`build_summary` (``distribution_date`` may also be a date).

    Returns
    -------
    SummaryFiles
        The two paths written and the summary.

    Raises
    ------
    DataError, ConfigError
        As :func:`build_summary` (nothing is written).
    OutputError
        The files cannot be written (nothing is left behind).
    """
    summary = build_summary(result, distribution_date=distribution_date, organization=organization,
                            data_explanation=data_explanation, data_source=data_source)
    html_path, json_path = summary_paths(out).values()
    data = summary_json(summary)
    html = render_summary(summary, json_name=json_path.name, json_sha256=hashlib.sha256(data).hexdigest())
    write_all({html_path: html.encode("utf-8"), json_path: data})
    return SummaryFiles(html=html_path, json=json_path, summary=summary)
