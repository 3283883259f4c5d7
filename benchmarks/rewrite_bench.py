"""Benchmark AutoRefine against the baselines on held-out ads and unseen candidates.

Protocol (data in :mod:`rewrite_data`; README, "Rewriting"):

* Every method rewrites the same held-out ads; it may consult the recommender
  on the **training pool** (seed 101, 20,000 candidates: its choices and the
  "did it narrow the gap" check), exactly as a user's AutoRefine consults the
  user's pool. Every result is measured on the **evaluation pool** (seed 404,
  10,000 candidates), which nothing has seen, with the audit's hard top-k gap
  at k = 10 and 50.
* Test sets: (a) held-out templated coded ads (seed 12) with the generator's
  parallel neutral version as the oracle ("share of the oracle's gap
  reduction achieved"); (b) the free-style test split (24 ads), with the
  hand-written neutral rewrite as a human reference.
* Methods: original, lexicon (word list, raw), lexicon+check (kept only if it
  narrows the gap on the training pool), prompt (base model, one free-text
  rewrite), best_of_n (base model, n free-text samples, best by reward), search
  (fixed edit set, best by reward, no language model), policy (the shipped
  adapter, one greedy edit plan).
* Reported beside every gap: the noise floor (expected gap of a random top-k
  from the evaluation pool). Methods are compared with paired bootstrap 95% CIs
  over jobs. The reward ablation re-runs the selection-based methods with the
  hard top-k gap instead of the smoothed one.

Writes ``benchmarks/results/rewrite_bench.json`` and ``rewrite_bench.md``.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/rewrite_bench.py
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import rewrite_data as rd  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402
from fairaudit.gap import GapScorer  # noqa: E402
from fairaudit.metrics.bootstrap import paired_bootstrap_ci  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
KS = (10, 50)
METHODS = ("original", "lexicon", "lexicon_checked", "prompt", "best_of_n", "search", "policy", "policy_best_of_n")
POLICIES = ("policy", "policy_best_of_n")


class CachedProposer:
    """Calls a proposer once and replays its proposals (the reward ablation reuses samples)."""

    def __init__(self, propose):
        self.propose = propose
        self.cache = None

    def __call__(self, units):
        if self.cache is None:
            self.cache = self.propose(units)
        return self.cache

    def __getattr__(self, name):
        return getattr(self.propose, name)


def evaluate(texts_before: list[str], texts_after: list[str], scorers: dict, coding: np.ndarray) -> dict:
    """Per-job eval-pool gaps and female shares before/after, for each k."""
    out = {}
    for k, sc in scorers.items():
        lab = list(sc.labels)
        f = lab.index("female")
        mb, ma = sc.mix(texts_before), sc.mix(texts_after)
        t = sc.target[f]
        gb, ga = np.abs(mb[:, f] - t), np.abs(ma[:, f] - t)
        # towards the target in the ad's coded direction: masculine ads should gain women, feminine lose
        sign = np.where(coding == "masculine", 1.0, np.where(coding == "feminine", -1.0, np.nan))
        out[k] = {"gap_before": gb, "gap_after": ga, "reduction": gb - ga,
                  "shift": sign * (ma[:, f] - mb[:, f]), "floor": sc.noise_floor}
    return out


def summarise(method: str, test: str, ev: dict, rw: pd.DataFrame | None, tokens: int, seconds: float,
              oracle: dict | None) -> list[dict]:
    rows = []
    for k, e in ev.items():
        acc = rw["accepted"].to_numpy(bool) if rw is not None else np.ones(len(e["reduction"]), bool)
        row = {
            "method": method, "test_set": test, "k": k, "n_jobs": int(len(e["reduction"])),
            "mean_gap": float(np.nanmean(e["gap_after"])),
            "mean_gap_before": float(np.nanmean(e["gap_before"])),
            "gap_reduction": float(np.nanmean(e["reduction"])),
            "gap_above_floor": float(np.nanmean(np.maximum(e["gap_after"] - e["floor"], 0))),
            "noise_floor": float(e["floor"]),
            "shift_toward_target": float(np.nanmean(e["shift"])) if np.isfinite(e["shift"]).any() else None,
            "oracle_share": (float(np.nanmean(e["reduction"]) / np.nanmean(oracle[k]["reduction"]))
                             if oracle is not None and np.nanmean(oracle[k]["reduction"]) > 0 else None),
            "acceptance_rate": float(acc.mean()),
            "meaning_similarity": float(rw.loc[acc, "meaning_score"].mean()) if rw is not None and acc.any()
            else None,
            "skill_recall": float(rw.loc[acc, "skill_recall"].mean()) if rw is not None and acc.any() else None,
            "tokens": int(tokens), "generation_seconds": float(seconds),
            "tokens_per_s": float(tokens / seconds) if seconds > 0 and tokens else None,
        }
        rows.append(row)
    return rows


def fmt(v, nd=4):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def to_markdown(res: dict) -> str:
    s = res["setup"]
    lines = [
        "# Rewriting benchmark (AutoRefine)", "",
        f"Held-out ads: {s['n_test_templated']} templated coded ads (seed {s['templated_test_seed']}) and "
        f"{res['n_test_freestyle']} free-style test ads. Methods choose on the training pool "
        f"(seed {res['train_pool_seed']}, {s['train_pool_size']:,} candidates); everything below is measured on "
        f"the evaluation pool (seed {res['eval_pool_seed']}, {s['eval_pool_size']:,} candidates) that no training "
        f"or selection has seen. Target: the pool's mix. Policy: {s['adapter']}. {s['platform']}.", "",
        "Gap = |top-k female share − target| (W1). *Noise floor* = expected gap of a random top-k from the "
        "evaluation pool. *Shift* = change of the top-k female share in the direction that undoes the ad's "
        "coding (coded ads only). *Oracle share* = gap reduction / the oracle's (templated: the generator's "
        "neutral sentences; free-style: the hand-written neutral rewrite).", ""]
    cols = [("method", "method"), ("mean_gap", "mean gap"), ("gap_reduction", "gap reduction"),
            ("gap_above_floor", "gap above floor"), ("shift_toward_target", "shift"), ("oracle_share", "oracle share"),
            ("acceptance_rate", "accepted"), ("meaning_similarity", "meaning sim."), ("skill_recall", "req. recall"),
            ("tokens", "tokens generated"), ("tokens_per_s", "tokens/s")]
    for test in ("freestyle", "templated"):
        for k in KS:
            rows = [r for r in res["methods"] if r["test_set"] == test and r["k"] == k]
            if not rows:
                continue
            lines += [f"## {test}, k = {k} (noise floor {rows[0]['noise_floor']:.4f}; "
                      f"mean gap before {rows[0]['mean_gap_before']:.4f})", "",
                      "| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
            for r in rows:
                lines.append("| " + " | ".join(fmt(r.get(c), 0 if c == "tokens" else 1 if c == "tokens_per_s"
                                                   else 2 if c in ("acceptance_rate", "meaning_similarity",
                                                                   "skill_recall", "oracle_share") else 4)
                                               for c, _ in cols) + " |")
            lines.append("")
    lines += ["## Paired differences in gap reduction (95% bootstrap CI over jobs)", "",
              "| comparison | test set | k | mean difference | 95% CI | n |", "|---|---|---|---|---|---|"]
    for c in res["paired_ci"]:
        lines.append(f"| {c['comparison']} | {c['test_set']} | {c['k']} | {c['mean_diff']:+.4f} | "
                     f"[{c['ci_low']:+.4f}, {c['ci_high']:+.4f}] | {c['n']} |")
    lines += ["", "## Reward ablation: choosing on the hard vs the smoothed top-k gap", "",
              "| method | reward | test set | k | gap reduction (eval pool) |", "|---|---|---|---|---|"]
    for a in res["reward_ablation"]:
        lines.append(f"| {a['method']} | {a['reward']} | {a['test_set']} | {a['k']} | {a['gap_reduction']:+.4f} |")
    lines += ["", "## Verdict", ""] + [f"- {v}" for v in res["verdict"]]
    lines += ["", "## Examples (free-style test ads, policy_best_of_n)", ""]
    for ex in res["examples"]:
        lines += [f"**{ex['job_id']}** ({ex['coding']}), eval-pool gap at k=50 {ex['gap_before']:.3f} → "
                  f"{ex['gap_after']:.3f}: {ex['edits'] or '(unchanged: ' + ex['reason'] + ')'}", ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-templated-test", type=int, default=60)
    ap.add_argument("--best-of", type=int, default=4)
    ap.add_argument("--adapter", default="default", help="adapter folder (default: the shipped one)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--bootstrap", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    ap.add_argument("--out", default=str(RESULTS / "rewrite_bench"))
    args = ap.parse_args(argv)

    import torch

    from fairaudit.rewriting import AutoRefine
    from fairaudit.rewriting.autorefine import CHOOSE_BEST, DEFAULT_ADAPTER

    if args.threads:
        torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    train_pool = rd.pool(rd.TRAIN_POOL_SEED, rd.TRAIN_POOL_SIZE)
    eval_pool = rd.pool(rd.EVAL_POOL_SEED, rd.EVAL_POOL_SIZE)
    adapter = DEFAULT_ADAPTER if args.adapter == "default" else Path(args.adapter)
    ar = AutoRefine.load(adapter, candidates=train_pool, k=50, target="pool", progress=True)
    ar.gap_scorer  # fits the recommender on the training pool (before it is cloned)
    eval_rec = ar.recommender.clone()
    scorers = {k: GapScorer(eval_rec, eval_pool, k=k, target="pool", fit=(k == KS[0])) for k in KS}
    tests = {"freestyle": rd.freestyle("test"),
             "templated": rd.templated(rd.TEMPLATED_TEST_SEED, 200, args.n_templated_test)}
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows, cis, ablation, examples = [], [], [], []
    per_job: dict[tuple[str, str], dict] = {}
    for test, jobs in tests.items():
        coding = jobs["coding"].to_numpy()
        units = ar.units(jobs)
        print(f"[{test}] {len(jobs)} ads, {len(units)} driving sentences", flush=True)
        originals = jobs["text"].tolist()
        oracle = evaluate(originals, jobs["oracle"].fillna(jobs["text"]).tolist(), scorers, coding)
        rows += summarise("oracle" if test == "templated" else "human neutral rewrite", test, oracle, None, 0, 0.0,
                          oracle)
        for m in methods:
            t0 = time.perf_counter()
            base = {"lexicon": "lexicon", "lexicon_checked": "lexicon"}.get(m, m)
            propose = CachedProposer(ar.proposer(base, n=args.best_of, seed=args.seed))
            from fairaudit.rewriting.rewrite import rewrite_jobs

            choose = "best" if base in CHOOSE_BEST else "first"
            out = rewrite_jobs(jobs, propose, ar.reward, units, choose=choose, require_gain=(m != "lexicon"))
            ev = evaluate(originals, out["rewrite"].tolist(), scorers, coding)
            tokens, secs = getattr(propose, "n_tokens", 0), getattr(propose, "seconds", 0.0)
            rows += summarise(m, test, ev, out, tokens, secs, oracle)
            per_job[(test, m)] = ev
            print(f"  {m}: {int(out['accepted'].sum())}/{len(out)} rewritten, eval gap reduction k=50 "
                  f"{np.nanmean(ev[50]['reduction']):+.4f}, k=10 {np.nanmean(ev[10]['reduction']):+.4f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
            if base in CHOOSE_BEST:  # same proposals, chosen on the hard top-k gap
                from fairaudit.rewriting.reward import Reward

                hard = Reward(ar.reward.gap_scorer, ar.reward.encode,
                              type(ar.reward_config).from_dict({**ar.reward_config.to_dict(), "temperature": 0.0}),
                              fluency=ar.reward.fluency)
                out_h = rewrite_jobs(jobs, propose, hard, units, choose=choose)
                ev_h = evaluate(originals, out_h["rewrite"].tolist(), scorers, coding)
                for k in KS:
                    for name, e in (("smoothed (τ=%.2g)" % ar.reward_config.temperature, ev), ("hard top-k", ev_h)):
                        ablation.append({"method": m, "reward": name, "test_set": test, "k": k,
                                         "gap_reduction": float(np.nanmean(e[k]["reduction"]))})
            if m == "policy_best_of_n" and test == "freestyle":
                for j, r in out.iterrows():
                    if r["accepted"] or len(examples) < 6:
                        examples.append({"job_id": r["job_id"], "coding": coding[j], "edits": r["edits"],
                                         "reason": r["reason"], "gap_before": float(ev[50]["gap_before"][j]),
                                         "gap_after": float(ev[50]["gap_after"][j]),
                                         "original": r["original"], "rewrite": r["rewrite"]})
        for pol in [m for m in POLICIES if m in methods]:
            for other in [m for m in methods if m not in (pol, "original") and not (pol == "policy" and m in POLICIES)]:
                for k in KS:
                    ci = paired_bootstrap_ci(per_job[(test, pol)][k]["reduction"],
                                             per_job[(test, other)][k]["reduction"], args.bootstrap, args.seed)
                    cis.append({"comparison": f"{pol} − {other}", "test_set": test, "k": k, **ci})
    by = {(r["method"], r["test_set"], r["k"]): r for r in rows}
    verdict = []
    names = {"policy": "the RL policy (greedy)", "policy_best_of_n": f"the RL policy (best of {args.best_of} plans)"}
    for pol in [m for m in POLICIES if m in methods]:
        for k in KS:
            for other in ("lexicon", "lexicon_checked", "prompt", "best_of_n", "search"):
                c = next((c for c in cis if c["comparison"] == f"{pol} − {other}" and c["test_set"] == "freestyle"
                          and c["k"] == k), None)
                if c:
                    word = ("beats" if c["ci_low"] > 0 else "does NOT beat (CI includes 0)" if c["ci_high"] > 0
                            else "LOSES to")
                    verdict.append(f"Free-style test ads, k={k}: {names[pol]} {word} {other}: difference in gap "
                                   f"reduction {c['mean_diff']:+.4f} [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}].")
        p, b = by.get((pol, "freestyle", 50)), by.get(("best_of_n", "freestyle", 50))
        if p and b:
            ratio = p["tokens"] / b["tokens"] if b["tokens"] else float("nan")
            verdict.append(f"{names[pol]} vs best-of-{args.best_of} free text (free-style, k=50): gap reduction "
                           f"{p['gap_reduction']:+.4f} vs {b['gap_reduction']:+.4f} at {ratio:.0%} of its generated "
                           f"tokens ({'at least as good' if p['gap_reduction'] >= b['gap_reduction'] else 'WORSE'}).")
        if p:
            verdict.append(f"Accepted rewrites of {names[pol]} (free-style): meaning similarity "
                           f"{fmt(p['meaning_similarity'], 3)}, requirement recall {fmt(p['skill_recall'], 3)} "
                           "(targets ≥ 0.85 and ≥ 0.9).")
        t = by.get((pol, "templated", 50))
        if t and t["oracle_share"] is not None:
            verdict.append(f"Templated held-out ads, k=50: {names[pol]} reaches {t['oracle_share']:.0%} of the "
                           f"oracle's gap reduction (target ≥ 70%).")
    res = {
        "setup": {"train_pool_size": rd.TRAIN_POOL_SIZE, "eval_pool_size": rd.EVAL_POOL_SIZE, "ks": list(KS),
                  "target": "pool", "n_test_templated": len(tests["templated"]),
                  "templated_test_seed": rd.TEMPLATED_TEST_SEED, "best_of": args.best_of, "seed": args.seed,
                  "adapter": str(adapter), "adapter_card": (adapter / "TRAINING_CARD.md").is_file(),
                  "train_seconds": ar.metadata_.get("train_seconds"),
                  "reward_config": ar.reward_config.to_dict(),
                  "platform": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.get_num_threads()} "
                              f"threads, Python {platform.python_version()}",
                  "wall_seconds": None},
        "train_pool_seed": rd.TRAIN_POOL_SEED, "eval_pool_seed": rd.EVAL_POOL_SEED,
        "n_test_freestyle": len(tests["freestyle"]),
        "noise_floor": {str(k): scorers[k].noise_floor for k in KS},
        "methods": rows, "paired_ci": cis, "reward_ablation": ablation, "verdict": verdict, "examples": examples,
    }
    res["setup"]["wall_seconds"] = time.perf_counter() - t_start
    base = Path(args.out)
    base.parent.mkdir(parents=True, exist_ok=True)
    write_text(base.with_suffix(".json"), json.dumps(res, indent=2, default=float))
    md = to_markdown(res)
    write_text(base.with_suffix(".md"), md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
