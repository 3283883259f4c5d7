"""Trainers of the edit policy, one per algorithm, each with its own config (as TRL lays out its trainers).

- :mod:`~rewriting.trainers.expert_iteration`: rejection-sampling fine-tuning
  (:class:`ExpertIterationConfig`, :func:`run_expert_iteration`);
- :mod:`~rewriting.trainers.grpo`: GRPO through TRL's ``GRPOTrainer``
  (:class:`GRPOSettings`, :func:`run_grpo`);
- :mod:`~rewriting.trainers.scoring`: what both score plans with (:class:`UnitScorer`).

:func:`rewriting.train.train_policy` runs one after the other under the combined
:class:`rewriting.train.TrainSettings` (the recipe of the shipped adapter).
"""
from __future__ import annotations

from .expert_iteration import ExpertIterationConfig, run_expert_iteration
from .grpo import GRPOSettings, run_grpo
from .scoring import UnitScorer

__all__ = ["ExpertIterationConfig", "GRPOSettings", "UnitScorer", "run_expert_iteration", "run_grpo"]
