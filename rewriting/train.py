"""On-policy RL of the rewriting policy with TRL's GRPOTrainer and a LoRA adapter.

Each training prompt asks the policy to rewrite one driving sentence of a
training job (see :mod:`rewriting.rewrite`). GRPO samples ``num_generations``
rewrites per prompt, scores each with :class:`~rewriting.reward.Reward` on the
whole reassembled job, and pushes the policy towards rewrites scoring above
their group's mean (Shao et al. 2024, DeepSeekMath). The three reward terms
are separate TRL reward functions (weights 1, the real weights live inside
:class:`~rewriting.reward.RewardConfig`), so TRL logs each of them
(``rewards/fairness/mean``, ``rewards/meaning/mean``, ``rewards/form/mean``);
the gap before/after, similarity and acceptance are logged as extra metrics.

Training is checkpointed every ``save_steps`` into ``output_dir``; calling
:func:`train_grpo` again with the same folder resumes from the last checkpoint
(``resume_from_checkpoint``).
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError

from .policy import LoraSettings, build_prompt, clean_completion
from .reward import TERMS, Reward
from .rewrite import Unit, _keep_punct, split_sentences


@dataclass
class TrainSettings:
    """GRPO settings sized for a CPU (defaults: a few minutes on 2 cores).

    ``steps`` optimizer steps, each on ``prompts_per_step`` prompts x
    ``num_generations`` samples of at most ``max_new_tokens`` tokens.
    Before GRPO, ``sft_epochs`` epochs of supervised warm start on
    reward-filtered targets (:mod:`rewriting.sft`; 0 = GRPO from the base model),
    at most ``sft_max_examples`` of them (SFT time grows linearly with it).
    """

    steps: int = 20
    num_generations: int = 4
    prompts_per_step: int = 2
    max_new_tokens: int = 48
    learning_rate: float = 2e-4
    temperature: float = 0.7
    beta: float = 0.0
    save_steps: int = 5
    logging_steps: int = 1
    seed: int = 0
    sft_epochs: int = 3
    sft_learning_rate: float = 5e-4
    sft_max_examples: int = 48

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be >= 1, got {self.steps}")
        if self.num_generations < 2:
            raise ConfigError("num_generations must be >= 2 (GRPO compares samples within a group)")
        if self.prompts_per_step < 1:
            raise ConfigError(f"prompts_per_step must be >= 1, got {self.prompts_per_step}")
        if self.sft_epochs < 0:
            raise ConfigError(f"sft_epochs must be >= 0, got {self.sft_epochs}")

    def to_dict(self) -> dict:
        return asdict(self)


class _RewardBridge:
    """Turns TRL's reward-function calls into one :meth:`Reward.score` per batch.

    TRL calls the three term functions one after the other with the same
    completions; the first call scores the batch and the others reuse it.
    """

    def __init__(self, reward: Reward, units: Sequence[Unit], parts: Sequence[list[str]],
                 gap_before: np.ndarray):
        self.reward = reward
        self.units = list(units)
        self.parts = list(parts)
        self.gap_before = gap_before
        self._key: Any = None
        self._scores: pd.DataFrame | None = None
        self.history: list[dict] = []

    def _score(self, completions: list[str], unit: list[int], log_metric=None) -> pd.DataFrame:
        key = (tuple(completions), tuple(unit))
        if key == self._key and self._scores is not None:
            return self._scores
        orig, new, before, after, titles, gb = [], [], [], [], [], []
        for text, u_i in zip(completions, unit):
            u = self.units[int(u_i)]
            cand = _keep_punct(u.sentence, clean_completion(text))
            p = list(self.parts[u.row])
            p[u.slot] = cand
            orig.append(u.sentence)
            new.append(cand)
            before.append("".join(self.parts[u.row]))
            after.append("".join(p))
            titles.append(u.title)
            gb.append(self.gap_before[u.row])
        scores = self.reward.score(orig, new, jobs_before=before, jobs_after=after, titles=titles, gap_before=gb)
        self._key, self._scores = key, scores
        summary = {
            "gap_before": float(np.nanmean(scores["gap_before"])),
            "gap_after": float(np.nanmean(scores["gap_after"])),
            "similarity": float(scores["similarity"].mean()),
            "skill_recall": float(scores["skill_recall"].mean()),
            "accepted": float(scores["accepted"].mean()),
            **{t: float(scores[t].mean()) for t in (*TERMS, "reward")},
        }
        self.history.append(summary)
        if log_metric is not None:
            for name in ("gap_before", "gap_after", "similarity", "skill_recall", "accepted"):
                log_metric(f"reward_terms/{name}", summary[name])
        return scores

    def term(self, name: str):
        def fn(prompts=None, completions=None, unit=None, log_metric=None, **_: Any) -> list[float]:
            texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
            return self._score(texts, list(unit), log_metric)[name].astype(float).tolist()

        fn.__name__ = name  # TRL names the logged metric after the function
        return fn


def build_dataset(units: Sequence[Unit], tokenizer: Any) -> Any:
    """A ``datasets.Dataset`` with one chat-formatted prompt per unit (+ its index)."""
    from datasets import Dataset

    return Dataset.from_dict({
        "prompt": [build_prompt(tokenizer, u.sentence, u.title, u.hint) for u in units],
        "unit": list(range(len(units))),
    })


def _last_checkpoint(folder: Path) -> str | None:
    ckpts = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1])
                   if p.name.split("-")[-1].isdigit() else -1)
    return str(ckpts[-1]) if ckpts else None


def train_grpo(model: Any, tokenizer: Any, reward: Reward, jobs: pd.DataFrame, units: Sequence[Unit],
               gap_before: np.ndarray, output_dir: str | os.PathLike, settings: TrainSettings,
               lora: LoraSettings, *, resume: bool = True, progress: bool = True) -> dict:
    """Train a LoRA adapter on ``model`` with GRPO; return the trained PEFT model and logs.

    Parameters
    ----------
    model, tokenizer : the base causal LM
    reward : Reward
    jobs : training jobs (job_id, title, text)
    units : sentences to rewrite (:func:`~rewriting.rewrite.select_units` on ``jobs``)
    gap_before : gaps of the original ``jobs``
    output_dir : checkpoints folder (resumed from when it holds checkpoints)
    settings, lora : TrainSettings, LoraSettings

    Returns
    -------
    dict with ``model`` (PeftModel), ``log_history`` (TRL's per-step GRPO
    logs), ``reward_history`` (per-batch reward terms), ``train_seconds``
    (SFT + GRPO), ``sft`` (warm-start summary), ``resumed_from``.
    """
    import torch
    from peft import get_peft_model
    from transformers import set_seed
    from trl import GRPOConfig, GRPOTrainer

    from .sft import sft_targets, train_sft

    if not units:
        raise ConfigError("no training sentences: none of the training jobs contains gender-coded words")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    set_seed(settings.seed)
    jobs = jobs.reset_index(drop=True)
    parts = [split_sentences(t) for t in jobs["text"].astype(str)]
    bridge = _RewardBridge(reward, units, parts, np.asarray(gap_before, dtype=float))
    resumed = _last_checkpoint(out) if resume else None
    t0 = time.perf_counter()
    peft_model = get_peft_model(model, lora.to_peft())
    sft_info: dict = {"epochs": settings.sft_epochs, "n_examples": 0, "train_seconds": 0.0, "log_history": []}
    if settings.sft_epochs > 0 and resumed is None:  # a resumed run restores the adapter from its checkpoint
        targets = sft_targets(reward, units, parts, np.asarray(gap_before, dtype=float),
                              max_examples=settings.sft_max_examples)
        sft_info.update(train_sft(peft_model, tokenizer, units, targets, out / "sft", epochs=settings.sft_epochs,
                                  learning_rate=settings.sft_learning_rate, seed=settings.seed, progress=progress))
        sft_info["n_units"] = len(units)
        sft_info["target_reward_mean"] = float(targets["reward"].mean()) if len(targets) else None
        set_seed(settings.seed)
    on_gpu = torch.cuda.is_available() and next(model.parameters()).is_cuda
    config = GRPOConfig(
        output_dir=str(out),
        max_steps=settings.steps,
        per_device_train_batch_size=settings.num_generations * settings.prompts_per_step,
        gradient_accumulation_steps=1,
        num_generations=settings.num_generations,
        max_completion_length=settings.max_new_tokens,
        learning_rate=settings.learning_rate,
        temperature=settings.temperature,
        beta=settings.beta,
        logging_steps=settings.logging_steps,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        seed=settings.seed,
        data_seed=settings.seed,
        bf16=on_gpu and torch.cuda.is_bf16_supported(),
        use_cpu=not on_gpu,
        report_to="none",
        disable_tqdm=not progress,
        dataloader_num_workers=0,
        reward_weights=[1.0] * len(TERMS),
        log_completions=False,
        gradient_checkpointing=False,  # 135M + LoRA fits easily; recomputation only costs time
    )
    trainer = GRPOTrainer(
        model=peft_model,
        reward_funcs=[bridge.term(t) for t in TERMS],
        args=config,
        train_dataset=build_dataset(units, tokenizer),
        processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=resumed)
    seconds = time.perf_counter() - t0
    peft_model = trainer.model
    peft_model.eval()
    return {
        "model": peft_model,
        "log_history": list(trainer.state.log_history),
        "reward_history": bridge.history,
        "train_seconds": seconds,
        "sft": sft_info,
        "resumed_from": resumed,
    }
