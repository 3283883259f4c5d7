"""Training the edit policy: expert iteration, then GRPO (TRL) on a LoRA adapter.

The recipe is sized for two CPU cores (``make adapter`` runs it end to end):

1. **Expert iteration** (rejection-sampling fine-tuning; Anthony et al. 2017,
   Zelikman et al. 2022). Round 0 scores the fixed edit set of every training
   sentence (:func:`~rewriting.baselines.candidate_plans`: lexicon words,
   removals, deletion); later rounds add ``samples_per_unit`` plans sampled
   from the current policy. For each sentence the plan with the highest reward
   (or KEEP, when nothing beats leaving it) becomes the target, and the LoRA
   adapter is fitted to the (prompt, best plan) pairs with TRL's SFTTrainer.
   Sampling discovers replacements no word list has; the reward keeps only
   those that move the recommender the right way.
2. **GRPO** (Shao et al. 2024; TRL's ``GRPOTrainer``) refines the adapter
   on-policy with the same reward: ``num_generations`` plans per prompt, each
   scored on the whole reassembled job, advantages relative to the group mean.

The reward is :class:`~rewriting.reward.Reward` with the smoothed top-k gap
(low variance; see its docstring). Checkpoints go to ``output_dir``: each
expert-iteration round's adapter and TRL's GRPO checkpoints, so an interrupted
run resumes.

References
----------
Anthony, Tian & Barber (2017), "Thinking Fast and Slow with Deep Learning and Tree Search", NeurIPS.
Zelikman et al. (2022), "STaR: Bootstrapping Reasoning With Reasoning", NeurIPS.
Shao et al. (2024), "DeepSeekMath" (GRPO), arXiv:2402.03300.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.engine.occlusion import assemble, split_sentences
from fairaudit.progress import status

from .baselines import candidate_plans
from .edits import EditPlan, apply_plan, format_plan, parse_plan
from .policy import LoraSettings, build_edit_prompt, generate
from .reward import TERMS, Reward
from .rewrite import Unit


@dataclass
class TrainSettings:
    """Settings of :func:`train_policy` (defaults: the shipped adapter's recipe).

    Attributes
    ----------
    rounds : int
        Expert-iteration rounds; round 0 uses the fixed edit set only, later
        rounds add ``samples_per_unit`` policy samples per sentence.
    samples_per_unit : int
    sample_temperature : float
    sft_epochs : int
        SFT epochs per round.
    sft_learning_rate : float
    steps : int
        GRPO optimizer steps after expert iteration (0 = none).
    num_generations, prompts_per_step : int
        Each GRPO step samples ``num_generations`` plans for ``prompts_per_step`` sentences.
    max_new_tokens : int
    learning_rate, temperature, beta : float
        GRPO learning rate, sampling temperature, KL weight.
    save_steps, logging_steps : int
    seed : int
    """

    rounds: int = 2
    samples_per_unit: int = 6
    sample_temperature: float = 1.0
    sft_epochs: int = 2
    sft_learning_rate: float = 5e-4
    steps: int = 40
    num_generations: int = 6
    prompts_per_step: int = 4
    max_new_tokens: int = 32
    learning_rate: float = 5e-5
    temperature: float = 1.0
    beta: float = 0.0
    save_steps: int = 20
    logging_steps: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rounds < 0 or self.steps < 0:
            raise ConfigError(f"rounds and steps must be >= 0, got {self.rounds} and {self.steps}")
        if self.rounds == 0 and self.steps == 0:
            raise ConfigError("nothing to train: rounds and steps are both 0")
        if self.steps and self.num_generations < 2:
            raise ConfigError("num_generations must be >= 2 (GRPO compares samples within a group)")
        if self.prompts_per_step < 1 or self.sft_epochs < 1:
            raise ConfigError("prompts_per_step and sft_epochs must be >= 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in dict(d).items() if k in known})


class UnitScorer:
    """Scores edit plans of training units on their whole jobs (one :meth:`Reward.score` per batch)."""

    def __init__(self, reward: Reward, units: Sequence[Unit], jobs: pd.DataFrame):
        self.reward = reward
        self.units = list(units)
        jobs = jobs.reset_index(drop=True)
        self.texts = jobs["text"].astype(str).tolist()
        self.titles = jobs["title"].astype(str).tolist()
        self.parts = [split_sentences(t) for t in self.texts]
        rows = sorted({u.row for u in self.units})
        fb = reward.fairness_gaps([self.texts[r] for r in rows]) if rows else []
        self.fair_before = dict(zip(rows, fb))
        self.history: list[dict] = []

    def score(self, unit_ids: Sequence[int], plans: Sequence[EditPlan]) -> pd.DataFrame:
        before, after, ub, ua, titles, fb = [], [], [], [], [], []
        for u_i, plan in zip(unit_ids, plans):
            u = self.units[int(u_i)]
            new = apply_plan(u.sentence, plan)
            before.append(self.texts[u.row])
            after.append(assemble(self.parts[u.row], u.slot, new))
            ub.append(u.sentence)
            ua.append(new)
            titles.append(u.title)
            fb.append(self.fair_before[u.row])
        return self.reward.score(before, after, titles=titles, units_before=ub, units_after=ua, plans=list(plans),
                                 fair_before=fb)


class _GRPOBridge:
    """TRL calls one reward function per term with the same completions: score once, reuse."""

    def __init__(self, scorer: UnitScorer):
        self.scorer = scorer
        self._key: Any = None
        self._scores: pd.DataFrame | None = None
        self.history: list[dict] = []

    def _score(self, completions: list[str], unit: list[int], log_metric=None) -> pd.DataFrame:
        key = (tuple(completions), tuple(unit))
        if key == self._key and self._scores is not None:
            return self._scores
        plans = [parse_plan(c, self.scorer.units[int(u)].sentence) for c, u in zip(completions, unit)]
        scores = self.scorer.score(unit, plans)
        self._key, self._scores = key, scores
        summary = {"accepted": float(scores["accepted"].mean()), "changed": float(scores["changed"].mean()),
                   "valid": float(np.mean([p.valid for p in plans])),
                   **{t: float(scores[t].mean()) for t in (*TERMS, "reward")}}
        self.history.append(summary)
        if log_metric is not None:
            for name in ("accepted", "changed", "valid"):
                log_metric(f"reward_terms/{name}", summary[name])
        return scores

    def term(self, name: str):
        def fn(prompts=None, completions=None, unit=None, log_metric=None, **_: Any) -> list[float]:
            texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
            return self._score(texts, list(unit), log_metric)[name].astype(float).tolist()

        fn.__name__ = name  # TRL names the logged metric after the function
        return fn


def unit_prompts(units: Sequence[Unit], tokenizer: Any) -> list[str]:
    return [build_edit_prompt(tokenizer, u.sentence, u.title, u.flagged, u.deletable) for u in units]


def best_plans(scorer: UnitScorer, candidates: Sequence[Sequence[EditPlan]],
               incumbent: Sequence[tuple[EditPlan, float]] | None = None) -> tuple[list[tuple[EditPlan, float]], dict]:
    """The highest-reward plan of every unit (KEEP when none scores above 0).

    Ties go to the earlier candidate; an ``incumbent`` (the previous round's
    best) is kept unless a candidate beats it.
    """
    flat = [(u_i, p) for u_i, plans in enumerate(candidates) for p in plans]
    s = scorer.score([u for u, _ in flat], [p for _, p in flat]) if flat else pd.DataFrame(columns=["reward"])
    best: list[tuple[EditPlan, float]] = [incumbent[i] if incumbent else (EditPlan(), 0.0)
                                          for i in range(len(candidates))]
    improved = 0
    for (u_i, plan), r in zip(flat, s["reward"].to_numpy(dtype=float)):
        if r > best[u_i][1] + 1e-9:
            best[u_i] = (plan, float(r))
            improved += 1
    kinds = pd.Series(["keep" if p.is_keep else "delete" if p.delete else "replace" for p, _ in best])
    stats = {"n_candidates": len(flat), "mean_best_reward": float(np.mean([r for _, r in best])) if best else 0.0,
             "accepted_share": float(s["accepted"].mean()) if len(s) else 0.0,
             **{f"share_{k}": float((kinds == k).mean()) for k in ("keep", "delete", "replace")}}
    return best, stats


def sample_plans(model: Any, tokenizer: Any, units: Sequence[Unit], n: int, temperature: float, max_new_tokens: int,
                 seed: int, progress: bool = False) -> list[list[EditPlan]]:
    """``n`` sampled edit plans per unit from the current policy (parsed; unparsable ones dropped)."""
    raw, _ = generate(model, tokenizer, unit_prompts(units, tokenizer), n=n, max_new_tokens=max_new_tokens,
                      do_sample=True, temperature=temperature, seed=seed, batch_size=16, progress=progress)
    out = []
    for u, answers in zip(units, raw):
        plans = []
        for a in answers:
            p = parse_plan(a, u.sentence)
            if p.valid and p not in plans:
                plans.append(p)
        out.append(plans)
    return out


def train_policy(model: Any, tokenizer: Any, reward: Reward, jobs: pd.DataFrame, units: Sequence[Unit],
                 output_dir: str | os.PathLike, settings: TrainSettings, lora: LoraSettings | None = None, *,
                 resume: bool = True, progress: bool = True) -> dict:
    """Expert iteration then GRPO on a LoRA adapter; return the trained PEFT model and logs.

    Parameters
    ----------
    model : the base causal LM, or a ``PeftModel`` whose adapter is trainable
        (fine-tuning an existing adapter further)
    tokenizer
    reward : Reward
    jobs : training jobs (job_id, title, text)
    units : :func:`~rewriting.rewrite.find_units` of ``jobs`` with ``reward``
    output_dir : checkpoints folder (resumed from when it holds checkpoints)
    settings : TrainSettings
    lora : LoraSettings for a new adapter (ignored for a PeftModel)

    Returns
    -------
    dict with ``model`` (PeftModel), ``rounds`` (per-round summaries),
    ``log_history`` (TRL's GRPO logs), ``reward_history``, ``train_seconds``,
    ``resumed_from``, ``n_units``.
    """
    import torch
    from peft import PeftModel, get_peft_model, set_peft_model_state_dict
    from transformers import set_seed

    from .sft import train_sft

    if not units:
        raise ConfigError("no training sentences: no wording of the training jobs moves the recommender's top-k "
                          "(find_units found no driving sentence)")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    set_seed(settings.seed)
    t0 = time.perf_counter()
    n_layers = getattr(getattr(model, "config", None), "num_hidden_layers", None)
    # an adapter that is already trained samples from round 0 on: it knows edits no fixed set has
    pretrained = isinstance(model, PeftModel)
    peft_model = model if pretrained else get_peft_model(model, (lora or LoraSettings()).to_peft(n_layers))
    scorer = UnitScorer(reward, units, jobs)
    prompts = unit_prompts(units, tokenizer)
    rounds: list[dict] = []
    best: list[tuple[EditPlan, float]] | None = None
    resumed = None
    for r in range(settings.rounds):
        done = out / f"round-{r}"
        if resume and (done / "adapter_model.safetensors").is_file() and (done / "round.json").is_file():
            from safetensors.torch import load_file

            set_peft_model_state_dict(peft_model, load_file(str(done / "adapter_model.safetensors")))
            info = json.loads((done / "round.json").read_text())
            best = [(parse_plan(t, units[i].sentence), float(v)) for i, (t, v) in enumerate(info.pop("targets"))]
            rounds.append(info)
            resumed = str(done)
            continue
        cands = [candidate_plans(u) for u in units]
        status(f"autorefine: expert-iteration round {r + 1}/{settings.rounds} on {len(units)} sentences", progress)
        if r > 0 or pretrained:
            peft_model.eval()
            sampled = sample_plans(peft_model, tokenizer, units, settings.samples_per_unit,
                                   settings.sample_temperature, settings.max_new_tokens, settings.seed + r,
                                   progress=progress)
            cands = [c + [p for p in s if p not in c] for c, s in zip(cands, sampled)]
        scored = out / f"round-{r}-targets.json"
        if resume and scored.is_file():  # the expensive scoring of an interrupted round is kept
            saved = json.loads(scored.read_text())
            best = [(parse_plan(t, units[i].sentence), float(v)) for i, (t, v) in enumerate(saved["targets"])]
            stats = saved["stats"]
        else:
            best, stats = best_plans(scorer, cands, best)
            scored.write_text(json.dumps({"stats": stats, "targets": [[format_plan(p), v] for p, v in best]}))
        targets = [format_plan(p) for p, _ in best]
        sft = train_sft(peft_model, tokenizer, prompts, targets, out / "sft", epochs=settings.sft_epochs,
                        learning_rate=settings.sft_learning_rate, seed=settings.seed + r, progress=progress)
        info = {"round": r, **stats, "sft_seconds": sft["train_seconds"],
                "sft_loss": [h["loss"] for h in sft["log_history"] if "loss" in h][-1:] or None}
        rounds.append(info)
        done.mkdir(parents=True, exist_ok=True)
        peft_model.save_pretrained(done)
        (done / "round.json").write_text(json.dumps({**info, "targets": [[t, v] for t, (_, v) in
                                                                          zip(targets, best)]}))
    log_history: list[dict] = []
    bridge = _GRPOBridge(scorer)
    if settings.steps > 0:
        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer

        set_seed(settings.seed)
        status(f"autorefine: GRPO, {settings.steps} steps x {settings.prompts_per_step} sentences x "
               f"{settings.num_generations} samples", progress)
        on_gpu = torch.cuda.is_available() and next(peft_model.parameters()).is_cuda
        grpo_dir = out / "grpo"
        last = _last_checkpoint(grpo_dir) if resume else None
        config = GRPOConfig(
            output_dir=str(grpo_dir), max_steps=settings.steps,
            per_device_train_batch_size=settings.num_generations * settings.prompts_per_step,
            gradient_accumulation_steps=1, num_generations=settings.num_generations,
            max_completion_length=settings.max_new_tokens, learning_rate=settings.learning_rate,
            temperature=settings.temperature, beta=settings.beta, logging_steps=settings.logging_steps,
            save_strategy="steps", save_steps=settings.save_steps, save_total_limit=1, seed=settings.seed,
            data_seed=settings.seed, bf16=on_gpu and torch.cuda.is_bf16_supported(), use_cpu=not on_gpu,
            report_to="none", disable_tqdm=not progress, dataloader_num_workers=0,
            reward_weights=[1.0] * len(TERMS), log_completions=False, gradient_checkpointing=False,
        )
        peft_model.train()
        trainer = GRPOTrainer(model=peft_model, reward_funcs=[bridge.term(t) for t in TERMS], args=config,
                              train_dataset=Dataset.from_dict({"prompt": prompts, "unit": list(range(len(units)))}),
                              processing_class=tokenizer)
        trainer.train(resume_from_checkpoint=last)
        resumed = last or resumed
        peft_model = trainer.model
        log_history = list(trainer.state.log_history)
    peft_model.eval()
    return {"model": peft_model, "rounds": rounds, "log_history": log_history, "reward_history": bridge.history,
            "train_seconds": time.perf_counter() - t0, "resumed_from": resumed, "n_units": len(units)}


def _last_checkpoint(folder: Path) -> str | None:
    ckpts = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1])
                   if p.name.split("-")[-1].isdigit() else -1)
    return str(ckpts[-1]) if ckpts else None
