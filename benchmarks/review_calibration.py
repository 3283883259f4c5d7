"""The review part of ``verdict_bench.py``: are review changes judged against chance calibrated? (issue 27)

Each replication is one review: two periods of the same attribute-blind
recommender (scores ``0.7 q_c + e_jc``, as in the verdict calibration) on two
independent pools (new jobs, new candidates, the default race/ethnicity mix),
each period's figures and resamples from :func:`fairaudit.metrics.change.change_replicates`
(200 resamples, as a review stores), compared by
:func:`fairaudit.review.changes.change_table` over sex, race/ethnicity and
their intersection at k = 10 and 50, the review's whole family.

* **calibration**: the share of no-change reviews that flag any change
  ("worse beyond chance" or "better beyond chance"), goal at most 5 %, with its
  95 % Wilson interval; and the share flagging a change worse beyond chance.
* **power**: the second period lowers one group's scores (Black candidates,
  about 13 % of the pool) by ``delta`` standard deviations of the scores
  (0.1 and 0.25); reported: the share of reviews that call that group's impact
  ratio, or its attribute's lowest ratio, worse beyond chance at each k, and the
  share that flag anything.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import pandas as pd

from fairaudit.data.groups import encode
from fairaudit.metrics.change import change_replicates
from fairaudit.metrics.impact import rated_mask
from fairaudit.recommenders.base import topk_block
from fairaudit.review.changes import BETTER, CHANGE_RESAMPLES, WORSE, change_table

KS = (10, 50)
LOWERED = "black"


def period(rng: np.random.Generator, n_jobs: int, n: int, make_pool: Callable, make_scores: Callable,
           mix: dict[str, float], delta_sd: float, seed: int) -> Any:
    """One period's figures and resamples; ``delta_sd``: the LOWERED group's scores lowered by that many SD."""
    cands = make_pool(n, rng, mix)
    low = (cands["race_ethnicity"] == LOWERED).to_numpy()
    sd = float(np.hypot(0.7, 1.0))  # score SD of 0.7 q + e
    sc = make_scores(rng, n_jobs, n, low, delta_sd * sd)
    idx, _ = topk_block(sc, max(KS))
    encs = [encode(cands, a) for a in ("sex", "race_ethnicity", "sex_race")]
    rated = {e.attribute: rated_mask(e.pool_counts, e.n_known) for e in encs}
    targets = {e.attribute: e.pool_counts[: e.n_known] / e.pool_counts[: e.n_known].sum() for e in encs}
    return change_replicates(idx, encs, rated, targets, KS, 0.1, CHANGE_RESAMPLES, seed)


_STUB = pd.DataFrame([{"period": "q2", "previous_period": "q1", "stage": "before", "k": KS[0], "attribute": "sex",
                       "metric": "min_impact_ratio"}])


def review(reps: int, n_jobs: int, n: int, deltas: tuple[float, ...], make_pool: Callable, make_scores: Callable,
           mix: dict[str, float], rate: Callable, label: str) -> dict[str, Any]:
    """No-change reviews (delta 0) and reviews with a planted drop, ``reps`` each."""
    out: dict[str, Any] = {"replications": reps, "n_jobs": n_jobs, "n_candidates": n, "ks": list(KS),
                           "resamples": CHANGE_RESAMPLES, "lowered_group": LOWERED, "cells": []}
    t0 = time.perf_counter()
    for delta in (0.0, *deltas):
        flags, worse, found = [], [], {k: [] for k in KS}
        for r in range(reps):
            rng = np.random.default_rng([27, int(delta * 1000), r])
            before = period(rng, n_jobs, n, make_pool, make_scores, mix, 0.0, seed=r)
            now = period(rng, n_jobs, n, make_pool, make_scores, mix, delta, seed=r + 10_000)
            t = change_table(_STUB, {"before": now}, {"before": before})
            flags.append(bool(t["verdict"].isin([WORSE, BETTER]).any()))
            worse.append(bool((t["verdict"] == WORSE).any()))
            race = t[(t["attribute"] == "race_ethnicity") & (t["verdict"] == WORSE)]
            for k in KS:
                rk = race[race["k"] == k]
                found[k].append(bool(((rk["group"] == LOWERED) | (rk["metric"] == "min_impact_ratio")).any()))
        cell = {"delta_sd": delta, "any_change_flagged": rate(np.array(flags)),
                "any_worse_beyond_chance": rate(np.array(worse)),
                "lowered_group_worse_beyond_chance": {int(k): rate(np.array(v)) for k, v in found.items()}}
        if delta == 0.0:
            cell["at_most_5"] = bool(cell["any_change_flagged"]["rate"] <= 0.05)
        out["cells"].append(cell)
        print(f"  {label} delta {delta} SD: flagged {np.mean(flags):.3f} ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def review_markdown(rv: dict[str, Any]) -> list[str]:
    """The review section of the benchmark's markdown."""
    pct = lambda r: f"{100 * r['rate']:.1f}% ({100 * r['ci_low']:.1f}–{100 * r['ci_high']:.1f}%)"  # noqa: E731
    lines = ["## Review changes judged against chance (same recommender, new pool)", "",
             f"{rv['replications']} reviews per row, {rv['n_jobs']} jobs x {rv['n_candidates']:,} candidates per "
             f"period, {rv['resamples']} resamples per period, sex, race/ethnicity and sex x race at k = "
             f"{', '.join(map(str, rv['ks']))} (one max-T family). Row 0: no change (goal: at most 5 % flag "
             f"anything); other rows: {rv['lowered_group']} candidates' scores lowered by that many SD in the "
             "second period. 95% Wilson intervals.", "",
             "| scores lowered by | any change flagged | any worse beyond chance | "
             + " | ".join(f"lowered group worse beyond chance, k={k}" for k in rv["ks"]) + " |",
             "|---|---|---|" + "---|" * len(rv["ks"])]
    for c in rv["cells"]:
        found = c["lowered_group_worse_beyond_chance"]
        lines.append(f"| {c['delta_sd']:g} SD | {pct(c['any_change_flagged'])} | {pct(c['any_worse_beyond_chance'])} | "
                     + " | ".join(pct(found[k] if k in found else found[str(k)]) for k in rv["ks"]) + " |")
    return lines + [""]
