"""Ray backend: the same :class:`Rankings` as the local backend, computed on a Ray cluster.

How the work is split
---------------------
* **Embeddings.** For an embedding recommender (one with ``encode(texts)``,
  whose ``score(jobs)`` is ``dot_scores(encode(jobs), encode(candidates))``)
  candidate and job texts are embedded with Ray Data ``map_batches`` on a pool
  of actors, each holding one copy of the model. The candidate embeddings are
  streamed, in order, into fixed-size blocks in the object store; the driver
  never holds them all.
* **Top-k.** One Ray task per job block streams the candidate blocks from the
  object store, scores each with :func:`~fairaudit.recommenders.base.dot_scores`
  (fixed-shape tiles, so every score is bit-identical to the local one), keeps
  each block's top-k with :func:`~fairaudit.recommenders.base.topk_block` and
  merges it into the running top-k (:func:`~fairaudit.backends.merge_topk`). Under the total order
  "higher score, then lower candidate index" this merge is exact.
* **Above-median counts.** A job's median over all candidates cannot be merged
  from per-block medians. We keep the job block's full score rows
  (``jobs_per_task x n_candidates`` float64, sized by ``row_memory``) and call
  the same :func:`~fairaudit.recommenders.base.above_median_counts` as the
  local path, so the counts are exact by construction. Memory per task is
  bounded by ``row_memory`` (with very large pools a task holds fewer jobs);
  the full jobs x candidates matrix never exists. (A multi-pass selection
  would need less memory but scores every pair two or more times.)
* **Other recommenders** (no ``encode``) are shipped once to the object store
  and each task scores a job block with ``recommender.score``.
* **Approximate search** (``approximate=True``): the top-k comes from a FAISS
  ``IndexIVFFlat`` (inner product) over the candidate embeddings; scores are
  FAISS's float32 inner products. Measure its recall against the exact path
  with :func:`recall_at_k`. Above-median counts stay exact.

* **Logs** (:meth:`RayBackend.aggregate_log`, ``audit_log(..., backend="ray")``): the log is
  split into ``log_parts`` job blocks by a hash of ``job_id``, one task each (``ray_workers.log_block``:
  DuckDB, one thread, ``memory_limit``); :func:`~fairaudit.data.log_stream.merge_parts` joins their
  per-job and per-person aggregates into those of one pass over the whole log. Every worker reads
  the log file itself: on a cluster it must be on storage all nodes see.

Fault tolerance: tasks are retried (``max_retries``) and Ray Data restarts
embedding actors when a worker process dies; every step is a pure function of
its inputs, so a retried run gives the identical result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..data.log_stream import DEFAULT_MEMORY_LIMIT, merge_parts
from ..errors import ConfigError, DataError, FairauditError, RecommenderError
from ..recommenders.base import Rankings, Recommender, check_k
from .protocol import Backend, GroupCodes, Progress
from .ray_workers import EncodeBatch, log_block, rank_embedding_block, rank_text_block

_MiB = 1 << 20


def _import_ray():
    try:
        import ray
    except ImportError:  # optional dependency
        raise ConfigError("the Ray backend needs the 'ray' extra: pip install 'fairaudit[ray]'") from None
    return ray


def _get(ray, refs: Any, error: type[FairauditError]) -> Any:
    """``ray.get``; a task's FairauditError comes back as itself (one readable line), other failures as ``error``."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, FairauditError):
            raise cause from None
        raise error(f"a Ray task failed: {cause or exc}") from None


def is_embedding_recommender(recommender: Any) -> bool:
    """True when ``recommender`` scores by inner products of ``encode`` outputs."""
    return callable(getattr(recommender, "encode", None)) and getattr(recommender, "similarity", "dot") in ("dot", "cosine")


def fitted_candidate_embeddings(recommender: Any) -> np.ndarray | None:
    """The candidate embeddings a fitted embedding recommender already holds, if any."""
    for attr in ("candidate_embeddings", "candidate_embeddings_", "cand_emb_", "embeddings_"):
        try:
            emb = getattr(recommender, attr, None)
        except FairauditError:  # e.g. an unfitted EmbeddingRecommender
            return None
        if emb is not None:
            return np.asarray(emb, dtype=np.float32)
    return None


def recall_at_k(approx: Rankings, exact: Rankings, k: int | None = None) -> float:
    r"""Mean share of the exact top-k that the approximate top-k also returns.

    .. math:: \mathrm{recall@}k = \frac{1}{|J|}\sum_{j\in J}\frac{|A_j\cap E_j|}{k}

    Parameters
    ----------
    approx : Rankings
        The approximate rankings (e.g. FAISS IVF, ``approximate=True``).
    exact : Rankings
        The exact rankings of the same jobs.
    k : int, optional
        The cut-off; default ``exact.k_max``.

    Returns
    -------
    float
        In [0, 1]; 1.0 when there are no jobs.
    """
    k = k or exact.k_max
    a, e = approx.indices[:, :k], exact.indices[:, :k]
    hits = [len(np.intersect1d(a[j], e[j], assume_unique=True)) for j in range(len(e))]
    return float(np.mean(hits) / k) if len(e) else 1.0


# --- the backend ---------------------------------------------------------------------------

@dataclass
class RayBackend(Backend):
    """Rank on Ray: local (``address=None``) or a cluster (``"ray://host:10001"``, ``"auto"``).

    Parameters
    ----------
    address : str, optional
        Passed to ``ray.init``; ``None`` starts a local Ray (or reuses a running one).
    num_cpus : int, optional
        CPUs of a locally started Ray.
    block_size : int
        Most jobs per task.
    candidate_block : int
        Candidates per streamed block (rounded up to a multiple of the score tile).
    row_memory : int
        Bytes a task may use for its job block's full score rows (exact medians);
        jobs per task = ``min(block_size, row_memory // (8 * n_candidates))``.
    approximate : bool
        Top-k from a FAISS IVF index instead of exact search (embedding recommenders only).
    nlist, nprobe : int
        FAISS IVF lists (default ``4 sqrt(n)``) and lists probed per query.
    n_actors : int, optional
        Embedding actors (model copies), one CPU each; default: the cluster's CPUs
        minus one, so that Ray Data's read tasks always find a free CPU (with every
        CPU held by an actor, a Parquet read would wait forever).
    embed_batch_size : int
        Texts per ``encode`` call.
    max_retries : int
        Retries of a task whose worker died.
    seed : int
        Seed of the FAISS training sample and k-means.
    log_parts : int, optional
        Job blocks a log is split into (:meth:`aggregate_log`); default the
        cluster's CPUs.
    name : str, default "ray"
        The backend's name, recorded in the audit's provenance.
    """

    address: str | None = None
    num_cpus: int | None = None
    block_size: int = 256
    candidate_block: int = 65_536
    row_memory: int = 256 * _MiB
    approximate: bool = False
    nlist: int | None = None
    nprobe: int = 16
    n_actors: int | None = None
    embed_batch_size: int = 256
    max_retries: int = 3
    seed: int = 0
    log_parts: int | None = None
    name: str = "ray"
    _started: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        for f in ("block_size", "candidate_block", "row_memory", "nprobe", "n_actors", "embed_batch_size", "log_parts"):
            if getattr(self, f) is not None and int(getattr(self, f)) < 1:
                raise ConfigError(f"RayBackend {f} must be at least 1, got {getattr(self, f)}")

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("address", "num_cpus", "block_size", "candidate_block", "row_memory",
                                              "approximate", "nlist", "nprobe", "n_actors", "max_retries", "seed",
                                              "log_parts")}

    # lifecycle
    def start(self):
        """Connect to (or start) Ray; returns the ``ray`` module."""
        ray = _import_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, num_cpus=self.num_cpus if self.address is None else None,
                         include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            except ConnectionError as exc:
                raise ConfigError(f"cannot connect to Ray at {self.address!r}: {exc}; check --backend") from None
            self._started = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        return ray

    def _actors(self, ray) -> int:
        if self.n_actors is not None:
            return int(self.n_actors)
        return max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)

    def shutdown(self) -> None:
        """Stop Ray if this backend started it."""
        if self._started:
            _import_ray().shutdown()
            self._started = False

    def __enter__(self) -> "RayBackend":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    # embeddings
    def _dataset(self, ray, source: Any, column: str):
        """A Ray Dataset over texts: a sequence, a Parquet file/folder (read lazily) or a Dataset."""
        if isinstance(source, ray.data.Dataset):
            return source
        if isinstance(source, (str, Path)):
            if not Path(source).exists():
                raise DataError(f"Parquet path {source} does not exist")
            return ray.data.read_parquet(str(source), columns=[column])
        import pyarrow as pa

        texts = [str(t) for t in source]
        # several blocks so that the actor pool works in parallel
        step = max(self.embed_batch_size, math.ceil(len(texts) / (4 * self._actors(ray))))
        return ray.data.from_arrow([pa.table({column: texts[i:i + step]}) for i in range(0, max(len(texts), 1), step)])

    def _embed_blocks(self, ray, recommender: Any, source: Any, column: str, block: int):
        """Yield the embeddings of ``source`` in order, in arrays of ``block`` rows."""
        model = recommender.clone() if callable(getattr(recommender, "clone", None)) else recommender
        ctx = ray.data.DataContext.get_current()
        keep_order = ctx.execution_options.preserve_order
        ctx.execution_options.preserve_order = True  # row i of the output is candidate i
        try:
            ds = self._dataset(ray, source, column).map_batches(
                EncodeBatch, fn_constructor_args=(model, column), batch_size=self.embed_batch_size,
                batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=self._actors(ray)), num_cpus=1)
            for batch in ds.iter_batches(batch_size=block, batch_format="numpy", prefetch_batches=1):
                yield np.ascontiguousarray(batch["embedding"], dtype=np.float32)
        finally:
            ctx.execution_options.preserve_order = keep_order

    def embed(self, recommender: Any, texts: Any, column: str = "text") -> np.ndarray:
        """Embeddings of ``texts`` (sequence, Parquet folder or Ray Dataset) computed on the actor pool.

        Parameters
        ----------
        recommender : object with ``encode``
            An embedding recommender; each actor holds one copy.
        texts : sequence of str, path or ray.data.Dataset
            The texts, a Parquet file or folder (read lazily) or a Dataset.
        column : str, default "text"
            The text column of a Parquet source or Dataset.

        Returns
        -------
        ndarray of float32, shape (n_texts, dim)
            In the order of ``texts``.
        """
        ray = self.start()
        parts = list(self._embed_blocks(ray, recommender, texts, column, 65_536))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)

    def _candidate_blocks(self, ray, recommender: Any, candidates: Any, column: str, n_candidates: int):
        from ..recommenders.base import SCORE_TILE

        block = math.ceil(self.candidate_block / SCORE_TILE[1]) * SCORE_TILE[1]
        if candidates is not None:
            arrays: Iterable[np.ndarray] = self._embed_blocks(ray, recommender, candidates, column, block)
        else:
            emb = fitted_candidate_embeddings(recommender)
            if emb is None:
                raise ConfigError("the Ray backend needs the candidate texts (candidates=...) or a fitted "
                                  "embedding recommender that holds candidate_embeddings")
            arrays = (emb[s:s + block] for s in range(0, len(emb), block))
        refs, starts, pos = [], [], 0
        for arr in arrays:
            refs.append(ray.put(arr))
            starts.append(pos)
            pos += len(arr)
        if pos != n_candidates:
            raise DataError(f"the candidate source has {pos} rows but n_candidates={n_candidates}; "
                            "pass the same candidates the recommender was fitted on")
        return refs, starts

    # ranking
    def rank(
        self,
        recommender: Recommender,
        job_texts: Sequence[str],
        k_max: int,
        group_codes: GroupCodes | None = None,
        *,
        n_candidates: int,
        candidates: Any = None,
        text_column: str = "text",
        progress: Progress | None = None,
    ) -> Rankings:
        """:meth:`Backend.rank` on Ray: same contract as :func:`fairaudit.recommenders.rank`.

        ``candidates`` (candidate texts, a Parquet folder with ``text_column``, or a Ray
        Dataset) is embedded on the cluster; without it a fitted embedding recommender's
        own candidate embeddings are used.

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
        candidates : sequence of str, path or ray.data.Dataset, optional
            The candidate texts to embed on the cluster.
        text_column : str, default "text"
            The text column of a Parquet or Dataset ``candidates``.
        progress : callable, optional
            Wraps the iterable of job blocks, e.g. in a progress bar.

        Returns
        -------
        Rankings
        """
        check_k(k_max, n_candidates)
        ray = self.start()
        jobs = [str(t) for t in job_texts]
        n_jobs = len(jobs)
        codes = {a: (np.asarray(c), int(ng)) for a, (c, ng) in (group_codes or {}).items()}
        for a, (c, _) in codes.items():
            if len(c) != n_candidates:
                raise DataError(f"group codes of {a!r} have {len(c)} entries for {n_candidates} candidates")
        codes_ref = ray.put(codes)
        per_task = self.block_size
        if codes:
            per_task = max(1, min(self.block_size, self.row_memory // (8 * n_candidates)))
        idx = np.empty((n_jobs, k_max), dtype=np.int64)
        sc = np.empty((n_jobs, k_max), dtype=np.float64)
        med = {a: np.zeros((n_jobs, ng), dtype=np.int64) for a, (_, ng) in codes.items()}
        if self.approximate and not is_embedding_recommender(recommender):
            raise ConfigError("approximate=True needs an embedding recommender (one with encode())")

        futures: dict[Any, int] = {}
        if is_embedding_recommender(recommender):
            cand_refs, cand_starts = self._candidate_blocks(ray, recommender, candidates, text_column, n_candidates)
            job_emb = self.embed(recommender, jobs) if n_jobs else np.zeros((0, 1), np.float32)
            if self.approximate:
                idx[:], sc[:] = self._faiss_topk(ray, cand_refs, job_emb, k_max)
            task = ray.remote(rank_embedding_block).options(max_retries=self.max_retries, num_cpus=1)
            if codes or not self.approximate:
                for s in range(0, n_jobs, per_task):
                    ref = task.remote(job_emb[s:s + per_task], cand_refs, cand_starts, n_candidates, k_max,
                                      codes_ref, not self.approximate)
                    futures[ref] = s
        else:
            rec_ref = ray.put(recommender)
            task = ray.remote(rank_text_block).options(max_retries=self.max_retries, num_cpus=1)
            for s in range(0, n_jobs, per_task):
                futures[task.remote(rec_ref, jobs[s:s + per_task], k_max, n_candidates, codes_ref)] = s

        pending = list(futures)
        done_iter: Iterable[int] = range(len(pending))
        if progress is not None:
            done_iter = progress(done_iter)
        for _ in done_iter:
            ready, pending = ray.wait(pending, num_returns=1)
            s = futures[ready[0]]
            best, counts = _get(ray, ready[0], RecommenderError)
            if best is not None:
                idx[s:s + len(best[0])], sc[s:s + len(best[0])] = best
            for a, c in counts.items():
                med[a][s:s + len(c)] = c
        return Rankings(indices=idx, scores=sc, above_median=med, n_candidates=n_candidates)

    def aggregate_log(self, path: Any, candidate_ids: Sequence[str], combos: np.ndarray, k_max: int, *,
                      memory_limit: str = DEFAULT_MEMORY_LIMIT, job_groups: Mapping | None = None) -> dict[str, Any]:
        """A log file's per-job aggregates on Ray, one task per job block, merged: equal to one local pass.

        Parameters
        ----------
        path : path-like
            The log (Parquet file or folder, or CSV), readable from every worker.
        candidate_ids : sequence of str
            The candidates table's ids, in row order.
        combos : ndarray (n_candidates,) of int
            Each candidate's group combination.
        k_max : int
            Places kept per job.
        memory_limit : str
            DuckDB's memory limit in each task (it spills to disk beyond it).
        job_groups : mapping, optional
            Job id -> group code (e.g. the job's occupation): the person-level chance level's job groups.

        Returns
        -------
        dict
            ``fairaudit.data.log_stream.stream_log``'s result for the whole log.
        """
        if not (log := Path(path).resolve()).exists():  # resolved: workers may run in another folder
            raise DataError(f"file not found: {log}")
        ray = self.start()
        n = int(self.log_parts or max(1, int(ray.cluster_resources().get("CPU", 1))))
        task = ray.remote(log_block).options(max_retries=self.max_retries, num_cpus=1)
        shared = (str(log), ray.put([str(c) for c in candidate_ids]), ray.put(np.asarray(combos, dtype=np.int64)),
                  k_max, memory_limit, ray.put(None if job_groups is None else dict(job_groups)))  # sent once
        refs = [task.remote((i, n), *shared) for i in range(n)]
        return merge_parts(_get(ray, refs, DataError), combos)

    def _faiss_topk(self, ray, cand_refs: list, job_emb: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-k with a FAISS IVF index; ties ordered like the exact path."""
        try:
            import faiss
        except ImportError:
            raise ConfigError("approximate=True needs faiss: pip install 'fairaudit[ray]'") from None
        sizes = [len(ray.get(r)) for r in cand_refs]
        n, d = sum(sizes), job_emb.shape[1]
        nlist = self.nlist or max(1, min(int(4 * math.sqrt(n)), n // 39))
        rng = np.random.default_rng(self.seed)
        take = np.sort(rng.choice(n, size=min(n, 64 * nlist), replace=False))
        sample, off = [], 0
        for r, m in zip(cand_refs, sizes):
            sel = take[(take >= off) & (take < off + m)] - off
            sample.append(ray.get(r)[sel])
            off += m
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = self.seed
        index.train(np.concatenate(sample))
        for r in cand_refs:
            index.add(ray.get(r))
        index.nprobe = min(self.nprobe, nlist)
        D, I = index.search(np.ascontiguousarray(job_emb, dtype=np.float32), k)
        short = (I < 0).any(axis=1)
        if short.any():  # probed lists held fewer than k candidates: search those jobs over all lists
            index.nprobe = nlist
            D[short], I[short] = index.search(np.ascontiguousarray(job_emb[short], dtype=np.float32), k)
        D = D.astype(np.float64)
        order = np.lexsort((I, -D), axis=1)
        return np.take_along_axis(I, order, axis=1).astype(np.int64), np.take_along_axis(D, order, axis=1)
