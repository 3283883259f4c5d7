"""Stream a large recommendation log through DuckDB: per-job aggregates in bounded memory.

An audit of per-job candidate sets needs, per job, only small things: how many
candidates of each group it considered, scored above its median and flagged,
and its first ``k_max + 1`` places. This module computes exactly those with
DuckDB, an embedded analytical engine that reads Parquet and CSV files itself,
ranks and takes medians per job with window functions and spills to disk under
a memory limit, so a log of tens of millions of (job, candidate) rows never
comes into Python memory. (pyarrow's dataset scanner streams batches too, but
has no exact per-group median or per-group top-k; both need every row of a job
together, which is what a spilling window operator provides.)

Groups are handled as *combinations*: every candidate gets one integer, the
combination of its group codes over the audited attributes, and the aggregates
are per (job, combination); any attribute's counts are sums of them
(:class:`fairaudit.engine.candidate_sets.StreamedSets`).

Where one machine is not enough, the log is split into **job blocks**: block ``i``
of ``n`` holds every job whose id hashes to ``i`` modulo ``n`` (``part=(i, n)``),
so all of a job's rows are in one block and its median and first places are
exact. Each block's aggregates are computed on its own (on a Ray worker,
:meth:`fairaudit.backends.RayBackend.aggregate_log`) and :func:`merge_parts`
joins them into what one pass over the whole log gives; a person's sums over
their jobs (the person-level chance level's) add up over the blocks, because
a job's keys (:func:`hash_keys`) depend on its id, not on its block.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

#: DuckDB's memory limit when none is given: the whole audit then stays well under 4 GB.
DEFAULT_MEMORY_LIMIT = "2GB"
#: A person's selectivity, sum over their jobs of 1 / |C_j|, is kept as sum floor(SCALE / |C_j|): integers add up
#: to the same total in DuckDB and in NumPy, in any order (:mod:`fairaudit.engine.person_null`).
SELECTIVITY_SCALE = 2 ** 32


def hash_keys(values: Any, salt: int) -> np.ndarray:
    """Two seeded hashed 31-bit integers per value (a job id, or a job group's code), (n, 2).

    Their sums over a person's jobs identify the person's set of jobs (two sets
    share both sums with probability about 2**-62), so DuckDB and NumPy find the
    same people with the same jobs without sorting every person's job list. A
    job's keys depend on its id alone, not on its place in a list, so the sums of
    job blocks computed apart add up to those of one pass (:func:`merge_parts`).
    """
    text = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object).astype(str)
    h = pd.util.hash_pandas_object(text, index=False, hash_key=f"fairaudit-key{int(salt):03d}"[:16]).to_numpy()
    low = np.uint64(2 ** 31 - 1)
    return np.stack([h & low, (h >> np.uint64(31)) & low], axis=1).astype(np.int64)


def _connect(memory_limit: str, threads: int | None, spill: str):
    try:
        import duckdb
    except ImportError:
        raise ConfigError("streaming a log needs DuckDB (a dependency of fairaudit): pip install duckdb") from None
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    except duckdb.Error:
        raise ConfigError(f"memory_limit {memory_limit!r} is not a size such as '2GB' or '500MB'") from None
    con.execute(f"SET temp_directory = '{Path(spill).as_posix()}'")  # spilled rows go to a folder removed after
    con.execute("SET preserve_insertion_order = false")  # lets the scans stream; the order is set by SQL
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def _source(path: Any) -> str:
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        return f"read_parquet('{(p / '**' / '*.parquet').as_posix()}')"
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return f"read_parquet('{p.as_posix()}')"
    if suffix in (".csv", ".tsv", ".txt"):
        return f"read_csv('{p.as_posix()}', header = true)"
    raise DataError(f"a streamed log must be Parquet (a file or a folder) or CSV, got {p}")


def stream_log(path: str | os.PathLike, candidate_ids: Any, combos: np.ndarray, k_max: int, *,
               memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None,
               part: tuple[int, int] | None = None, job_groups: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Per-job aggregates and first places of a log file, computed by DuckDB.

    Parameters
    ----------
    path : path-like
        The log: Parquet file or folder, or CSV, with ``job_id``, ``candidate_id``
        and any of ``rank``, ``score``, ``selected``, ``timestamp``.
    candidate_ids : sequence of str
        The candidates table's ids, in row order.
    combos : ndarray (n_candidates,) of int
        Each candidate's group combination (see the module).
    k_max : int
        Places kept per job (the largest cut-off plus one).
    memory_limit : str
        DuckDB's memory limit (it spills to a temporary folder beyond it).
    threads : int, optional
        DuckDB's threads (default: all cores).
    part : (int, int), optional
        ``(i, n)``: only job block ``i`` of ``n`` (the jobs whose id hashes to
        ``i`` modulo ``n``); the result then also holds ``rows``, the distinct
        candidate rows the block considered, for :func:`merge_parts`.
    job_groups : mapping, optional
        Job id -> group code (e.g. the job's occupation) for the person-level
        chance level's blocks; jobs not in it form a group of their own.

    Returns
    -------
    dict
        ``job_ids`` (sorted), ``n_combos``; per (job, combination) ``considered``,
        ``above`` and ``flagged`` (n_jobs, n_combos); ``people`` per combination;
        the first places ``top_job``, ``top_place``, ``top_candidate``,
        ``top_key``; ``has_rank``, ``has_score``, ``has_selected``; ``period``; per
        candidate row (the person-level chance level, :mod:`fairaudit.engine.person_null`)
        ``person_jobs``, ``person_selectivity``, ``person_set_key`` (n, 2) and, with
        ``job_groups``, ``person_group_key`` (n, 2); the flagged pairs ``flag_job``,
        ``flag_candidate``.

    Raises
    ------
    DataError
        Missing columns, a pair listed twice, an unknown candidate, a missing rank or score.
    """
    src = _source(path)
    with tempfile.TemporaryDirectory(prefix="fairaudit-duckdb-") as spill:
        con = _connect(memory_limit, threads, spill)
        try:
            return _aggregate(con, src, path, candidate_ids, combos, k_max, part, job_groups)
        finally:
            con.close()


def _aggregate(con: Any, src: str, path: Any, candidate_ids: Any, combos: np.ndarray, k_max: int,
               part: tuple[int, int] | None = None, job_groups: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The queries of :func:`stream_log` on an open connection."""
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    missing = [c for c in ("job_id", "candidate_id") if c not in cols]
    if missing:
        raise DataError(f"log {path} is missing column(s) {missing}; it has {cols}")
    if part is not None:  # one job block: a job's rows are never split (a missing id goes with '')
        i, n = (int(v) for v in part)
        if not 0 <= i < n:
            raise ConfigError(f"part must be (i, n) with 0 <= i < n, got {part!r}")
        src = f"(SELECT * FROM {src} WHERE hash(coalesce(CAST(job_id AS VARCHAR), '')) % {n} = {i})"
    has = {c: c in cols for c in ("rank", "score", "selected", "timestamp")}
    if not (has["rank"] or has["score"] or has["selected"]):
        raise DataError(f"log {path} has none of the columns ['rank', 'score', 'selected']")
    cands = pd.DataFrame({"candidate_id": pd.Series(candidate_ids, dtype=str),
                          "row": np.arange(len(combos), dtype=np.int64), "combo": np.asarray(combos, dtype=np.int64)})
    con.register("cands", cands)
    sel = "CAST(selected AS BOOLEAN)" if has["selected"] else "NULL::BOOLEAN"
    con.execute(f"""CREATE TEMP TABLE pairs AS
        SELECT CAST(l.job_id AS VARCHAR) AS job_id, c.row AS row, c.combo AS combo,
               {'CAST(rank AS DOUBLE)' if has['rank'] else 'NULL::DOUBLE'} AS rank,
               {'CAST(score AS DOUBLE)' if has['score'] else 'NULL::DOUBLE'} AS score, {sel} AS selected
        FROM {src} AS l LEFT JOIN cands AS c ON CAST(l.candidate_id AS VARCHAR) = c.candidate_id""")
    bad = con.execute("SELECT count(*) FILTER (WHERE row IS NULL), count(*) FILTER (WHERE job_id IS NULL), "
                      "count(*) FILTER (WHERE (rank IS NULL AND ?) OR (score IS NULL AND ?)), count(*) FROM pairs",
                      [has["rank"], has["score"]]).fetchone()
    if bad[0]:
        raise DataError(f"{bad[0]:,} row(s) of the log name a candidate that is not in the candidates table")
    if bad[1] or bad[2]:
        raise DataError(f"log {path}: {bad[1] + bad[2]:,} row(s) lack a job_id, rank or score")
    dup = con.execute("SELECT count(*) FROM (SELECT job_id, row FROM pairs GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
    if dup:
        raise DataError(f"log {path}: {dup:,} (job_id, candidate_id) pair(s) appear more than once")
    order = ", ".join([*(["rank ASC"] if has["rank"] else []), *(["score DESC"] if has["score"] else []),
                       *([] if has["rank"] or has["score"] else ["selected DESC"]), "row ASC"])
    con.execute(f"""CREATE TEMP TABLE placed AS SELECT job_id, row, combo, rank, score, selected,
        row_number() OVER (PARTITION BY job_id ORDER BY {order}) - 1 AS place,
        median(score) OVER (PARTITION BY job_id) AS med, count(*) OVER (PARTITION BY job_id) AS size FROM pairs""")
    jobs = [r[0] for r in con.execute("SELECT DISTINCT job_id FROM placed ORDER BY job_id").fetchall()]
    con.register("job_index", _job_index(jobs, job_groups))
    n_jobs, n_combos = len(jobs), int(np.max(combos)) + 1 if len(combos) else 0
    agg = con.execute("""SELECT j, combo, count(*) AS n, count(*) FILTER (WHERE score > med) AS above,
        count(*) FILTER (WHERE selected) AS flagged FROM placed JOIN job_index USING (job_id) GROUP BY j, combo""").df()
    out: dict[str, Any] = {"job_ids": jobs, "n_combos": n_combos, "has_rank": has["rank"],
                           "has_score": has["score"], "has_selected": has["selected"]}
    for name, col in (("considered", "n"), ("above", "above"), ("flagged", "flagged")):
        arr = np.zeros((n_jobs, n_combos), dtype=np.int64)
        arr[agg["j"].to_numpy(), agg["combo"].to_numpy()] = agg[col].to_numpy()
        out[name] = arr
    people = con.execute("SELECT combo, count(DISTINCT row) AS n FROM pairs GROUP BY combo").df()
    out["people"] = np.bincount(people["combo"], weights=people["n"], minlength=n_combos).astype(np.int64)
    if part is not None:  # a person considered in two blocks counts once: merge_parts needs who
        out["rows"] = con.execute("SELECT DISTINCT row FROM pairs ORDER BY row").df()["row"].to_numpy(np.int64)
    top = con.execute(f"""SELECT j, place, row, {'-rank' if has['rank'] else 'score'} AS key FROM placed
        JOIN job_index USING (job_id) WHERE place < {int(k_max)}""").df()
    out.update(top_job=top["j"].to_numpy(np.int64), top_place=top["place"].to_numpy(np.int64),
               top_candidate=top["row"].to_numpy(np.int64), top_key=top["key"].to_numpy(float))
    out.update(_people(con, len(combos), job_groups is not None, has["selected"]))
    out["period"] = None
    if has["timestamp"]:
        lo, hi = con.execute(f"SELECT min(TRY_CAST(timestamp AS TIMESTAMP)), max(TRY_CAST(timestamp AS TIMESTAMP)) "
                             f"FROM {src}").fetchone()
        if lo is not None:
            out["period"] = {"start": lo.date().isoformat(), "end": hi.date().isoformat()}
    return out


def merge_parts(parts: list[dict[str, Any]], combos: np.ndarray) -> dict[str, Any]:
    """One :func:`stream_log` result from those of its job blocks (``part=(i, n)`` for every ``i``).

    Jobs are sorted by id, as one pass over the whole log sorts them; each
    job's counts, first places and flagged pairs are its block's; distinct
    people are counted over the union of the blocks' candidates; each person's
    sums over their jobs (``person_*``) are added over the blocks; the period
    spans the blocks'.

    Parameters
    ----------
    parts : list of dict
        The blocks' results, each with ``rows``.
    combos : ndarray (n_candidates,) of int
        Each candidate's group combination, as given to ``stream_log``.

    Returns
    -------
    dict
        What :func:`stream_log` returns for the whole log.
    """
    if not parts:
        raise ConfigError("merge_parts needs at least one part")
    ids = [j for p in parts for j in p["job_ids"]]
    if len(set(ids)) != len(ids):
        raise DataError("the same job came out of two job blocks; the blocks must split the log by job")
    order = sorted(range(len(ids)), key=ids.__getitem__)
    new_of_old = np.empty(len(ids), dtype=np.int64)
    new_of_old[order] = np.arange(len(ids))
    first = parts[0]
    n_combos = first["n_combos"]
    out: dict[str, Any] = {"job_ids": [ids[i] for i in order], "n_combos": n_combos,
                           **{f: first[f] for f in ("has_rank", "has_score", "has_selected")}}
    for name in ("considered", "above", "flagged"):
        stacked = np.concatenate([p[name] for p in parts]) if ids else np.zeros((0, n_combos), np.int64)
        out[name] = stacked[order]
    offsets = np.cumsum([0] + [len(p["job_ids"]) for p in parts])
    out["top_job"] = np.concatenate([new_of_old[off + p["top_job"]] for off, p in zip(offsets, parts)])
    for name in ("top_place", "top_candidate", "top_key"):
        out[name] = np.concatenate([p[name] for p in parts])
    out["flag_job"] = np.concatenate([new_of_old[off + p["flag_job"]] for off, p in zip(offsets, parts)])
    out["flag_candidate"] = np.concatenate([p["flag_candidate"] for p in parts])
    # a person's sums run over their jobs, and each job is in one block: the blocks' sums add up
    for name in ("person_jobs", "person_selectivity", "person_set_key", "person_group_key"):
        out[name] = None if first[name] is None else np.sum([p[name] for p in parts], axis=0, dtype=np.int64)
    rows = np.unique(np.concatenate([p["rows"] for p in parts]))
    out["people"] = np.bincount(np.asarray(combos, dtype=np.int64)[rows], minlength=n_combos).astype(np.int64)
    periods = [p["period"] for p in parts if p["period"]]
    out["period"] = ({"start": min(q["start"] for q in periods), "end": max(q["end"] for q in periods)}
                     if periods else None)
    return out


def _job_index(jobs: list[str], job_groups: Mapping[str, int] | None) -> pd.DataFrame:
    """Each job's row ``j`` and the keys summed per person: ``z1, z2`` of the job, ``g1, g2`` of its group."""
    z = hash_keys(jobs, 1)
    out = pd.DataFrame({"job_id": jobs, "j": np.arange(len(jobs), dtype=np.int64), "z1": z[:, 0], "z2": z[:, 1]})
    if job_groups is not None:
        g = hash_keys(np.array([job_groups.get(j, -1) for j in jobs], dtype=np.int64), 2)
        out["g1"], out["g2"] = g[:, 0], g[:, 1]
    return out


def _people(con: Any, n_candidates: int, groups: bool, flags: bool) -> dict[str, Any]:
    """Per candidate row: jobs considered, selectivity and the set keys; the flagged pairs."""
    extra = ", CAST(sum(g1) AS BIGINT) AS g1, CAST(sum(g2) AS BIGINT) AS g2" if groups else ""
    per = con.execute(f"""SELECT row, count(*) AS n, CAST(sum({SELECTIVITY_SCALE} // size) AS BIGINT) AS sel,
        CAST(sum(z1) AS BIGINT) AS z1, CAST(sum(z2) AS BIGINT) AS z2{extra}
        FROM placed JOIN job_index USING (job_id) GROUP BY row""").df()
    rows = per["row"].to_numpy(np.int64)

    def spread(*cols: str) -> np.ndarray:
        arr = np.zeros((n_candidates, len(cols)), dtype=np.int64)
        arr[rows] = per[list(cols)].to_numpy(np.int64)
        return arr if len(cols) > 1 else arr[:, 0]

    out = {"person_jobs": spread("n"), "person_selectivity": spread("sel"), "person_set_key": spread("z1", "z2"),
           "person_group_key": spread("g1", "g2") if groups else None}
    flagged = con.execute("SELECT j, row FROM placed JOIN job_index USING (job_id) WHERE selected").df() if flags \
        else pd.DataFrame({"j": [], "row": []})
    out.update(flag_job=flagged["j"].to_numpy(np.int64), flag_candidate=flagged["row"].to_numpy(np.int64))
    return out
