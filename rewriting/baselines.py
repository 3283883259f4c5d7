"""Proposers: every rewriting method maps units to candidate rewrites.

1. ``original``   - no change (the reference).
2. ``lexicon``    - Gaucher-coded words replaced from a neutral word list
   (:func:`fairaudit.text.lexicon.neutralize_text`), what a word-list tool does.
3. ``prompt``     - the base model asked once to rewrite the sentence (greedy).
4. ``best_of_n``  - the base model sampled ``n`` times, the candidate with the
   best reward kept (reward used at inference, no training).
5. ``search``     - no language model: the fixed edit set of
   :func:`candidate_plans` (lexicon words, removals, deletion), the best by
   reward kept. The seed set of the policy's expert iteration.
6. ``policy``     - the LoRA policy trained with RL: its greedy edit plan, next to the edit
   vocabulary learned from careful human rewrites of the training ads
   (:func:`rewriting.vocabulary.pair_plans`) and the fixed edit set; the reward on the
   user's pool keeps the best (:class:`PolicyProposer`).

Each proposer returns :class:`~rewriting.rewrite.Proposal` lists and is passed
to :func:`~rewriting.rewrite.rewrite_jobs`, so every method meets the same guard
and the same metrics.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fairaudit.text.lexicon import find_coded_words, neutral_replacement, neutralize_text

from .edits import EditPlan, apply_plan, parse_plan
from .policy import build_edit_prompt, build_prompt, clean_completion, generate
from .rewrite import Proposal, Unit


def identity_proposer(units: list[Unit]) -> list[list[Proposal]]:
    """Baseline 1: keep every sentence."""
    return [[Proposal(u.sentence, EditPlan())] for u in units]


def keep_punct(original: str, rewrite: str) -> str:
    """``rewrite`` with the original's final ``.!?`` restored if a model dropped it."""
    r = str(rewrite).strip()
    if r and original.strip()[-1:] in ".!?" and r[-1:] not in ".!?":
        r += original.strip()[-1]
    return r


def lexicon_proposer(units: list[Unit]) -> list[list[Proposal]]:
    """Baseline 2: substitute every coded word of the sentence from the neutral lexicon."""
    return [[Proposal(neutralize_text(u.sentence))] for u in units]


#: Gender-neutral words for words that name a person by gender ("hiring a guy who" -> "a person who").
NEUTRAL_PEOPLE: dict[str, str] = {
    "guy": "person", "guys": "people", "lad": "person", "lads": "people", "man": "person", "men": "people",
    "woman": "person", "women": "people", "girl": "person", "girls": "people", "boy": "person", "boys": "people",
    "gentleman": "person", "gentlemen": "people", "lady": "person", "ladies": "people", "bloke": "person",
    "blokes": "people", "chap": "person", "chaps": "people", "gal": "person", "gals": "people",
    "salesman": "salesperson", "saleswoman": "salesperson", "chairman": "chair", "chairwoman": "chair",
}


def candidate_plans(unit: Unit) -> list[EditPlan]:
    """A fixed set of edit plans for one unit (no language model).

    KEEP; DELETE when the sentence states no requirement; every flagged phrase
    replaced from the neutral lexicon (coded words) or :data:`NEUTRAL_PEOPLE`
    (gendered person words), or removed (others);
    and each flagged phrase on its own, replaced or removed. Distinct plans,
    in that order.
    """
    plans = [EditPlan()]
    if unit.deletable:
        plans.append(EditPlan(delete=True))
    coded = {w.lower() for w, _ in find_coded_words(unit.sentence)}

    def lex(w: str) -> str | None:
        if w.lower() in coded:
            return neutral_replacement(w)
        return NEUTRAL_PEOPLE.get(w.lower())

    flagged = list(unit.flagged)
    if flagged:
        plans.append(EditPlan(replacements=tuple((w, lex(w) or "") for w in flagged)))
        plans.append(EditPlan(replacements=tuple((w, "") for w in flagged)))
    for w in flagged:
        rep = lex(w)
        if rep:
            plans.append(EditPlan(replacements=((w, rep),)))
        plans.append(EditPlan(replacements=((w, ""),)))
    out: list[EditPlan] = []
    for p in plans:
        if p not in out:
            out.append(p)
    return out


def search_proposer(units: list[Unit]) -> list[list[Proposal]]:
    """Baseline 5: every :func:`candidate_plans` edit (use with ``choose="best"``)."""
    return [[Proposal(apply_plan(u.sentence, p), p) for p in candidate_plans(u)] for u in units]


@dataclass
class _LMProposer:
    model: Any
    tokenizer: Any
    n: int = 1
    do_sample: bool = False
    temperature: float = 0.8
    max_new_tokens: int = 48
    seed: int = 0
    batch_size: int = 16
    progress: bool = False
    n_tokens: int = field(default=0, init=False)
    seconds: float = field(default=0.0, init=False)

    def _generate(self, prompts: list[str]) -> list[list[str]]:
        t0 = time.perf_counter()
        raw, n_tok = generate(self.model, self.tokenizer, prompts, n=self.n, max_new_tokens=self.max_new_tokens,
                              do_sample=self.do_sample or self.n > 1, temperature=self.temperature,
                              seed=self.seed, batch_size=self.batch_size, progress=self.progress)
        self.seconds += time.perf_counter() - t0
        self.n_tokens += n_tok
        return raw

    @property
    def tokens_per_second(self) -> float:
        return self.n_tokens / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class EditProposer(_LMProposer):
    """The policy: a causal LM (base + LoRA adapter) answering edit plans.

    ``n`` plans per unit (1 = greedy); each is parsed and applied to the
    original sentence (:mod:`rewriting.edits`).
    """

    max_new_tokens: int = 32

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        prompts = [build_edit_prompt(self.tokenizer, u.sentence, u.title, u.flagged, u.deletable) for u in units]
        out = []
        for u, answers in zip(units, self._generate(prompts)):
            props = []
            for a in answers:
                plan = parse_plan(a, u.sentence)
                props.append(Proposal(apply_plan(u.sentence, plan), plan))
            out.append(props)
        return out


@dataclass
class RewriteProposer(_LMProposer):
    """Free-text rewrite of each sentence by a causal LM (prompt-only / best-of-n baselines)."""

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        prompts = [build_prompt(self.tokenizer, u.sentence, u.title, u.flagged) for u in units]
        return [[Proposal(keep_punct(u.sentence, clean_completion(a))) for a in answers]
                for u, answers in zip(units, self._generate(prompts))]


@dataclass
class PolicyProposer:
    """The default method: the policy's plans plus the learned vocabulary and the fixed edit set.

    The adapter answers one plan per sentence (a few tokens). Beside it stand the phrase pairs
    mined from careful human rewrites of the training ads that occur in the sentence
    (:func:`rewriting.vocabulary.pair_plans`) and :func:`candidate_plans`; the reward on the
    user's pool chooses (use with ``choose="best"``). The policy's own plan is always first.
    """

    policy: EditProposer

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        from .vocabulary import pair_plans

        out = []
        for u, props in zip(units, self.policy(units)):
            plans = [p.plan for p in props]
            extra = []
            for p in pair_plans(u.sentence) + candidate_plans(u)[1:]:
                if p not in plans and p not in extra:  # each distinct plan is scored once
                    extra.append(p)
            out.append(list(props) + [Proposal(apply_plan(u.sentence, p), p) for p in extra])
        return out

    @property
    def n_tokens(self) -> int:
        return self.policy.n_tokens

    @property
    def seconds(self) -> float:
        return self.policy.seconds
