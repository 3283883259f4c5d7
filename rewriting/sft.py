"""Supervised warm start of the rewriting policy (AutoRefine's first stage).

AutoRefine first fine-tunes the rewriter on good rewrites, then refines it with
RL. Here the "good rewrites" are *reward-filtered best-of-n* targets: for every
training sentence a handful of candidate edits is scored with the same
:class:`~rewriting.reward.Reward` the RL stage uses (the audit's gap on the whole
reassembled job, guarded by meaning, skill recall and form), and the best
candidate is kept only if its (mean) reward beats leaving the sentence
unchanged; otherwise the target *is* the unchanged sentence, so the policy also
learns when not to edit. The LoRA adapter is then fitted to those (prompt, target)
pairs with TRL's ``SFTTrainer`` (loss on the completion only), and GRPO starts
from that adapter.

Candidates (cheap, deterministic; no sampling needed):

1. lexicon substitution of every coded word (:func:`fairaudit.lexicon.neutralize_text`);
2. lexicon substitution of one coded word at a time (which words to change is
   what the reward decides: the audit's word drivers show some coded words move
   the ranking and others do not);
3. the unchanged sentence (reward 0);
4. optionally, samples of the base model (``extra`` argument).

(Deleting coded words was tried and dropped: it passes the similarity guard
while producing broken sentences such as "You will make and goals.")

Only *training* jobs are used; the held-out jobs never reach this stage.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.lexicon import gender_coded_words, neutral_replacement, neutralize_text

from .policy import build_prompt
from .reward import Reward
from .rewrite import Unit, _keep_punct

_TOKEN = re.compile(r"[A-Za-z][A-Za-z-]*")


def edit_candidates(sentence: str, max_candidates: int = 6) -> list[str]:
    """Distinct lexicon-based candidate rewrites of one sentence.

    The full lexicon substitution (:func:`fairaudit.lexicon.neutralize_text`)
    and, for each coded word that has a neutral substitute, the sentence with
    only that word replaced (which words to change is what the reward decides).

    Examples
    --------
    >>> edit_candidates("We want a competitive, driven person.")
    ['We want a strong, motivated person.', 'We want a strong, driven person.', 'We want a competitive, motivated person.']
    """
    lists = gender_coded_words(True)
    stems = tuple(lists["masculine"]) + tuple(lists["feminine"])
    text = str(sentence)
    spans = [m for m in _TOKEN.finditer(text)
             if m.group(0).lower().startswith(stems) and neutral_replacement(m.group(0)) is not None]
    cands = [neutralize_text(text)]
    for m in spans:
        cands.append(text[:m.start()] + str(neutral_replacement(m.group(0))) + text[m.end():])
    out: list[str] = []
    for c in cands:
        c = _keep_punct(sentence, c)
        if c and c.strip() != text.strip() and c not in out:
            out.append(c)
    return out[:max_candidates]


def sft_targets(reward: Reward, units: Sequence[Unit], parts: Sequence[list[str]], gap_before: np.ndarray,
                extra: Sequence[Sequence[str]] | None = None, max_per_sentence: int = 4) -> pd.DataFrame:
    """Reward-filtered best rewrite per distinct training sentence.

    Every candidate (:func:`edit_candidates`, plus ``extra``) of every unit is
    scored with ``reward`` in its own job. The same sentence can occur in several
    jobs, where the same edit may help or hurt, so candidates are ranked by their
    *mean* reward over the units holding that sentence; keeping the sentence
    unchanged is a candidate with reward 0. The winner is the target of (at most
    ``max_per_sentence``) of those units, so the policy learns both which edit
    helps and when to leave a sentence alone (the edit's expected reward <= 0).

    .. math:: y^*(s) = \\arg\\max_{y \\in C(s) \\cup \\{s\\}} \\frac{1}{|U_s|}
              \\sum_{u \\in U_s} R(u, y)

    Parameters
    ----------
    reward : Reward
    units : training sentences (:func:`~rewriting.rewrite.select_units`)
    parts : :func:`~rewriting.rewrite.split_sentences` of every training job
    gap_before : gaps of the original training jobs
    extra : optional further candidates per unit (e.g. base-model samples)
    max_per_sentence : int
        Training examples per distinct sentence (bounds the SFT cost).

    Returns
    -------
    DataFrame
        One row per training example: ``unit``, ``target``, ``reward`` (mean
        reward of the target for that sentence), ``fairness`` (its mean
        fairness term), ``keep`` (target is the unchanged sentence),
        ``n_candidates``.
    """
    cols = ["unit", "target", "reward", "fairness", "keep", "n_candidates"]
    flat: list[tuple[int, str]] = []
    for u_i, u in enumerate(units):
        cands = edit_candidates(u.sentence) + [_keep_punct(u.sentence, c) for c in (extra[u_i] if extra else [])
                                               if c and c.strip()]
        flat.extend((u_i, c) for c in dict.fromkeys(cands))
    if not units:
        return pd.DataFrame(columns=cols)
    scores = pd.DataFrame(columns=["unit", "target", "reward", "fairness"])
    if flat:
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
        scores = pd.DataFrame({"unit": [u_i for u_i, _ in flat], "target": new,
                               "reward": s["reward"].to_numpy(float), "fairness": s["fairness"].to_numpy(float)})
    sentence = pd.Series([u.sentence.strip() for u in units])
    # keeping the sentence: reward 0 in every job
    keep = pd.DataFrame({"unit": range(len(units)), "target": [u.sentence for u in units], "reward": 0.0,
                         "fairness": 0.0})
    allc = pd.concat([scores, keep], ignore_index=True)
    allc["sentence"] = sentence[allc["unit"].to_numpy()].to_numpy()
    n_units = sentence.value_counts()
    # a candidate not proposed for some unit of the sentence counts as rejected there
    agg = allc.groupby(["sentence", "target"], sort=True).agg(total=("reward", "sum"), fair=("fairness", "sum"),
                                                               n=("reward", "size")).reset_index()
    agg["mean"] = (agg["total"] - 3.0 * (agg["sentence"].map(n_units) - agg["n"])) / agg["sentence"].map(n_units)
    agg["fair_mean"] = agg["fair"] / agg["sentence"].map(n_units)
    # deterministic winner: highest mean reward, ties -> keeping the sentence, then text order
    agg["is_keep"] = agg["sentence"] == agg["target"].str.strip()
    # the primary objective is the gap (fairness term); the meaning terms only
    # break ties, since the guard already enforces similarity and skill recall
    agg = agg.sort_values(["sentence", "fair_mean", "mean", "is_keep", "target"],
                          ascending=[True, False, False, False, True])
    best = agg.drop_duplicates("sentence").set_index("sentence")
    n_cands = allc.groupby("unit").size()
    rows = []
    for sent, idx in sentence.groupby(sentence, sort=True).groups.items():
        b = best.loc[sent]
        for u_i in list(idx)[:max_per_sentence]:
            rows.append({"unit": int(u_i), "target": b["target"], "reward": float(b["mean"]),
                         "fairness": float(b["fair_mean"]), "keep": bool(b["is_keep"]),
                         "n_candidates": int(n_cands.get(u_i, 1))})
    return pd.DataFrame(rows, columns=cols).sort_values("unit").reset_index(drop=True)


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
