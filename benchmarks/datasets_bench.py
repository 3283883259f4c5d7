"""Benchmark: how long ``make_hiring_data`` takes to generate a synthetic pool.

Moved here from ``tests/test_datasets_hiring.py`` (issue 19): speed is measured in
benchmarks, never asserted in tests. One untimed warm-up call fills the table
caches (packaged ESCO occupations, names); then ``--repeats`` calls of
``make_hiring_data(jobs, candidates, seed=11)`` are timed (wall-clock,
``time.perf_counter``). The target the old test asserted: under 2 s for 200
jobs x 2,000 candidates.

Usage::

    python benchmarks/datasets_bench.py                      # 200 x 2,000, 5 runs
    python benchmarks/datasets_bench.py --jobs 1000 --candidates 20000 --repeats 2

Writes ``benchmarks/results/datasets_bench.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from fairaudit.data.datasets import make_hiring_data

ROOT = Path(__file__).resolve().parent
TARGET_S = 2.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--candidates", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "datasets_bench.json")
    args = ap.parse_args()
    make_hiring_data(5, 5)  # warm the table caches
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        jobs, cands = make_hiring_data(args.jobs, args.candidates, seed=11)
        times.append(time.perf_counter() - t)
    result = {
        "benchmark": "make_hiring_data", "jobs": len(jobs), "candidates": len(cands), "repeats": args.repeats,
        "seconds": times, "median_s": statistics.median(times), "target_s": TARGET_S,
        "meets_target": statistics.median(times) < TARGET_S,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"make_hiring_data({args.jobs}, {args.candidates}): median {result['median_s']:.2f} s over "
          f"{args.repeats} runs (target < {TARGET_S:.0f} s: {'met' if result['meets_target'] else 'MISSED'}); "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
