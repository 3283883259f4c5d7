"""Human-readable views of an AuditResult: terminal table (rich) and notebook HTML.

This module reads results and never builds them: it needs only what :class:`ResultView`
names, never :mod:`fairaudit.engine.result`, which imports :func:`audit_html` for
``AuditResult._repr_html_`` (one edge, result -> display, and no cycle).
"""
from __future__ import annotations

import html
import math
from typing import Any, Mapping, Protocol

import pandas as pd

from .breach_cause import breach_line
from .causes import verdict_cause_line
from .verdicts import P_FORMULA, REFERENCE, describe
from .cause_result import CauseSplit, split_lines


class ResultView(Protocol):
    """What the views read of a :class:`fairaudit.AuditResult`."""

    config: Any
    provenance: Mapping[str, Any]
    summary: Mapping[str, Any]
    tables: Mapping[str, pd.DataFrame]
    groups: Mapping[str, list[str]]

    def summary_frame(self) -> pd.DataFrame: ...

    def verdict(self) -> dict[str, Any]: ...


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


#: Verdict categories as the terminal table shows them (the full words follow below the table).
_SHORT = {"breach, beyond chance": "BREACH (beyond chance)", "breach, within chance": "breach within chance",
          "shortfall, significant": "SHORTFALL (significant)", "pass": "pass",
          "too little power to judge": "too little power"}
#: Group verdicts the terminal lists under the table (a pass says nothing new; the reference is named).
_GROUP_LISTED = ("breach, beyond chance", "shortfall, significant", "breach, within chance",
                 "too little power to judge", "reference group")


def summary_rows(result: ResultView) -> pd.DataFrame:
    """The headline table: one row per k and attribute."""
    df = result.summary_frame().sort_values(["k", "attribute"], key=lambda s: s if s.name == "k" else
                                            s.map({"sex": 0, "race_ethnicity": 1}).fillna(2))
    extra = [c for c in ("verdict", "p_value") if c in df]
    return df[["k", "attribute", "min_impact_ratio", "four_fifths_pass", *extra, "dp_difference", "match_rate",
               "mean_gap", "paper_score", "ndkl"]]


def verdict_lines(result: ResultView) -> list[str]:
    """One line per attribute at the headline k: verdict category, p-value and what chance shows.

    An audit without permutations (schema version 1, or ``n_permutations=0``)
    gets one line saying that chance was not assessed.
    """
    v = result.verdict()
    attrs = v.get("attributes") or {}
    if not attrs:
        return [f"Chance not assessed (no permutation null in this audit): the four-fifths figures alone "
                "cannot tell bias from an unlucky pool"]
    n = getattr(result.config, "n_permutations", 0)
    out = [f"Verdicts at k={v.get('k')} ({n:,} label shuffles; {p_formula(n)}):"]
    imp = result.tables.get("impact")
    for name, a in attrs.items():
        out.append(f"  {name}: {a.get('text') or a.get('verdict')} (lowest impact ratio "
                   f"{_fmt(a.get('min_impact_ratio'))}; a recommender that ignores {name} shows median "
                   f"{_fmt(a.get('null_min_ir_median'))}, 5th percentile {_fmt(a.get('null_min_ir_p05'))})")
        out += [f"    {line}" for line in group_lines(imp, v.get("k"), name)]
    return out


def p_formula(n: int) -> str:
    """What p is, by its formula, with the number of shuffles ``n``."""
    return (P_FORMULA.format(n=f"{n:,}") + "; a group's p-value counts the shuffles whose lowest ratio of any group "
            "is at or below that group's ratio")


def group_lines(impact: pd.DataFrame | None, k: Any, attribute: str) -> list[str]:
    """The groups of ``attribute`` at ``k`` whose verdict is not a plain pass: verdict, family-wise p, reason."""
    if impact is None or "verdict" not in impact or k is None:
        return []
    rows = impact[(impact["k"] == k) & (impact["attribute"] == attribute)]
    out = []
    for r in rows.to_dict("records"):
        verdict = r.get("verdict")
        if verdict not in _GROUP_LISTED:
            continue
        if verdict == REFERENCE:
            out.append(f"{r['group']}: {describe(REFERENCE)}")
            continue
        text = f"{r['group']}: {verdict}, impact ratio {_fmt(r.get('impact_ratio'))}, p {_fmt(r.get('p_value'))}"
        if r.get("low_power_reason"):
            text += f" ({r['low_power_reason']})"
        out.append(text)
    return out


def print_summary(result: ResultView, console=None) -> None:
    """Print the headline table and the verdict to the terminal."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if console.width < 140:  # pipes and CI logs default to 80 columns, too narrow for the table
            console = Console(width=140)
    prov = result.provenance
    t = Table(title=f"fairaudit {prov.get('audit_id', '')}: {prov.get('n_jobs')} jobs x "
                    f"{prov.get('n_candidates')} candidates, recommender "
                    f"{prov.get('recommender', {}).get('name', '?')}")
    cols = ["k", "attribute", "min IR", "4/5 pass", "verdict", "p", "DP diff", "match rate", "mean gap", "-100·W",
            "NDKL"]
    for c in cols:
        t.add_column(c, justify="right" if c not in ("attribute", "verdict") else "left")
    for _, r in summary_rows(result).iterrows():
        t.add_row(str(r["k"]), str(r["attribute"]), _fmt(r["min_impact_ratio"]), _fmt(bool(r["four_fifths_pass"])),
                  _SHORT.get(r.get("verdict"), "not assessed"), _fmt(r.get("p_value")),
                  _fmt(r["dp_difference"], 4), _fmt(r["match_rate"]), _fmt(r["mean_gap"]),
                  _fmt(r["paper_score"], 2), _fmt(r["ndkl"]))
    console.print(t)
    v = result.verdict()
    console.print(
        f"Four-fifths rule at k={v.get('k')}: {'PASS' if v.get('four_fifths_pass') else 'FAIL'} "
        f"(lowest impact ratio {_fmt(v.get('min_impact_ratio'))}, {v.get('flagged_groups', 0)} group(s) flagged); "
        f"diversity match rate {_fmt(v.get('match_rate'))} vs your goal {_fmt(v.get('match_goal'))} (voluntary): "
        + (v.get("diversity_category") or ("goal met" if v.get("diversity_goal_met") else "goal not met"))
    )
    for line in verdict_lines(result):
        console.print(line, highlight=False)
    dec = result.summary.get("decomposition")
    if dec:
        console.print(decomposition_line(dec))
        for e in dec.get("breaches") or []:
            console.print(breach_line(e), highlight=False)
    for line in cause_lines(result.summary.get("causes") or {}):
        console.print(line, highlight=False)
    for line in split_lines(CauseSplit.from_result(result)):  # only where the split was computed
        console.print(line, highlight=False)
    drv = result.summary.get("drivers") or {}
    if drv:
        console.print(drivers_line(drv))
    top = result.summary.get("top_drivers") or []
    if top:
        coded = drv.get("method") == "occlusion"
        words = ", ".join(f"{d['word']}{'' if not coded else ' (coded)' if d.get('coded') else ''} "
                          f"({d['mean_delta']:+.3f})" for d in top[:5])
        how = "removed" if coded else "neutralised"
        console.print(f"Words that widen the gap most (mean change when {how}): {words}")


def cause_lines(causes: Mapping[str, Any]) -> list[str]:
    """One line per attribute on the cause of its gap; once, where a verdict and its cause disagree, why."""
    out = [f"Cause of the gap at k={c.get('k')}, {attr}: {c.get('cause')}: {c.get('reason')}"
           for attr, c in causes.items()]
    note = verdict_cause_line(causes)
    return out + [note] if note else out


def decomposition_line(dec: dict[str, Any]) -> str:
    """The identity-blind check in one sentence: exact, or a sample estimate with its interval."""
    head = (f"Identity-blind check (k={dec['k']}, {dec['attribute']}): ")
    if dec.get("method") != "sample":
        return (head + f"mean gap {dec['mean_gap']:.3f}, {dec['mean_gap_blind']:.3f} with names and pronouns masked "
                f"({dec['mean_identity_part']:.3f} comes from identity cues in profiles)")
    ci = (f" ({_fmt(100 * dec.get('confidence', 0.95), 0)} % CI {_fmt(dec.get('identity_part_ci_low'))} to "
          f"{_fmt(dec.get('identity_part_ci_high'))})")
    return (head + f"identity part {dec['mean_identity_part']:.3f}{ci}, estimated on a stratified sample of "
            f"{dec['sample_size']:,} of {dec['n_candidates']:,} candidates at top-{dec['sample_k']} of the sample; "
            "--decomposition full gives the exact value")


def drivers_line(drv: dict[str, Any]) -> str:
    """Which jobs the driver analysis covered."""
    if drv.get("scope") == "all":
        return f"Drivers ({drv.get('method')}): every job ({drv.get('n_analysed', 0):,})"
    return (f"Drivers ({drv.get('method')}): {drv.get('n_analysed', 0):,} of {drv.get('n_jobs', 0):,} jobs flagged "
            f"(gap at k={drv.get('k')} above the random-top-k noise floor {_fmt(drv.get('noise_floor'))} + tolerance "
            f"{_fmt(drv.get('tolerance'))}); --drivers all analyses every job")


def audit_html(result: ResultView) -> str:
    """Rich HTML for notebooks: verdict, headline table, impact ratios, inline chart."""
    v = result.verdict()
    prov = result.provenance
    head = summary_rows(result).to_html(index=False, float_format=lambda x: f"{x:.3f}", border=0)
    imp = result.tables["impact"]
    k0 = result.config.ks[0]
    imp = imp[(imp["k"] == k0) & (imp["attribute"] != "sex_race")][
        ["attribute", "group", "n_pool", "selection_rate", "impact_ratio", "scoring_impact_ratio", "four_fifths_flag"]]
    from ..report.charts import impact_ratio_chart

    attrs = [a for a in ("sex", "race_ethnicity") if a in result.groups]
    chart = impact_ratio_chart(result.tables["impact"], k=k0, attributes=attrs,
                               threshold=result.config.four_fifths)
    status = "PASS" if v.get("four_fifths_pass") else "FAIL"
    chance = "".join(f"<p>{html.escape(line.strip())}</p>" for line in verdict_lines(result))
    return (
        f"<div class='fairaudit'><h4>fairaudit {html.escape(str(prov.get('audit_id', '')))} — "
        f"{prov.get('n_jobs')} jobs × {prov.get('n_candidates')} candidates</h4>"
        f"<p>Four-fifths rule at k={k0}: <b>{status}</b> (lowest impact ratio {_fmt(v.get('min_impact_ratio'))}); "
        f"diversity match rate {_fmt(v.get('match_rate'))} (goal {_fmt(v.get('match_goal'))}).</p>{chance}"
        f"{head}<h5>Impact ratios at k={k0}</h5>"
        f"{imp.to_html(index=False, float_format=lambda x: f'{x:.3f}', border=0)}{chart}</div>"
    )
