"""The sections of an audit report: what each one shows, built from the audits' tables.

Every builder takes the audit (and, in a comparison, the re-audit after
rewriting) and returns plain data for the templates: tables laid out by
:func:`~fairaudit.report.tables.build_table`, texts formatted by
:mod:`~fairaudit.report.format`. Nothing is recomputed: values are looked up
in :class:`~fairaudit.engine.result.AuditResult` tables.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import pandas as pd

from ..engine.breach_cause import breach_line
from ..engine.causes import verdict_cause_line
from ..engine.result import AuditResult
from ..version import library_versions
from .access import (effective_gap_k, headline_k, per_k_and_attribute, result_attributes,  # noqa: F401
                     result_ks, result_table, select_rows)  # (re-exported: report.summary imports them from here)
from .chance import ATTRIBUTE_COLS, IMPACT_COLS
from .diff import diff_stats, word_diff
from .effects import rewrite_effects
from .format import as_bool, as_number, attribute_label, fmt, fmt_delta, group_label, mix_text, target_text
from .sidecar import rewrites_summary
from .tables import Col, build_table, build_tables, records


def _impact_notes(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One note per category that is counted but not rated (unknown, or excluded as too small)."""
    notes = []
    for r in records(rows):
        if str(r.get("group")) == "unknown":
            notes.append({"kind": "unknown", "group": group_label("unknown"), "n": fmt(r.get("n_pool"), "int"),
                          "reason": r.get("exclusion_reason") or "category unknown: counted, not rated"})
        elif as_bool(r.get("excluded")):
            notes.append({"kind": "excluded", "group": group_label(r.get("group")), "n": fmt(r.get("n_pool"), "int"),
                          "reason": r.get("exclusion_reason") or "excluded"})
    return notes


def report_versions() -> dict[str, str]:
    """Versions of the libraries that render, print and sign the report (appendix)."""
    return library_versions(("jinja2", "weasyprint", "matplotlib", "pyhanko"))


# --------------------------------------------------------------------------- sections
def _impact_row_class(r: Mapping[str, Any]) -> str:
    if str(r.get("group")) == "unknown":
        return "muted unknown"
    if as_bool(r.get("excluded")):
        return "muted excluded"
    return "flagged" if as_bool(r.get("four_fifths_flag")) else ""


def _rated_flag(r: Mapping[str, Any]) -> Any:
    """The four-fifths flag of a rated row; None ("—") for unknown / excluded categories."""
    if str(r.get("group")) == "unknown" or as_bool(r.get("excluded")):
        return None
    return r.get("four_fifths_flag")


def impact_sections(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    """The LL144 impact tables, one per k and attribute, with notes on the categories not rated.

    ``tables``: one table, or in a comparison one per family (selection, scoring, four-fifths
    rule and chance), each with every column the single audit's table shows.
    """
    sel, scr, rule = "selection rates and impact ratios", "scoring rates and impact ratios", IMPACT_COLS[0].family
    cols = [Col("group", "Category", "text", compare=False, fn=lambda r: group_label(r.get("group"))),
            Col("n_pool", "Candidates", "int", compare=False),
            Col("pool_share", "Share of known", "pct", compare=False),
            Col("selected", "Selections", "int", family=sel),
            Col("selection_rate", "Selection rate", "rate", ci=True, family=sel),
            Col("impact_ratio", "Impact ratio", "ratio", family=sel),
            Col("scoring_rate", "Scoring rate", "rate", family=scr),
            Col("scoring_impact_ratio", "Scoring impact ratio", "ratio", family=scr),
            Col("four_fifths_flag", "Four-fifths", "flag", fn=_rated_flag, family=rule), *IMPACT_COLS]
    return [{"k": k, "attribute": attr, "label": attribute_label(attr),
             "tables": build_tables(b, a, ["group"], cols, row_class=_impact_row_class), "notes": _impact_notes(b)}
            for k, attr, b, a in per_k_and_attribute(before, after, "impact")]


def parity_tables(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    """Demographic parity and the four-fifths rule per k and attribute (in a comparison, one table per family)."""
    dp, rule = "parity", "four-fifths rule"
    cols = [Col("k", "k", "int", compare=False),
            Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("dp_difference", "DP difference", "ratio", ci=True, family=dp),
            Col("dp_ratio", "DP ratio", "ratio", ci=True, family=dp),
            Col("min_impact_ratio", "Min. impact ratio", "ratio", family=rule),
            Col("four_fifths_pass", "Four-fifths rule", "pass", family=rule), *ATTRIBUTE_COLS]
    return build_tables(result_table(before, "parity"), None if after is None else result_table(after, "parity"),
                        ["k", "attribute"], cols, caption="Demographic parity (fairlearn) and the four-fifths rule")


def diversity_tables(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    """Match rate, mean gap, score and NDKL per k and attribute (in a comparison, one table per family)."""
    match, dist = "match rate and mean gap", "score and NDKL"
    cols = [Col("k", "k", "int", compare=False),
            Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("match_rate", "Match rate", "pct", ci=True, family=match),
            Col("mean_gap", "Mean gap", "ratio", ci=True, family=match),
            Col("paper_score", "Score (−100·W₁)", "score", ci=True, family=dist),
            Col("ndkl", "NDKL", "ratio", ci=True, family=dist)]
    return build_tables(result_table(before, "diversity"), None if after is None else result_table(after, "diversity"),
                        ["k", "attribute"], cols, caption="Diversity match and distance to the target mix")


def target_rows(before: AuditResult) -> list[dict[str, str]]:
    """The target mix of each attribute, with its distance and tolerance."""
    out, seen = [], set()
    for r in records(result_table(before, "diversity")):
        attr = str(r.get("attribute"))
        if attr in seen:
            continue
        seen.add(attr)
        out.append({"attribute": attribute_label(attr), "target": target_text(r.get("target")),
                    "distance": str(r.get("distance") or ""), "tolerance": fmt(r.get("tolerance"), "ratio")})
    return out


def ranking_sections(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    """Skew@k and exposure, one table per k and attribute (in a comparison, one per family)."""
    rep, exp = "representation", "exposure"
    cols = [Col("group", "Group", "text", compare=False, fn=lambda r: group_label(r.get("group"))),
            Col("target_share", "Target share", "pct", compare=False),
            Col("topk_share", "Top-k share", "pct", family=rep),
            Col("skew_at_k", "Skew@k", "ratio", family=rep),
            Col("exposure", "Exposure", "ratio4", family=exp),
            Col("exposure_ratio", "Exposure ratio", "ratio", family=exp)]
    return [{"k": k, "label": attribute_label(attr),
             "tables": build_tables(b, a, ["group"], cols, caption=f"{attribute_label(attr)}, top-{k}")}
            for k, attr, b, a in per_k_and_attribute(before, after, "ranking")]


def gap_jobs(before: AuditResult, after: AuditResult | None, n: int) -> dict[str, Any]:
    """The jobs with the largest gaps, the words that drive them and the identity-blind split."""
    k, attr = effective_gap_k(before), getattr(before.config, "gap_attribute", "sex")
    pj = select_rows(result_table(before, "per_job"), k=k, attribute=attr)
    if pj.empty:
        return {}
    pj = pj.assign(_gap=pd.to_numeric(pj["gap"], errors="coerce")).sort_values(
        ["_gap", "job_id"], ascending=[False, True], na_position="last", kind="mergesort").head(n)
    dec = result_table(before, "decomposition")
    dec = dec[dec["attribute"] == attr].set_index("job_id") if "job_id" in dec.columns else pd.DataFrame()
    rows, tied = [], False
    for r in pj.drop(columns="_gap").to_dict(orient="records"):
        jid = r.get("job_id")
        if (as_number(r.get("order_decided")) or 0) >= k:
            r["title"], tied = f"{r.get('title', '')} †", True
        if jid in getattr(dec, "index", []):
            d = dec.loc[jid]
            d = d.iloc[0] if isinstance(d, pd.DataFrame) else d
            r = {**r, "gap_blind": d.get("gap_blind"), "identity_part": d.get("identity_part")}
        r["mix_text"] = mix_text(r.get("mix"))
        rows.append(r)
    after_rows = None
    if after is not None:
        pa = select_rows(result_table(after, "per_job"), k=k, attribute=attr)
        ids = {str(r["job_id"]) for r in rows}
        after_rows = [dict(x, mix_text=mix_text(x.get("mix"))) for x in records(pa) if str(x.get("job_id")) in ids]
    cols = [Col("job_id", "Job", "text", compare=False),
            Col("title", "Title", "text", compare=False),
            Col("gap", "Gap", "ratio"),
            Col("paper_score", "Score", "score"),
            Col("mix_text", f"Top-{k} mix", "text", compare=False)]
    dsum = before.summary.get("decomposition") or {}
    if after is None and not dec.empty and dsum.get("method", "full") == "full":
        # a sample's per-job values (top-k of a few thousand candidates) are too coarse to list per job
        cols[4:4] = [Col("gap_blind", "Gap, identity-blind", "ratio"), Col("identity_part", "Identity part", "ratio")]
    note = (f"† Every place of this job's top-{k} was decided by row order among candidates with equal scores "
            "(the earlier row wins), so its gap reflects the order of the candidates file, not the recommender."
            if tied else "")
    table = build_table(rows, after_rows, ["job_id"], cols, note=note,
                        caption=f"Jobs with the largest {attribute_label(attr).lower()} gap at k={k}")
    return {"k": k, "attribute": attribute_label(attr), "table": table,
            "words": _driver_words(result_table(before, "drivers"), rows),
            "units": _occlusion_units(result_table(before, "occlusion"), rows),
            "top_drivers": _top_drivers(before.summary.get("top_drivers") or []),
            "drivers": _drivers_scope(before.summary.get("drivers") or {}),
            "decomposition": _decomposition_summary(dsum)}


def _decomposition_summary(dsum: Mapping[str, Any]) -> dict[str, Any]:
    """The decomposition's figures for the text: exact, or a sample estimate with its interval."""
    if not dsum:
        return {}
    out = {key: fmt(dsum.get(key), "ratio") for key in ("mean_gap", "mean_gap_blind", "mean_identity_part")}
    out["method"] = dsum.get("method", "full")
    if out["method"] == "sample":
        out.update(ci_low=fmt(dsum.get("identity_part_ci_low"), "ratio"),
                   ci_high=fmt(dsum.get("identity_part_ci_high"), "ratio"),
                   confidence=fmt(dsum.get("confidence"), "pctg"), n_resamples=fmt(dsum.get("n_resamples"), "int"),
                   sample_size=fmt(dsum.get("sample_size"), "int"), n_candidates=fmt(dsum.get("n_candidates"), "int"),
                   sample_k=dsum.get("sample_k"), stratified_by=attribute_label(dsum.get("stratified_by") or "sex"))
    # each impact-ratio breach with its ratio masked: the terminal's sentences, word for word
    out["breaches"] = [breach_line(e) for e in dsum.get("breaches") or []]
    return out


def _drivers_scope(drv: Mapping[str, Any]) -> dict[str, Any]:
    """Which jobs the driver analysis covered and by which method (empty for audits of earlier versions)."""
    if not drv:
        return {}
    return {"scope": drv.get("scope"), "method": drv.get("method", "lexicon"),
            "n_analysed": fmt(drv.get("n_analysed"), "int"), "n_jobs": fmt(drv.get("n_jobs"), "int"),
            "noise_floor": fmt(drv.get("noise_floor"), "ratio"), "tolerance": fmt(drv.get("tolerance"), "ratio"),
            "threshold": fmt(drv.get("threshold"), "ratio"), "k": drv.get("k")}


def job_top_deltas(df: pd.DataFrame, job_id: Any, tiebreak: str, n: int) -> list[dict[str, Any]]:
    """One job's rows whose removal narrows its gap (``delta`` > 0), largest first, then by ``tiebreak``; at most n."""
    d = df[df["job_id"].astype(str) == str(job_id)]
    d = d.assign(_d=pd.to_numeric(d["delta"], errors="coerce"))
    d = d[d["_d"] > 0].sort_values(["_d", tiebreak], ascending=[False, True], kind="mergesort").head(n)
    return records(d.drop(columns="_d"))


def _occlusion_units(occ: pd.DataFrame, jobs: list[dict[str, Any]], per_job: int = 6) -> list[dict[str, Any]]:
    """The sentences and words whose removal narrows each listed job's gap most, labelled coded / not coded."""
    if occ.empty or not {"job_id", "kind", "delta"} <= set(occ.columns):
        return []
    out = []
    for r in jobs:
        units = []
        for u in job_top_deltas(occ, r["job_id"], "kind", per_job):
            if u.get("kind") == "sentence":
                text = str(u.get("sentence") or "")
                units.append({"kind": "sentence", "text": text if len(text) <= 90 else text[:87] + "…",
                              "label": f"sentence {fmt(u.get('sentence_no'), 'int')}", "delta": fmt(u["delta"], "ratio")})
            else:
                cat = u.get("category") or ""
                label = f"coded, {cat}" if as_bool(u.get("coded")) else "not coded"
                units.append({"kind": "word", "text": u.get("word"), "label": label, "delta": fmt(u["delta"], "ratio")})
        if units:
            out.append({"job_id": r["job_id"], "title": r.get("title", ""), "units": units})
    return out


def _driver_words(drivers: pd.DataFrame, jobs: list[dict[str, Any]], per_job: int = 6) -> list[dict[str, Any]]:
    """The words that widen each listed job's gap most (the audit's counterfactual deltas)."""
    if drivers.empty or not {"job_id", "word", "delta"} <= set(drivers.columns):
        return []
    out = []
    for r in jobs:
        words = job_top_deltas(drivers, r["job_id"], "word", per_job)
        if words:
            out.append({"job_id": r["job_id"], "title": r.get("title", ""),
                        "words": [{"word": w["word"], "category": w.get("category") or "",
                                   "delta": fmt(w["delta"], "ratio")} for w in words]})
    return out


def _top_drivers(top: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The audit's words that widen the gap most across jobs (those that narrow it are left out)."""
    def category(t: Mapping[str, Any]) -> str:
        if "coded" in t and not as_bool(t.get("coded")):
            return "not coded"
        return t.get("category") or ""

    return [{"word": t.get("word"), "category": category(t),
             "mean_delta": fmt(t.get("mean_delta"), "ratio"), "jobs": fmt(t.get("jobs"), "int")}
            for t in top if (as_number(t.get("mean_delta")) or 0.0) > 0]


def rewrite_section(rewrites: pd.DataFrame | None, max_rows: int, max_diffs: int,
                    causes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rewrites table and word-level diffs, largest gap reduction first, and per attribute what the
    rewriting changed and whether the gap is text-driven (``causes``: the audit's ``summary["causes"]``)."""
    if rewrites is None:
        return {}
    df = rewrites.assign(_red=rewrites["gap_before"] - rewrites["gap_after"]).sort_values(
        ["accepted", "_red", "job_id"], ascending=[False, False, True], kind="mergesort")
    summary = rewrites_summary(rewrites)
    cols = [Col("job_id", "Job", "text", compare=False),
            Col("accepted", "Accepted", "text", compare=False, fn=lambda r: "yes" if r.get("accepted") else "no"),
            Col("gap_before", "Gap before", "ratio", compare=False),
            Col("gap_after", "Gap after", "ratio", compare=False),
            Col("_delta", "Change", "rtext", compare=False,
                fn=lambda r: fmt_delta(r.get("gap_before"), r.get("gap_after"), "ratio")),
            Col("meaning_score", "Meaning score", "ratio", compare=False)]
    rows = records(df.head(max_rows))
    table = build_table(rows, None, ["job_id"], cols, compare=False,
                        caption="Rewritten job texts, largest gap reduction first",
                        row_class=lambda r: "" if r.get("accepted") else "muted")
    diffs = []
    for r in records(df.head(max_diffs)):
        segs = word_diff(r["original"], r["rewrite"])
        diffs.append({"job_id": r["job_id"], "accepted": bool(r["accepted"]),
                      "gap_before": fmt(r["gap_before"]), "gap_after": fmt(r["gap_after"]),
                      "meaning": fmt(r["meaning_score"]), "segments": [s.to_dict() for s in segs],
                      **diff_stats(segs)})
    shown = {k: (fmt(v, "int") if k.startswith("n_") else fmt(v)) for k, v in summary.items() if k != "by_attribute"}
    shown["by_attribute"] = [{k: (v if k == "attribute" else fmt(v)) for k, v in a.items()}
                             for a in summary.get("by_attribute", [])]
    # where a verdict and its gap's cause disagree, the terminal's sentence, word for word
    return {"summary": shown, "effects": rewrite_effects(summary.get("by_attribute", []), causes),
            "cause_note": verdict_cause_line(causes or {}),
            "table": table, "diffs": diffs, "n": len(df), "rows_shown": len(rows), "diffs_shown": len(diffs)}


def audit_warnings(before: AuditResult, after: AuditResult | None) -> list[str]:
    """The audits' warnings (skipped attributes, ties decided by row order), shown on the summary page."""
    out = [str(w) for w in (before.summary.get("warnings") or [])]
    if after is not None:
        out += [f"After rewriting: {w}" for w in (after.summary.get("warnings") or [])]
    return out


def verdict(result: AuditResult) -> dict[str, Any]:
    """The verdict of one audit, formatted for the cover and the summary."""
    v = dict(result.summary.get("verdict") or {})
    goal = v.get("match_goal", v.get("goal", getattr(result.config, "match_goal", None)))
    return {
        "k": v.get("k", headline_k(result)),
        "four_fifths_pass": as_bool(v.get("four_fifths_pass")),
        "diversity_goal_met": as_bool(v.get("diversity_goal_met")),
        "min_impact_ratio": fmt(v.get("min_impact_ratio")),
        "min_impact_ratio_raw": as_number(v.get("min_impact_ratio")),
        "worst_attribute": attribute_label(v["worst_attribute"]) if v.get("worst_attribute") else None,
        "match_rate": fmt(v.get("match_rate"), "pct"),
        "match_rate_raw": as_number(v.get("match_rate")),
        "goal": fmt(goal, "pct"),
        "paper_score": fmt(v.get("paper_score"), "score"),
        "flagged_groups": fmt(v.get("flagged_groups"), "int") if v.get("flagged_groups") is not None else None,
        "threshold": fmt(getattr(result.config, "four_fifths", 0.8), "ratio"),
    }


def headline_tables(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    """The key figures at the headline k, one row per attribute (in a comparison, one table per family)."""
    k = headline_k(before)
    par_b, div_b = select_rows(result_table(before, "parity"), k=k), select_rows(result_table(before, "diversity"), k=k)
    par_a = select_rows(result_table(after, "parity"), k=k) if after is not None else None
    div_a = select_rows(result_table(after, "diversity"), k=k) if after is not None else None

    def merged(par: pd.DataFrame | None, div: pd.DataFrame | None) -> list[dict[str, Any]] | None:
        if par is None:
            return None
        rows = {str(r["attribute"]): dict(r) for r in records(par)}
        for r in records(div):
            rows.setdefault(str(r["attribute"]), {"attribute": r["attribute"]}).update(
                {c: r.get(c) for c in ("match_rate", "mean_gap", "paper_score")})
        return list(rows.values())

    rule, pd_ = "four-fifths rule", "parity and diversity"
    cols = [Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("min_impact_ratio", "Min. impact ratio", "ratio", family=rule),
            Col("four_fifths_pass", "Four-fifths", "pass", family=rule), *ATTRIBUTE_COLS,
            Col("dp_difference", "DP difference", "ratio", family=pd_),
            Col("match_rate", "Match rate", "pct", family=pd_)]
    return build_tables(merged(par_b, div_b) or [], merged(par_a, div_a), ["attribute"], cols,
                        caption=f"Key figures at k={k}")


def provenance_rows(result: AuditResult) -> list[tuple[str, str]]:
    """Inputs and provenance of one audit (appendix A)."""
    p = result.provenance or {}
    rows = [("Audit ID", p.get("audit_id")), ("Created", p.get("created_at")),
            ("Jobs (sha256)", p.get("jobs_sha256")), ("Candidates (sha256)", p.get("candidates_sha256")),
            ("Configuration (sha256)", p.get("config_sha256")), ("Jobs audited", fmt(p.get("n_jobs"), "int")),
            ("Candidates in pool", fmt(p.get("n_candidates"), "int")), ("Data source", p.get("data_source")),
            ("Backend", p.get("backend"))]
    src = p.get("attribute_sources") or {}
    for a, s in src.items():
        rows.append((f"{attribute_label(a)} labels", s))
    return [(k, str(v)) for k, v in rows if v not in (None, "", "—")]


def kv_rows(d: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A mapping as (key, text) rows; nested values as JSON."""
    out = []
    for k, v in (d or {}).items():
        if v is None:
            text = "—"
        elif isinstance(v, (dict, list)):
            text = json.dumps(v, sort_keys=True, ensure_ascii=False)
        else:
            text = str(v)
        out.append((str(k), text))
    return out


def config_rows(result: AuditResult) -> list[tuple[str, str]]:
    """The configuration as printed in the appendix; defaults that depend on other settings spelt out."""
    cfg = result.config
    d = dict(cfg.to_dict()) if hasattr(cfg, "to_dict") else {}
    if "gap_k" in d and d["gap_k"] is None:
        d["gap_k"] = f"{effective_gap_k(result)} (default: the largest k)"
    return kv_rows(d)


def recommender_info(result: AuditResult) -> dict[str, str]:
    """The recommender's name and model, from the provenance."""
    rec = (result.provenance or {}).get("recommender") or {}
    if not isinstance(rec, Mapping):
        return {"name": str(rec), "model": ""}
    name = rec.get("name") or rec.get("type") or "unnamed recommender"
    model = rec.get("model") or rec.get("model_name") or rec.get("model_id") or ""
    return {"name": str(name), "model": str(model)}
