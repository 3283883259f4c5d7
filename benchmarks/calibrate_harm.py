"""Calibrate the harm test: on meaning-neutral paraphrases it must flag at most 5% (issue 26, item 5).

For each training ad (never a test ad), ``--n-null + --held-out`` meaning-neutral variants are
made (:func:`rewriting.noise.neutral_variants`); the first ``--n-null`` form the null, exactly as
the benchmark's report and the guard build it, and each held-out variant is treated as if it were
a rewrite. Every variant is ranked on the same pools (MiniLM recommender, k = 50, the pool's mix
as the target). A held-out variant that the test flags is a false alarm; the share of false alarms
per attribute is the test's size, which must be at most ``--alpha`` (0.05). Counted twice: the
test alone, and the test with the "ends above the floor" condition the guard and the benchmark add.

Usage (the full calibration; run it with the machine to itself)::

    HF_HUB_OFFLINE=1 python benchmarks/calibrate_harm.py                       # 132 training ads, 3 pools of 10,000
    HF_HUB_OFFLINE=1 python benchmarks/calibrate_harm.py --ads 4 --pool-size 400 --pools 303 --out /tmp/tiny.json

It prints the result and writes it as JSON (default ``benchmarks/results/harm_calibration.json``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import rewrite_data as rd  # noqa: E402
import rewrite_eval as ev  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
#: Calibration pools: generated like the evaluation pools, with seeds no method or setting uses.
CALIBRATION_POOL_SEEDS = (313, 323, 333)


def false_alarms(before: dict, variants: dict, null: list[dict], alpha: float) -> dict:
    """Per attribute: held-out neutral variants flagged, by the test alone and with the floor condition.

    ``before[a]["gap"]`` is (pools, ads); ``variants[a]`` a list per ad of (pools, held-out) gaps;
    ``null`` per ad the (variants, pools) rises of the null variants, per attribute.
    """
    from fairaudit.rewriting.noise import rise_beyond_noise

    out = {}
    for a, b in before.items():
        n = flagged = flagged_floor = 0
        for j, held in enumerate(variants[a]):
            nul = null[j][a]
            if len(nul) < 2:
                continue
            for h in range(held.shape[1]):
                rise = held[:, h] - b["gap"][:, j]
                f = bool(rise_beyond_noise(rise, nul, alpha).flagged)
                n += 1
                flagged += f
                flagged_floor += f and held[:, h].mean() > b["floor"]
        out[a] = {"n": n, "flagged": flagged, "rate": flagged / n if n else None,
                  "flagged_above_floor": flagged_floor, "rate_above_floor": flagged_floor / n if n else None,
                  "ok": (flagged / n <= alpha) if n else None}
    return out


def main(argv=None) -> int:
    from fairaudit.recommenders import make_recommender
    from fairaudit.rewriting.noise import neutral_variants

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ads", type=int, default=0, help="first N training ads only (0 = all)")
    ap.add_argument("--pools", default=",".join(map(str, CALIBRATION_POOL_SEEDS)))
    ap.add_argument("--pool-size", type=int, default=rd.EVAL_POOL_SIZE)
    ap.add_argument("--n-null", type=int, default=ev.N_NULL)
    ap.add_argument("--held-out", type=int, default=4)
    ap.add_argument("--alpha", type=float, default=ev.HARM_ALPHA)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(RESULTS / "harm_calibration.json"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    jobs = rd.freestyle("train")  # training ads only: the test ads stay unread
    if args.ads:
        jobs = jobs.head(args.ads)
    originals = jobs["text"].astype(str).tolist()
    seeds = [int(s) for s in args.pools.split(",") if s]
    ps = ev.PoolSet.build(lambda: make_recommender("embedding"), {s: rd.pool(s, args.pool_size) for s in seeds})
    allv = [neutral_variants(t, args.n_null + args.held_out, args.seed) for t in originals]
    nulls = [v[:args.n_null] for v in allv]
    held = [v[args.n_null:] for v in allv]
    before = ps.measure(originals)
    m_null = ps.measure([v for vs in nulls for v in vs])
    m_held = ps.measure([v for vs in held for v in vs])
    null, variants = [], {a: [] for a in before}
    i_n = i_h = 0
    for j in range(len(originals)):
        nn, nh = len(nulls[j]), len(held[j])
        null.append({a: (m_null[a]["gap"][:, i_n:i_n + nn] - before[a]["gap"][:, j:j + 1]).T for a in before})
        for a in before:
            variants[a].append(m_held[a]["gap"][:, i_h:i_h + nh])
        i_n, i_h = i_n + nn, i_h + nh
    res = {"ads": len(originals), "pools": seeds, "pool_size": args.pool_size, "k": ev.K, "n_null": args.n_null,
           "held_out": args.held_out, "alpha": args.alpha, "seed": args.seed,
           "by_attribute": false_alarms(before, variants, null, args.alpha),
           "seconds": time.perf_counter() - t0}
    res["ok"] = all(r["ok"] for r in res["by_attribute"].values() if r["ok"] is not None)
    write_text(Path(args.out), json.dumps(res, indent=2, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    for a, r in res["by_attribute"].items():
        print(f"{a}: {r['flagged']}/{r['n']} neutral paraphrases flagged ({r['rate'] if r['rate'] is not None else 0:.1%}; "
              f"with the floor condition {r['flagged_above_floor']}); target <= {args.alpha:.0%}: "
              f"{'met' if r['ok'] else 'NOT met'}")
    print(f"wrote {args.out}")
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
