"""Supervised fitting of the LoRA adapter (TRL ``SFTTrainer``), and the supervision careful humans give.

:func:`train_sft` fits (prompt, target) pairs, loss on the completion only. It is used

* first, on **what careful humans do** (:func:`human_examples`): the aligned (original sentence,
  human sentence) pairs of the training ads (``rewriting/data/sentence_pairs.csv``, written by
  ``benchmarks/align_sentences.py``, :mod:`rewriting.alignment`) as sentence rewrites, and those
  pairs a few phrase edits reproduce as edit plans;
* then by each expert-iteration round of :func:`rewriting.train.train_policy`: the targets are
  the highest-reward plans and rewrites found so far, with the human examples replayed.
"""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

#: The aligned sentence pairs of the training ads (shipped).
SENTENCE_PAIRS = Path(__file__).resolve().parent / "data" / "sentence_pairs.csv"


@lru_cache(maxsize=1)
def sentence_pairs() -> pd.DataFrame:
    """The shipped pairs: ad_id, title, coding, position, similarity, original, human, plan (empty table if absent)."""
    cols = ["ad_id", "title", "coding", "position", "similarity", "original", "human", "plan"]
    if not SENTENCE_PAIRS.is_file():
        return pd.DataFrame(columns=cols)
    return pd.read_csv(SENTENCE_PAIRS, keep_default_na=False)[cols]


def human_examples(tokenizer: Any, pairs: pd.DataFrame | None = None) -> tuple[list[str], list[str]]:
    """SFT (prompt, target) pairs from careful human rewrites: sentence level, then phrase level.

    Every pair gives a rewrite prompt (:func:`~rewriting.policy.build_rewrite_prompt`) whose target is
    the human sentence; a pair a few phrase edits reproduce also gives an edit prompt
    (:func:`~rewriting.policy.build_edit_prompt`, the edited phrases flagged) whose target is that plan.

    Parameters
    ----------
    tokenizer : the policy's tokenizer
    pairs : DataFrame, optional
        Default: :func:`sentence_pairs`.
    """
    from .edits import parse_plan
    from .meaning import editable_words, states_requirement
    from .policy import build_edit_prompt, build_rewrite_prompt

    pairs = sentence_pairs() if pairs is None else pairs
    prompts, targets = [], []
    for r in pairs.itertuples(index=False):
        prompts.append(build_rewrite_prompt(tokenizer, r.original, r.title, editable_words(r.original, r.title)))
        targets.append(r.human)
    for r in pairs.itertuples(index=False):
        plan = parse_plan(r.plan, r.original) if str(r.plan).strip() else None
        if plan is not None and plan.valid and plan.replacements:
            prompts.append(build_edit_prompt(tokenizer, r.original, r.title, [o for o, _ in plan.replacements],
                                             not states_requirement(r.original, r.title)))
            targets.append(str(r.plan))
    return prompts, targets


def train_sft(model: Any, tokenizer: Any, prompts: Sequence[str], targets: Sequence[str], output_dir: Path, *,
              epochs: int, learning_rate: float, batch_size: int = 8, seed: int = 0,
              progress: bool = True) -> dict:
    """Fit the (already LoRA-wrapped) ``model`` to the targets; return its log.

    Returns
    -------
    dict with ``log_history``, ``train_seconds``, ``n_examples``.
    """
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    if not prompts or epochs < 1:
        return {"log_history": [], "train_seconds": 0.0, "n_examples": 0}
    eos = tokenizer.eos_token or ""
    # identical (prompt, target) pairs (templated ads repeat sentences) cost steps and teach nothing new
    pairs = list(dict.fromkeys(zip(prompts, targets)))
    data = Dataset.from_dict({"prompt": [p for p, _ in pairs], "completion": [f" {t}{eos}" for _, t in pairs]})
    on_gpu = torch.cuda.is_available() and next(model.parameters()).is_cuda
    config = SFTConfig(
        output_dir=str(output_dir), num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        learning_rate=learning_rate, lr_scheduler_type="constant", logging_steps=10, save_strategy="no",
        seed=seed, data_seed=seed, use_cpu=not on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported(),
        report_to="none", disable_tqdm=not progress, dataloader_num_workers=0, completion_only_loss=True,
        max_length=512, gradient_checkpointing=False,
    )
    model.train()
    trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer)
    t0 = time.perf_counter()
    trainer.train()
    model.eval()
    return {"log_history": list(trainer.state.log_history), "train_seconds": time.perf_counter() - t0,
            "n_examples": len(data)}
