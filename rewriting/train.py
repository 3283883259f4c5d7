"""Training the edit policy: expert iteration, then GRPO (TRL) on a LoRA adapter.

The recipe is sized for two CPU cores (``make adapter`` runs it end to end). Each
algorithm is its own trainer with its own config in :mod:`rewriting.trainers`:

0. **What careful humans do** (:func:`rewriting.sft.human_examples`): the adapter is first fitted
   to the aligned (original sentence, human sentence) pairs of the training ads, as whole-sentence
   rewrites and, where a few phrase edits reproduce them, as edit plans (``human_epochs``).
1. **Expert iteration** (:mod:`~rewriting.trainers.expert_iteration`,
   :class:`~rewriting.trainers.ExpertIterationConfig`): the best-scoring plan of
   each sentence, from the fixed edit set and the policy's samples, becomes the
   SFT target. Sampling discovers replacements no word list has; the reward
   keeps only those that move the recommender the right way.
2. **GRPO** (:mod:`~rewriting.trainers.grpo`, :class:`~rewriting.trainers.GRPOSettings`;
   TRL's ``GRPOTrainer``) refines the adapter on-policy with the same reward.

:class:`TrainSettings` holds both configs' fields in one flat record (the
shipped adapter's recipe, stored as ``train_settings`` in every saved adapter);
:meth:`TrainSettings.expert_iteration` and :meth:`TrainSettings.grpo` split it.
The reward is :class:`~rewriting.reward.Reward` with the smoothed top-k gap.
Checkpoints go to ``output_dir``: each expert-iteration round's adapter and TRL's
GRPO checkpoints, so an interrupted run resumes.

References
----------
Anthony, Tian & Barber (2017), "Thinking Fast and Slow with Deep Learning and Tree Search", NeurIPS.
Zelikman et al. (2022), "STaR: Bootstrapping Reasoning With Reasoning", NeurIPS.
Shao et al. (2024), "DeepSeekMath" (GRPO), arXiv:2402.03300.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from fairaudit.errors import ConfigError
from fairaudit.models import quiet_load
from fairaudit.options import known_fields

from .policy import LoraSettings
from .reward import Reward
from .rewrite import Unit
from .trainers.expert_iteration import ExpertIterationConfig, run_expert_iteration
from .trainers.grpo import GRPOSettings, RewardBridge, run_grpo
from .trainers.scoring import (UnitScorer, best_plans, rewrite_prompts, sample_plans,  # noqa: F401  (earlier
                               unit_prompts)                                          # import path)


@dataclass
class TrainSettings:
    """Settings of the training :meth:`~fairaudit.rewriting.AutoRefine.fit` runs (defaults: the shipped adapter's recipe).

    The defaults are those of the two trainers' configs
    (:class:`~fairaudit.rewriting.ExpertIterationConfig`,
    :class:`~fairaudit.rewriting.GRPOSettings`), which check the values.

    Parameters
    ----------
    rounds : int, default 2
        Expert-iteration rounds; round 0 uses the fixed edit set only, later
        rounds add ``samples_per_unit`` policy samples per sentence.
    samples_per_unit : int, default 6
        Plans sampled from the policy per sentence in a sampling round.
    sample_temperature : float, default 1.0
        Temperature of that sampling.
    sft_epochs : int, default 2
        SFT epochs per round.
    sft_learning_rate : float, default 5e-4
        Learning rate of each round's SFT.
    steps : int, default 40
        GRPO optimizer steps after expert iteration (0 = none).
    num_generations, prompts_per_step : int, default 6 and 4
        Each GRPO step samples ``num_generations`` plans for ``prompts_per_step`` sentences.
    max_new_tokens : int, default 32
        Generation budget of one plan (both trainers).
    learning_rate, temperature, beta : float, default 5e-5, 1.0 and 0.0
        GRPO learning rate, sampling temperature, KL weight (0: no reference model).
    save_steps, logging_steps : int, default 20 and 5
        GRPO steps between checkpoints / log entries.
    seed : int, default 0
        Seeds sampling and data order; expert-iteration round ``r`` uses ``seed + r``.
    human_epochs : int
        SFT epochs on the human sentence pairs before expert iteration (0 = none: a fine-tune of an
        adapter that already learned them, as ``fairaudit rewrite --train`` does; ``make adapter`` uses 2).
    rewrites : bool
        Train the whole-sentence rewrite too (expert iteration and GRPO), once fitted to the human pairs.
    rewrite_samples, rewrite_max_new_tokens : int
        Rewrites sampled per sentence in a sampling round, and the generation budget of one.
    """

    # the defaults are the two trainers' own (held once, in their configs)
    rounds: int = ExpertIterationConfig.rounds
    samples_per_unit: int = ExpertIterationConfig.samples_per_unit
    sample_temperature: float = ExpertIterationConfig.sample_temperature
    sft_epochs: int = ExpertIterationConfig.sft_epochs
    sft_learning_rate: float = ExpertIterationConfig.sft_learning_rate
    steps: int = GRPOSettings.steps
    num_generations: int = GRPOSettings.num_generations
    prompts_per_step: int = GRPOSettings.prompts_per_step
    max_new_tokens: int = ExpertIterationConfig.max_new_tokens  # both trainers: the same default
    learning_rate: float = GRPOSettings.learning_rate
    temperature: float = GRPOSettings.temperature
    beta: float = GRPOSettings.beta
    save_steps: int = GRPOSettings.save_steps
    logging_steps: int = GRPOSettings.logging_steps
    seed: int = ExpertIterationConfig.seed
    human_epochs: int = ExpertIterationConfig.human_epochs
    rewrites: bool = ExpertIterationConfig.rewrites
    rewrite_samples: int = ExpertIterationConfig.rewrite_samples
    rewrite_max_new_tokens: int = ExpertIterationConfig.rewrite_max_new_tokens

    def __post_init__(self) -> None:
        self.expert_iteration()  # each algorithm's config checks its own fields
        self.grpo()
        if self.rounds == 0 and self.steps == 0 and self.human_epochs == 0:
            raise ConfigError("nothing to train: human_epochs, rounds and steps are all 0")

    def expert_iteration(self) -> ExpertIterationConfig:
        """The expert-iteration part of these settings."""
        return ExpertIterationConfig.from_dict(self.to_dict())

    def grpo(self) -> GRPOSettings:
        """The GRPO part (its ``temperature`` is the GRPO sampling temperature)."""
        return GRPOSettings.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        """The settings of a dict.

        Parameters
        ----------
        d : dict
            Field names to values (e.g. a saved adapter's ``train_settings``); other keys are ignored.
        """
        return cls(**known_fields(cls, d))


def train_policy(model: Any, tokenizer: Any, reward: Reward, jobs: pd.DataFrame, units: Sequence[Unit],
                 output_dir: str | os.PathLike, settings: TrainSettings, lora: LoraSettings | None = None, *,
                 resume: bool = True, progress: bool = True, start_tasks: Sequence[str] = ("edit",)) -> dict:
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
    resume : bool
        Resume from the checkpoints in ``output_dir``.
    progress : bool
        Show progress.
    start_tasks : sequence of str
        What the adapter ``model`` already answers (its metadata's ``tasks``): an adapter that already
        rewrites whole sentences keeps training that action without fitting the human pairs again.

    Returns
    -------
    dict with ``model`` (PeftModel), ``rounds`` (per-round summaries),
    ``log_history`` (TRL's GRPO logs), ``reward_history``, ``train_seconds``,
    ``resumed_from``, ``n_units``, ``tasks`` (what the adapter answers: ``edit``, and ``rewrite``
    once fitted to the human pairs) and ``human_sft`` (that fit's summary, or None).
    """
    from peft import PeftModel, get_peft_model
    from transformers import set_seed

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
    peft_model = model if pretrained else quiet_load(get_peft_model, model,
                                                     (lora or LoraSettings()).to_peft(n_layers))
    if pretrained:
        for name, p in peft_model.named_parameters():  # a loaded adapter is frozen: train it further
            p.requires_grad = "lora_" in name
    scorer = UnitScorer(reward, units, jobs)
    prompts = unit_prompts(units, tokenizer)
    human, replay = _fit_human(peft_model, tokenizer, out, settings, resume, progress)
    rewrites = settings.rewrites and (human is not None or (pretrained and "rewrite" in start_tasks))
    ei = replace(settings.expert_iteration(), rewrites=rewrites)
    rounds, resumed = run_expert_iteration(peft_model, tokenizer, scorer, units, prompts, out, ei,
                                           sample_from_start=pretrained or human is not None,
                                           resume=resume, progress=progress, replay=replay)
    log_history: list[dict] = []
    bridge = RewardBridge(scorer)
    if settings.steps > 0:
        g_prompts, g_units, kinds = list(prompts), list(range(len(units))), ["edit"] * len(units)
        grpo = settings.grpo()
        if rewrites:  # GRPO on both actions: the edit plan and the whole-sentence rewrite of every unit
            g_prompts += rewrite_prompts(units, tokenizer)
            g_units += list(range(len(units)))
            kinds += ["rewrite"] * len(units)
            grpo = replace(grpo, max_new_tokens=max(grpo.max_new_tokens, settings.rewrite_max_new_tokens))
        peft_model, log_history, last = run_grpo(peft_model, tokenizer, bridge, g_prompts, out, grpo,
                                                 resume=resume, progress=progress, units=g_units, kinds=kinds)
        resumed = last or resumed
    peft_model.eval()
    return {"model": peft_model, "rounds": rounds, "log_history": log_history, "reward_history": bridge.history,
            "train_seconds": time.perf_counter() - t0, "resumed_from": resumed, "n_units": len(units),
            "tasks": ["edit", "rewrite"] if rewrites else ["edit"], "human_sft": human}


def _fit_human(peft_model: Any, tokenizer: Any, out: Path, settings: TrainSettings, resume: bool,
               progress: bool) -> tuple[dict | None, tuple[list[str], list[str]]]:
    """Fit the adapter to the human examples (:func:`rewriting.sft.human_examples`) once; resumable."""
    import hashlib
    import json

    from .sft import SENTENCE_PAIRS, human_examples, train_sft

    if settings.human_epochs < 1:
        return None, ([], [])
    prompts, targets = human_examples(tokenizer)
    if not prompts:
        return None, ([], [])
    done = out / "human"
    if resume and (done / "adapter_model.safetensors").is_file() and (done / "human.json").is_file():
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        set_peft_model_state_dict(peft_model, load_file(str(done / "adapter_model.safetensors")))
        return json.loads((done / "human.json").read_text()), (prompts, targets)
    from fairaudit.progress import status

    status(f"autorefine: fitting {len(prompts)} examples of careful human rewrites", progress)
    sft = train_sft(peft_model, tokenizer, prompts, targets, out / "sft-human", epochs=settings.human_epochs,
                    learning_rate=settings.sft_learning_rate, seed=settings.seed, progress=progress)
    info = {"source": SENTENCE_PAIRS.name,
            "sha256": hashlib.sha256(SENTENCE_PAIRS.read_bytes()).hexdigest() if SENTENCE_PAIRS.is_file() else None,
            "n_examples": sft["n_examples"], "n_rewrites": sum(1 for p in prompts if p.rstrip().endswith("Rewrite:")),
            "epochs": settings.human_epochs, "seconds": sft["train_seconds"],
            "loss": [h["loss"] for h in sft["log_history"] if "loss" in h][-1:] or None}
    done.mkdir(parents=True, exist_ok=True)
    peft_model.save_pretrained(done)
    (done / "human.json").write_text(json.dumps(info))
    return info, (prompts, targets)
