"""GRPO of the edit policy through TRL's ``GRPOTrainer``, with its own config.

``num_generations`` plans per prompt, each scored on the whole reassembled job by
the same reward as expert iteration, advantages relative to the group mean. TRL's
checkpoints go to ``<output_dir>/grpo`` and an interrupted run resumes from the
last one.

References
----------
Shao et al. (2024), "DeepSeekMath" (GRPO), arXiv:2402.03300.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.options import known_fields
from fairaudit.progress import status

from ..edits import parse_plan
from ..reward import TERMS
from .scoring import UnitScorer, clean_rewrite


@dataclass
class GRPOSettings:
    """Settings of the GRPO stage of :meth:`~fairaudit.rewriting.AutoRefine.fit`; :meth:`~fairaudit.rewriting.GRPOSettings.to_trl` gives TRL's ``GRPOConfig``.

    Parameters
    ----------
    steps : int
        Optimizer steps; 0 = none.
    num_generations : int
        Plans sampled per prompt (a GRPO group); at least 2.
    prompts_per_step : int
        Sentences per step.
    max_new_tokens : int
        Generation budget of one plan.
    learning_rate : float
        Learning rate.
    temperature : float
        Sampling temperature.
    beta : float
        KL weight (0: no reference model).
    save_steps : int
        Steps between checkpoints.
    logging_steps : int
        Steps between log entries.
    seed : int
        Seeds sampling and data order.
    """

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
        if self.steps < 0:
            raise ConfigError(f"steps must be >= 0, got {self.steps}")
        if self.steps and self.num_generations < 2:
            raise ConfigError("num_generations must be >= 2 (GRPO compares samples within a group)")
        if self.prompts_per_step < 1:
            raise ConfigError("prompts_per_step must be >= 1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GRPOSettings":
        """The settings of a dict.

        Parameters
        ----------
        d : dict
            Field names to values; keys that are not fields are ignored.
        """
        return cls(**known_fields(cls, d))

    def to_trl(self, output_dir: Path, progress: bool, on_gpu: bool, bf16: bool) -> Any:
        """TRL's ``GRPOConfig`` for these settings (one batch = ``prompts_per_step`` groups).

        Parameters
        ----------
        output_dir : Path
            TRL's checkpoint folder.
        progress : bool
            Show TRL's progress bar.
        on_gpu : bool
            Train on the GPU (else ``use_cpu``).
        bf16 : bool
            Train in bfloat16.
        """
        from trl import GRPOConfig

        return GRPOConfig(
            output_dir=str(output_dir), max_steps=self.steps,
            per_device_train_batch_size=self.num_generations * self.prompts_per_step,
            gradient_accumulation_steps=1, num_generations=self.num_generations,
            max_completion_length=self.max_new_tokens, learning_rate=self.learning_rate,
            temperature=self.temperature, beta=self.beta, logging_steps=self.logging_steps,
            save_strategy="steps", save_steps=self.save_steps, save_total_limit=1, seed=self.seed,
            data_seed=self.seed, bf16=bf16, use_cpu=not on_gpu,
            report_to="none", disable_tqdm=not progress, dataloader_num_workers=0,
            reward_weights=[1.0] * len(TERMS), log_completions=False, gradient_checkpointing=False,
        )


class RewardBridge:
    """TRL calls one reward function per term with the same completions: score once, reuse."""

    def __init__(self, scorer: UnitScorer):
        self.scorer = scorer
        self._key: Any = None
        self._scores: pd.DataFrame | None = None
        self.history: list[dict] = []

    def _score(self, completions: list[str], unit: list[int], log_metric=None,
               kind: list[str] | None = None) -> pd.DataFrame:
        kind = list(kind) if kind is not None else ["edit"] * len(completions)
        key = (tuple(completions), tuple(unit), tuple(kind))
        if key == self._key and self._scores is not None:
            return self._scores
        units = [self.scorer.units[int(u)] for u in unit]
        # an edit prompt's answer is a plan; a rewrite prompt's is the whole sentence
        plans = [parse_plan(c, u.sentence) if k == "edit" else None for c, u, k in zip(completions, units, kind)]
        texts = [None if k == "edit" else clean_rewrite(u, c) for c, u, k in zip(completions, units, kind)]
        scores = self.scorer.score(unit, plans, texts)
        self._key, self._scores = key, scores
        summary = {"accepted": float(scores["accepted"].mean()), "changed": float(scores["changed"].mean()),
                   "valid": float(np.mean([p is None or p.valid for p in plans])),
                   **{t: float(scores[t].mean()) for t in (*TERMS, "reward")}}
        self.history.append(summary)
        if log_metric is not None:
            for name in ("accepted", "changed", "valid"):
                log_metric(f"reward_terms/{name}", summary[name])
        return scores

    def term(self, name: str):
        """The reward function of one term, as TRL calls it."""
        def fn(prompts=None, completions=None, unit=None, log_metric=None, kind=None, **_: Any) -> list[float]:
            texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
            return self._score(texts, list(unit), log_metric, kind)[name].astype(float).tolist()

        fn.__name__ = name  # TRL names the logged metric after the function
        return fn


def last_checkpoint(folder: Path) -> str | None:
    """TRL's newest ``checkpoint-<step>`` folder under ``folder`` (None if none)."""
    ckpts = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1])
                   if p.name.split("-")[-1].isdigit() else -1)
    return str(ckpts[-1]) if ckpts else None


def run_grpo(peft_model: Any, tokenizer: Any, bridge: RewardBridge, prompts: Sequence[str], output_dir: Path,
             settings: GRPOSettings, *, resume: bool = True, progress: bool = True,
             units: Sequence[int] | None = None, kinds: Sequence[str] | None = None) -> tuple[Any, list[dict], str | None]:
    """Refine the policy with GRPO.

    Parameters
    ----------
    peft_model : PeftModel
    tokenizer
    bridge : RewardBridge
        The reward, one function per term (its ``history`` logs every scored batch).
    prompts : sequence of str
        The prompts (by default one per training sentence, its index the unit id the bridge scores).
    output_dir : Path
        TRL's checkpoints go to ``output_dir / "grpo"``.
    settings : GRPOSettings
    resume : bool
        Resume from the newest checkpoint there.
    progress : bool
        Show progress.
    units : sequence of int, optional
        The unit id of each prompt (default: its index).
    kinds : sequence of str, optional
        ``"edit"`` (an edit-plan prompt) or ``"rewrite"`` (a sentence-rewrite prompt) per prompt; default all edit.

    Returns
    -------
    (model, log_history, resumed_from)
    """
    import torch
    from datasets import Dataset
    from transformers import set_seed
    from trl import GRPOTrainer

    set_seed(settings.seed)
    status(f"autorefine: GRPO, {settings.steps} steps x {settings.prompts_per_step} sentences x "
           f"{settings.num_generations} samples", progress)
    on_gpu = torch.cuda.is_available() and next(peft_model.parameters()).is_cuda
    grpo_dir = output_dir / "grpo"
    last = last_checkpoint(grpo_dir) if resume else None
    config = settings.to_trl(grpo_dir, progress, on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported())
    peft_model.train()
    trainer = GRPOTrainer(model=peft_model, reward_funcs=[bridge.term(t) for t in TERMS], args=config,
                          train_dataset=Dataset.from_dict({
                              "prompt": list(prompts),
                              "unit": list(units) if units is not None else list(range(len(prompts))),
                              "kind": list(kinds) if kinds is not None else ["edit"] * len(prompts)}),
                          processing_class=tokenizer)
    trainer.train(resume_from_checkpoint=last)
    return trainer.model, list(trainer.state.log_history), last
