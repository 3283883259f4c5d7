"""The code the Ray backend runs on its workers (:mod:`fairaudit.backends.ray` explains the split).

Each function is pure: a retried task gives the identical result.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..data.log_stream import stream_log
from ..recommenders.base import above_median_counts, dot_scores, rank_block, topk_block
from .local import merge_topk

__all__ = ["EncodeBatch", "log_block", "rank_embedding_block", "rank_text_block"]


class EncodeBatch:
    """Ray Data actor: one model copy per actor, ``encode`` per batch."""

    def __init__(self, recommender: Any, column: str):
        self.recommender = recommender
        self.column = column

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch[self.column]]
        emb = np.asarray(self.recommender.encode(texts), dtype=np.float32)
        return {"embedding": emb.reshape(len(texts), -1)}


def rank_embedding_block(job_emb: np.ndarray, cand_refs: list, cand_starts: list[int], n_candidates: int,
                         k: int, codes: dict, want_topk: bool = True):
    """Top-k and above-median counts of one job block, streaming the candidate blocks."""
    import ray

    rows = np.empty((len(job_emb), n_candidates), dtype=np.float64) if codes else None
    best: tuple[np.ndarray, np.ndarray] | None = None
    for start, ref in zip(cand_starts, cand_refs):
        # dot_scores' float32 scores cast to float64, exactly as check_scores does on the local path
        s = dot_scores(job_emb, ray.get(ref)).astype(np.float64)
        if rows is not None:
            rows[:, start:start + s.shape[1]] = s
        if want_topk:
            i, v = topk_block(s, min(k, s.shape[1]))
            i += start
            best = (i, v) if best is None else merge_topk(*best, i, v, k)
        del s
    counts = {a: above_median_counts(rows, c, ng) for a, (c, ng) in codes.items()}
    return best, counts


def rank_text_block(recommender: Any, texts: list[str], k: int, n_candidates: int, codes: dict):
    """Fallback for recommenders without ``encode``: score the block in one call, as locally."""
    return rank_block(recommender, texts, k, n_candidates, codes)


def log_block(part: tuple[int, int], path: str, candidate_ids: list[str], combos: np.ndarray, k_max: int,
              memory_limit: str, job_groups: Mapping[str, int] | None) -> dict[str, Any]:
    """Job block ``part = (i, n)`` of a log's per-job and per-person aggregates, on one DuckDB thread.

    Parameters
    ----------
    part : (int, int)
        The block, as ``stream_log``'s ``part``.
    path : str
        The log file or folder, readable from the worker.
    candidate_ids : list of str
        The candidates table's ids, in row order.
    combos : ndarray (n_candidates,) of int
        Each candidate's group combination.
    k_max : int
        Places kept per job.
    memory_limit : str
        DuckDB's memory limit in this task.
    job_groups : mapping or None
        Job id -> group code for the person-level chance level.

    Returns
    -------
    dict
        ``fairaudit.data.log_stream.stream_log``'s result for the block.
    """
    return stream_log(path, candidate_ids, combos, k_max, memory_limit=memory_limit, threads=1, part=part,
                      job_groups=job_groups)
