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
6. ``policy``     - the LoRA policy trained with RL: its greedy edit plan and its greedy
   rewrite of the whole sentence (learned from careful human rewrites, :mod:`rewriting.alignment`),
   next to the edit vocabulary learned from careful human rewrites of the training ads
   (:func:`rewriting.vocabulary.pair_plans`) and the fixed edit set; the reward on the
   user's pool keeps the best (:class:`PolicyProposer`). ``policy_best_of_n`` adds ``n``
   distinct sampled plans and ``n`` distinct sampled rewrites (:func:`explore`);
   ``policy_no_adapter`` is the ablation: the vocabulary and the fixed edit set alone.

Each proposer returns :class:`~rewriting.rewrite.Proposal` lists and is passed
to :func:`~rewriting.rewrite.rewrite_jobs`, so every method meets the same guard
and the same metrics.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from fairaudit.text.lexicon import find_coded_words, neutral_replacement, neutralize_text

from .edits import EditPlan, apply_plan, parse_plan
from .meaning import strip_token
from .people import neutral_title
from .policy import build_edit_prompt, build_prompt, build_rewrite_prompt, clean_completion, generate
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
    (gendered person words), or removed (others); every flagged phrase and every
    coded or gendered word the occlusion did not flag, replaced; each flagged phrase
    on its own, replaced or removed; each unflagged coded or gendered word on its own,
    replaced. Distinct plans, in that order.
    """
    plans = [EditPlan()]
    if unit.deletable:
        plans.append(EditPlan(delete=True))
    coded = {w.lower() for w, _ in find_coded_words(unit.sentence)}

    def lex(w: str) -> str | None:
        if w.lower() in coded:
            return neutral_replacement(w)
        return NEUTRAL_PEOPLE.get(w.lower()) or neutral_title(w)

    flagged = list(unit.flagged)
    # coded and gendered words the occlusion did not flag: removing "lads" from "Our lads start at 7" breaks
    # the sentence and moves nothing, replacing it may; the reward decides, and only a replacement is tried
    low = {w.lower() for w in flagged}
    unflagged = list(dict.fromkeys(w for w in (strip_token(t) for t in unit.sentence.split())
                                   if w and w.lower() not in low and lex(w)))
    if flagged:
        plans.append(EditPlan(replacements=tuple((w, lex(w) or "") for w in flagged)))
        plans.append(EditPlan(replacements=tuple((w, "") for w in flagged)))
    if unflagged:
        plans.append(EditPlan(replacements=tuple((w, lex(w) or "") for w in flagged + unflagged)))
    for w in flagged:
        rep = lex(w)
        if rep:
            plans.append(EditPlan(replacements=((w, rep),)))
        plans.append(EditPlan(replacements=((w, ""),)))
    for w in unflagged:
        plans.append(EditPlan(replacements=((w, lex(w)),)))
    out: list[EditPlan] = []
    for p in plans:
        if p not in out:
            out.append(p)
    return out


def search_proposer(units: list[Unit]) -> list[list[Proposal]]:
    """Baseline 5: every :func:`candidate_plans` edit (use with ``choose="best"``)."""
    return [[Proposal(apply_plan(u.sentence, p), p) for p in candidate_plans(u)] for u in units]


def _key(sentence: str) -> str:
    return " ".join(str(sentence).lower().split())


def explore(sample: Callable[[list[int], int, float], list[list[Proposal]]], n_prompts: int, n: int,
            known: list[set[str]], seed: int = 0, temperature: float = 1.0, rounds: int = 4,
            heat: float = 0.25) -> list[list[Proposal]]:
    """Up to ``n`` *distinct, new* proposals per prompt, sampled in rounds.

    A policy trained by expert iteration imitates the best plans of the fixed edit set, so most of
    its samples repeat its greedy plan or a plan the fixed set or the vocabulary already proposes:
    ``n`` plain samples added nothing (``policy_best_of_n`` gave the policy's rewrites on every ad).
    Here a sample counts only when its sentence is not in ``known[i]`` (the original, the greedy
    answers, the fixed set, the vocabulary, earlier samples); prompts short of ``n`` are sampled
    again with a fresh seed (``seed + round``) and a temperature raised by ``heat`` per round.

    Parameters
    ----------
    sample : callable (prompt indices, seed, temperature) -> proposals per prompt
        Draws samples for some prompts.
    n_prompts : int
        Number of prompts.
    n : int
        Distinct new proposals wanted per prompt.
    known : list of set of str
        Per prompt, the normalised sentences already proposed (updated in place).
    seed : int
        Seed of the first round.
    temperature : float
        Temperature of the first round.
    rounds : int
        Sampling rounds at most.
    heat : float
        Relative temperature increase per round.
    """
    out: list[list[Proposal]] = [[] for _ in range(n_prompts)]
    todo = list(range(n_prompts))
    for r in range(rounds):
        if not todo or n < 1:
            break
        for i, props in zip(todo, sample(todo, seed + r, temperature * (1 + heat * r))):
            for p in props:
                k = _key(p.sentence)
                if len(out[i]) < n and k not in known[i]:
                    known[i].add(k)
                    out[i].append(p)
        todo = [i for i in todo if len(out[i]) < n]
    return out


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

    def _generate(self, prompts: list[str], *, n: int | None = None, do_sample: bool | None = None,
                  seed: int | None = None, temperature: float | None = None) -> list[list[str]]:
        n = self.n if n is None else n
        t0 = time.perf_counter()
        raw, n_tok = generate(self.model, self.tokenizer, prompts, n=n, max_new_tokens=self.max_new_tokens,
                              do_sample=(self.do_sample or n > 1) if do_sample is None else do_sample,
                              temperature=self.temperature if temperature is None else temperature,
                              seed=self.seed if seed is None else seed, batch_size=self.batch_size,
                              progress=self.progress)
        self.seconds += time.perf_counter() - t0
        self.n_tokens += n_tok
        return raw

    def prompts(self, units: list[Unit]) -> list[str]:  # pragma: no cover - every proposer defines its own
        raise NotImplementedError

    def answer(self, unit: Unit, text: str) -> Proposal:  # pragma: no cover
        raise NotImplementedError

    def greedy(self, units: list[Unit]) -> list[Proposal]:
        """One greedy answer per unit."""
        raw = self._generate(self.prompts(units), n=1, do_sample=False) if units else []
        return [self.answer(u, a[0]) for u, a in zip(units, raw)]

    def sample(self, units: list[Unit], idx: list[int], seed: int, temperature: float) -> list[list[Proposal]]:
        """``n`` sampled answers for each of ``units[i]``, ``i`` in ``idx``."""
        sub = [units[i] for i in idx]
        raw = self._generate(self.prompts(sub), do_sample=True, seed=seed, temperature=temperature)
        return [[self.answer(u, a) for a in answers] for u, answers in zip(sub, raw)]

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

    def prompts(self, units: list[Unit]) -> list[str]:
        return [build_edit_prompt(self.tokenizer, u.sentence, u.title, u.flagged, u.deletable) for u in units]

    def answer(self, unit: Unit, text: str) -> Proposal:
        plan = parse_plan(text, unit.sentence)
        return Proposal(apply_plan(unit.sentence, plan), plan)

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        return [[self.answer(u, a) for a in answers] for u, answers in zip(units, self._generate(self.prompts(units)))]


@dataclass
class SentenceProposer(_LMProposer):
    """The policy's whole-sentence rewrite (:func:`~rewriting.policy.build_rewrite_prompt`): free text, no plan.

    What it must keep is checked by the guard (rule ``duty_kept`` and the others), not by construction.
    """

    max_new_tokens: int = 64

    def prompts(self, units: list[Unit]) -> list[str]:
        from .meaning import editable_words

        return [build_rewrite_prompt(self.tokenizer, u.sentence, u.title, editable_words(u.sentence, u.title))
                for u in units]

    def answer(self, unit: Unit, text: str) -> Proposal:
        return Proposal(keep_punct(unit.sentence, clean_completion(text)) or unit.sentence)

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        return [[self.answer(u, a) for a in answers] for u, answers in zip(units, self._generate(self.prompts(units)))]


@dataclass
class RewriteProposer(_LMProposer):
    """Free-text rewrite of each sentence by a causal LM (prompt-only / best-of-n baselines)."""

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        prompts = [build_prompt(self.tokenizer, u.sentence, u.title, u.flagged) for u in units]
        return [[Proposal(keep_punct(u.sentence, clean_completion(a))) for a in answers]
                for u, answers in zip(units, self._generate(prompts))]


def fixed_proposals(unit: Unit) -> list[Proposal]:
    """The vocabulary's plans for the sentence, its phrase edits (:func:`rewriting.phrases.phrase_plans`:
    similes, coded person phrases, slogans) and the fixed edit set (no KEEP), each distinct plan once."""
    from .lexical import is_gendered_or_coded
    from .phrases import phrase_plans
    from .vocabulary import pair_plans

    flagged = {w.lower() for w in unit.flagged}
    phrases = phrase_plans(unit.sentence, lambda w: w in flagged or is_gendered_or_coded(w), title=unit.title)
    plans: list[EditPlan] = []
    for p in pair_plans(unit.sentence) + phrases + candidate_plans(unit)[1:]:
        if p not in plans:
            plans.append(p)
    return [Proposal(apply_plan(unit.sentence, p), p) for p in plans]


@dataclass
class PolicyProposer:
    """The default method: the policy's plan and sentence rewrite, plus the learned vocabulary and the fixed edit set.

    The adapter answers one edit plan per sentence (a few tokens) and, given ``rewriter``, one
    rewrite of the whole sentence. Beside them stand the phrase pairs mined from careful human
    rewrites of the training ads that occur in the sentence
    (:func:`rewriting.vocabulary.pair_plans`) and :func:`candidate_plans`; the reward on the
    user's pool chooses (use with ``choose="best"``). The policy's own answers come first.
    With ``explore`` > 0 (``policy_best_of_n``) the adapter adds that many distinct sampled
    plans and rewrites that no other proposal already makes (:func:`explore`). Without a policy
    (``policy is None``: ``policy_no_adapter``, the ablation) only the vocabulary and the fixed set remain.
    """

    policy: EditProposer | None
    rewriter: SentenceProposer | None = None
    explore: int = 0
    rounds: int = 4

    def _models(self) -> list[_LMProposer]:
        return [m for m in (self.policy, self.rewriter) if m is not None]

    def __call__(self, units: list[Unit]) -> list[list[Proposal]]:
        if not units:
            return []
        out: list[list[Proposal]] = [[] for _ in units]
        known = [{_key(u.sentence)} for u in units]

        def add(i: int, props) -> None:
            for p in props:
                if _key(p.sentence) not in {_key(q.sentence) for q in out[i]}:  # each distinct text is scored once
                    out[i].append(p)
                known[i].add(_key(p.sentence))

        for m in self._models():
            for i, p in enumerate(m.greedy(units)):
                add(i, [p])
        for i, u in enumerate(units):
            add(i, fixed_proposals(u))
        for m in self._models():
            if self.explore > 0:
                found = explore(lambda idx, seed, t, m=m: m.sample(units, idx, seed, t), len(units), self.explore,
                                known, seed=m.seed, temperature=m.temperature, rounds=self.rounds)
                for i, props in enumerate(found):
                    out[i].extend(props)
        for i, u in enumerate(units):
            if not out[i]:
                out[i].append(Proposal(u.sentence, EditPlan()))
        return out

    @property
    def n_tokens(self) -> int:
        return sum(m.n_tokens for m in self._models())

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self._models())
