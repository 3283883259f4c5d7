"""Benchmark of the verdicts' chance level: calibration, power and the time it adds.

1. **Calibration**: replications of a recommender that ignores the attributes
   (scores ``0.7 q_c + e_jc``: a candidate quality ``q`` shared by all jobs, so
   popular candidates recur as they do with a real recommender, plus job noise;
   nothing depends on sex or race/ethnicity) on pools of 1,000, 2,000, 5,000
   and 10,000 candidates with the default race/ethnicity mix of
   :func:`fairaudit.make_hiring_data`, 100 jobs, k = 10 and 50. Each
   replication runs the audit's own verdict steps (:func:`run_measure`) with 199
   permutations. Reported per k: the share of replications whose permutation
   test rejects at alpha = 0.05 (p <= alpha; the test's size, must lie in
   [3 %, 7 %]), the share of "breach, beyond chance" verdicts (test *and* a
   lowest ratio under 4/5, so at most the size), and the plain four-fifths
   rule's false-alarm rate beside them. Group rows (issue 27): the share of
   replications with **any group row** beyond chance ("breach, beyond chance"
   or "shortfall, significant", family-wise p <= alpha; must be at most 5 %
   per attribute), and the count of replications with a group row beyond
   chance under an attribute that is not (must be 0).
2. **Power curve**: the same scores with one race/ethnicity group's lowered by
   ``delta``, ``delta`` solved so that the population impact ratio of that group
   at k is 0.9, 0.8, 0.7, 0.6 or 0.5 (normal scores: the top-k threshold ``t``
   solves ``s P(X - delta > t) + (1 - s) P(X > t) = k / n``); the group holds 1 %,
   5 % or 15 % of a 4,000-candidate pool (``min_share = 0.009``: the 1 % group is rated, the
   0.7 % American Indian or Alaska Native group is not, as with the default 2 %),
   200 jobs. Detection = "breach, beyond chance" for race/ethnicity.
3. **Per-job candidate sets** (``--only sets``): each of 200 jobs ranks only its own
   200 applicants, drawn from a 4,000-candidate pool with occupational
   segregation (three occupations whose applicants are 20 %, 50 % or 80 % women),
   with the same attribute-blind scores within each set, so each candidate is in
   about ten jobs' sets and strong candidates are selected in many. The verdicts
   use the audit's chance level for candidate sets, the person-level permutation
   (:mod:`fairaudit.engine.person_null`), run twice per replication: with the
   jobs' occupation as the job groups of its blocks (``strata="occupation"``,
   the default when the jobs table has that column; the headline) and without
   (no occupation known). Type I error of the test (p <= alpha) and of "breach,
   beyond chance" at k = 10 and 50 (the test must lie in [3 %, 7 %]), and power
   with one race/ethnicity group's scores lowered (with the occupation). The
   per-job null this replaced rejected in 17.5-35.5 % (200 replications).
4. **Review** (issue 27, :mod:`review_calibration`): no-change reviews (same
   recommender, new pool) must flag any change in at most 5 %; power for one
   group's scores lowered by 0.1 and 0.25 SD.
4. **Time**: ``fairaudit.audit`` on 1,000 jobs x 10,000 candidates
   (``make_hiring_data(seed=0)``, packaged embedding recommender, embeddings
   cached by a first run), the core audit (no drivers, no decomposition), with
   ``n_permutations=0`` and with the default 1,000, interleaved; the ratio of
   the medians (goal <= 1.2) and the measure stage's seconds.

Usage::

    python benchmarks/verdict_bench.py                 # everything (about 20-40 min on 2 shared cores)
    python benchmarks/verdict_bench.py --only calibration power
    python benchmarks/verdict_bench.py --only review    # the review calibration and power
    python benchmarks/verdict_bench.py --only sets --calibration-reps 200   # per-job candidate sets
    python benchmarks/verdict_bench.py --quick         # a smoke run with few replications
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import optimize, stats  # noqa: E402

from fairaudit.data.datasets import sources  # noqa: E402
from fairaudit.data.groups import encode  # noqa: E402
from fairaudit.metrics.impact import impact_ratios, is_below, rated_mask, reference_mask, selection_rates  # noqa: E402
from fairaudit.engine.permutation import null_draws  # noqa: E402
from fairaudit.metrics.counts import group_counts  # noqa: E402
from fairaudit.recommenders.base import topk_block  # noqa: E402
from fairaudit.engine.verdicts import BEYOND, SIGNIFICANT, assess  # noqa: E402
from fairaudit.engine.candidate_sets import build  # noqa: E402
from fairaudit.engine.result import AuditConfig  # noqa: E402
from fairaudit.engine.sets_measure import measure_sets  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_calibration import review, review_markdown  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
ALPHA = 0.05
QUALITY = 0.7  # weight of the candidate quality shared by all jobs
POWER_MIN_SHARE = 0.009  # rates the 1 % group of the power curve, not the 0.7 % AIAN group


def race_mix() -> dict[str, float]:
    """The default race/ethnicity mix of make_hiring_data."""
    return dict(zip(sources.RACES, map(float, sources.race_marginal())))


def pool(n: int, rng: np.random.Generator, mix: dict[str, float], exact: str | None = None) -> pd.DataFrame:
    """``n`` candidates, sex 50/50, race/ethnicity drawn from ``mix`` (group ``exact``: exactly its share)."""
    labels, p = list(mix), np.array(list(mix.values()))
    race = rng.choice(labels, n, p=p / p.sum()).astype(object)
    if exact is not None:
        others = [g for g in labels if g != exact]
        q = np.array([mix[g] for g in others])
        race = rng.choice(others, n, p=q / q.sum()).astype(object)
        race[rng.choice(n, int(round(mix[exact] * n)), replace=False)] = exact
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "text": "",
                         "sex": rng.choice(["female", "male"], n), "race_ethnicity": race})


def scores(rng: np.random.Generator, n_jobs: int, n: int, lowered: np.ndarray | None = None,
           delta: float = 0.0) -> np.ndarray:
    s = QUALITY * rng.standard_normal(n)[None, :] + rng.standard_normal((n_jobs, n))
    if lowered is not None:
        s -= delta * lowered[None, :]
    return s


def run_measure(cands: pd.DataFrame, sc: np.ndarray, ks: tuple[int, ...], seed: int, n_perm: int,
                min_share: float = 0.02) -> pd.DataFrame:
    """The verdict of each attribute at each k for scores ``sc`` on ``cands``.

    The audit's own steps without the tables the verdict does not need (parity
    via fairlearn, ranking metrics, bootstrap): top-k (``topk_block``), group
    counts (``group_counts``), impact ratios, the permutation null
    (``null_draws``) and the verdict (``assess``), as :func:`fairaudit.engine.measure.measure` calls them.
    """
    idx, _ = topk_block(sc, max(ks))
    encs = [encode(cands, "sex"), encode(cands, "race_ethnicity")]
    targets = {e.attribute: e.pool_counts[: e.n_known] / e.pool_counts[: e.n_known].sum() for e in encs}
    draws = null_draws(idx, encs, ks, targets, 0.1, n_perm, seed, None, 0)
    n_jobs, rows = sc.shape[0], []
    for enc in encs:
        rated = rated_mask(enc.pool_counts, enc.n_known, min_share)
        for k in ks:
            sel = group_counts(idx[:, :k], enc.codes, enc.n_codes).sum(axis=0)
            ir = impact_ratios(selection_rates(sel, enc.pool_counts, n_jobs)[: enc.n_known], rated,
                               reference_mask(enc.pool_counts, rated))
            ch = assess(draws[(enc.attribute, k)], impact=ir, rated=rated, pool=enc.pool_counts, n_jobs=n_jobs,
                        match_rate=float("nan"), mean_gap=float("nan"), alpha=ALPHA, four_fifths=0.8, power=0.8,
                        judge_ratio=0.6, seed=seed)
            low = float(np.nanmin(ir)) if np.isfinite(ir).any() else float("nan")
            group_beyond = any(v in SIGNIFICANT for v in ch.verdict)
            rows.append({"k": k, "attribute": enc.attribute, "min_impact_ratio": low, "p_value": ch.min_p,
                         "verdict": ch.verdict_attribute,
                         "four_fifths_pass": bool(np.isfinite(low) and not is_below(low, 0.8)),
                         "any_group_beyond": group_beyond,
                         "group_beyond_attribute_not": group_beyond and ch.verdict_attribute not in SIGNIFICANT})
    return pd.DataFrame(rows)


def _rate(x: np.ndarray) -> dict[str, float]:
    """A proportion with its 95 % Wilson interval."""
    n, s = len(x), int(np.sum(x))
    ci = stats.binomtest(s, n).proportion_ci(0.95, method="wilson") if n else None
    return {"rate": s / n if n else float("nan"), "n": n, "ci_low": ci.low if ci else None,
            "ci_high": ci.high if ci else None}


def calibration(reps: int, n_perm: int, n_jobs: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    mix = race_mix()
    rows = []
    t0 = time.perf_counter()
    for r in range(reps):
        rng = np.random.default_rng([2026, r])
        n = sizes[r % len(sizes)]
        cands = pool(n, rng, mix)
        par = run_measure(cands, scores(rng, n_jobs, n), (10, 50), seed=r, n_perm=n_perm)
        for rec in par.to_dict("records"):
            rows.append({"rep": r, "n_candidates": n, "k": rec["k"], "attribute": rec["attribute"],
                         "p_value": rec["p_value"], "verdict": rec["verdict"],
                         "four_fifths_fail": not rec["four_fifths_pass"],
                         "any_group_beyond": rec["any_group_beyond"],
                         "group_beyond_attribute_not": rec["group_beyond_attribute_not"]})
        if (r + 1) % 100 == 0:
            print(f"  calibration {r + 1}/{reps} ({time.perf_counter() - t0:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    out: dict[str, Any] = {"replications": reps, "permutations_per_replication": n_perm, "n_jobs": n_jobs,
                           "pool_sizes": list(sizes), "race_mix": mix, "alpha": ALPHA, "cells": []}
    for (attr, k), g in df.groupby(["attribute", "k"]):
        cell = {"attribute": attr, "k": int(k), "test_rejects": _rate(g["p_value"] <= ALPHA),
                "breach_beyond_chance": _rate(g["verdict"] == BEYOND),
                "four_fifths_false_alarm": _rate(g["four_fifths_fail"]),
                "any_group_row_beyond_chance": _rate(g["any_group_beyond"]),
                "group_beyond_attribute_not": int(g["group_beyond_attribute_not"].sum()),
                "by_pool_size": {int(n): {"test_rejects": float((h["p_value"] <= ALPHA).mean()),
                                          "breach_beyond_chance": float((h["verdict"] == BEYOND).mean()),
                                          "four_fifths_false_alarm": float(h["four_fifths_fail"].mean())}
                                 for n, h in g.groupby("n_candidates")}}
        cell["within_band_3_7"] = bool(0.03 <= cell["test_rejects"]["rate"] <= 0.07)
        cell["group_rows_at_most_5"] = bool(cell["any_group_row_beyond_chance"]["rate"] <= 0.05)
        out["cells"].append(cell)
    # one audit: every attribute at one k (two families, so up to about 2 alpha)
    out["any_attribute_any_group_row"] = {int(k): _rate(g.groupby("rep")["any_group_beyond"].any())
                                          for k, g in df.groupby("k")}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def solve_delta(ir: float, share: float, frac: float) -> float:
    """The score shift of a group holding ``share`` of the pool that gives impact ratio ``ir`` at top ``frac``."""
    sd = float(np.hypot(QUALITY, 1.0))

    def ratio(delta: float) -> float:
        t = optimize.brentq(lambda t: share * stats.norm.sf(t + delta, scale=sd)
                            + (1 - share) * stats.norm.sf(t, scale=sd) - frac, -20, 20)
        return stats.norm.sf(t + delta, scale=sd) / stats.norm.sf(t, scale=sd)

    return optimize.brentq(lambda d: ratio(d) - ir, 0.0, 10.0)


def power(reps: int, n_perm: int, n_jobs: int, n: int, ratios: tuple[float, ...], shares: tuple[float, ...],
          ks: tuple[int, ...]) -> dict[str, Any]:
    base = race_mix()
    target = "asian"
    cells = []
    t0 = time.perf_counter()
    for share in shares:
        rest = {g: v for g, v in base.items() if g != target}
        mix = {g: (1 - share) * v / sum(rest.values()) for g, v in rest.items()} | {target: share}
        for ir in ratios:
            for k in ks:
                delta = solve_delta(ir, share, k / n)
                hits, realised = [], []
                for r in range(reps):
                    rng = np.random.default_rng([7, int(share * 1000), int(ir * 100), k, r])
                    cands = pool(n, rng, mix, exact=target)
                    low = (cands["race_ethnicity"] == target).to_numpy()
                    par = run_measure(cands, scores(rng, n_jobs, n, low, delta), (k,), seed=r, n_perm=n_perm,
                                      min_share=POWER_MIN_SHARE)
                    row = par[par["attribute"] == "race_ethnicity"].iloc[0]
                    hits.append(row["verdict"] == BEYOND)
                    realised.append(row["min_impact_ratio"])
                cells.append({"group_share": share, "true_impact_ratio": ir, "k": k, "delta": round(delta, 4),
                              "detection": _rate(np.array(hits)),
                              "median_observed_min_ir": float(np.median(realised))})
                print(f"  power share {share:.0%} IR {ir} k={k}: {np.mean(hits):.2f} "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return {"replications_per_cell": reps, "permutations_per_replication": n_perm, "n_jobs": n_jobs,
            "n_candidates": n, "lowered_group": target, "min_share": POWER_MIN_SHARE, "cells": cells,
            "seconds": round(time.perf_counter() - t0, 1)}


def segregated_sets(cands: pd.DataFrame, n_jobs: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Each job's applicants: ``size`` of the pool, 20 %, 50 % or 80 % women in expectation (one third each)."""
    female = (cands["sex"] == "female").to_numpy()
    job, cand = [], []
    for j in range(n_jobs):
        w = (0.2, 0.5, 0.8)[j % 3]
        p = np.where(female, w, 1 - w)
        cand.append(rng.choice(len(cands), size, replace=False, p=p / p.sum()))
        job.append(np.full(size, j))
    return np.concatenate(job), np.concatenate(cand)


def occupations(n_jobs: int) -> np.ndarray:
    """Each job's occupation (0, 1, 2: applicants 20 %, 50 %, 80 % women, as :func:`segregated_sets` draws them)."""
    return np.arange(n_jobs) % 3


def run_sets(cands: pd.DataFrame, job: np.ndarray, cand: np.ndarray, sc: np.ndarray, ks: tuple[int, ...], seed: int,
             n_perm: int, min_share: float = 0.02, job_groups: np.ndarray | None = None
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The parity rows (verdicts) of an audit of per-job sets, each job ranking its own applicants by ``sc``, and
    the audit's ``chance_level`` (which null, its blocks); ``job_groups``: the jobs' occupations, or None."""
    sets = build(job, cand, [f"j{j}" for j in range(sc.shape[0])], len(cands), score=sc[job, cand])
    config = AuditConfig(ks=ks, n_bootstrap=0, n_permutations=n_perm, n_permutations_gap=0, seed=seed,
                         min_share=min_share, target="own", attributes=("sex", "race_ethnicity"))
    tables, summary = measure_sets(sets, [encode(cands, "sex"), encode(cands, "race_ethnicity")], config,
                                   job_groups=job_groups)
    return tables["parity"], summary["chance_level"]


def _calibration_rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"attribute": a, "k": int(k), "test_rejects": _rate(g["p_value"] <= ALPHA),
             "breach_beyond_chance": _rate(g["verdict"] == BEYOND),
             "within_band_3_7": bool(0.03 <= (g["p_value"] <= ALPHA).mean() <= 0.07)}
            for (a, k), g in df.groupby(["attribute", "k"])]


def sets_part(reps: int, n_perm: int, n_jobs: int, n: int, size: int, ratios: tuple[float, ...],
              share: float = 0.05) -> dict[str, Any]:
    """Type I error on segregated per-job sets with attribute-blind scores (with and without the jobs' occupation
    as job groups), and power on a lowered group (with it)."""
    t0, rows, cells, chance = time.perf_counter(), {"occupation": [], "none": []}, [], {}
    for r in range(reps):
        rng = np.random.default_rng([2028, r])
        cands = pool(n, rng, race_mix())
        job, cand = segregated_sets(cands, n_jobs, size, rng)
        sc = scores(rng, n_jobs, n)
        for name, groups in (("occupation", occupations(n_jobs)), ("none", None)):
            par, level = run_sets(cands, job, cand, sc, (10, 50), r, n_perm, job_groups=groups)
            chance.setdefault(name, level)  # the first replication's null and blocks
            rows[name] += [{"k": rec["k"], "attribute": rec["attribute"], "p_value": rec["p_value"],
                            "verdict": rec["verdict"]} for rec in par.to_dict("records")]
        if (r + 1) % 20 == 0:
            print(f"  sets calibration {r + 1}/{reps} ({time.perf_counter() - t0:.0f} s)", flush=True)
    base = race_mix()
    rest = {g: v for g, v in base.items() if g != "asian"}
    mix = {g: (1 - share) * v / sum(rest.values()) for g, v in rest.items()} | {"asian": share}
    for ir in ratios:
        for k in (10, 50):
            delta, hits = solve_delta(ir, share, k / size), []
            for r in range(max(1, reps // 10)):
                rng = np.random.default_rng([2029, int(ir * 100), k, r])
                cands = pool(n, rng, mix, exact="asian")
                job, cand = segregated_sets(cands, n_jobs, size, rng)
                low = (cands["race_ethnicity"] == "asian").to_numpy()
                par, _ = run_sets(cands, job, cand, scores(rng, n_jobs, n, low, delta), (k,), r, n_perm,
                                  job_groups=occupations(n_jobs))
                hits.append(par.set_index("attribute").loc["race_ethnicity", "verdict"] == BEYOND)
            cells.append({"true_impact_ratio": ir, "k": k, "detection": _rate(np.array(hits))})
    return {"replications": reps, "permutations_per_replication": n_perm, "n_jobs": n_jobs, "n_candidates": n,
            "set_size": size, "women_share_of_sets": [0.2, 0.5, 0.8], "lowered_group_share": share,
            "null": chance["occupation"], "null_without_job_groups": chance["none"],
            "calibration": _calibration_rows(pd.DataFrame(rows["occupation"])),
            "calibration_without_job_groups": _calibration_rows(pd.DataFrame(rows["none"])),
            "previous_per_job_null": "rejected in 17.5-35.5 % of 200 replications (same data, per-job hypergeometric)",
            "power": cells, "seconds": round(time.perf_counter() - t0, 1)}


def timing(n_jobs: int, n: int, repeats: int) -> dict[str, Any]:
    import warnings

    from fairaudit import audit, make_hiring_data
    from fairaudit.recommenders import EmbeddingRecommender

    warnings.simplefilter("ignore")
    jobs, cands = make_hiring_data(n_jobs, n, seed=0)
    rec = EmbeddingRecommender()
    t = time.perf_counter()
    audit(jobs, cands, recommender=rec, drivers="none", decomposition="none", n_permutations=0)  # fills the cache
    warm = time.perf_counter() - t
    out: dict[str, Any] = {"n_jobs": n_jobs, "n_candidates": n, "warm_up_s": round(warm, 1), "runs": {}}
    # the core audit: the drivers and the decomposition embed counterfactual texts, whose time
    # says nothing about the significance step and would only add noise on a shared machine
    variants = {"core": dict(drivers="none", decomposition="none")}
    for name, opts in variants.items():
        runs: dict[str, list[float]] = {"without": [], "with": []}
        for _ in range(repeats):
            for label, n_perm in (("without", 0), ("with", 1000)):  # interleaved: load changes over time
                t = time.perf_counter()
                res = audit(jobs, cands, recommender=rec, n_permutations=n_perm, **opts)
                runs[label].append(round(time.perf_counter() - t, 3))
        med = {k: float(np.median(v)) for k, v in runs.items()}
        out["runs"][name] = {"seconds": runs, "median_without_s": med["without"], "median_with_s": med["with"],
                             "ratio": round(med["with"] / med["without"], 3),
                             "measure_stage_s": next((s["seconds"] for s in res.run_info["stages"]
                                                      if s["stage"] == "measure"), None)}
        print(f"  time {name}: {med['without']:.2f} s -> {med['with']:.2f} s "
              f"({med['with'] / med['without']:.2f}x)", flush=True)
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = ["# verdict_bench", "", f"Machine: {res['machine']}", ""]
    cal = res.get("calibration")
    if cal:
        lines += ["## Calibration (a recommender that ignores the attributes)", "",
                  f"{cal['replications']} replications, {cal['permutations_per_replication']} permutations each, "
                  f"{cal['n_jobs']} jobs, pools of {', '.join(f'{n:,}' for n in cal['pool_sizes'])} candidates "
                  f"(default race/ethnicity mix), alpha = {cal['alpha']}.", "",
                  "| attribute | k | test rejects (p <= 0.05) | 95% CI | breach, beyond chance | "
                  "plain four-fifths false alarms | in [3%, 7%] |", "|---|---|---|---|---|---|---|"]
        for c in cal["cells"]:
            t = c["test_rejects"]
            lines.append(f"| {c['attribute']} | {c['k']} | {100 * t['rate']:.1f}% | {100 * t['ci_low']:.1f}–"
                         f"{100 * t['ci_high']:.1f}% | {100 * c['breach_beyond_chance']['rate']:.1f}% | "
                         f"{100 * c['four_fifths_false_alarm']['rate']:.1f}% | {'yes' if c['within_band_3_7'] else 'no'} |")
        lines.append("")
        if "any_group_row_beyond_chance" in cal["cells"][0]:
            lines += ["Group rows (family-wise p, one family per attribute):", "",
                      "| attribute | k | any group row beyond chance | 95% CI | at most 5% | "
                      "group row beyond chance, attribute not |", "|---|---|---|---|---|---|"]
            for c in cal["cells"]:
                t = c["any_group_row_beyond_chance"]
                lines.append(f"| {c['attribute']} | {c['k']} | {100 * t['rate']:.1f}% | {100 * t['ci_low']:.1f}–"
                             f"{100 * t['ci_high']:.1f}% | {'yes' if c['group_rows_at_most_5'] else 'no'} | "
                             f"{c['group_beyond_attribute_not']} |")
            lines.append("")
    pw = res.get("power")
    if pw:
        lines += ["## Power (detection = race/ethnicity verdict 'breach, beyond chance')", "",
                  f"{pw['replications_per_cell']} replications per cell, {pw['permutations_per_replication']} "
                  f"permutations, {pw['n_jobs']} jobs x {pw['n_candidates']:,} candidates, one group's scores "
                  "lowered to the true impact ratio shown.", ""]
        cells = pd.DataFrame([{**c, "rate": c["detection"]["rate"]} for c in pw["cells"]])
        for k, g in cells.groupby("k"):
            tab = g.pivot(index="true_impact_ratio", columns="group_share", values="rate").sort_index(ascending=False)
            lines += [f"k = {k}:", "", "| true impact ratio | " + " | ".join(f"group {100 * s:g}% of pool"
                                                                          for s in tab.columns) + " |",
                      "|---|" + "---|" * len(tab.columns)]
            for ir, row in tab.iterrows():
                lines.append(f"| {ir:.1f} | " + " | ".join(f"{100 * v:.0f}%" for v in row) + " |")
            lines.append("")
    st = res.get("sets")
    if st:
        lines += ["## Per-job candidate sets (segregated applicants)", "",
                  f"{st['replications']} replications, {st['n_jobs']} jobs x {st['set_size']} applicants of "
                  f"{st['n_candidates']:,}, sets 20/50/80 % women; null: {st.get('null', {}).get('null', 'per-job')}.",
                  "", "| job groups | attribute | k | test rejects | breach, beyond chance | in [3%, 7%] |",
                  "|---|---|---|---|---|---|"]
        first = "occupation" if "null" in st else "- (per-job null, before issue 28's person-level null)"
        for label, key in ((first, "calibration"), ("none", "calibration_without_job_groups")):
            lines += [f"| {label} | {c['attribute']} | {c['k']} | {100 * c['test_rejects']['rate']:.1f}% | "
                      f"{100 * c['breach_beyond_chance']['rate']:.1f}% | {'yes' if c['within_band_3_7'] else 'no'} |"
                      for c in st.get(key, [])]
        lines += ["", "| true impact ratio | k | detection |", "|---|---|---|"]
        lines += [f"| {c['true_impact_ratio']} | {c['k']} | {100 * c['detection']['rate']:.0f}% |" for c in st["power"]]
        lines.append("")
    if res.get("review"):
        lines += review_markdown(res["review"])
    tm = res.get("time")
    if tm:
        lines += ["## Time of the significance step", "",
                  f"{tm['n_jobs']:,} jobs x {tm['n_candidates']:,} candidates, embeddings cached, medians:", "",
                  "| audit | without permutations | with 1,000 | ratio |", "|---|---|---|---|"]
        for name, r in tm["runs"].items():
            lines.append(f"| {name} | {r['median_without_s']:.2f} s | {r['median_with_s']:.2f} s | {r['ratio']:.2f}x |")
        lines.append("")
    return "\n".join(lines)


PARTS = ("calibration", "power", "sets", "review", "time")


def assemble(computed: dict[str, Any]) -> dict[str, Any]:
    """Save each computed part to ``verdict_bench_<part>.json`` and join every saved part into one result.

    Parts run in separate processes (the calibration takes long, the timing
    wants a quiet machine), so each is kept in its own file until joined.
    """
    from fairaudit.atomic import write_text

    OUT.mkdir(exist_ok=True)
    for part in PARTS:
        if part in computed:
            write_text(OUT / f"verdict_bench_{part}.json", json.dumps(computed[part], indent=1) + "\n")
    joined = json.loads((OUT / "verdict_bench.json").read_text()) if (OUT / "verdict_bench.json").exists() else {}
    for part in PARTS:
        f = OUT / f"verdict_bench_{part}.json"
        if f.exists():
            joined[part] = json.loads(f.read_text())
    joined["machine"] = computed.get("machine") or joined.get("machine", {})
    return joined


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=list(PARTS))
    p.add_argument("--assemble", action="store_true", help="only join the saved parts and write the results")
    p.add_argument("--quick", action="store_true", help="few replications (smoke run, results not saved)")
    p.add_argument("--calibration-reps", type=int, default=1000)
    p.add_argument("--power-reps", type=int, default=100)
    p.add_argument("--time-repeats", type=int, default=3)
    p.add_argument("--review-reps", type=int, default=500)
    args = p.parse_args(argv)
    parts = set() if args.assemble else set(args.only or PARTS)
    res: dict[str, Any] = {}
    if parts:
        res["machine"] = {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                          "load_average_at_start": list(os.getloadavg())}
    quick = args.quick
    if "calibration" in parts:
        print("calibration", flush=True)
        res["calibration"] = calibration(40 if quick else args.calibration_reps, 99 if quick else 199, 100,
                                         (1000, 2000, 5000, 10000))
    if "power" in parts:
        print("power", flush=True)
        res["power"] = power(5 if quick else args.power_reps, 99 if quick else 199, 200, 4000,
                             (0.9, 0.8, 0.7, 0.6, 0.5), (0.01, 0.05, 0.15), (10, 50))
    if "sets" in parts:
        print("sets", flush=True)
        res["sets"] = sets_part(20 if quick else args.calibration_reps, 99 if quick else 199, 200, 4000, 200,
                                (0.8, 0.6) if quick else (0.9, 0.8, 0.7, 0.6, 0.5))
    if "review" in parts:
        print("review", flush=True)
        res["review"] = review(4 if quick else args.review_reps, 100, 500 if quick else 2000, (0.1, 0.25), pool,
                               scores, race_mix(), _rate, "review")
    if "time" in parts:
        print("time", flush=True)
        res["time"] = timing(100, 1000, 1) if quick else timing(1000, 10000, args.time_repeats)
    if parts:
        res["machine"]["load_average_at_end"] = list(os.getloadavg())
    if quick:
        print(markdown(res))
        return 0
    from fairaudit.atomic import write_text

    joined = assemble(res)
    text = markdown(joined)
    print(text)
    write_text(OUT / "verdict_bench.json", json.dumps(joined, indent=1) + "\n")
    write_text(OUT / "verdict_bench.md", text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
