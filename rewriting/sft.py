"""Supervised warm start of the rewriting policy (AutoRefine's first stage).

AutoRefine first fine-tunes the rewriter on good rewrites, then refines it with
RL. Here the "good rewrites" are *reward-filtered best-of-n* targets: for every
training sentence a handful of candidate edits is scored with the same
:class:`~rewriting.reward.Reward` the RL stage uses (the audit's gap on the whole
reassembled job, guarded by meaning, skill recall and form), and the best
candidate (largest fairness term among guard-accepted ones) is the target
unless it widens the gap; then the target *is* the unchanged sentence, so the
policy also learns when not to edit. The LoRA adapter is then fitted to those (prompt, target)
pairs with TRL's ``SFTTrainer`` (loss on the completion only), and GRPO starts
from that adapter.

Candidates (cheap, deterministic; no sampling needed):

1. lexicon substitution of the words the prompt names (the audit's drivers:
   coded words whose removal narrows this job's gap);
2. lexicon substitution of every coded word (:func:`fairaudit.lexicon.neutralize_text`);
3. lexicon substitution of one coded word at a time;
4. the unchanged sentence (when every edit widens the gap);
5. optionally, samples of the base model (``extra`` argument).

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


def _replace(text: str, words: Sequence[str] | None) -> str:
    """Lexicon substitution of the coded words in ``words`` (all coded words if None)."""
    lists = gender_coded_words(True)
    stems = tuple(lists["masculine"]) + tuple(lists["feminine"])
    wanted = None if words is None else {w.lower() for w in words}

    def sub(m: re.Match) -> str:
        w = m.group(0)
        if not w.lower().startswith(stems) or (wanted is not None and w.lower() not in wanted):
            return w
        rep = neutral_replacement(w)
        return rep if rep is not None else w

    return _TOKEN.sub(sub, str(text))


def edit_candidates(sentence: str, hint: Sequence[str] = (), max_candidates: int = 6) -> list[str]:
    """Distinct lexicon-based candidate rewrites of one sentence, hinted edit first.

    1. the ``hint`` words (the audit's drivers) replaced by their neutral
       substitutes, the other words kept;
    2. every coded word replaced (:func:`fairaudit.lexicon.neutralize_text`);
    3. one coded word at a time.

    Examples
    --------
    >>> edit_candidates("We want a competitive, driven person.", hint=("driven",))
    ['We want a competitive, motivated person.', 'We want a strong, motivated person.', 'We want a strong, driven person.']
    """
    text = str(sentence)
    coded = [m.group(0) for m in _TOKEN.finditer(text) if _replace(m.group(0), None) != m.group(0)]
    cands = ([_replace(text, hint)] if hint else []) + [neutralize_text(text)] + [_replace(text, [w]) for w in coded]
    out: list[str] = []
    for c in cands:
        c = _keep_punct(sentence, c)
        if c and c.strip() != text.strip() and c not in out:
            out.append(c)
    return out[:max_candidates]


def lexicon_hint_proposer(units: Sequence[Unit]) -> list[list[str]]:
    """Ablation proposer: lexicon substitution of each unit's hint words only."""
    return [[_replace(u.sentence, u.hint)] for u in units]


def sft_targets(reward: Reward, units: Sequence[Unit], parts: Sequence[list[str]], gap_before: np.ndarray,
                extra: Sequence[Sequence[str]] | None = None, max_examples: int = 48) -> pd.DataFrame:
    """Reward-filtered best rewrite of each training sentence.

    Every candidate (:func:`edit_candidates` with the unit's hint, plus
    ``extra``) is scored with ``reward`` in its own job. The target is the
    guard-accepted candidate with the largest fairness term (ties: the earlier
    candidate, i.e. the hinted edit); when even that one widens the gap, or the
    guard rejects all, the target is the unchanged sentence, so the policy also
    learns when not to edit.

    .. math:: y^*(u) = \\arg\\max_{y \\in C(u)} F(u, y)\\ \\text{if}\\ \\max F \\ge 0
              \\ \\text{else}\\ u

    with :math:`F` the fairness term (the meaning terms are enforced by the guard).

    Parameters
    ----------
    reward : Reward
    units : training sentences (:func:`~rewriting.rewrite.select_units`)
    parts : :func:`~rewriting.rewrite.split_sentences` of every training job
    gap_before : gaps of the original training jobs
    extra : optional further candidates per unit (e.g. base-model samples)
    max_examples : int
        At most this many examples (bounds SFT time); distinct
        (sentence, target) pairs are taken before repeats.

    Returns
    -------
    DataFrame
        One row per training example: ``unit``, ``target``, ``reward``,
        ``fairness``, ``keep`` (target is the unchanged sentence), ``n_candidates``.
    """
    cols = ["unit", "target", "reward", "fairness", "keep", "n_candidates"]
    flat: list[tuple[int, int, str]] = []
    for u_i, u in enumerate(units):
        cands = edit_candidates(u.sentence, u.hint) + [_keep_punct(u.sentence, c)
                                                       for c in (extra[u_i] if extra else []) if c and c.strip()]
        flat.extend((u_i, j, c) for j, c in enumerate(dict.fromkeys(cands)))
    rows = {u_i: {"unit": u_i, "target": u.sentence, "reward": 0.0, "fairness": 0.0, "keep": True,
                  "n_candidates": 0} for u_i, u in enumerate(units)}
    if flat:
        orig, new, before, after, titles, gb = [], [], [], [], [], []
        for u_i, _, cand in flat:
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
        s["unit"] = [f[0] for f in flat]
        s["order"] = [f[1] for f in flat]
        s["target"] = new
        for u_i, grp in s.groupby("unit", sort=True):
            rows[u_i]["n_candidates"] = len(grp)
            ok = grp[grp["accepted"]].sort_values(["fairness", "order"], ascending=[False, True])
            if len(ok) and ok["fairness"].iloc[0] >= 0:
                b = ok.iloc[0]
                rows[u_i].update(target=b["target"], reward=float(b["reward"]), fairness=float(b["fairness"]),
                                 keep=False)
    out = pd.DataFrame(list(rows.values()), columns=cols)
    if out.empty:
        return out
    sent = pd.Series([units[i].sentence.strip() for i in out["unit"]])
    out["_rank"] = out.assign(_s=sent.to_numpy()).groupby(["_s", "target"]).cumcount().to_numpy()
    out = out.sort_values(["_rank", "unit"]).head(max_examples).sort_values("unit")
    return out[cols].reset_index(drop=True)


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
        "prompt": [build_prompt(tokenizer, units[int(i)].sentence, units[int(i)].title, units[int(i)].hint)
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
