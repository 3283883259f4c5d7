"""The recommender protocol and the one place that ranks candidates for jobs.

A recommender turns job texts into a score for every candidate. :func:`rank`
walks the jobs in blocks, keeps each job's top ``k_max`` candidates
(``argpartition``, never a full jobs x candidates matrix for large pools) and the
per-group counts of candidates scoring above the median score (the "scoring
rate" of NYC LL144): the job's own median by default, or the median of every
(job, candidate) score of the sample (``scoring_median="sample"``). Every backend and the rewriting reward go through
this function or produce exactly its output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ..errors import ConfigError, DataError, RecommenderError
from ..metrics.counts import group_counts  # noqa: F401  (re-exported: its earlier home)
from ..options import check_scoring_median


@runtime_checkable
# A Protocol has no constructor: its signature is typing's (*args, **kwargs), nothing to document.
class Recommender(Protocol):  # numpydoc ignore=PR01
    """What the audit needs from a recommender.

    ``fit`` receives the candidate texts once; ``score`` returns a
    ``(len(job_texts), n_candidates)`` float array, higher is better;
    ``describe`` returns a JSON-able dict recorded in the audit's provenance
    (the keys that identify the model enter the audit id). Any object with
    these three methods and a ``name`` is a recommender (structural typing:
    no subclassing needed).
    """

    name: str

    def fit(self, candidate_texts: Sequence[str]) -> "Recommender": ...

    def score(self, job_texts: Sequence[str]) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]: ...


@dataclass
class Rankings:
    """Top-k of every job.

    Parameters
    ----------
    indices : ndarray of int, shape (n_jobs, k_max)
        Candidate row numbers, best first (ties by lower row, :func:`topk_block`).
    scores : ndarray of float, shape (n_jobs, k_max)
        Their scores.
    above_median : dict of str to ndarray of int, shape (n_jobs, n_groups), default {}
        Per attribute, for each job, how many candidates of each group code score
        strictly above the median (each job's own median score over the whole
        pool, or the sample's with ``scoring_median="sample"``): the LL144 scoring rate.
    n_candidates : int, default 0
        Size of the ranked pool.
    """

    indices: np.ndarray
    scores: np.ndarray
    above_median: dict[str, np.ndarray] = field(default_factory=dict)
    n_candidates: int = 0

    @property
    def k_max(self) -> int:
        return int(self.indices.shape[1])

    def top(self, k: int) -> np.ndarray:
        return self.indices[:, :k]


def as_texts(texts: Sequence[str], what: str) -> list[str]:
    """``texts`` as a list of strings, or a :class:`DataError` that names the first non-string.

    Every recommender checks its inputs with this, so a missing text (NaN) gives
    the same message whichever recommender is used.
    """
    if isinstance(texts, str):
        raise DataError(f"{what} must be a list of strings, not a single string")
    out = list(texts)
    bad = [i for i, t in enumerate(out) if not isinstance(t, str)]
    if bad:
        raise DataError(f"{what}: {len(bad)} entr(y/ies) are not strings (first at row {bad[0]}: "
                        f"{type(out[bad[0]]).__name__}); fill missing texts before auditing")
    return out


def check_scores(scores: Any, n_jobs: int, n_candidates: int, name: str) -> np.ndarray:
    """Validate a score block: shape, dtype (real numbers: complex scores are refused) and finiteness.

    float32 and float64 blocks are returned as they are (no copy: a block of
    256 jobs x 1M candidates is 1 GB in float64); anything else becomes float64.

    Parameters
    ----------
    scores : array_like
        What the recommender's ``score`` returned.
    n_jobs : int
        Number of job texts scored (rows expected).
    n_candidates : int
        Pool size (columns expected).
    name : str
        The recommender's name, used in the error message.

    Returns
    -------
    ndarray of float32 or float64, shape (n_jobs, n_candidates)

    Raises
    ------
    RecommenderError
        Non-numeric or complex scores, a wrong shape, or a NaN or infinite score
        (with the position of the first).
    """
    try:
        arr = np.asarray(scores)
    except (TypeError, ValueError):
        raise RecommenderError(f"recommender {name!r} returned non-numeric scores") from None
    if arr.dtype.kind == "c":  # numpy would drop the imaginary part with a ComplexWarning
        raise RecommenderError(f"recommender {name!r} returned complex scores ({arr.dtype}); scores must be real "
                               "numbers (take .real, abs() or another real part of them in the recommender)")
    if arr.dtype not in (np.float32, np.float64):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise RecommenderError(f"recommender {name!r} returned non-numeric scores") from None
    if arr.shape != (n_jobs, n_candidates):
        raise RecommenderError(
            f"recommender {name!r} returned scores of shape {arr.shape}; expected ({n_jobs}, {n_candidates})"
        )
    if not np.isfinite(arr).all():
        bad = ~np.isfinite(arr)
        j, c = np.argwhere(bad)[0]
        raise RecommenderError(
            f"recommender {name!r} returned {int(bad.sum())} NaN or infinite score(s) "
            f"(first at job row {j}, candidate row {c}); scores must be finite numbers"
        )
    return arr


def topk_block(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k indices and scores of each row, best first; ties broken by lower index.

    The order (higher score first, then lower candidate index) is total, also at
    the k-th place: of several candidates tied with the k-th best score the lowest
    indices are kept. So the top-k of a row equals the top-k of the union of its
    blocks' top-ks, which the distributed backends rely on to merge exactly.

    Parameters
    ----------
    scores : ndarray of float, shape (n_rows, n_candidates)
        Scores, higher is better.
    k : int
        Places kept per row; ``k >= n_candidates`` keeps (and sorts) every column.

    Returns
    -------
    indices : ndarray of int64, shape (n_rows, min(k, n_candidates))
        Column numbers, best first.
    top_scores : ndarray of float, shape (n_rows, min(k, n_candidates))
        Their scores.
    """
    n = scores.shape[1]
    if k >= n:
        part = np.broadcast_to(np.arange(n), scores.shape)
    else:
        kth = np.partition(scores, n - k, axis=1)[:, n - k:n - k + 1]  # k-th largest per row
        keep = scores >= kth
        need = k - (scores > kth).sum(axis=1)
        for r in np.nonzero(keep.sum(axis=1) > k)[0]:  # rows with ties at the k-th place (rare)
            tied = np.nonzero(scores[r] == kth[r, 0])[0]
            keep[r, tied[need[r]:]] = False
        part = np.nonzero(keep)[1].reshape(scores.shape[0], k)
    part_scores = np.take_along_axis(scores, part, axis=1)
    # lexsort: last key is primary -> sort by -score, then by index for stable ties
    order = np.lexsort((part, -part_scores), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx.astype(np.int64), np.take_along_axis(scores, idx, axis=1)


#: Shape of the matrix products in :func:`dot_scores`.
SCORE_TILE = (64, 2048)


def dot_scores(queries: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Inner products ``queries @ items.T`` in float32, identical however the rows are blocked.

    BLAS picks different kernels for different matrix shapes (gemv for one row,
    small-matrix kernels, edge kernels), and these round float32 sums
    differently, so ``(A @ B.T)[:, cols]`` is not bit-equal to
    ``A @ B[cols].T``. Here every product is one zero-padded tile of the fixed
    shape :data:`SCORE_TILE`, accumulated in float64 and rounded once to float32:
    OpenBLAS's AVX2 (Haswell/Zen) sgemm kernels round a float32 sum differently
    depending on the pair's position inside the tile, while its float64 sums are
    exact enough that the rounding to float32 erases that. A pair's score then does
    not depend on which other jobs or candidates share the call, and the local and
    distributed backends give bit-identical scores.

    Parameters
    ----------
    queries : array of shape (n, d)
    items : array of shape (m, d)

    Returns
    -------
    ndarray of shape (n, m), float32
    """
    # float32 inputs (the embeddings as stored), float64 products (see above)
    q = np.ascontiguousarray(queries, dtype=np.float32).astype(np.float64)
    it = np.ascontiguousarray(items, dtype=np.float32).astype(np.float64)
    if q.ndim != 2 or it.ndim != 2 or q.shape[1] != it.shape[1]:
        raise RecommenderError(f"embedding shapes {q.shape} and {it.shape} do not match")
    (n, d), m = q.shape, it.shape[0]
    tj, tc = SCORE_TILE
    out = np.empty((n, m), dtype=np.float32)
    qpad = np.zeros((tj, d), dtype=np.float64)
    ipad = np.zeros((tc, d), dtype=np.float64)
    tile = np.empty((tj, tc), dtype=np.float64)
    for i in range(0, n, tj):
        qi, rows = q[i:i + tj], min(tj, n - i)
        if rows < tj:
            qpad[:rows], qpad[rows:] = qi, 0.0
            qi = qpad
        for c in range(0, m, tc):
            ci, cols = it[c:c + tc], min(tc, m - c)
            if cols < tc:
                ipad[:cols], ipad[cols:] = ci, 0.0
                ci = ipad
            np.matmul(qi, ci.T, out=tile)
            out[i:i + rows, c:c + cols] = tile[:rows, :cols]
    return out


def row_medians(scores: np.ndarray) -> np.ndarray:
    """Median of each row, the middle pair averaged in float64 whatever the input dtype.

    (``np.median`` of a float32 row averages in float32, which can round onto one of
    the two middle values and change which scores count as "above the median".)
    """
    n = scores.shape[1]
    h = n // 2
    if n % 2:
        return np.partition(scores, h, axis=1)[:, h].astype(np.float64)
    p = np.partition(scores, (h - 1, h), axis=1)
    return (p[:, h - 1].astype(np.float64) + p[:, h].astype(np.float64)) / 2.0


#: ``scoring_median="sample"`` keeps every score in memory; above this many pairs it is refused.
SAMPLE_MEDIAN_MAX_PAIRS = 50_000_000


def sample_median(scores: np.ndarray) -> float:
    """Median of every value of ``scores``, the middle pair averaged in float64 (as :func:`row_medians`)."""
    return float(row_medians(np.ascontiguousarray(scores).reshape(1, -1))[0])


def above_median_counts(scores: np.ndarray, codes: np.ndarray, n_groups: int,
                        median: float | None = None) -> np.ndarray:
    """Per row, count candidates of each group whose score is above the median.

    ``median`` is one threshold for every row (the sample's median); by
    default each row is compared with its own median.
    """
    threshold = row_medians(scores)[:, None] if median is None else median
    above = scores > threshold
    # one matrix product instead of a column selection per group; exact for counts < 2**24
    dtype = np.float32 if scores.shape[1] < 2**24 else np.float64
    onehot = np.zeros((scores.shape[1], n_groups), dtype=dtype)
    onehot[np.arange(scores.shape[1]), codes] = 1
    return np.rint(above.astype(dtype) @ onehot).astype(np.int64)


def rank(
    recommender: Recommender,
    job_texts: Sequence[str],
    k_max: int,
    group_codes: Mapping[str, tuple[np.ndarray, int]] | None = None,
    *,
    n_candidates: int,
    block_size: int = 256,
    progress: Callable[[Iterable], Iterable] | None = None,
    scoring_median: str = "job",
) -> Rankings:
    """Rank all candidates for every job and keep what the metrics need.

    Parameters
    ----------
    recommender : Recommender
        Already fitted on the candidate texts.
    job_texts : sequence of str
        The job texts, in the order of the result's rows.
    k_max : int
        Largest k that any metric will ask for.
    group_codes : mapping attribute -> (codes, n_groups), optional
        Integer group code per candidate, for the above-median counts.
    n_candidates : int
        Pool size (to check the recommender's output shape).
    block_size : int, default 256
        Jobs scored at once; memory is ``block_size x n_candidates`` floats.
    progress : callable, optional
        Wraps the iterable of block starts (e.g. ``tqdm.tqdm``) to show progress;
        None shows nothing.
    scoring_median : {"job", "sample"}
        Above-median counts against each job's median score, or against the
        median of all ``n_jobs x n_candidates`` scores (which keeps every score
        in memory, up to ``SAMPLE_MEDIAN_MAX_PAIRS`` pairs).
    """
    check_scoring_median(scoring_median)
    check_k(k_max, n_candidates)
    n_jobs = len(job_texts)
    idx = np.empty((n_jobs, k_max), dtype=np.int64)
    sc = np.empty((n_jobs, k_max), dtype=np.float64)
    med = {a: np.zeros((n_jobs, ng), dtype=np.int64) for a, (_, ng) in (group_codes or {}).items()}
    whole = None
    if scoring_median == "sample" and group_codes:
        if n_jobs * n_candidates > SAMPLE_MEDIAN_MAX_PAIRS:
            raise ConfigError(f"scoring_median='sample' keeps all {n_jobs} x {n_candidates} scores in memory, more "
                              f"than {SAMPLE_MEDIAN_MAX_PAIRS:,} pairs; use scoring_median='job' or fewer jobs")
        whole = np.empty((n_jobs, n_candidates), dtype=np.float64)
    starts: Iterable[int] = range(0, n_jobs, block_size)
    if progress is not None:
        starts = progress(starts)
    for s in starts:
        block = list(job_texts[s:s + block_size])
        def keep(rows: np.ndarray, s: int = s) -> None:
            whole[s:s + len(rows)] = rows

        # with a sample median the counts wait until every score is known
        (i, v), counts = rank_block(recommender, block, k_max, n_candidates,
                                    {} if whole is not None else (group_codes or {}),
                                    sink=None if whole is None else keep)
        idx[s:s + len(block)] = i
        sc[s:s + len(block)] = v
        for a, c in counts.items():
            med[a][s:s + len(block)] = c
    if whole is not None:
        m = sample_median(whole)
        for a, (codes, ng) in group_codes.items():
            for s in range(0, n_jobs, block_size):
                med[a][s:s + block_size] = above_median_counts(whole[s:s + block_size], codes, ng, median=m)
    return Rankings(indices=idx, scores=sc, above_median=med, n_candidates=n_candidates)


def check_k(k: int, n_candidates: int | None = None, name: str = "k") -> None:
    """The one check of a cut-off: at least 1 and, when the pool size is known, at most the pool.

    Raises
    ------
    ConfigError
        Naming ``name`` (``k``, ``gap_k``) and what to change.
    """
    if k < 1:
        raise ConfigError(f"{name} must be at least 1, got {k}")
    if n_candidates is not None and k > n_candidates:
        raise ConfigError(f"{name}={k} is larger than the candidate pool ({n_candidates} candidates); lower {name}")


def score_block(recommender: Recommender, job_texts: Sequence[str], n_candidates: int) -> np.ndarray:
    """``recommender.score(job_texts)``, validated (:func:`check_scores`): one row per job, one column per candidate.

    Any exception of the recommender becomes a :class:`~fairaudit.errors.RecommenderError` naming it.

    Parameters
    ----------
    recommender : Recommender
        A fitted recommender.
    job_texts : sequence of str
        The block of job texts to score.
    n_candidates : int
        The candidates it was fitted on (the width each score row must have).
    """
    name = getattr(recommender, "name", type(recommender).__name__)
    try:
        raw = recommender.score(list(job_texts))
    except RecommenderError:
        raise
    except Exception as exc:  # a user's recommender may raise anything
        raise RecommenderError(f"recommender {name!r} failed: {type(exc).__name__}: {exc}") from exc
    return check_scores(raw, len(job_texts), n_candidates, name)


def rank_block(recommender: Recommender, job_texts: list[str], k: int, n_candidates: int,
               group_codes: Mapping[str, tuple[np.ndarray, int]],
               sink: Callable[[np.ndarray], None] | None = None,
               ) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """Score one block of jobs: its top-k and above-median group counts (all backends use this).

    ``sink``, if given, receives the block's validated score rows (for a sample-wide median).
    """
    scores = score_block(recommender, job_texts, n_candidates)
    if sink is not None:
        sink(scores)
    counts = {a: above_median_counts(scores, codes, ng) for a, (codes, ng) in group_codes.items()}
    return topk_block(scores, k), counts
