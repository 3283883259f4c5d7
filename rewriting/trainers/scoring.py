"""Scoring edit plans of training sentences on their whole jobs (what every trainer optimises)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from fairaudit.engine.occlusion import assemble, split_sentences

from ..edits import EditPlan, apply_plan, parse_plan
from ..policy import build_edit_prompt, build_rewrite_prompt, clean_completion, generate
from ..reward import Reward
from ..rewrite import Unit


class UnitScorer:
    """Scores edit plans of training units on their whole jobs (one :meth:`Reward.score` per batch).

    Parameters
    ----------
    reward : Reward
    units : sequence of Unit
        The training sentences (:func:`~rewriting.rewrite.find_units`).
    jobs : DataFrame
        The jobs the units come from (title, text).
    """

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

    def score(self, unit_ids: Sequence[int], plans: Sequence[EditPlan | None],
              sentences: Sequence[str | None] | None = None) -> pd.DataFrame:
        """The reward terms of applying ``plans[i]`` to unit ``unit_ids[i]`` (or, where ``plans[i]`` is None,
        of replacing the unit by the free-text rewrite ``sentences[i]``), one row each."""
        before, after, ub, ua, titles, fb = [], [], [], [], [], []
        sentences = list(sentences) if sentences is not None else [None] * len(plans)
        for u_i, plan, text in zip(unit_ids, plans, sentences):
            u = self.units[int(u_i)]
            new = apply_plan(u.sentence, plan) if plan is not None else str(text)
            before.append(self.texts[u.row])
            after.append(assemble(self.parts[u.row], u.slot, new))
            ub.append(u.sentence)
            ua.append(new)
            titles.append(u.title)
            fb.append(self.fair_before[u.row])
        return self.reward.score(before, after, titles=titles, units_before=ub, units_after=ua, plans=list(plans),
                                 fair_before=fb)


def unit_prompts(units: Sequence[Unit], tokenizer: Any) -> list[str]:
    """The edit prompt of every unit (the policy's input)."""
    return [build_edit_prompt(tokenizer, u.sentence, u.title, u.flagged, u.deletable) for u in units]


def rewrite_prompts(units: Sequence[Unit], tokenizer: Any) -> list[str]:
    """The sentence-rewrite prompt of every unit (:func:`~rewriting.policy.build_rewrite_prompt`)."""
    from ..meaning import editable_words

    return [build_rewrite_prompt(tokenizer, u.sentence, u.title, editable_words(u.sentence, u.title)) for u in units]


def clean_rewrite(unit: Unit, answer: str) -> str:
    """The sentence a rewrite answer stands for (the original's final punctuation kept)."""
    from ..baselines import keep_punct

    return keep_punct(unit.sentence, clean_completion(answer)) or unit.sentence


def best_rewrites(scorer: UnitScorer, candidates: Sequence[Sequence[str]],
                  incumbent: Sequence[tuple[str, float]]) -> tuple[list[tuple[str, float]], dict]:
    """The highest-reward sentence per unit among ``candidates`` (free-text rewrites) and ``incumbent``
    (per unit, the best sentence found so far, e.g. the best plan applied, and its reward)."""
    flat = [(u_i, t) for u_i, texts in enumerate(candidates) for t in texts]
    s = scorer.score([u for u, _ in flat], [None] * len(flat), [t for _, t in flat]) if flat else \
        pd.DataFrame(columns=["reward", "accepted"])
    best = list(incumbent)
    improved = 0
    for (u_i, text), r in zip(flat, s["reward"].to_numpy(dtype=float)):
        if r > best[u_i][1] + 1e-9:
            best[u_i] = (text, float(r))
            improved += 1
    return best, {"n_rewrites": len(flat), "rewrites_accepted_share": float(s["accepted"].mean()) if len(s) else 0.0,
                  "rewrites_improved": improved}


def sample_rewrites(model: Any, tokenizer: Any, units: Sequence[Unit], n: int, temperature: float,
                    max_new_tokens: int, seed: int, progress: bool = False) -> list[list[str]]:
    """``n`` sampled whole-sentence rewrites per unit (distinct, the original and empty answers dropped)."""
    raw, _ = generate(model, tokenizer, rewrite_prompts(units, tokenizer), n=n, max_new_tokens=max_new_tokens,
                      do_sample=True, temperature=temperature, seed=seed, batch_size=16, progress=progress)
    out = []
    for u, answers in zip(units, raw):
        texts = list(dict.fromkeys(clean_rewrite(u, a) for a in answers))
        out.append([t for t in texts if t.strip() and t.strip() != u.sentence.strip()])
    return out


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
