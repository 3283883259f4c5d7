"""Rewriting job texts towards a fairer top-k mix (AutoRefine, arXiv:2501.07324).

Submodules: ``fairaudit.rewriting.autorefine`` (the :class:`AutoRefine` facade),
``fairaudit.rewriting.proposers`` (method -> proposer) and ``fairaudit.rewriting.baselines``
(the proposers), ``fairaudit.rewriting.trainers`` (expert iteration and GRPO, a config
each) composed by ``fairaudit.rewriting.train``, ``fairaudit.rewriting.adapter_io`` (adapter
folders), ``fairaudit.rewriting.reward`` (the reward), ``fairaudit.rewriting.rewrite``
(sentence-level rewriting) and ``fairaudit.rewriting.policy`` (model loading, LoRA).
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
