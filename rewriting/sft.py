"""Supervised fitting of the LoRA adapter to (prompt, target plan) pairs (TRL ``SFTTrainer``).

Used by each expert-iteration round of :func:`rewriting.train.train_policy`:
the targets are the highest-reward edit plans found so far, and the loss is on
the completion only.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence


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
