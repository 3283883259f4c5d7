"""Rewriting job texts towards a fairer top-k mix (AutoRefine, arXiv:2501.07324).

Submodules: :mod:`~rewriting.autorefine` (the :class:`AutoRefine` facade),
:mod:`~rewriting.proposers` (method -> proposer) and :mod:`~rewriting.baselines`
(the proposers), :mod:`~rewriting.trainers` (expert iteration and GRPO, a config
each) composed by :mod:`~rewriting.train`, :mod:`~rewriting.adapter_io` (adapter
folders), :mod:`~rewriting.reward` (the reward), :mod:`~rewriting.rewrite`
(sentence-level rewriting) and :mod:`~rewriting.policy` (model loading, LoRA).
Heavy libraries (torch, transformers, trl) are imported on first use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["AutoRefine", "Reward", "RewardConfig", "LoraSettings", "TrainSettings", "ExpertIterationConfig",
           "GRPOSettings", "METHODS"]

_LAZY = {
    "AutoRefine": ".autorefine", "METHODS": ".autorefine", "Reward": ".reward", "RewardConfig": ".reward",
    "LoraSettings": ".policy", "TrainSettings": ".train", "ExpertIterationConfig": ".trainers",
    "GRPOSettings": ".trainers",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'rewriting' has no attribute {name!r}")
