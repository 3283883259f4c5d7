"""Benchmark AutoRefine against the baselines on held-out ads and several unseen candidate pools.

Protocol (round 3; data in :mod:`rewrite_data`, measures in :mod:`rewrite_eval`):

* Every method rewrites the same held-out ads; it may consult the recommender on the
  **selection pool** (seed 404, 10,000 candidates: its choices and the "did it narrow the gap"
  check), as a user's AutoRefine consults the user's pool; the shipped adapter was trained on
  another pool (seed 101). Every result is measured on **three evaluation pools** (seeds 505,
  606, 707; 10,000 candidates each, about 220 relevant candidates per occupation, so k = 50
  sits well below them) that nothing has seen, each ad's numbers averaged over the pools, for
  sex, race/ethnicity and their intersection.
* Test sets: ``freestyle_v3`` (the primary one: >= 120 free-style ads written for round 3,
  each with a careful human neutral rewrite; only the final run reads them), ``freestyle``
  (round 2's 24 test ads, secondary) and ``templated`` (60 held-out templated coded ads with
  the generator's neutral sentences as the oracle). ``dev`` runs the training ads for
  development only; it is evaluated on the separate development pool (seed 303), never on
  the evaluation pools.
* Methods: lexicon (word list), lexicon_checked (kept only if it narrows the training-pool
  gap), prompt (base model, one free-text rewrite), best_of_n (base model, n samples, best by
  reward), search (fixed edit set + reward, no language model), policy (the shipped adapter:
  its greedy edit plan and, for an adapter trained on the human sentence pairs, its greedy
  rewrite of the whole sentence, beside the learned vocabulary and the fixed edit set, best by
  reward), policy_best_of_n (n distinct sampled plans and rewrites added), policy_no_adapter
  (the ablation: the policy's pipeline without the adapter's own answers, i.e. the vocabulary
  and the fixed edit set alone: what the RL-trained adapter adds is policy − policy_no_adapter);
  the human rewrite (or oracle) is the reference.

It runs in parts because the CPU is scarce: ``run`` rewrites one test set with the given
methods and caches each method's rewrites (``benchmarks/results/rewrite_runs/<set>/<method>.csv``,
with the driving sentences in ``units.json``); ``report`` measures every cached method on the
evaluation pools and writes ``benchmarks/results/rewrite_bench.json`` / ``.md`` and the
examples file ``rewrite_examples.md`` (every accepted rewrite of the policy).

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/rewrite_bench.py run --test-set freestyle_v3 --methods lexicon,policy
    HF_HUB_OFFLINE=1 python benchmarks/rewrite_bench.py report
    HF_HUB_OFFLINE=1 python benchmarks/rewrite_bench.py          # every test set, then the report
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import rewrite_data as rd  # noqa: E402
import rewrite_eval as ev  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = RESULTS / "rewrite_runs"
METHODS = ("lexicon", "lexicon_checked", "prompt", "best_of_n", "search", "policy", "policy_best_of_n",
           "policy_no_adapter")
DEFAULT_METHODS = ("lexicon", "lexicon_checked", "prompt", "search", "policy", "policy_best_of_n", "policy_no_adapter")
TEST_SETS = ("freestyle_v3", "freestyle", "templated", "dev")
#: Paired CIs: policy (and policy_best_of_n) minus each of these; policy − policy_no_adapter is the adapter ablation.
COMPARED = ("lexicon", "lexicon_checked", "prompt", "best_of_n", "search", "human", "policy_no_adapter")
DEV_POOL_SEED, DEV_POOL_SIZE = 303, 5_000


def test_jobs(name: str) -> pd.DataFrame:
    """The ads of a test set (job_id, title, text, coding, oracle)."""
    if name == "freestyle_v3":
        return rd.freestyle("test_v3")
    if name == "freestyle":
        return rd.freestyle("test")
    if name == "templated":
        return rd.templated(rd.TEMPLATED_TEST_SEED, 200, 60)
    if name == "dev":
        return rd.freestyle("train")
    raise SystemExit(f"unknown test set {name!r}; one of {TEST_SETS}")


def refiner(adapter: str, attributes: tuple[str, ...] | None):
    from fairaudit.rewriting import AutoRefine
    from fairaudit.rewriting.autorefine import DEFAULT_ADAPTER

    folder = DEFAULT_ADAPTER if adapter == "default" else Path(adapter)
    kw = {} if attributes is None else {"attributes": attributes}
    ar = AutoRefine.load(folder, candidates=rd.pool(rd.SELECT_POOL_SEED, rd.SELECT_POOL_SIZE), k=50,
                         target="pool", progress=True, **kw)
    ar.gap_scorer  # builds the recommender
    # CPU is scarce: every text the reward, the guard and the report embed goes through the on-disk cache
    # (the same vector whichever call asks), so a text is embedded once across methods, processes and the report
    ar.recommender.cache_queries = True
    ar._encoder = lambda texts: ar.recommender.encode(list(texts), cache=True)
    return ar, folder


def cached_units(ar, jobs: pd.DataFrame, folder: Path, key: dict, suffix: str = ""):
    """The driving sentences of the test set, computed once per configuration and shared by every method."""
    from fairaudit.rewriting.rewrite import Unit

    path = folder / f"units{suffix}.json"
    if path.is_file():
        saved = json.loads(path.read_text())
        if saved.get("key") == key:
            return [Unit(**{**u, "flagged": tuple(u["flagged"])}) for u in saved["units"]]
    t0 = time.perf_counter()
    units = ar.units(jobs)
    write_text(path, json.dumps({"key": key, "seconds": time.perf_counter() - t0,
                                 "units": [asdict(u) for u in units]}, indent=1, default=float))
    return units


def run(args) -> int:
    from fairaudit.rewriting.autorefine import CHOOSE_BEST
    from fairaudit.rewriting.guards import rule_counts
    from fairaudit.rewriting.rewrite import rewrite_jobs

    jobs = test_jobs(args.test_set)
    if args.limit:  # development only (a few training ads to read); the report skips a partial set
        jobs = jobs.head(args.limit)
    suffix = ""
    if args.shard:  # "i/n": the i-th of n contiguous blocks of ads, run in its own process (CPU is shared)
        i, n = (int(x) for x in args.shard.split("/"))
        jobs = jobs.iloc[i * len(jobs) // n:(i + 1) * len(jobs) // n].reset_index(drop=True)
        suffix = f".part{i}of{n}"
    attributes = tuple(a for a in args.attributes.split(",") if a) if args.attributes else None
    ar, folder = refiner(args.adapter, attributes)
    out_dir = RUNS / args.test_set
    out_dir.mkdir(parents=True, exist_ok=True)
    key = {"adapter": str(folder), "attributes": list(getattr(ar, "attributes", None) or ["sex"]),
           "units": "duty sentences too, only those the guard lets change, gendered compounds, coded-word tagger, "
                    "phrase edits occluded, frequency ends a simile, person phrases with their describing words "
                    "(round 4, eighth run, title words kept)",
           "max_sentences": ar.max_sentences,
           "reward": ar.reward_config.to_dict(), "n_jobs": len(jobs),
           "jobs": pd.util.hash_pandas_object(jobs[["job_id", "text"]], index=False).sum().item()}
    units = cached_units(ar, jobs, out_dir, key, suffix)
    print(f"[{args.test_set}] {len(jobs)} ads, {len(units)} driving sentences", flush=True)
    for m in [m.strip() for m in args.methods.split(",") if m.strip()]:
        if m not in METHODS:
            raise SystemExit(f"unknown method {m!r}; one of {METHODS}")
        t0 = time.perf_counter()
        base = "lexicon" if m == "lexicon_checked" else m
        propose = ar.proposer(base, n=args.best_of, seed=args.seed)
        choose = "best" if base in CHOOSE_BEST else "first"
        log: list = []
        out = rewrite_jobs(jobs, propose, ar.reward, units, choose=choose, require_gain=(m != "lexicon"),
                           guard_log=log)
        out["coding"] = jobs["coding"].to_numpy()
        out.to_csv(out_dir / f"{m}{suffix}.csv", index=False)
        meta = {"method": m, "tokens": int(getattr(propose, "n_tokens", 0)),
                "generation_seconds": float(getattr(propose, "seconds", 0.0)),
                "wall_seconds": time.perf_counter() - t0, "key": key, "seed": args.seed, "best_of": args.best_of,
                # per guard rule: candidates it rejected, those it alone rejected, and of those the ones that narrowed
                "rule_counts": rule_counts(log).to_dict("records")}
        write_text(out_dir / f"{m}{suffix}.json", json.dumps(meta, indent=1))
        print(f"  {m}: {int(out['accepted'].sum())}/{len(out)} rewritten ({meta['wall_seconds']:.0f} s)", flush=True)
    return 0


def load_rewrites(test: str, method: str) -> tuple[pd.DataFrame, dict] | None:
    """A method's cached rewrites of a test set: one file, or every part of a sharded run (None if incomplete)."""
    folder = RUNS / test
    if (folder / f"{method}.csv").is_file():
        return (pd.read_csv(folder / f"{method}.csv", keep_default_na=False),
                json.loads((folder / f"{method}.json").read_text()))
    parts = sorted(folder.glob(f"{method}.part*of*.csv"))
    if not parts:
        return None
    n = int(parts[0].stem.rsplit("of", 1)[1])
    names = [folder / f"{method}.part{i}of{n}.csv" for i in range(n)]
    if not all(f.is_file() for f in names):
        return None
    metas = [json.loads(f.with_suffix(".json").read_text()) for f in names]
    return (pd.concat([pd.read_csv(f, keep_default_na=False) for f in names], ignore_index=True),
            {"tokens": sum(m["tokens"] for m in metas), "generation_seconds": sum(m["generation_seconds"] for m in metas),
             "parts": n, "rule_counts": merge_rule_counts([m.get("rule_counts") for m in metas])})


def merge_rule_counts(parts: list) -> list[dict] | None:
    """The per-rule counts of a sharded run, summed over its parts (None when a part predates the counts)."""
    if not parts or any(p is None for p in parts):
        return None
    total = pd.concat([pd.DataFrame(p) for p in parts]).groupby(["rule", "description"], sort=False, as_index=False)
    return total[["rejected", "sole", "sole_narrowing"]].sum().to_dict("records")


def _pairs(methods: list[str]) -> list[tuple[str, str]]:
    pols = [p for p in ("policy", "policy_best_of_n") if p in methods]
    return [(p, o) for p in pols for o in COMPARED if o in methods or o == "human"]


def report(args) -> int:
    from fairaudit.recommenders import make_recommender

    t0 = time.perf_counter()
    sets = [s for s in args.test_sets.split(",") if (RUNS / s).is_dir()]
    seeds = [int(x) for x in args.pools.split(",")] if args.pools else list(rd.EVAL_POOL_SEEDS)
    pools = {s: rd.pool(s, rd.EVAL_POOL_SIZE) for s in seeds}
    evalset = ev.PoolSet.build(lambda: make_recommender("embedding"), pools)
    devset = None
    rows, cis, examples, per_set, rule_rows = [], [], [], {}, []
    for test in sets:
        ps = evalset
        if test == "dev":
            devset = devset or ev.PoolSet.build(lambda: make_recommender("embedding"),
                                                {DEV_POOL_SEED: rd.pool(DEV_POOL_SEED, DEV_POOL_SIZE)})
            ps = devset
        jobs = test_jobs(test)
        coding = jobs["coding"].to_numpy()
        originals = jobs["text"].astype(str).tolist()
        before = ps.measure(originals)
        null = ev.neutral_null(ps, originals, before, seed=args.seed)  # the harm test's null, once per test set
        have = [m for m in METHODS if load_rewrites(test, m) is not None]
        per_job = {}
        human = None
        if jobs["oracle"].notna().any():
            ref = jobs["oracle"].where(jobs["oracle"].notna(), jobs["text"]).astype(str).tolist()
            after_h = ps.measure(ref)
            per_job["human"] = human = ev.per_ad(before, after_h, coding)
            rows += ev.summarise("human" if test != "templated" else "oracle", test, human, None, human,
                                 harm=ev.harm_flags(before, after_h, null))
        for m in have:
            rw, meta = load_rewrites(test, m)
            if list(rw["job_id"].astype(str)) != list(jobs["job_id"].astype(str)):
                print(f"  {test}/{m}: cached rewrites are for other ads; run it again", flush=True)
                continue
            rw["accepted"] = rw["accepted"].astype(str).str.lower().eq("true")
            after_m = ps.measure(rw["rewrite"].astype(str).tolist())
            e = ev.per_ad(before, after_m, coding)
            per_job[m] = e
            rows += ev.summarise(m, test, e, rw, human, {"tokens": meta["tokens"],
                                                          "generation_seconds": meta["generation_seconds"]},
                                 harm=ev.harm_flags(before, after_m, null))
            if meta.get("rule_counts") is not None:
                rule_rows += [{"test_set": test, "method": m, **c} for c in meta["rule_counts"]]
            if m == "policy" and test in ("freestyle_v3", "dev"):
                for j, r in rw[rw["accepted"]].iterrows():
                    examples.append({"test_set": test, "job_id": r["job_id"], "coding": coding[j],
                                     "edits": r["edits"], "reason": r["reason"],
                                     **{f"gap_{a}": [float(before[a]["gap"][:, j].mean()),
                                                     float(e[a]["gap_after"][j])] for a in e}})
        cis += ev.paired(test, per_job, _pairs(have), args.bootstrap, args.seed)
        per_set[test] = {"n": len(jobs), "methods": have, "pool_seeds": ps.seeds}
        print(f"[{test}] measured {', '.join(have)}", flush=True)
    primary = "freestyle_v3" if "freestyle_v3" in per_set else None
    res = {
        "setup": {"train_pool_seed": rd.TRAIN_POOL_SEED, "train_pool_size": rd.TRAIN_POOL_SIZE,
                  "select_pool_seed": rd.SELECT_POOL_SEED, "select_pool_size": rd.SELECT_POOL_SIZE,
                  "eval_pool_size": rd.EVAL_POOL_SIZE, "k": ev.K, "target": "pool", "tolerance": ev.TOLERANCE,
                  "attributes": list(ev.ATTRIBUTES), "test_sets": per_set, "dev_pool_seed": DEV_POOL_SEED,
                  "platform": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "report_seconds": None},
        "train_pool_seed": rd.TRAIN_POOL_SEED, "eval_pool_seeds": seeds,
        "eval_pool_seeds_planned": list(rd.EVAL_POOL_SEEDS),
        "select_pool_seed": rd.SELECT_POOL_SEED,
        "n_test_freestyle": per_set[primary]["n"] if primary else 0,
        "n_test_freestyle_round2": per_set.get("freestyle", {}).get("n", 0),
        "methods": rows, "paired_ci": cis, "examples": examples, "rule_counts": rule_rows,
        "harm_test": {"n_null": ev.N_NULL, "alpha": ev.HARM_ALPHA},
    }
    res["verdict"] = verdict(res)
    res["setup"]["report_seconds"] = time.perf_counter() - t0
    base = Path(args.out)
    write_text(base.with_suffix(".json"), json.dumps(res, indent=2, default=float))
    import rewrite_report

    write_text(base.with_suffix(".md"), rewrite_report.to_markdown(res))
    write_text(base.parent / "rewrite_examples.md", rewrite_report.examples_markdown(res, RUNS))
    print(rewrite_report.to_markdown(res))
    return 0


def verdict(res: dict) -> list[str]:
    """The acceptance lines, computed from the numbers (never written by hand)."""
    out = []
    by = {(r["method"], r["test_set"], r["attribute"]): r for r in res["methods"]}
    for test in ("freestyle_v3", "freestyle"):
        p, h = by.get(("policy", test, "sex")), by.get(("human", test, "sex"))
        if p and h and p.get("human_share") is not None:
            out.append(f"{test}: policy shift (sex, coded ads) {p['shift_toward_target']:+.4f} = "
                       f"{p['human_share']:.0%} of the human rewrite's {h['shift_toward_target']:+.4f} "
                       f"(target >= 50%: {'met' if p['human_share'] >= 0.5 else 'NOT met'}).")
        for c in res["paired_ci"]:
            if c["test_set"] == test and c["attribute"] == "sex" and c["comparison"].startswith("policy −"):
                word = "above 0" if c["ci_low"] > 0 else "includes 0" if c["ci_high"] >= 0 else "below 0"
                out.append(f"{test}: {c['comparison']} ({c['metric']}, sex) {c['mean_diff']:+.4f} "
                           f"[{c['ci_low']:+.4f}, {c['ci_high']:+.4f}], CI {word}; resolvable difference "
                           f"(80% power) {c['mde_80']:.4f}." if c["mde_80"] is not None else "")
        for c in res["paired_ci"]:  # the ablation: what the adapter's own answers add to its pipeline
            if (c["test_set"], c["attribute"], c["metric"], c["comparison"]) == (test, "sex", "shift",
                                                                                "policy − policy_no_adapter"):
                adds = ("the adapter adds a shift beyond chance" if c["ci_low"] > 0 else
                        "the adapter's own answers add nothing measurable over the vocabulary and the fixed edits"
                        if c["ci_high"] >= 0 else "the adapter's answers make the shift smaller")
                out.append(f"{test}: adapter ablation (policy − policy_no_adapter, shift, sex) "
                           f"{c['mean_diff']:+.4f} [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}]: {adds}.")
        for a in ev.ATTRIBUTES:
            p = by.get(("policy", test, a))
            if p:
                out.append(f"{test}: accepted policy rewrites whose {a} gap rose and ends above its noise floor "
                           f"(pool average): {p['widened_beyond_floor']}; rose by more than one candidate: "
                           f"{p['widened_by_one_candidate']}.")
            h = by.get(("human", test, a))
            if p and h and p.get("harm_beyond_noise") is not None:
                out.append(f"{test}: {a} gap raised beyond noise: policy {p['harm_beyond_noise']}, human "
                           f"{h['harm_beyond_noise']} (target: the policy's count not above the human's: "
                           f"{'met' if p['harm_beyond_noise'] <= h['harm_beyond_noise'] else 'NOT met'}).")
    return [v for v in out if v]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")  # none: every test set with the default methods, then the report
    r = sub.add_parser("run", help="rewrite one test set with some methods (cached per method)")
    r.add_argument("--test-set", required=True, choices=TEST_SETS)
    r.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    r.add_argument("--adapter", default="default", help="adapter folder (default: the shipped one)")
    r.add_argument("--attributes", default=None, help="comma-separated; default: every audited attribute")
    r.add_argument("--best-of", type=int, default=4)
    r.add_argument("--limit", type=int, default=0, help="first N ads only (development runs)")
    r.add_argument("--shard", default="", help="i/n: rewrite the i-th of n blocks of ads (parts are joined by report)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p = sub.add_parser("report", help="measure every cached method on the evaluation pools")
    p.add_argument("--test-sets", default="freestyle_v3,freestyle,templated,dev")
    p.add_argument("--bootstrap", type=int, default=10_000)
    p.add_argument("--pools", default="", help="evaluation pool seeds to use (default: all three)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(RESULTS / "rewrite_bench"))
    args = ap.parse_args(argv)
    if getattr(args, "threads", 0):
        import torch

        torch.set_num_threads(args.threads)
    if args.cmd is None:  # `make bench`: everything, in parts, then the report
        for test in ("freestyle_v3", "freestyle", "templated"):
            if test != "freestyle_v3" or any((rd.DATA / f).is_file() for f in rd.FREESTYLE_V3_FILES):
                main(["run", "--test-set", test])
        return main(["report"])
    return run(args) if args.cmd == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
