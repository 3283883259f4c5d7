"""Proposers for the rewriting methods compared in the benchmark.

1. ``original``   - no change (the reference).
2. ``lexicon``    - Gaucher-coded words replaced by neutral ones
   (:func:`fairaudit.lexicon.neutralize_text`).
3. ``prompt``     - the base model asked once to rewrite (greedy decoding).
4. ``best_of_n``  - the base model sampled ``n`` times, the candidate with the
   best reward kept (reward used at inference, no training).
5. ``rl``         - the LoRA policy trained with GRPO (greedy decoding).

Each proposer maps :class:`~rewriting.rewrite.Unit` s to candidate strings and
is passed to :func:`~rewriting.rewrite.rewrite_jobs`, so every method meets the
same guard and the same metrics.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fairaudit.lexicon import neutralize_text

from .policy import build_prompt, clean_completion, generate
from .rewrite import Unit


def identity_proposer(units: list[Unit]) -> list[list[str]]:
    """Baseline 1: keep every sentence."""
    return [[u.sentence] for u in units]


def lexicon_proposer(units: list[Unit]) -> list[list[str]]:
    """Baseline 2: substitute coded words with the neutral lexicon."""
    return [[neutralize_text(u.sentence)] for u in units]


@dataclass
class LMProposer:
    """Rewrite sentences with a causal LM (base model or base + LoRA adapter).

    Parameters
    ----------
    model, tokenizer
        A loaded causal LM (see :func:`rewriting.policy.load_model`).
    n : int
        Candidates per sentence (1 = prompt-only / policy, > 1 = best-of-n).
    do_sample : bool
        Sample (temperature ``temperature``) instead of greedy decoding.
    max_new_tokens : int
    seed : int
    progress : bool

    Attributes
    ----------
    n_tokens, seconds : running totals of generated tokens and generation time.
    """

    model: Any
    tokenizer: Any
    n: int = 1
    do_sample: bool = False
    temperature: float = 0.8
    max_new_tokens: int = 64
    seed: int = 0
    batch_size: int = 8
    progress: bool = False
    n_tokens: int = field(default=0, init=False)
    seconds: float = field(default=0.0, init=False)

    def __call__(self, units: list[Unit]) -> list[list[str]]:
        if not units:
            return []
        prompts = [build_prompt(self.tokenizer, u.sentence, u.title, u.hint) for u in units]
        t0 = time.perf_counter()
        raw, n_tok = generate(self.model, self.tokenizer, prompts, n=self.n, max_new_tokens=self.max_new_tokens,
                              do_sample=self.do_sample or self.n > 1, temperature=self.temperature,
                              seed=self.seed, batch_size=self.batch_size, progress=self.progress)
        self.seconds += time.perf_counter() - t0
        self.n_tokens += n_tok
        return [[clean_completion(c) for c in cands] for cands in raw]

    @property
    def tokens_per_second(self) -> float:
        return self.n_tokens / self.seconds if self.seconds > 0 else float("nan")
