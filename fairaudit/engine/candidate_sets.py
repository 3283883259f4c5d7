"""A ranking per job over that job's own candidates: the object a logged and a live audit share.

The unit of an audit with candidate sets is the (job, candidate) pair actually
considered. :class:`SetRanking` holds those pairs, sorted by job and, within a
job, best first, with what the tool did (a score, a selected flag) and the
candidates' rows in the candidates table. A log
(:func:`fairaudit.engine.log_audit.audit_log`) and a live audit of per-job candidate
sets (``fairaudit.audit(..., candidate_sets=...)``) both build one, and
:func:`fairaudit.engine.sets_measure.measure_sets` measures it, so the two give
the same tables from the same pairs.

Order within a job: by ``rank`` (lower first) where given, else by ``score``
(higher first); remaining ties go to the lower candidate row, as
:func:`fairaudit.recommenders.base.topk_block` breaks them. A job's top-k is its
first ``min(k, n_j)`` candidates (a job with fewer than k candidates selects all
of them); rows past a job's candidates are padded with the row
``n_candidates``, which belongs to no group.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from ..metrics.counts import group_counts
from .person_null import PersonProfile, profile_from_pairs


@dataclass(frozen=True)
class SetRanking:
    """The (job, candidate) pairs each job considered, best first within each job.

    Attributes
    ----------
    job_ids : tuple of str
        The jobs, in row order (``job`` indexes them).
    n_candidates : int
        Rows of the candidates table (``candidate`` indexes them).
    job, candidate : ndarray (n_pairs,) of int
        Each pair's job row and candidate row, sorted by job, then place.
    starts : ndarray (n_jobs + 1,) of int
        Job ``j``'s pairs are ``starts[j]:starts[j + 1]``.
    score : ndarray (n_pairs,) of float, or None
        The tool's score of each pair, where known.
    rank : ndarray (n_pairs,) of float, or None
        The tool's rank of each pair (lower is better), where known.
    selected : ndarray (n_pairs,) of bool, or None
        Whether the tool advanced each pair, where known.
    """

    job_ids: tuple[str, ...]
    n_candidates: int
    job: np.ndarray
    candidate: np.ndarray
    starts: np.ndarray
    score: np.ndarray | None = None
    rank: np.ndarray | None = None
    selected: np.ndarray | None = None

    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return len(self.job_ids)

    @property
    def sizes(self) -> np.ndarray:
        """Candidates each job considered, (n_jobs,)."""
        return np.diff(self.starts)

    @property
    def ordered(self) -> bool:
        """Whether places within a job are known (a rank or a score), so top-k cut-offs apply."""
        return self.rank is not None or self.score is not None

    @property
    def has_flags(self) -> bool:
        """Whether the tool's ``selected`` flags are known."""
        return self.selected is not None

    @property
    def n_pairs(self) -> int:
        """(job, candidate) pairs considered."""
        return int(len(self.job))

    @property
    def n_individuals(self) -> int:
        """Distinct candidates some job considered."""
        return int(len(np.unique(self.candidate)))

    @property
    def places(self) -> np.ndarray:
        """Each pair's place within its job, 0 = best."""
        return np.arange(len(self.job)) - self.starts[self.job]

    def considered(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Candidates of each group code each job considered, (n_jobs, n_codes)."""
        flat = self.job * n_codes + codes[self.candidate]
        return np.bincount(flat, minlength=self.n_jobs * n_codes).reshape(self.n_jobs, n_codes)

    def individuals(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Distinct candidates of each group code that some job considered, (n_codes,)."""
        return np.bincount(codes[np.unique(self.candidate)], minlength=n_codes)

    def top(self, k: int) -> np.ndarray:
        """Each job's top-k candidate rows, (n_jobs, k), padded with ``n_candidates`` past a job's set."""
        places = self.places
        keep = places < k
        out = np.full((self.n_jobs, k), self.n_candidates, dtype=np.int64)
        out[self.job[keep], places[keep]] = self.candidate[keep]
        return out

    def order_keys(self, k: int) -> np.ndarray:
        """The values that ordered each job's first ``k`` places (higher is better), NaN-padded, (n_jobs, k).

        ``-rank`` where the log gives ranks, else the score: fed to
        :func:`fairaudit.metrics.ties.order_decided` (places decided by row order).
        """
        key = -self.rank if self.rank is not None else self.score
        out = np.full((self.n_jobs, k), np.nan)
        if key is None:
            return out
        places = self.places
        keep = places < k
        out[self.job[keep], places[keep]] = key[keep]
        return out

    def flagged(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Selected candidates of each group code per job, (n_jobs, n_codes), from the ``selected`` flags."""
        if self.selected is None:
            raise DataError("this ranking has no 'selected' flags")
        sel = self.selected
        flat = self.job[sel] * n_codes + codes[self.candidate[sel]]
        return np.bincount(flat, minlength=self.n_jobs * n_codes).reshape(self.n_jobs, n_codes)

    def above_median(self, codes: np.ndarray, n_codes: int) -> np.ndarray | None:
        """Candidates of each group scoring above their job's median score, (n_jobs, n_codes); None without scores.

        The LL144 scoring rate against each job's own median over the candidates it considered.
        """
        if self.score is None:
            return None
        med = pd.Series(self.score).groupby(self.job).transform("median").to_numpy()
        above = self.score > med
        flat = self.job[above] * n_codes + codes[self.candidate[above]]
        return np.bincount(flat, minlength=self.n_jobs * n_codes).reshape(self.n_jobs, n_codes)

    def top_counts(self, k: int, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Group counts of each job's top-k, (n_jobs, n_codes) (the padding counts for no group)."""
        return group_counts(self.top(k), np.append(codes, n_codes), n_codes)

    def selected_pairs(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Job and candidate rows of the pairs in each job's top-k, or of the flagged pairs at ``k = 0``."""
        keep = self.selected if k == 0 else self.places < k
        if keep is None:
            raise DataError("this ranking has no 'selected' flags")
        return self.job[keep], self.candidate[keep]

    def person_profile(self, job_groups: np.ndarray | None = None) -> PersonProfile:
        """Each candidate's jobs, selectivity and set keys (:func:`~fairaudit.engine.person_null.profile_from_pairs`).

        ``job_groups``: each job's group code (e.g. its occupation), in the order of ``job_ids``.
        """
        return profile_from_pairs(self.job, self.candidate, self.n_jobs, self.n_candidates, job_groups, self.job_ids)

    def to_frame(self, candidate_ids: Sequence[str]) -> pd.DataFrame:
        """The pairs as a log table: job_id, candidate_id, rank (1 = best, the place) and score/selected where known."""
        ids = np.asarray(candidate_ids, dtype=object)
        out = pd.DataFrame({"job_id": np.asarray(self.job_ids, dtype=object)[self.job],
                            "candidate_id": ids[self.candidate], "rank": self.places + 1})
        if self.score is not None:
            out["score"] = self.score
        if self.selected is not None:
            out["selected"] = self.selected
        return out


def build(job: np.ndarray, candidate: np.ndarray, job_ids: Sequence[str], n_candidates: int, *,
          rank: np.ndarray | None = None, score: np.ndarray | None = None,
          selected: np.ndarray | None = None) -> SetRanking:
    """Sort pairs into a :class:`SetRanking` (by job, then rank, score, candidate row; see the module).

    Parameters
    ----------
    job, candidate : ndarray (n_pairs,) of int
        Job rows (into ``job_ids``) and candidate rows.
    job_ids : sequence of str
        The jobs.
    n_candidates : int
        Rows of the candidates table.
    rank, score, selected : ndarray (n_pairs,), optional
        What the tool did with each pair.
    """
    job = np.asarray(job, dtype=np.int64)
    score = None if score is None else np.asarray(score, dtype=np.float64)  # a float32 score's median in float64
    rank = None if rank is None else np.asarray(rank, dtype=np.float64)
    candidate = np.asarray(candidate, dtype=np.int64)
    keys: list[np.ndarray] = [candidate]  # np.lexsort: the last key is the primary one
    if score is not None:
        keys.append(-np.asarray(score, dtype=float))
    if rank is not None:
        keys.append(np.asarray(rank, dtype=float))
    if rank is None and score is None and selected is not None:
        keys.append(~np.asarray(selected, dtype=bool))  # unordered: the selected ones first
    order = np.lexsort((*keys, job))
    starts = np.searchsorted(job[order], np.arange(len(job_ids) + 1))
    pick = (lambda a: None if a is None else np.asarray(a)[order])  # noqa: E731
    return SetRanking(job_ids=tuple(map(str, job_ids)), n_candidates=int(n_candidates), job=job[order],
                      candidate=candidate[order], starts=starts, score=pick(score), rank=pick(rank),
                      selected=None if selected is None else np.asarray(selected, dtype=bool)[order])


def _rows(ids: pd.Series, known: Sequence[str], what: str, table: str) -> np.ndarray:
    """Row numbers of ``ids`` in ``known``; a DataError naming the first ids that are not there."""
    index = pd.Index(list(map(str, known)))
    rows = index.get_indexer(ids)
    if (rows < 0).any():
        missing = pd.unique(ids[rows < 0])
        raise DataError(f"{len(missing)} {what} id(s) in the {table} are not in the {what}s table "
                        f"(first: {list(missing[:5])}); every pair must name a known {what}")
    return rows.astype(np.int64)


def from_pairs(pairs: pd.DataFrame, candidate_ids: Sequence[str], job_ids: Sequence[str] | None = None,
               table: str = "log") -> SetRanking:
    """A :class:`SetRanking` of a checked pair table (:func:`fairaudit.data.logs.validate_pairs`).

    Parameters
    ----------
    pairs : DataFrame
        job_id, candidate_id and any of rank, score, selected.
    candidate_ids : sequence of str
        The candidates table's ids, in row order.
    job_ids : sequence of str, optional
        The jobs table's ids; every pair must name one of them and jobs without
        pairs are left out. Default: the log's jobs in order of first appearance.
    table : str
        What ``pairs`` is ("log", "candidate sets"), for the error messages.

    Raises
    ------
    DataError
        A pair names a job or a candidate that is not in its table.
    """
    cand = _rows(pairs["candidate_id"], candidate_ids, "candidate", table)
    if job_ids is not None:
        _rows(pairs["job_id"], job_ids, "job", table)
        present = set(pairs["job_id"])
        ids = [j for j in map(str, job_ids) if j in present]
    else:
        ids = list(pd.unique(pairs["job_id"]))
    job = _rows(pairs["job_id"], ids, "job", table)
    col = (lambda c: pairs[c].to_numpy() if c in pairs.columns else None)  # noqa: E731
    return build(job, cand, ids, len(candidate_ids), rank=col("rank"), score=col("score"),
                 selected=col("selected"))


@dataclass(frozen=True)
class StreamedSets:
    """A :class:`SetRanking` of a log too large for memory: per-job aggregates and first places only.

    Built by :func:`streamed` from :func:`fairaudit.data.log_stream.stream_log`; it
    answers every question :func:`fairaudit.engine.sets_measure.measure_sets` asks of a
    :class:`SetRanking`, with the same numbers, for cut-offs up to ``k_stored - 1``.
    Counts are kept per (job, group combination) (``combo_rep[c]``: one candidate row
    of combination ``c``), and any attribute's counts are their sums.

    Attributes
    ----------
    job_ids : tuple of str
        The jobs (sorted).
    n_candidates : int
        Rows of the candidates table.
    combo_rep : ndarray (n_combos,) of int
        A candidate row of each combination.
    counts : dict
        ``considered``, ``above``, ``flagged``: (n_jobs, n_combos) int arrays.
    people : ndarray (n_combos,) of int
        Distinct candidates considered per combination.
    top : tuple of ndarray
        ``(job, place, candidate, key)`` of every place below ``k_stored``.
    k_stored : int
        Places kept per job.
    flags : tuple of bool
        Whether the log has ``(rank, score, selected)``.
    profile : PersonProfile
        Each candidate's jobs, selectivity and set keys, computed by DuckDB (job groups applied there).
    flag_pairs : tuple of ndarray
        ``(job, candidate)`` of the flagged pairs.
    """

    job_ids: tuple[str, ...]
    n_candidates: int
    combo_rep: np.ndarray
    counts: dict
    people: np.ndarray
    top_places: tuple
    k_stored: int
    flags: tuple[bool, bool, bool]
    profile: PersonProfile
    flag_pairs: tuple

    @property
    def n_jobs(self) -> int:
        """Number of jobs."""
        return len(self.job_ids)

    @property
    def sizes(self) -> np.ndarray:
        """Candidates each job considered, (n_jobs,)."""
        return self.counts["considered"].sum(axis=1)

    @property
    def ordered(self) -> bool:
        """Whether places within a job are known (a rank or a score)."""
        return self.flags[0] or self.flags[1]

    @property
    def has_flags(self) -> bool:
        """Whether the tool's ``selected`` flags are known."""
        return self.flags[2]

    @property
    def n_pairs(self) -> int:
        """(job, candidate) pairs considered."""
        return int(self.counts["considered"].sum())

    @property
    def n_individuals(self) -> int:
        """Distinct candidates some job considered."""
        return int(self.people.sum())

    def _by_code(self, name: str, codes: np.ndarray, n_codes: int) -> np.ndarray:
        onehot = np.zeros((len(self.combo_rep), n_codes), dtype=np.int64)
        onehot[np.arange(len(self.combo_rep)), codes[self.combo_rep]] = 1
        return self.counts[name] @ onehot

    def considered(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Candidates of each group code each job considered, (n_jobs, n_codes)."""
        return self._by_code("considered", codes, n_codes)

    def individuals(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Distinct candidates of each group code that some job considered, (n_codes,)."""
        return np.bincount(codes[self.combo_rep], weights=self.people, minlength=n_codes).astype(np.int64)

    def flagged(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Selected candidates of each group code per job, (n_jobs, n_codes)."""
        if not self.has_flags:
            raise DataError("this ranking has no 'selected' flags")
        return self._by_code("flagged", codes, n_codes)

    def above_median(self, codes: np.ndarray, n_codes: int) -> np.ndarray | None:
        """Candidates of each group scoring above their job's median score, (n_jobs, n_codes); None without scores."""
        return self._by_code("above", codes, n_codes) if self.flags[1] else None

    def _places(self, k: int, fill: float | int, values: np.ndarray) -> np.ndarray:
        if k > self.k_stored:
            raise DataError(f"the streamed log kept {self.k_stored} places per job; k={k} needs more")
        job, place = self.top_places[0], self.top_places[1]
        keep = place < k
        out = np.full((self.n_jobs, k), fill, dtype=values.dtype)
        out[job[keep], place[keep]] = values[keep]
        return out

    def top(self, k: int) -> np.ndarray:
        """Each job's top-k candidate rows, (n_jobs, k), padded with ``n_candidates``."""
        return self._places(k, self.n_candidates, self.top_places[2])

    def order_keys(self, k: int) -> np.ndarray:
        """The values that ordered each job's first ``k`` places (higher is better), NaN-padded."""
        return self._places(k, np.nan, self.top_places[3])

    def top_counts(self, k: int, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Group counts of each job's top-k, (n_jobs, n_codes)."""
        return group_counts(self.top(k), np.append(codes, n_codes), n_codes)

    def selected_pairs(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Job and candidate rows of the pairs in each job's top-k, or of the flagged pairs at ``k = 0``."""
        if k == 0:
            if not self.has_flags:
                raise DataError("this ranking has no 'selected' flags")
            return self.flag_pairs
        self._places(k, 0, self.top_places[2])  # checks k against the places kept
        keep = self.top_places[1] < k
        return self.top_places[0][keep], self.top_places[2][keep]

    def person_profile(self, job_groups: np.ndarray | None = None) -> PersonProfile:
        """Each candidate's jobs, selectivity and set keys, as streamed (the job groups were applied then)."""
        return self.profile


def streamed(agg: dict, combos: np.ndarray, n_candidates: int, k_stored: int) -> StreamedSets:
    """A :class:`StreamedSets` of :func:`fairaudit.data.log_stream.stream_log`'s output.

    Parameters
    ----------
    agg : dict
        The aggregates and first places.
    combos : ndarray (n_candidates,) of int
        Each candidate's group combination, as given to ``stream_log``.
    n_candidates : int
        Rows of the candidates table.
    k_stored : int
        Places kept per job.
    """
    _, rep = np.unique(combos, return_index=True)  # the first candidate row of each combination (0..n-1)
    return StreamedSets(job_ids=tuple(agg["job_ids"]), n_candidates=int(n_candidates), combo_rep=rep,
                        counts={name: agg[name] for name in ("considered", "above", "flagged")},
                        people=agg["people"], top_places=(agg["top_job"], agg["top_place"], agg["top_candidate"],
                                                          agg["top_key"]),
                        k_stored=int(k_stored), flags=(agg["has_rank"], agg["has_score"], agg["has_selected"]),
                        profile=PersonProfile(n_jobs=agg["person_jobs"], selectivity=agg["person_selectivity"],
                                              set_key=agg["person_set_key"], group_key=agg["person_group_key"]),
                        flag_pairs=(agg["flag_job"], agg["flag_candidate"]))


def reorder(sets: StreamedSets, job_ids: Sequence[str]) -> StreamedSets:
    """``sets`` with its jobs in the order of ``job_ids`` (the jobs table), those without pairs left out.

    Raises
    ------
    DataError
        A job of the log is not in ``job_ids``.
    """
    have = pd.Index(sets.job_ids)
    missing = have.difference(pd.Index(list(map(str, job_ids))))
    if len(missing):
        raise DataError(f"{len(missing)} job id(s) in the log are not in the jobs table (first: {list(missing[:5])})")
    order = [j for j in map(str, job_ids) if j in have]
    old = have.get_indexer(order)
    new_of_old = np.empty(len(old), dtype=np.int64)
    new_of_old[old] = np.arange(len(old))
    job, place, cand, key = sets.top_places
    return StreamedSets(job_ids=tuple(order), n_candidates=sets.n_candidates, combo_rep=sets.combo_rep,
                        counts={name: arr[old] for name, arr in sets.counts.items()}, people=sets.people,
                        top_places=(new_of_old[job], place, cand, key), k_stored=sets.k_stored, flags=sets.flags,
                        profile=sets.profile, flag_pairs=(new_of_old[sets.flag_pairs[0]], sets.flag_pairs[1]))
