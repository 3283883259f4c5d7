"""Trainers of the edit policy, one per algorithm, each with its own config (as TRL lays out its trainers).

- ``expert_iteration``: rejection-sampling fine-tuning (:class:`ExpertIterationConfig`,
  ``run_expert_iteration()``);
- ``grpo``: GRPO through TRL's ``GRPOTrainer`` (:class:`GRPOSettings`, ``run_grpo()``);
- ``scoring``: what both score plans with (``UnitScorer``).

``fairaudit.rewriting.train.train_policy()`` runs one after the other under the combined
:class:`~fairaudit.rewriting.TrainSettings` (the recipe of the shipped adapter). Only the
two configs are public (users set them through ``TrainSettings`` and
``AutoRefine.fit``); the run functions and the scorer are the training loop's plumbing,
imported from their modules.
"""
from __future__ import annotations

from .expert_iteration import ExpertIterationConfig
from .grpo import GRPOSettings

__all__ = ["ExpertIterationConfig", "GRPOSettings"]
