"""Rewriting job texts towards a fairer top-k mix (AutoRefine, arXiv:2501.07324).

Submodules: :mod:`~rewriting.policy` (model loading, LoRA), :mod:`~rewriting.reward`
(the reward), :mod:`~rewriting.rewrite` (sentence-level rewriting),
:mod:`~rewriting.train` (TRL GRPO), :mod:`~rewriting.baselines` (comparison
methods) and :mod:`~rewriting.autorefine` (the :class:`AutoRefine` API).
Heavy libraries (torch, transformers, trl) are imported on first use.
"""
from __future__ import annotations

from typing import Any

__all__ = ["AutoRefine", "Reward", "RewardConfig", "LoraSettings", "TrainSettings", "METHODS"]

_LAZY = {
    "AutoRefine": ".autorefine", "METHODS": ".autorefine", "Reward": ".reward", "RewardConfig": ".reward",
    "LoraSettings": ".policy", "TrainSettings": ".train",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'rewriting' has no attribute {name!r}")
