"""Which proposer a rewriting method uses: the one factory of :class:`~rewriting.autorefine.AutoRefine`.

The proposers themselves (what each method proposes for a driving sentence) are in
:mod:`rewriting.baselines`; this module maps a method's name to one of them, built
from the models it needs. Language models are asked for lazily, so the methods
that need none (``original``, ``lexicon``, ``search``) load none.
"""
from __future__ import annotations

from typing import Any, Callable

from fairaudit.errors import ConfigError

from .baselines import (EditProposer, PolicyProposer, RewriteProposer, SentenceProposer, identity_proposer,
                        lexicon_proposer, search_proposer)

#: Rewriting methods (see ``fairaudit.rewriting.baselines``). ``policy_no_adapter`` is the ablation of
#: ``policy``: its pipeline without the adapter's own answers (the vocabulary and the fixed edit set).
METHODS = ("original", "lexicon", "prompt", "best_of_n", "search", "policy", "policy_best_of_n", "policy_no_adapter")
#: Methods that keep the best of several proposals by reward (the others keep their first).
CHOOSE_BEST = ("best_of_n", "search", "policy", "policy_best_of_n", "policy_no_adapter")
#: Methods that use no language model.
NO_MODEL = ("original", "lexicon", "search", "policy_no_adapter")


class BaseModelRewriter(RewriteProposer):
    """Free-text rewriter that generates with the LoRA adapter switched off (the base model)."""

    def __call__(self, units):
        with self.model.disable_adapter():
            return super().__call__(units)


def make_proposer(method: str, *, policy: Callable[[], Any] | None = None,
                  base: Callable[[], tuple[Any, Any]] | None = None, n: int = 4, seed: int = 0,
                  temperature: float = 1.0, max_new_tokens: int = 32, progress: bool = False,
                  rewrite: bool = False) -> Any:
    """The proposer of ``method``.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    policy : callable returning the trained PEFT policy, optional
        Called only for ``policy`` and ``policy_best_of_n``.
    base : callable returning ``(model, tokenizer)``, optional
        The loaded language model (the policy's, when one is attached) and its
        tokenizer; called only for methods that generate.
    n : int
        Samples per sentence for ``best_of_n`` and ``policy_best_of_n``.
    seed : int
        Seeds the sampling.
    temperature : float
        Sampling temperature of ``policy_best_of_n``.
    max_new_tokens : int
        Generation budget of one edit plan.
    progress : bool
        Show a progress bar while generating.
    rewrite : bool
        The adapter also rewrites whole sentences (it was trained on the aligned human sentence pairs);
        ``policy`` and ``policy_best_of_n`` then propose its sentence rewrites beside its edit plans.

    Returns
    -------
    callable
        Units to lists of :class:`~rewriting.rewrite.Proposal`.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown method {method!r}; choose one of {METHODS}")
    if method == "original":
        return identity_proposer
    if method == "lexicon":
        return lexicon_proposer
    if method == "search":
        return search_proposer
    if method == "policy_no_adapter":
        return PolicyProposer(None)
    if policy is None or base is None:
        raise ConfigError(f"method {method!r} needs a language model")
    if method in ("policy", "policy_best_of_n"):
        # the greedy plan (and rewrite); policy_best_of_n adds n distinct new samples of each
        model = policy()
        tok = base()[1]
        n_s = 0 if method == "policy" else n
        plans = EditProposer(model, tok, n=max(n_s, 1), temperature=temperature, max_new_tokens=max_new_tokens,
                             seed=seed, progress=progress)
        sentences = SentenceProposer(model, tok, n=max(n_s, 1), temperature=temperature,
                                     max_new_tokens=max(2 * max_new_tokens, 48), seed=seed + 1,
                                     progress=progress) if rewrite else None
        return PolicyProposer(plans, sentences, explore=n_s)
    model, tok = base()
    cls = BaseModelRewriter if hasattr(model, "disable_adapter") else RewriteProposer
    return cls(model, tok, n=1 if method == "prompt" else n, max_new_tokens=48, seed=seed, progress=progress)
