"""Supervised warm start of the rewriting policy (AutoRefine's first stage).

AutoRefine first fine-tunes the rewriter on good rewrites, then refines it with
RL. Here the "good rewrites" are *reward-filtered best-of-n* targets: for every
training sentence a handful of candidate edits is scored with the same
:class:`~rewriting.reward.Reward` the RL stage uses (the audit's gap on the whole
reassembled job, guarded by meaning, skill recall and form), and the best
candidate is kept only if the guard accepts it and its reward is positive (the
job's gap narrows). The LoRA adapter is then fitted to those (prompt, target)
pairs with TRL's ``SFTTrainer`` (loss on the completion only), and GRPO starts
from that adapter.

Candidates (cheap, deterministic; no sampling needed):

1. lexicon substitution (:func:`fairaudit.lexicon.neutralize_text`);
2. the coded words deleted (what the audit's counterfactual word drivers
   measure: removing the word narrows the gap by its delta);
3. lexicon substitution, then deletion of the coded words left without a
   substitute;
4. optionally, samples of the base model (``extra`` argument).

Only *training* jobs are used; the held-out jobs never reach this stage.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.lexicon import gender_coded_words, neutralize_text

from .policy import build_prompt
from .reward import Reward
from .rewrite import Unit, _keep_punct

_TOKEN = re.compile(r"[A-Za-z][A-Za-z-]*")


def drop_coded_words(sentence: str) -> str:
    """``sentence`` with its gender-coded words deleted and the punctuation tidied.

    Examples
    --------
    >>> drop_coded_words("We want a competitive, driven person for challenging work.")
    'We want a person for work.'
    """
    lists = gender_coded_words(True)
    stems = tuple(lists["masculine"]) + tuple(lists["feminine"])
    text = _TOKEN.sub(lambda m: "" if m.group(0).lower().startswith(stems) else m.group(0), str(sentence))
    # tidy what deletion leaves behind: doubled spaces/commas, dangling "and"/"or"
    for pat, rep in ((r"[ \t]+", " "), (r"\s+([,.;:!?])", r"\1"), (r",(\s*,)+", ","),
                     (r",?\s*\b(and|or)\s*([,.;:!?]|$)", r"\2"), (r"\b(and|or)\s*,", r"\1"),
                     (r",\s*([.;:!?]|$)", r"\1"), (r"\b(a|an|the)\s+(and|or)\b", r"\1"),
                     (r"\b(and|or)\s+(and|or)\b", r"\1"),
                     # a comma right after a function word or verb stub means its list was emptied
                     (r"\b(is|are|a|an|the|value|want|will|be|in|with|and|or)\s*,\s*", r"\1 "),
                     (r"[ \t]+", " ")):
        text = re.sub(pat, rep, text)
    return text.strip()


def edit_candidates(sentence: str) -> list[str]:
    """Distinct deterministic candidate rewrites of one sentence (see module docstring)."""
    lex = neutralize_text(sentence)
    cands = [lex, drop_coded_words(sentence), drop_coded_words(lex)]
    out: list[str] = []
    for c in cands:
        c = _keep_punct(sentence, c)
        if c and c.strip() != sentence.strip() and c not in out:
            out.append(c)
    return out


def sft_targets(reward: Reward, units: Sequence[Unit], parts: Sequence[list[str]], gap_before: np.ndarray,
                extra: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
    """Reward-filtered best candidate per training sentence.

    Parameters
    ----------
    reward : Reward
    units : training sentences (:func:`~rewriting.rewrite.select_units`)
    parts : :func:`~rewriting.rewrite.split_sentences` of every training job
    gap_before : gaps of the original training jobs
    extra : optional further candidates per unit (e.g. base-model samples)

    Returns
    -------
    DataFrame
        One row per unit that has a target: ``unit``, ``target``, ``reward``,
        ``fairness``, ``n_candidates``. Units whose best candidate is rejected
        by the guard or does not narrow the gap (reward <= 0) get no row.
    """
    flat: list[tuple[int, str]] = []
    for u_i, u in enumerate(units):
        cands = edit_candidates(u.sentence) + [_keep_punct(u.sentence, c) for c in (extra[u_i] if extra else [])
                                               if c and c.strip()]
        flat.extend((u_i, c) for c in dict.fromkeys(cands))
    cols = ["unit", "target", "reward", "fairness", "n_candidates"]
    if not flat:
        return pd.DataFrame(columns=cols)
    orig, new, before, after, titles, gb = [], [], [], [], [], []
    for u_i, cand in flat:
        u = units[u_i]
        p = list(parts[u.row])
        p[u.slot] = cand
        orig.append(u.sentence)
        new.append(cand)
        before.append("".join(parts[u.row]))
        after.append("".join(p))
        titles.append(u.title)
        gb.append(gap_before[u.row])
    s = reward.score(orig, new, jobs_before=before, jobs_after=after, titles=titles, gap_before=gb)
    s["unit"] = [u_i for u_i, _ in flat]
    s["target"] = new
    n = s.groupby("unit").size()
    ok = s[s["accepted"] & (s["reward"] > 0)]
    if ok.empty:
        return pd.DataFrame(columns=cols)
    best = ok.loc[ok.groupby("unit")["reward"].idxmax()].copy()
    best["n_candidates"] = best["unit"].map(n)
    return best[cols].reset_index(drop=True)


def train_sft(model: Any, tokenizer: Any, units: Sequence[Unit], targets: pd.DataFrame, output_dir: Path, *,
              epochs: int, learning_rate: float, batch_size: int = 4, seed: int = 0,
              progress: bool = True) -> dict:
    """Fit the (already LoRA-wrapped) ``model`` to the targets with TRL's SFTTrainer.

    Returns
    -------
    dict with ``log_history``, ``train_seconds``, ``n_examples``.
    """
    import torch
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    if targets.empty or epochs < 1:
        return {"log_history": [], "train_seconds": 0.0, "n_examples": 0}
    data = Dataset.from_dict({
        "prompt": [build_prompt(tokenizer, units[int(i)].sentence, units[int(i)].title, units[int(i)].words)
                   for i in targets["unit"]],
        "completion": [str(t) for t in targets["target"]],
    })
    on_gpu = torch.cuda.is_available() and next(model.parameters()).is_cuda
    config = SFTConfig(
        output_dir=str(output_dir), num_train_epochs=epochs, per_device_train_batch_size=batch_size,
        learning_rate=learning_rate, lr_scheduler_type="constant", logging_steps=1, save_strategy="no",
        seed=seed, data_seed=seed, use_cpu=not on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported(),
        report_to="none", disable_tqdm=not progress, dataloader_num_workers=0, completion_only_loss=True,
        max_length=512, gradient_checkpointing=False,
    )
    trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer)
    t0 = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - t0
    return {"log_history": list(trainer.state.log_history), "train_seconds": seconds, "n_examples": len(data)}
