"""The chance level of per-job candidate sets: one shuffle of the labels over *people*, within exchangeability blocks.

Why not each job on its own
---------------------------
Permuting the labels within each job's set independently (the multivariate
hypergeometric draws of :func:`fairaudit.engine.permutation.set_null_draws`)
treats every job as a fresh draw of labels. But a person has one label, carried
into every job they were considered for, and a recommender that ignores the
attribute still ranks strong candidates high in many jobs at once. A person's
selections ``m_c`` then add up across jobs, the groups' totals vary with the
labels of the few people who are selected often, and independent per-job draws
understate that variance: on attribute-blind scores with a quality shared across
jobs the per-job null rejected in 17.5-35.5 % of audits at alpha = 5 %
(``benchmarks/verdict_bench.py --only sets``).

The person-level null
---------------------
Under H0 ("the tool ranked each job's candidates without regard to the
attribute") the labels of people who are alike in everything the audit's design
fixes are exchangeable. The null permutes the labels over people within
*exchangeability blocks* (Winkler et al. 2014): each permutation gives every
person one new label, used in all of their jobs, so group g's selections are

.. math:: S^{(b)}_g = \\sum_c m_c \\, 1[\\ell_{\\pi_b(c)} = g],
    \\qquad m_c = \\#\\{j : c \\in \\mathrm{top}_k(j)\\}

(one weighted ``bincount`` per permutation block), and the per-job top-k mixes
(match rate, mean gap) are counted from the permuted labels of each job's
selected pairs. A person goes to the first of these blocks in which someone else
shares their key (candidate ``strata`` columns, the audit's ``strata``, split
every block):

1. **same jobs**: people considered for exactly the same set of jobs. Swapping
   their labels leaves every job's candidate mix as observed, so this keeps the
   per-job null's conditioning and adds the consistency across jobs;
2. **same job groups**: with a jobs-table ``strata`` column (e.g. the job's
   occupation), the same multiset of job groups;
3. **same number of jobs**: the same number of jobs ``n_c``; a class of at least
   twice :data:`MIN_BLOCK` people is cut into blocks of at least :data:`MIN_BLOCK`
   people of similar *selectivity*
   ``h_c = sum_{j : c in C_j} 1 / |C_j|`` (a random ranking's expected
   selections per place; people with equal ``h_c`` stay together), a
   subclassification on the quantity that sets a person's selections under H0
   when qualities do not depend on the jobs (Rosenbaum & Rubin 1984).

A person no block can hold keeps their label (a block of one). Every block
holds people with the same number of jobs, so each group's pairs considered,
the selection rates' denominators, are the same in every permutation.

The test is exact (Phipson & Smyth p-values) when labels are exchangeable within
the blocks under H0. Level 1 asks for no more than the per-job null; levels 2
and 3 also assume that people with the same job groups, or the same number of
jobs and selectivity, are exchangeable: segregation that the blocks do not see
(a job-level sorting of the groups with no ``strata`` column to name it) can
still bias the null. The per-job gaps in a permutation are compared with each
job's target as observed (with ``target="own"``, its observed candidates' mix):
exact for level-1 blocks; where coarser blocks move a job's candidates' mix, the
gap's null widens, so the match-rate and gap tests err on the side of "within
chance".

When no candidate is in more than one job (and no ``strata``), level 1's blocks
are the jobs' own sets and this null *is* the per-job permutation: the audit then
draws the hypergeometric counts directly, which is exact and faster
(:func:`choose_null`).

References
----------
.. [1] Winkler, A. M., Ridgway, G. R., Webster, M. A., Smith, S. M. & Nichols,
       T. E. (2014). Permutation inference for the general linear model.
       *NeuroImage* 92, 381-397 (exchangeability blocks, section 2.3).
.. [2] Rosenbaum, P. R. & Rubin, D. B. (1984). Reducing bias in observational
       studies using subclassification on the propensity score. *JASA* 79(387),
       516-524.
.. [3] Phipson, B. & Smyth, G. K. (2010). Permutation p-values should never be
       zero. *Stat. Appl. Genet. Mol. Biol.* 9(1), art. 39.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..data.groups import GroupEncoding
from ..data.log_stream import SELECTIVITY_SCALE, hash_keys
from ..metrics.diversity import gap as gap_fn
from ..metrics.diversity import topk_shares
from .permutation import BLOCK_ENTRIES, NullDraws, rates_of_gaps

#: The two nulls of an audit of candidate sets (``summary["chance_level"]["null"]``).
PERSON, PER_JOB = "person-level permutation", "per-job hypergeometric"
#: Block levels, finest first (``summary["chance_level"]["people_by_block"]``).
LEVELS = ("same jobs", "same job groups", "same number of jobs", "alone")
#: Fewest people in a block cut by selectivity (level 3); a smaller class stays one block.
MIN_BLOCK = 50


@dataclass(frozen=True)
class PersonProfile:
    """What the design says about each candidate row (label-free): the inputs of the blocks.

    Attributes
    ----------
    n_jobs : ndarray (n_candidates,) of int
        Jobs that considered the candidate (0: not assessed).
    selectivity : ndarray (n_candidates,) of int
        ``sum_j floor(SELECTIVITY_SCALE / |C_j|)`` over those jobs: ``h_c`` in integers,
        so that a log streamed by DuckDB and one in memory give the same blocks.
    set_key : ndarray (n_candidates, 2) of int
        Two random sums over the candidate's jobs: equal for the same set of jobs.
    group_key : ndarray (n_candidates, 2) of int, or None
        The same over the jobs' groups (a multiset), when the jobs have groups.
    """

    n_jobs: np.ndarray
    selectivity: np.ndarray
    set_key: np.ndarray
    group_key: np.ndarray | None = None


def profile_from_pairs(job: np.ndarray, candidate: np.ndarray, n_jobs: int, n_candidates: int,
                       job_groups: np.ndarray | None = None, job_ids: Sequence[str] | None = None) -> PersonProfile:
    """The :class:`PersonProfile` of (job, candidate) pairs (each pair once).

    Parameters
    ----------
    job, candidate : ndarray (n_pairs,) of int
        Each pair's job row and candidate row.
    n_jobs, n_candidates : int
        Rows of the jobs and of the candidates table.
    job_groups : ndarray (n_jobs,) of int, optional
        Each job's group code (e.g. its occupation), -1 for none.
    job_ids : sequence of str, optional
        The jobs' ids: the set keys then hash them, as a streamed log's do
        (``fairaudit.data.log_stream.hash_keys``), so both give the same sums;
        default: the job rows.
    """
    sizes = np.bincount(job, minlength=n_jobs)
    count = np.bincount(candidate, minlength=n_candidates)
    # float64 sums of integers below 2**53 are exact, whatever their order
    sel = np.bincount(candidate, weights=(SELECTIVITY_SCALE // np.maximum(sizes, 1))[job].astype(float),
                      minlength=n_candidates)
    z = hash_keys(np.arange(n_jobs) if job_ids is None else list(map(str, job_ids)), 1)

    def sums(keys: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(candidate, weights=keys[:, i].astype(float), minlength=n_candidates)
                         for i in range(2)], axis=1).astype(np.int64)

    group_key = None
    if job_groups is not None:
        group_key = sums(hash_keys(np.asarray(job_groups, dtype=np.int64), 2)[job])
    return PersonProfile(n_jobs=count.astype(np.int64), selectivity=sel.astype(np.int64), set_key=sums(z[job]),
                         group_key=group_key)


@dataclass(frozen=True)
class PersonBlocks:
    """The exchangeability blocks of the people some job considered.

    Attributes
    ----------
    people : ndarray (n_people,) of int
        Their candidate rows, ascending.
    code : ndarray (n_people,) of int
        Each person's block, numbered in the order of the blocks' first person.
    level : ndarray (n_people,) of int
        Each person's block level, an index into :data:`LEVELS`.
    """

    people: np.ndarray
    code: np.ndarray
    level: np.ndarray

    def summary(self) -> dict[str, Any]:
        """People, blocks of two or more, and people per level (:data:`LEVELS`), for the result's ``chance_level``."""
        sizes = np.bincount(self.code) if len(self.code) else np.empty(0, dtype=np.int64)
        return {"people": int(len(self.people)), "blocks": int((sizes >= 2).sum()),
                "people_by_block": {name: int((self.level == i).sum()) for i, name in enumerate(LEVELS)}}


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id of each row of ``keys`` (n, m) and that group's size."""
    if not len(keys):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    _, inv, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    return inv, counts[inv]


def _selectivity_bins(sel: np.ndarray, min_block: int) -> np.ndarray:
    """Bins of consecutive values of sorted ``sel``, each of at least ``min_block`` (fewer than 2x: one bin).

    Cuts fall only where the value changes, so equal values share a bin.
    """
    n = len(sel)
    if n < 2 * min_block:
        return np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sel[1:] != sel[:-1]])  # where a value begins
    at = np.searchsorted(starts, np.arange(min_block, n - min_block + 1, min_block))  # first value start at or after
    cuts, last = [], 0
    for c in starts[at[at < len(starts)]]:
        if c - last >= min_block and n - c >= min_block:  # both sides keep at least min_block
            cuts.append(c)
            last = c
    return np.searchsorted(np.asarray(cuts, dtype=np.int64), np.arange(n), side="right")


def exchangeability_blocks(profile: PersonProfile, strata: np.ndarray | None = None,
                           min_block: int = MIN_BLOCK) -> PersonBlocks:
    """The blocks of the person-level null (module docstring, levels 1-3).

    Parameters
    ----------
    profile : PersonProfile
        The design's description of every candidate row.
    strata : ndarray (n_candidates,) of int, optional
        Candidate strata codes (the audit's candidate ``strata`` columns); blocks never mix them.
    min_block : int
        Fewest people in a block cut by selectivity.
    """
    people = np.flatnonzero(profile.n_jobs > 0)
    n = len(people)
    base = (np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, dtype=np.int64)[people])[:, None]
    n_jobs = profile.n_jobs[people][:, None]
    levels = [np.hstack([base, profile.set_key[people]])]
    levels.append(np.hstack([base, n_jobs, profile.group_key[people]]) if profile.group_key is not None else None)
    code = np.full(n, -1, dtype=np.int64)
    level = np.full(n, len(LEVELS) - 1, dtype=np.int64)
    left, used = np.ones(n, dtype=bool), 0
    for lev, keys in enumerate(levels):
        if keys is None:
            continue
        idx = np.flatnonzero(left)
        inv, size = _groups(keys[idx])
        ok = size >= 2
        code[idx[ok]], level[idx[ok]] = inv[ok] + used, lev
        used += int(inv.max()) + 1 if len(inv) else 0
        left[idx[ok]] = False
    idx = np.flatnonzero(left)  # level 3: the same number of jobs, cut by selectivity
    cls, _ = _groups(np.hstack([base[idx], n_jobs[idx]]))
    sel = profile.selectivity[people[idx]]
    order = np.lexsort((idx, sel, cls))
    bounds = np.flatnonzero(np.diff(cls[order])) + 1
    for members in np.split(order, bounds):
        bins = _selectivity_bins(sel[members], min_block)
        code[idx[members]] = bins + used
        level[idx[members]] = 2 if len(members) > 1 else 3
        used += int(bins.max()) + 1 if len(bins) else 0
    _, first, inv = np.unique(code, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))  # blocks in the order of their first person
    return PersonBlocks(people=people, code=rank[inv.ravel()], level=level)


def block_permutations(code: np.ndarray, n_permutations: int, seed: Sequence[int] | int,
                       block: int) -> Iterator[np.ndarray]:
    """Yield ``(b, n)`` permutations of ``n`` people within their blocks; person i takes the label of ``pi[i]``.

    Each row shuffles everyone uniformly, then sorts stably by block: within a
    block the members then come in a uniformly random order, exactly (no ties
    of random keys), and are handed the labels of the block's members in order.

    Parameters
    ----------
    code : ndarray (n,) of int
        Each person's block.
    n_permutations : int
        Permutations in all.
    seed : int or sequence of int
        Seed: the same seed gives the same permutations, whatever ``block``.
    block : int
        Permutations per yielded array (bounds the memory).
    """
    rng = np.random.default_rng(seed)
    n = len(code)
    slots = np.argsort(code, kind="stable")  # the block's members in order, block by block
    done = 0
    while done < n_permutations:
        b = min(block, n_permutations - done)
        shuffled = np.stack([rng.permutation(n) for _ in range(b)]) if n else np.empty((b, 0), dtype=np.int64)
        random_order = np.take_along_axis(shuffled, np.argsort(code[shuffled], axis=1, kind="stable"), axis=1)
        out = np.empty((b, n), dtype=np.int64)
        out[:, slots] = random_order
        yield out
        done += b


def choose_null(profile: PersonProfile, strata: np.ndarray | None) -> str:
    """:data:`PER_JOB` when it is exact (nobody in two jobs' sets, no candidate strata), else :data:`PERSON`.

    Parameters
    ----------
    profile : PersonProfile
        The candidates' numbers of jobs.
    strata : ndarray or None
        Candidate strata codes, if any.
    """
    return PER_JOB if strata is None and (not len(profile.n_jobs) or profile.n_jobs.max() <= 1) else PERSON


def person_null_draws(blocks: PersonBlocks, selected: Mapping[int, tuple[np.ndarray, np.ndarray]],
                      encodings: Sequence[GroupEncoding], targets: Mapping[str, np.ndarray], n_jobs: int,
                      tolerance: float, n_permutations: int, seed: Sequence[int] | int,
                      n_permutations_gap: int | None = None) -> dict[tuple[str, int], NullDraws]:
    """Every attribute's statistics at every k under ``n_permutations`` person-level permutations.

    One permutation moves a person's labels of every attribute together, in all of
    their jobs; attributes and cut-offs share the permutations.

    Parameters
    ----------
    blocks : PersonBlocks
        Who may swap labels with whom.
    selected : mapping k -> (job, candidate)
        The selected pairs at each k (job rows, candidate rows).
    encodings : sequence of GroupEncoding
        The attributes.
    targets : mapping attribute -> ndarray (n_jobs, n_known)
        Each job's target of the gap, as observed.
    n_jobs : int
        Number of jobs.
    tolerance : float
        A job matches when its gap is at most this.
    n_permutations : int
        Permutations.
    seed : int or sequence of int
        Seed of the permutations.
    n_permutations_gap : int, optional
        Of those, how many feed the match rate and mean gap (default all).
    """
    n = len(blocks.people)
    pos = np.full(int(blocks.people.max()) + 1 if n else 0, -1, dtype=np.int64)
    pos[blocks.people] = np.arange(n)
    who = {k: pos[cand] for k, (_, cand) in selected.items()}  # each selected pair's person
    mult = {k: np.bincount(w, minlength=n) for k, w in who.items()}  # m_c: the person's selections
    n_gap = n_permutations if n_permutations_gap is None else min(n_permutations, n_permutations_gap)
    widest = max([n, *(len(w) for w in who.values())], default=1)
    labels = {e.attribute: e.codes[blocks.people].astype(np.int8 if e.n_codes < 128 else np.int32)
              for e in encodings}
    parts: dict[tuple[str, int], list[tuple[np.ndarray, ...]]] = {(e.attribute, k): [] for e in encodings
                                                                  for k in selected}
    done = 0
    for perm in block_permutations(blocks.code, n_permutations, seed, max(1, BLOCK_ENTRIES // max(widest, 1))):
        n_div = max(0, min(len(perm), n_gap - done))
        for enc in encodings:
            lab = labels[enc.attribute][perm]  # (b, n): each person's label in this permutation
            for k, (job, _) in selected.items():
                sel = _weighted_counts(lab, mult[k], enc.n_codes)
                m = g = np.empty(0)
                if n_div:
                    m, g = _gap_draws(lab[:n_div][:, who[k]], job, n_jobs, enc, targets[enc.attribute], tolerance)
                parts[(enc.attribute, k)].append((sel, m, g))
        done += len(perm)
    return {key: NullDraws(*(np.concatenate([p[i] for p in v]) if v else np.empty(0) for i in range(3)))
            for key, v in parts.items()}


def _weighted_counts(lab: np.ndarray, weights: np.ndarray, n_codes: int) -> np.ndarray:
    """``S_g`` of each permutation: the weights of the people carrying label g, (b, n_codes)."""
    hit = np.flatnonzero(weights)
    b = lab.shape[0]
    flat = (lab[:, hit].astype(np.int64) + n_codes * np.arange(b)[:, None]).ravel()
    w = np.broadcast_to(weights[hit].astype(float), (b, len(hit))).ravel()
    return np.bincount(flat, weights=w, minlength=b * n_codes).reshape(b, n_codes).round().astype(np.int64)


def _gap_draws(pair_labels: np.ndarray, job: np.ndarray, n_jobs: int, enc: GroupEncoding, target: np.ndarray,
               tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Match rate and mean gap of each permutation from its selected pairs' labels (b, n_pairs)."""
    b, n_codes = pair_labels.shape[0], enc.n_codes
    out_m, out_g = [], []
    step = max(1, BLOCK_ENTRIES // max(n_jobs * n_codes, 1))  # bounds the (b, n_jobs, n_codes) counts
    for s in range(0, b, step):
        lab = pair_labels[s:s + step].astype(np.int64)
        r = lab.shape[0]
        flat = ((np.arange(r)[:, None] * n_jobs + job[None, :]) * n_codes + lab).ravel()
        counts = np.bincount(flat, minlength=r * n_jobs * n_codes).reshape(r * n_jobs, n_codes)
        rows = np.broadcast_to(target, (r, n_jobs, enc.n_known)).reshape(r * n_jobs, enc.n_known)
        m, g = rates_of_gaps(gap_fn(topk_shares(counts, enc.n_known), rows).reshape(r, n_jobs), tolerance)
        out_m.append(m)
        out_g.append(g)
    return np.concatenate(out_m), np.concatenate(out_g)
