"""Markdown of the rewriting benchmark (``rewrite_bench.md``) and its examples file, from the JSON only."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

NAMES = {"sex": "sex", "race_ethnicity": "race/ethnicity", "sex_race": "intersection"}
TITLES = {"freestyle_v3": "Free-style test ads, round 3 (primary)", "freestyle": "Free-style test ads of round 2",
          "templated": "Templated held-out ads", "dev": "Training ads (development only, dev pool)"}


def fmt(v, nd=4, sign=False) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:+.{nd}f}" if sign else f"{v:.{nd}f}"
    return str(v)


def pct(v) -> str:
    return "—" if v is None else f"{v:+.1%}"


def to_markdown(res: dict) -> str:
    s = res["setup"]
    lines = [
        "# Rewriting benchmark (AutoRefine, round 4)", "",
        f"Methods choose on the selection pool (seed {s['select_pool_seed']}, {s['select_pool_size']:,} candidates; "
        f"the shipped adapter was trained on pool {res['train_pool_seed']}). "
        f"Every number is measured on the evaluation pools (seeds {', '.join(map(str, res['eval_pool_seeds']))}, "
        f"{s['eval_pool_size']:,} candidates each) that no training, selection or setting has seen; each ad's "
        f"numbers are averaged over the pools first. k = {s['k']}, target = the pool's mix, match tolerance "
        f"{s['tolerance']}. {s['platform']}.", "",
        "*Gap* = W1 (sex) or total variation (race/ethnicity, intersection) between the top-k mix and the pool's. "
        "*Floor* = expected gap of a random top-k. *Shift* = change of the top-k mix toward the target (sex: the "
        "female share in the direction that undoes the ad's coding, coded ads only; other attributes: the change "
        "projected on the direction to the target). *Human share* = shift / the human rewrite's shift. "
        "*Match rate* = share of (ad, pool) pairs within the tolerance (the AutoRefine paper's statistic; it "
        "reports +18.7% relative on average over gender and race). *Harm* = accepted rewrites whose gap rose "
        "beyond what meaning-neutral variants of the same ad do on the same pools (one-sided prediction bound, "
        "calibrated by `calibrate_harm.py`) and ends above the floor. *Widened* (round 3's count) = accepted "
        "rewrites whose pool-averaged gap rose and ends above the floor.", ""]
    cols = [("method", "method"), ("mean_gap", "gap after"), ("gap_reduction", "gap reduction"),
            ("gap_above_floor", "above floor"), ("shift_toward_target", "shift"), ("human_share", "human share"),
            ("match_rate_before", "match before"), ("match_rate_after", "match after"),
            ("match_rate_relative_change", "match rel."), ("acceptance_rate", "rewritten"),
            ("harm_beyond_noise", "harm"), ("widened_beyond_floor", "widened"), ("meaning_similarity", "meaning sim."),
            ("skill_recall", "req. recall")]
    two = {"human_share", "match_rate_before", "match_rate_after", "acceptance_rate", "meaning_similarity",
           "skill_recall"}
    for test, info in s["test_sets"].items():
        lines += [f"## {TITLES.get(test, test)}: {info['n']} ads, pools {', '.join(map(str, info['pool_seeds']))}", ""]
        for a in s["attributes"]:
            rows = [r for r in res["methods"] if r["test_set"] == test and r["attribute"] == a]
            if not rows:
                continue
            r0 = rows[0]
            lines += [f"### {NAMES.get(a, a)} (noise floor {r0['noise_floor']:.4f}; gap before "
                      f"{fmt(r0['mean_gap_before'])}, above floor {fmt(r0['gap_above_floor_before'])})", "",
                      "| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
            for r in rows:
                cells = []
                for c, _ in cols:
                    v = r.get(c)
                    if c == "match_rate_relative_change":
                        cells.append(pct(v))
                    elif c in ("gap_reduction", "shift_toward_target"):
                        cells.append(fmt(v, 4, sign=True))
                    else:
                        cells.append(fmt(v, 2 if c in two else 4))
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["## Paired differences (95% bootstrap CI over ads; MDE = smallest difference resolved with 80% "
              "power)", "",
              "| comparison | test set | attribute | metric | mean difference | 95% CI | MDE | n |",
              "|---|---|---|---|---|---|---|---|"]
    for c in res["paired_ci"]:
        lines.append(f"| {c['comparison']} | {c['test_set']} | {NAMES.get(c['attribute'], c['attribute'])} | "
                     f"{c['metric']} | {c['mean_diff']:+.4f} | [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}] | "
                     f"{fmt(c.get('mde_80'))} | {c['n']} |")
    if res.get("rule_counts"):
        lines += ["", "## Guard rules: candidates each rule rejected", "",
                  "*Rejected*: candidate rewrites the rule rejected; *alone*: those no other rule rejected (otherwise "
                  "accepted; the model rules only judge these); *would ship*: of those, the ones that narrowed the "
                  "selection pool's gap.", "",
                  "| test set | method | rule | rejected | alone | would ship |", "|---|---|---|---|---|---|"]
        for c in res["rule_counts"]:
            if c["rejected"]:
                lines.append(f"| {c['test_set']} | {c['method']} | `{c['rule']}` | {c['rejected']} | {c['sole']} | "
                             f"{c['sole_narrowing']} |")
    lines += ["", "## Verdict", ""] + [f"- {v}" for v in res["verdict"]]
    lines += ["", "Every accepted policy rewrite is listed in `rewrite_examples.md`.", ""]
    return "\n".join(lines)


def examples_markdown(res: dict, runs: Path) -> str:
    """Every accepted policy rewrite (edits, and the gaps before -> after on the evaluation pools)."""
    lines = ["# Accepted rewrites of the policy (benchmark examples)", "",
             "Each entry: the edits, then the pool-averaged gaps before → after (sex, race/ethnicity, "
             "intersection). Read them: a number that improves while the text degrades is a bug.", ""]
    for test in ("freestyle_v3", "dev"):
        ex = [e for e in res["examples"] if e["test_set"] == test]
        if not ex:
            continue
        import rewrite_bench

        rw = rewrite_bench.load_rewrites(test, "policy")[0].set_index("job_id")
        lines += [f"## {TITLES.get(test, test)}: {len(ex)} accepted", ""]
        for e in ex:
            gaps = ", ".join(f"{NAMES[a]} {e['gap_' + a][0]:.3f} → {e['gap_' + a][1]:.3f}"
                             for a in ("sex", "race_ethnicity", "sex_race") if "gap_" + a in e)
            lines += [f"**{e['job_id']}** ({e['coding']}; {gaps})", "", f"- edits: {e['edits']}",
                      f"- rewrite: {rw.loc[e['job_id'], 'rewrite']}", ""]
    return "\n".join(lines) + "\n"
