"""Render an :class:`~fairaudit.result.AuditResult` as an HTML audit report (Jinja2).

The report only *formats and pivots* the audit's tables: every number comes
from :class:`~fairaudit.result.AuditResult` (and, for a comparison, a second
result measured after the job texts were rewritten). The one derived quantity
is the change ``after - before`` of a figure shown in both.

The output is deterministic: the same results give byte-identical HTML (no
clock, no random ids; charts are deterministic SVG), so a report can be
re-rendered and compared.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ..version import __version__
from ..errors import ReportError
from ..groups import INTERSECTION
from ..result import AuditResult, check_comparable
from . import charts
from .diff import diff_stats, word_diff

PAGE_SIZES = ("A4", "Letter")
SIDECAR_SCHEMA = "fairaudit-report/1"
REWRITE_COLUMNS = ("job_id", "original", "rewrite", "accepted", "gap_before", "gap_after", "meaning_score")

#: Display names of the EEO-1 / NYC LL144 categories.
GROUP_LABELS = {
    "female": "Female", "male": "Male", "unknown": "Unknown",
    "hispanic": "Hispanic or Latino", "white": "White", "black": "Black or African American",
    "asian": "Asian", "nhpi": "Native Hawaiian or Pacific Islander",
    "aian": "American Indian or Alaska Native", "multiracial": "Two or more races",
}
ATTRIBUTE_LABELS = {"sex": "Sex", "race_ethnicity": "Race/ethnicity",
                    INTERSECTION: "Intersection: sex × race/ethnicity"}
MINUS = "\u2212"


# --------------------------------------------------------------------------- formatting
def _num(x: Any) -> float | None:
    """A finite float, or None for missing / NaN / non-numeric values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _bool(x: Any) -> bool | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return bool(x)


def group_label(group: Any) -> str:
    """``"female|black"`` -> ``"Female · Black or African American"``."""
    g = str(group)
    if "|" in g:
        return " · ".join(group_label(p) for p in g.split("|"))
    return GROUP_LABELS.get(g, g.replace("_", " "))


def attribute_label(attribute: Any) -> str:
    return ATTRIBUTE_LABELS.get(str(attribute), str(attribute).replace("_", " ").capitalize())


def fmt(value: Any, kind: str = "ratio") -> str:
    """Format one value for a table cell (``—`` when missing)."""
    if kind in ("text", "rtext"):
        return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if kind in ("pass", "met"):
        b = _bool(value)
        return "—" if b is None else {("pass", True): "Pass", ("pass", False): "Fail",
                                      ("met", True): "Met", ("met", False): "Not met"}[(kind, b)]
    if kind == "flag":
        b = _bool(value)
        return "—" if b is None else ("Below\u00a04/5" if b else "OK")
    v = _num(value)
    if v is None:
        return "—"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "rate":  # selection rates can be small: keep three significant decimals in %
        return f"{100 * v:.2f}%"
    if kind == "pctg":  # configuration values: 95%, 2%
        return f"{100 * v:g}%"
    if kind == "score":
        return f"{v:.1f}".replace("-", MINUS)
    if kind == "ratio4":
        return f"{v:.4f}".replace("-", MINUS)
    return f"{v:.3f}".replace("-", MINUS)


def fmt_delta(before: Any, after: Any, kind: str = "ratio") -> str:
    """Change ``after - before`` with an explicit sign; pp for percentages."""
    if kind in ("pass", "met", "flag"):
        b, a = _bool(before), _bool(after)
        if b is None or a is None:
            return "—"
        if b == a:
            return "no change"
        if kind == "flag":
            return "resolved" if b and not a else "new"
        return "now " + fmt(a, kind).lower()
    b, a = _num(before), _num(after)
    if b is None or a is None:
        return "—"
    d = a - b
    sign = "+" if d > 0 else (MINUS if d < 0 else "±")
    if kind in ("pct", "rate"):
        return f"{sign}{abs(100 * d):.{1 if kind == 'pct' else 2}f} pp"
    if kind == "int":
        return f"{sign}{abs(d):,.0f}"
    if kind == "score":
        return f"{sign}{abs(d):.1f}"
    return f"{sign}{abs(d):.3f}"


def _ci_text(row: Mapping[str, Any], key: str, kind: str) -> str:
    lo, hi = _num(row.get(f"{key}_ci_low")), _num(row.get(f"{key}_ci_high"))
    if lo is None or hi is None:
        return ""
    return f"[{fmt(lo, kind)}, {fmt(hi, kind)}]"


def _status_class(kind: str, value: Any) -> str:
    b = _bool(value)
    if b is None:
        return ""
    if kind == "flag":
        return "bad" if b else "good"
    return "good" if b else "bad"


# --------------------------------------------------------------------------- generic tables
@dataclass(frozen=True)
class Col:
    """One column of a report table.

    ``compare``: in a comparison report the column shows before / after /
    change; otherwise one value (identifiers, pool counts). ``better``: +1 if
    higher is better, -1 if lower is better, 0 if neither (colours the change).
    ``ci``: print the bootstrap interval ``key_ci_low``..``key_ci_high`` under the value.
    """

    key: str
    label: str
    kind: str = "ratio"
    compare: bool = True
    better: int = 0
    ci: bool = False
    fn: Callable[[Mapping[str, Any]], Any] | None = None

    def value(self, row: Mapping[str, Any] | None) -> Any:
        if row is None:
            return None
        return self.fn(row) if self.fn else row.get(self.key)


def _cell(col: Col, row: Mapping[str, Any] | None) -> dict[str, str]:
    v = col.value(row)
    cls = "" if col.kind == "text" else "num"
    if col.kind in ("pass", "met", "flag"):
        cls = f"status {_status_class(col.kind, v)}"
    sub = _ci_text(row, col.key, col.kind) if (col.ci and row is not None) else ""
    return {"text": fmt(v, col.kind), "sub": sub, "cls": cls.strip()}


def _delta_cell(col: Col, b: Mapping[str, Any] | None, a: Mapping[str, Any] | None) -> dict[str, str]:
    bv, av = col.value(b), col.value(a)
    text = fmt_delta(bv, av, col.kind)
    cls = "num delta"
    if col.kind in ("pass", "met", "flag"):
        bb, ab = _bool(bv), _bool(av)
        if bb is not None and ab is not None and bb != ab:
            good = (not ab) if col.kind == "flag" else ab
            cls += " better" if good else " worse"
    else:
        nb, na = _num(bv), _num(av)
        if col.better and nb is not None and na is not None and abs(na - nb) > 1e-12:
            cls += " better" if (na - nb) * col.better > 0 else " worse"
    return {"text": text, "sub": "", "cls": cls}


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None or df.empty:
        return []
    return df.to_dict(orient="records")


def build_table(before: pd.DataFrame | Sequence[Mapping], after: pd.DataFrame | Sequence[Mapping] | None,
                keys: Sequence[str], cols: Sequence[Col], *, caption: str = "", note: str = "",
                row_class: Callable[[Mapping[str, Any]], str] | None = None,
                compare: bool | None = None) -> dict[str, Any]:
    """Lay out rows of one (or two, for a comparison) tidy tables as a report table.

    Rows are matched on ``keys``; a row present only after the rewrite is
    appended at the end. Returns a plain dict the templates iterate over.
    """
    b_rows = before if isinstance(before, list) else _records(before)
    a_rows = (after if isinstance(after, list) else _records(after)) if after is not None else None
    comparing = a_rows is not None if compare is None else compare
    key = lambda r: tuple(str(r.get(k)) for k in keys)  # noqa: E731
    a_map = {key(r): r for r in (a_rows or [])}
    order = [(r, a_map.get(key(r))) for r in b_rows]
    seen = {key(r) for r in b_rows}
    order += [(None, r) for r in (a_rows or []) if key(r) not in seen]
    header = [{"label": c.label, "span": 3 if (comparing and c.compare) else 1,
               "rowspan": 1 if (comparing and c.compare) else 2 if comparing else 1,
               "cls": "" if c.kind in ("text", "pass", "met", "flag") else "num"} for c in cols]
    rows = []
    for b, a in order:
        cells = []
        ref = b if b is not None else a
        for c in cols:
            if comparing and c.compare:
                cells += [_cell(c, b), _cell(c, a), _delta_cell(c, b, a)]
            else:
                cells.append(_cell(c, ref))
        rows.append({"cells": cells, "cls": row_class(ref) if row_class else ""})
    return {"caption": caption, "note": note, "header": header, "compare": comparing,
            "subheader": [c.compare for c in cols] if comparing else [], "rows": rows,
            "wide": comparing and sum(3 if c.compare else 1 for c in cols) > 10}


# --------------------------------------------------------------------------- helpers over results
def _table(result: AuditResult | None, name: str) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    df = result.tables.get(name)
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


def _select(df: pd.DataFrame, **eq: Any) -> pd.DataFrame:
    if df.empty:
        return df
    mask = pd.Series(True, index=df.index)
    for col, val in eq.items():
        if col not in df.columns:
            return df.iloc[0:0]
        mask &= df[col].astype(str) == str(val)
    return df[mask]


def _ks(result: AuditResult) -> list[int]:
    ks = [int(k) for k in (result.config.ks or ())]
    if not ks:
        imp = _table(result, "impact")
        ks = sorted({int(k) for k in imp.get("k", [])})
    return ks


def _attributes(result: AuditResult) -> list[str]:
    attrs = list(result.config.attributes or ())
    imp = _table(result, "impact")
    present = list(dict.fromkeys(imp["attribute"])) if "attribute" in imp else []
    return [a for a in attrs if a in present] + [a for a in present if a not in attrs]


def _headline_k(result: AuditResult) -> int | None:
    v = result.summary.get("verdict") or {}
    if _num(v.get("k")) is not None:
        return int(v["k"])
    ks = _ks(result)
    return ks[0] if ks else None


def _gap_k(result: AuditResult) -> int | None:
    k_gap = getattr(result.config, "k_gap", None)
    if k_gap:
        return int(k_gap)
    ks = _ks(result)
    return max(ks) if ks else None


def _mix_text(mix: Any) -> str:
    try:
        d = json.loads(mix) if isinstance(mix, str) else dict(mix or {})
    except (TypeError, ValueError):
        return ""
    return ", ".join(f"{group_label(g)} {fmt(s, 'pct')}" for g, s in d.items())


def _target_text(target: Any) -> str:
    if isinstance(target, str):
        try:
            target = json.loads(target)
        except ValueError:
            return {"pool": "the candidate pool's mix", "uniform": "equal shares"}.get(target, target)
    if isinstance(target, Mapping):
        if all(isinstance(v, Mapping) for v in target.values()):
            return "; ".join(f"{attribute_label(a)}: {_target_text(t)}" for a, t in target.items())
        return ", ".join(f"{group_label(g)} {fmt(s, 'pct')}" for g, s in target.items())
    return str(target)


def _versions_report() -> dict[str, str]:
    from ..audit import library_versions

    return library_versions(("jinja2", "weasyprint", "matplotlib", "pyhanko"))


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii") if svg else ""


# --------------------------------------------------------------------------- sections
def _impact_row_class(r: Mapping[str, Any]) -> str:
    if str(r.get("group")) == "unknown":
        return "muted unknown"
    if _bool(r.get("excluded")):
        return "muted excluded"
    return "flagged" if _bool(r.get("four_fifths_flag")) else ""


def _rated_flag(r: Mapping[str, Any]) -> Any:
    """The four-fifths flag of a rated row; None ("—") for unknown / excluded categories."""
    if str(r.get("group")) == "unknown" or _bool(r.get("excluded")):
        return None
    return r.get("four_fifths_flag")


def _impact_sections(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    imp_b, imp_a = _table(before, "impact"), _table(after, "impact")
    comparing = after is not None
    if comparing:
        cols = [Col("group", "Category", "text", compare=False, fn=lambda r: group_label(r.get("group"))),
                Col("n_pool", "Candidates", "int", compare=False),
                Col("pool_share", "Share", "pct", compare=False),
                Col("selection_rate", "Selection rate", "rate", better=0),
                Col("impact_ratio", "Impact ratio", "ratio", better=+1),
                Col("scoring_impact_ratio", "Scoring impact ratio", "ratio", better=+1),
                Col("four_fifths_flag", "Four-fifths", "flag", fn=_rated_flag)]
    else:
        cols = [Col("group", "Category", "text", compare=False, fn=lambda r: group_label(r.get("group"))),
                Col("n_pool", "Candidates", "int", compare=False),
                Col("pool_share", "Share of known", "pct", compare=False),
                Col("selected", "Selections", "int"),
                Col("selection_rate", "Selection rate", "rate", ci=True),
                Col("impact_ratio", "Impact ratio", "ratio"),
                Col("scoring_rate", "Scoring rate", "rate"),
                Col("scoring_impact_ratio", "Scoring impact ratio", "ratio"),
                Col("four_fifths_flag", "Four-fifths", "flag", fn=_rated_flag)]
    out = []
    for k in _ks(before):
        for attr in _attributes(before):
            b = _select(imp_b, k=k, attribute=attr)
            if b.empty:
                continue
            a = _select(imp_a, k=k, attribute=attr) if comparing else None
            notes = []
            for r in _records(b):
                if str(r.get("group")) == "unknown":
                    notes.append({"kind": "unknown", "group": group_label("unknown"),
                                  "n": fmt(r.get("n_pool"), "int"),
                                  "reason": r.get("exclusion_reason") or "category unknown: counted, not rated"})
                elif _bool(r.get("excluded")):
                    notes.append({"kind": "excluded", "group": group_label(r.get("group")),
                                  "n": fmt(r.get("n_pool"), "int"),
                                  "reason": r.get("exclusion_reason") or "excluded"})
            table = build_table(b, a, ["group"], cols, row_class=_impact_row_class)
            out.append({"k": k, "attribute": attr, "label": attribute_label(attr), "table": table,
                        "notes": notes})
    return out


def _parity_table(before: AuditResult, after: AuditResult | None) -> dict[str, Any]:
    cols = [Col("k", "k", "int", compare=False),
            Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("dp_difference", "DP difference", "ratio", better=-1, ci=True),
            Col("dp_ratio", "DP ratio", "ratio", better=+1, ci=True),
            Col("min_impact_ratio", "Min. impact ratio", "ratio", better=+1),
            Col("four_fifths_pass", "Four-fifths rule", "pass")]
    return build_table(_table(before, "parity"), None if after is None else _table(after, "parity"),
                       ["k", "attribute"], cols, caption="Demographic parity (fairlearn) and the four-fifths rule")


def _diversity_table(before: AuditResult, after: AuditResult | None) -> dict[str, Any]:
    cols = [Col("k", "k", "int", compare=False),
            Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("match_rate", "Match rate", "pct", better=+1, ci=True),
            Col("mean_gap", "Mean gap", "ratio", better=-1, ci=True),
            Col("paper_score", "Score (−100·W₁)", "score", better=+1, ci=True),
            Col("ndkl", "NDKL", "ratio", better=-1, ci=True)]
    return build_table(_table(before, "diversity"), None if after is None else _table(after, "diversity"),
                       ["k", "attribute"], cols, caption="Diversity match and distance to the target mix")


def _targets(before: AuditResult) -> list[dict[str, str]]:
    out, seen = [], set()
    for r in _records(_table(before, "diversity")):
        attr = str(r.get("attribute"))
        if attr in seen:
            continue
        seen.add(attr)
        out.append({"attribute": attribute_label(attr), "target": _target_text(r.get("target")),
                    "distance": str(r.get("distance") or ""), "tolerance": fmt(r.get("tolerance"), "ratio")})
    return out


def _ranking_sections(before: AuditResult, after: AuditResult | None) -> list[dict[str, Any]]:
    rk_b, rk_a = _table(before, "ranking"), _table(after, "ranking")
    cols = [Col("group", "Group", "text", compare=False, fn=lambda r: group_label(r.get("group"))),
            Col("target_share", "Target share", "pct", compare=False),
            Col("topk_share", "Top-k share", "pct"),
            Col("skew_at_k", "Skew@k", "ratio"),
            Col("exposure_ratio", "Exposure ratio", "ratio", better=+1)]
    if after is None:
        cols.insert(4, Col("exposure", "Exposure", "ratio4"))
    out = []
    for k in _ks(before):
        for attr in _attributes(before):
            b = _select(rk_b, k=k, attribute=attr)
            if b.empty:
                continue
            a = _select(rk_a, k=k, attribute=attr) if after is not None else None
            out.append({"k": k, "label": attribute_label(attr),
                        "table": build_table(b, a, ["group"], cols, caption=f"{attribute_label(attr)}, top-{k}")})
    return out


def _gap_jobs(before: AuditResult, after: AuditResult | None, n: int) -> dict[str, Any]:
    k, attr = _gap_k(before), getattr(before.config, "gap_attribute", "sex")
    pj = _select(_table(before, "per_job"), k=k, attribute=attr)
    if pj.empty:
        return {}
    pj = pj.assign(_gap=pd.to_numeric(pj["gap"], errors="coerce")).sort_values(
        ["_gap", "job_id"], ascending=[False, True], na_position="last", kind="mergesort").head(n)
    dec = _table(before, "decomposition")
    dec = dec.set_index("job_id") if "job_id" in dec.columns else pd.DataFrame()
    rows, tied = [], False
    for r in pj.drop(columns="_gap").to_dict(orient="records"):
        jid = r.get("job_id")
        if (_num(r.get("order_decided")) or 0) >= k:
            r["title"], tied = f"{r.get('title', '')} †", True
        if jid in getattr(dec, "index", []):
            d = dec.loc[jid]
            d = d.iloc[0] if isinstance(d, pd.DataFrame) else d
            r = {**r, "gap_blind": d.get("gap_blind"), "identity_part": d.get("identity_part")}
        r["mix_text"] = _mix_text(r.get("mix"))
        rows.append(r)
    after_rows = None
    if after is not None:
        pa = _select(_table(after, "per_job"), k=k, attribute=attr)
        ids = {str(r["job_id"]) for r in rows}
        after_rows = [dict(x, mix_text=_mix_text(x.get("mix"))) for x in _records(pa) if str(x.get("job_id")) in ids]
    cols = [Col("job_id", "Job", "text", compare=False),
            Col("title", "Title", "text", compare=False),
            Col("gap", "Gap", "ratio", better=-1),
            Col("paper_score", "Score", "score", better=+1),
            Col("mix_text", f"Top-{k} mix", "text", compare=False)]
    if after is None and not dec.empty:
        cols[4:4] = [Col("gap_blind", "Gap, identity-blind", "ratio"), Col("identity_part", "Identity part", "ratio")]
    note = (f"† Every place of this job's top-{k} was decided by row order among candidates with equal scores "
            "(the earlier row wins), so its gap reflects the order of the candidates file, not the recommender."
            if tied else "")
    table = build_table(rows, after_rows, ["job_id"], cols, note=note,
                        caption=f"Jobs with the largest {attribute_label(attr).lower()} gap at k={k}")
    # the words that drive each listed job's gap (counterfactual deltas from the audit)
    drv = _table(before, "drivers")
    words = []
    if not drv.empty and {"job_id", "word", "delta"} <= set(drv.columns):
        for r in rows:
            d = drv[drv["job_id"].astype(str) == str(r["job_id"])]
            d = d.assign(_d=pd.to_numeric(d["delta"], errors="coerce")).sort_values(
                ["_d", "word"], ascending=[False, True], kind="mergesort")
            d = d[d["_d"] > 0].head(6)
            if len(d):
                words.append({"job_id": r["job_id"], "title": r.get("title", ""),
                              "words": [{"word": w["word"], "category": w.get("category") or "",
                                         "delta": fmt(w["delta"], "ratio")} for w in _records(d.drop(columns="_d"))]})
    top = []
    for t in before.summary.get("top_drivers") or []:
        if (_num(t.get("mean_delta")) or 0.0) <= 0:
            continue  # only words that widen the gap
        top.append({"word": t.get("word"), "category": t.get("category") or "",
                    "mean_delta": fmt(t.get("mean_delta"), "ratio"), "jobs": fmt(t.get("jobs"), "int")})
    dsum = before.summary.get("decomposition") or {}
    return {"k": k, "attribute": attribute_label(attr), "table": table, "words": words, "top_drivers": top,
            "decomposition": {key: fmt(dsum.get(key), "ratio") for key in
                              ("mean_gap", "mean_gap_blind", "mean_identity_part")} if dsum else {}}


def _check_rewrites(rewrites: pd.DataFrame | None) -> pd.DataFrame | None:
    if rewrites is None:
        return None
    if not isinstance(rewrites, pd.DataFrame):
        raise ReportError(f"rewrites must be a DataFrame, got {type(rewrites).__name__}")
    missing = [c for c in REWRITE_COLUMNS if c not in rewrites.columns]
    if missing:
        raise ReportError(f"rewrites table is missing column(s) {missing}; it needs {list(REWRITE_COLUMNS)} "
                          "(as written by `fairaudit rewrite`)")
    df = rewrites.copy()
    df["job_id"] = df["job_id"].astype(str)
    acc = df["accepted"]
    if acc.dtype == object:
        acc = acc.astype(str).str.strip().str.lower().isin(("true", "1", "yes"))
    df["accepted"] = acc.astype(bool)
    for c in ("gap_before", "gap_after", "meaning_score"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df["original"] = df["original"].fillna("").astype(str)
    df["rewrite"] = df["rewrite"].fillna("").astype(str)
    return df


def rewrites_summary(rewrites: pd.DataFrame) -> dict[str, Any]:
    """Counts and means of the rewriting module's table (for the report and the sidecar)."""
    acc = rewrites[rewrites["accepted"]]
    mean = lambda s: _num(s.mean()) if len(s) else None  # noqa: E731
    return {
        "n_rewrites": int(len(rewrites)), "n_accepted": int(len(acc)),
        "mean_gap_before": mean(rewrites["gap_before"]), "mean_gap_after": mean(rewrites["gap_after"]),
        "mean_gap_before_accepted": mean(acc["gap_before"]), "mean_gap_after_accepted": mean(acc["gap_after"]),
        "mean_meaning_score": mean(rewrites["meaning_score"]),
    }


def _rewrite_section(rewrites: pd.DataFrame | None, max_rows: int, max_diffs: int) -> dict[str, Any]:
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
    rows = _records(df.head(max_rows))
    table = build_table(rows, None, ["job_id"], cols, compare=False,
                        caption="Rewritten job texts, largest gap reduction first",
                        row_class=lambda r: "" if r.get("accepted") else "muted")
    diffs = []
    for r in _records(df.head(max_diffs)):
        segs = word_diff(r["original"], r["rewrite"])
        diffs.append({"job_id": r["job_id"], "accepted": bool(r["accepted"]),
                      "gap_before": fmt(r["gap_before"]), "gap_after": fmt(r["gap_after"]),
                      "meaning": fmt(r["meaning_score"]), "segments": [s.to_dict() for s in segs],
                      **diff_stats(segs)})
    return {"summary": {k: (fmt(v, "int") if k.startswith("n_") else fmt(v)) for k, v in summary.items()},
            "table": table, "diffs": diffs, "n": len(df), "rows_shown": len(rows), "diffs_shown": len(diffs)}


def _warnings(before: AuditResult, after: AuditResult | None) -> list[str]:
    """The audits' warnings (skipped attributes, ties decided by row order), shown on the summary page."""
    out = [str(w) for w in (before.summary.get("warnings") or [])]
    if after is not None:
        out += [f"After rewriting: {w}" for w in (after.summary.get("warnings") or [])]
    return out


def _verdict(result: AuditResult) -> dict[str, Any]:
    v = dict(result.summary.get("verdict") or {})
    goal = v.get("match_goal", v.get("goal", getattr(result.config, "match_goal", None)))
    return {
        "k": v.get("k", _headline_k(result)),
        "four_fifths_pass": _bool(v.get("four_fifths_pass")),
        "diversity_goal_met": _bool(v.get("diversity_goal_met")),
        "min_impact_ratio": fmt(v.get("min_impact_ratio")),
        "min_impact_ratio_raw": _num(v.get("min_impact_ratio")),
        "worst_attribute": attribute_label(v["worst_attribute"]) if v.get("worst_attribute") else None,
        "match_rate": fmt(v.get("match_rate"), "pct"),
        "match_rate_raw": _num(v.get("match_rate")),
        "goal": fmt(goal, "pct"),
        "paper_score": fmt(v.get("paper_score"), "score"),
        "flagged_groups": fmt(v.get("flagged_groups"), "int") if v.get("flagged_groups") is not None else None,
        "threshold": fmt(getattr(result.config, "four_fifths", 0.8), "ratio"),
    }


def _headline_table(before: AuditResult, after: AuditResult | None) -> dict[str, Any]:
    k = _headline_k(before)
    par_b, div_b = _select(_table(before, "parity"), k=k), _select(_table(before, "diversity"), k=k)
    par_a = _select(_table(after, "parity"), k=k) if after is not None else None
    div_a = _select(_table(after, "diversity"), k=k) if after is not None else None

    def merged(par: pd.DataFrame | None, div: pd.DataFrame | None) -> list[dict[str, Any]] | None:
        if par is None:
            return None
        rows = {str(r["attribute"]): dict(r) for r in _records(par)}
        for r in _records(div):
            rows.setdefault(str(r["attribute"]), {"attribute": r["attribute"]}).update(
                {c: r.get(c) for c in ("match_rate", "mean_gap", "paper_score")})
        return list(rows.values())

    cols = [Col("attribute", "Attribute", "text", compare=False, fn=lambda r: attribute_label(r.get("attribute"))),
            Col("min_impact_ratio", "Min. impact ratio", "ratio", better=+1),
            Col("four_fifths_pass", "Four-fifths", "pass"),
            Col("dp_difference", "DP difference", "ratio", better=-1),
            Col("match_rate", "Match rate", "pct", better=+1)]
    return build_table(merged(par_b, div_b) or [], merged(par_a, div_a), ["attribute"], cols,
                       caption=f"Key figures at k={k}")


def _provenance_rows(result: AuditResult) -> list[tuple[str, str]]:
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


def _kv(d: Mapping[str, Any] | None) -> list[tuple[str, str]]:
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


def _config_rows(result: AuditResult) -> list[tuple[str, str]]:
    """The configuration as printed in the appendix; defaults that depend on other settings spelt out."""
    cfg = result.config
    d = dict(cfg.to_dict()) if hasattr(cfg, "to_dict") else {}
    if "gap_k" in d and d["gap_k"] is None:
        d["gap_k"] = f"{_gap_k(result)} (default: the largest k)"
    return _kv(d)


def _recommender(result: AuditResult) -> dict[str, str]:
    rec = (result.provenance or {}).get("recommender") or {}
    if not isinstance(rec, Mapping):
        return {"name": str(rec), "model": ""}
    name = rec.get("name") or rec.get("type") or "unnamed recommender"
    model = rec.get("model") or rec.get("model_name") or rec.get("model_id") or ""
    return {"name": str(name), "model": str(model)}


# --------------------------------------------------------------------------- sidecar
def build_sidecar(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> dict[str, Any]:
    """The numbers behind a report, as one JSON-ready dict."""
    rw = _check_rewrites(rewrites)
    return {
        "schema": SIDECAR_SCHEMA,
        "generator": f"fairaudit {__version__}",
        "before": before.to_dict(),
        "after": after.to_dict() if after is not None else None,
        "rewrites": None if rw is None else {
            "summary": rewrites_summary(rw),
            "rows": json.loads(rw[list(REWRITE_COLUMNS)].to_json(orient="records", force_ascii=False)),
        },
    }


def sidecar_bytes(before: AuditResult, after: AuditResult | None = None,
                  rewrites: pd.DataFrame | None = None) -> bytes:
    """Canonical serialisation of :func:`build_sidecar` (sorted keys, UTF-8, final newline)."""
    return (json.dumps(build_sidecar(before, after, rewrites), indent=2, sort_keys=True,
                       ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- entry point
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("reports", "templates"),
                       autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_report(before: AuditResult, after: AuditResult | None = None, rewrites: pd.DataFrame | None = None,
                  *, title: str | None = None, page_size: str = "A4", period: str | None = None,
                  organization: str | None = None, max_gap_jobs: int = 10, max_rewrite_rows: int = 40,
                  max_diffs: int = 12, sidecar_sha256: str | None = None) -> str:
    """Render the audit report as a self-contained HTML string.

    Parameters
    ----------
    before : AuditResult
        The audit (the baseline in a comparison).
    after : AuditResult, optional
        A re-audit after rewriting; every table then shows before, after and change.
    rewrites : DataFrame, optional
        Columns ``job_id, original, rewrite, accepted, gap_before, gap_after,
        meaning_score``; shown with a word-level diff.
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
        :func:`sidecar_bytes` for these inputs.

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
        or settings; see :func:`fairaudit.result.check_comparable`).
    """
    from jinja2 import TemplateError

    if not isinstance(before, AuditResult) or (after is not None and not isinstance(after, AuditResult)):
        raise ReportError("render_report needs AuditResult objects (load one with AuditResult.from_json)")
    if after is not None:
        check_comparable(before, after)
    size = {s.lower(): s for s in PAGE_SIZES}.get(str(page_size).lower())
    if size is None:
        raise ReportError(f"page size must be one of {list(PAGE_SIZES)}, got {page_size!r}")
    rw = _check_rewrites(rewrites)
    if sidecar_sha256 is None:
        sidecar_sha256 = hashlib.sha256(sidecar_bytes(before, after, rw)).hexdigest()
    prov = before.provenance or {}
    k0 = _headline_k(before)
    k_gap = _gap_k(before)
    cfg = before.config
    imp_b = _table(before, "impact")
    chart_attrs = [a for a in ("sex", "race_ethnicity") if a in _attributes(before)] or _attributes(before)[:2]
    ir_attrs = chart_attrs + ([INTERSECTION] if INTERSECTION in _attributes(before) else [])
    charts_ = {
        "selection": _svg_uri(charts.selection_rate_chart(imp_b, None if after is None else _table(after, "impact"),
                                                          k=k0, attributes=chart_attrs, label=group_label)) if k0 else "",
        "impact": _svg_uri(charts.impact_ratio_chart(imp_b, None if after is None else _table(after, "impact"),
                                                     k=k0, attributes=ir_attrs, label=group_label,
                                                     threshold=float(getattr(cfg, "four_fifths", 0.8)))) if k0 else "",
        "gaps": _svg_uri(charts.gap_distribution_chart(_table(before, "per_job"),
                                                       None if after is None else _table(after, "per_job"),
                                                       k=k_gap, attribute=getattr(cfg, "gap_attribute", "sex"),
                                                       tolerance=_num(getattr(cfg, "tolerance", None)))) if k_gap else "",
    }
    rec = _recommender(before)
    comparing = after is not None
    ctx = {
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
        "recommender": rec,
        "recommender_details": _kv(prov.get("recommender") if isinstance(prov.get("recommender"), Mapping) else {}),
        "n_jobs": fmt(prov.get("n_jobs"), "int"),
        "n_candidates": fmt(prov.get("n_candidates"), "int"),
        "ks": ", ".join(str(k) for k in _ks(before)),
        "k0": k0, "k_gap": k_gap,
        "target": _target_text(getattr(cfg, "target", "pool")),
        "targets": _targets(before),
        "tolerance": fmt(getattr(cfg, "tolerance", None)),
        "four_fifths": fmt(getattr(cfg, "four_fifths", 0.8)),
        "min_share": fmt(getattr(cfg, "min_share", 0.02), "pctg"),
        "scoring_median": str(getattr(cfg, "scoring_median", "job")),
        "confidence": fmt(getattr(cfg, "confidence", 0.95), "pctg"),
        "n_bootstrap": fmt(getattr(cfg, "n_bootstrap", None), "int"),
        "gap_attribute": attribute_label(getattr(cfg, "gap_attribute", "sex")).lower(),
        "verdict": _verdict(before),
        "verdict_after": _verdict(after) if comparing else None,
        "headline": _headline_table(before, after),
        "warnings": _warnings(before, after),
        "impact_sections": _impact_sections(before, after),
        "parity": _parity_table(before, after),
        "diversity": _diversity_table(before, after),
        "ranking_sections": _ranking_sections(before, after),
        "gap_jobs": _gap_jobs(before, after, max_gap_jobs),
        "rewrites": _rewrite_section(rw, max_rewrite_rows, max_diffs),
        "charts": charts_,
        "provenance": _provenance_rows(before),
        "provenance_after": _provenance_rows(after) if comparing else [],
        "config": _config_rows(before),
        "versions": sorted(_kv((prov.get("versions") or {})).__iter__()),
        "report_versions": sorted(_versions_report().items()),
        "sidecar_sha256": sidecar_sha256,
        "attributes": [attribute_label(a) for a in _attributes(before)],
    }
    try:
        return _environment().get_template("audit.html").render(**ctx)
    except TemplateError as exc:
        raise ReportError(f"report template error: {exc}") from None
