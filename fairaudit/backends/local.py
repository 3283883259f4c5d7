"""The in-process backend and the pieces every backend shares.

A backend turns (recommender, job texts) into a :class:`~fairaudit.recommenders.base.Rankings`.
All metrics are computed from that object, so two backends that return equal
rankings give equal audit numbers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..data.log_stream import DEFAULT_MEMORY_LIMIT, stream_log
from ..errors import DataError
from ..recommenders.base import Rankings, Recommender, rank
from .protocol import Backend, GroupCodes, Progress

@dataclass
class LocalBackend(Backend):
    """Score in this process with :func:`fairaudit.recommenders.rank`.

    Parameters
    ----------
    block_size : int, default 256
        Jobs scored at once; memory is about ``block_size x n_candidates x 8`` bytes.
    name : str, default "local"
        The backend's name, recorded in the audit's provenance.
    scoring_median : {"job", "sample"}, default "job"
        The median of the LL144 scoring rate (see :func:`~fairaudit.recommenders.rank`).
    """

    block_size: int = 256
    name: str = "local"
    scoring_median: str = "job"

    def rank(
        self,
        recommender: Recommender,
        job_texts: Sequence[str],
        k_max: int,
        group_codes: GroupCodes | None = None,
        *,
        n_candidates: int,
        progress: Progress | None = None,
    ) -> Rankings:
        """:meth:`Backend.rank` in this process (:func:`fairaudit.recommenders.rank`).

        Parameters
        ----------
        recommender : Recommender
            Fitted on the candidate texts (a Ray backend may fit it itself).
        job_texts : sequence of str
            The job texts, in the order of the result's rows.
        k_max : int
            Largest k any metric will ask for (at most ``n_candidates``).
        group_codes : mapping, optional
            ``{attribute: (code of each candidate, number of codes)}``
            (:data:`GroupCodes`): the groups whose above-median counts are kept.
        n_candidates : int
            Pool size (to check the recommender's output shape).
        progress : callable, optional
            Wraps the iterable of job blocks, e.g. in a progress bar.

        Returns
        -------
        Rankings
        """
        return rank(recommender, list(job_texts), k_max, group_codes, n_candidates=n_candidates,
                    block_size=self.block_size, progress=progress, scoring_median=self.scoring_median)

    def aggregate_log(self, path: Any, candidate_ids: Sequence[str], combos: np.ndarray, k_max: int, *,
                      memory_limit: str = DEFAULT_MEMORY_LIMIT,
                      job_groups: Mapping[str, int] | None = None) -> dict[str, Any]:
        """A log file's per-job aggregates: one DuckDB pass in this process (``fairaudit.data.log_stream.stream_log``).

        Parameters
        ----------
        path : path-like
            The log (Parquet file or folder, or CSV).
        candidate_ids : sequence of str
            The candidates table's ids, in row order.
        combos : ndarray (n_candidates,) of int
            Each candidate's group combination.
        k_max : int
            Places kept per job.
        memory_limit : str
            DuckDB's memory limit (it spills to disk beyond it).
        job_groups : mapping, optional
            Job id -> group code (e.g. the job's occupation): the person-level chance level's job groups.

        Returns
        -------
        dict
            ``fairaudit.data.log_stream.stream_log``'s result.
        """
        return stream_log(path, candidate_ids, combos, k_max, memory_limit=memory_limit, job_groups=job_groups)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge_topk(idx_a: np.ndarray, sc_a: np.ndarray, idx_b: np.ndarray, sc_b: np.ndarray,
               k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k of the union of two partial top-k lists (per row).

    Uses the total order of :func:`~fairaudit.recommenders.topk_block`
    (higher score first, then lower candidate index), under which the top-k of
    a union is the top-k of the union of the parts' top-ks.

    Parameters
    ----------
    idx_a, sc_a : ndarray, shape (n_rows, k_a)
        The first part's top candidate indices and their scores, best first.
    idx_b, sc_b : ndarray, shape (n_rows, k_b)
        The second part's (disjoint candidates).
    k : int
        Places kept per row (at most ``k_a + k_b``).

    Returns
    -------
    indices, scores : ndarray, shape (n_rows, k)
    """
    idx = np.concatenate([idx_a, idx_b], axis=1)
    sc = np.concatenate([sc_a, sc_b], axis=1)
    order = np.lexsort((idx, -sc), axis=1)[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(sc, order, axis=1)


def rankings_equal(a: Rankings, b: Rankings) -> bool:
    """True when two rankings agree exactly: indices, scores (bitwise) and above-median tables.

    Parameters
    ----------
    a, b : Rankings
        The two rankings (e.g. of two backends on the same data).

    Returns
    -------
    bool
    """
    return (
        a.n_candidates == b.n_candidates
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.scores, b.scores)
        and a.above_median.keys() == b.above_median.keys()
        and all(np.array_equal(a.above_median[k], b.above_median[k]) for k in a.above_median)
    )


def read_parquet_folder(path: str | Path, columns: Sequence[str] | None = None,
                        batch_size: int = 65_536) -> Iterator[Any]:
    """Stream a Parquet file or folder as pyarrow RecordBatches, files in sorted order.

    Nothing is read until iterated, and only ``batch_size`` rows (of the
    requested ``columns``) are in memory at a time. The Ray backend reads the
    same folder with ``ray.data.read_parquet`` in the same row order.

    Parameters
    ----------
    path : str or pathlib.Path
        A Parquet file or a folder of them.
    columns : sequence of str, optional
        The columns to read; default all.
    batch_size : int, default 65536
        Rows per batch.

    Yields
    ------
    pyarrow.RecordBatch

    Raises
    ------
    DataError
        A missing or unreadable path, or a missing column.
    """
    import pyarrow.dataset as pds

    p = Path(path)
    if not p.exists():
        raise DataError(f"Parquet path {p} does not exist; pass a .parquet file or a folder of them")
    try:
        ds = pds.dataset(str(p), format="parquet")
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataError(f"cannot read Parquet data at {p}: {exc}") from None
    missing = [c for c in (columns or []) if c not in ds.schema.names]
    if missing:
        raise DataError(f"Parquet data at {p} has no column(s) {missing}; it has {ds.schema.names}")
    # Fragments in sorted path order so that row numbers are stable across readers.
    for frag in sorted(ds.get_fragments(), key=lambda f: f.path):
        yield from frag.to_batches(columns=list(columns) if columns else None, batch_size=batch_size)


