"""Occupational segregation in the synthetic data: each occupation's sex and race/ethnicity mix.

On a hiring platform each job has its own applicants, and they are segregated by
occupation: a nursing job's applicants are mostly women, an electrician job's
mostly men. ``make_hiring_data(..., segregation=s, applicants_per_job=m)`` draws
each candidate's sex and race/ethnicity from their occupation's mix and gives
each job ``m`` applicants of its occupation.

The mixes come from the packaged ``bls_occupations_2022.csv``: the US Bureau of
Labor Statistics' Current Population Survey, 2022 annual averages, Table 11
"Employed persons by detailed occupation, sex, race, and Hispanic or Latino
ethnicity" (https://www.bls.gov/cps/aa2022/cpsaat11.htm), one row per occupation
of the generator (the Table 11 row used is named in the file).

* **Sex**: P(female) is the table's percent of women.
* **Race/ethnicity**: the table's columns overlap (Hispanic or Latino people may be
  of any race) and leave out American Indian / Alaska Native and multiracial people,
  so they are not shares of fairaudit's categories. Each category's share of the pool
  (``race_shares``, default the Census 2020 surname marginal) is multiplied by the
  occupation's representation relative to all employed people (its percent over
  the all-occupation percent: Hispanic or Latino, White, Black, Asian; 1 for the
  two categories the table does not publish) and the products are renormalised.
  An occupation with all-occupation percentages gets exactly the pool mix.
* With segregation ``s`` a candidate's mix is ``(1 - s) * pool + s * occupation``.
  Sex and race/ethnicity are drawn independently given the occupation (Table 11
  publishes no joint figures). An occupation whose figures are not published (BLS
  shows a dash: nurse midwives) keeps the pool mix.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Sequence

import numpy as np
import pandas as pd

from ...errors import DataError
from .sources import RACES, Occupation

__all__ = ["BLS_SOURCE", "BLS_TABLE_FILE", "applicant_sets", "draw_segregated", "occupation_mixes",
           "occupation_statistics"]

#: The packaged table (comment lines give the citation).
BLS_TABLE_FILE = "bls_occupations_2022.csv"
#: The citation of its figures.
BLS_SOURCE = ("U.S. Bureau of Labor Statistics, Current Population Survey, 2022 annual averages, Table 11: "
              "Employed persons by detailed occupation, sex, race, and Hispanic or Latino ethnicity, "
              "https://www.bls.gov/cps/aa2022/cpsaat11.htm")
#: fairaudit's race/ethnicity label -> the Table 11 column of its representation factor.
_RACE_COLUMNS = {"hispanic": "hispanic", "white": "white", "black": "black", "asian": "asian"}
_TOTAL = "all occupations"


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    with resources.files(__package__).joinpath(BLS_TABLE_FILE).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, comment="#").set_index("occupation")


def occupation_statistics() -> pd.DataFrame:
    """The packaged Table 11 figures, one row per occupation and one for all occupations.

    Returns
    -------
    DataFrame
        Indexed by ``occupation`` (the generator's title; ``"all occupations"`` for
        the total), with ``bls_occupation`` (the Table 11 row), ``match``
        (``"exact"``, ``"closest"`` or ``"total"``), ``employed_thousands`` and the
        percents ``women``, ``white``, ``black``, ``asian``, ``hispanic`` (NaN:
        not published).
    """
    return _table().copy()


def occupation_mixes(titles: Sequence[str], female_share: float, race_probs: np.ndarray,
                     segregation: float) -> tuple[np.ndarray, np.ndarray]:
    """Each occupation's P(female) and P(race/ethnicity) at a given segregation.

    Parameters
    ----------
    titles : sequence of str
        Occupation titles of the generator.
    female_share : float
        P(female) of the pool (segregation 0).
    race_probs : ndarray (len(RACES),)
        P(race/ethnicity) of the pool, in :data:`RACES` order (segregation 0).
    segregation : float in [0, 1]
        0: the pool mix for every occupation; 1: each occupation's own mix.

    Returns
    -------
    female : ndarray (n_titles,)
    race : ndarray (n_titles, len(RACES))
        Rows sum to 1.

    Raises
    ------
    DataError
        A title has no row in the packaged table.
    """
    table = _table()
    missing = [t for t in titles if t not in table.index]
    if missing:
        raise DataError(f"no BLS occupation figures for {missing} in {BLS_TABLE_FILE}")
    pool = np.asarray(race_probs, dtype=float) / np.sum(race_probs)
    total = table.loc[_TOTAL]
    female = np.full(len(titles), float(female_share))
    race = np.tile(pool, (len(titles), 1))
    for i, title in enumerate(titles):
        row = table.loc[title]
        if row[["women", *_RACE_COLUMNS.values()]].isna().any():
            continue  # not published: the pool mix
        factor = np.array([row[_RACE_COLUMNS[r]] / total[_RACE_COLUMNS[r]] if r in _RACE_COLUMNS else 1.0
                           for r in RACES])
        own = pool * factor
        female[i] = (1 - segregation) * female_share + segregation * row["women"] / 100
        race[i] = (1 - segregation) * pool + segregation * own / own.sum()
    return female, race


def draw_segregated(n: int, occs: Sequence[Occupation], female_share: float, race_probs: np.ndarray,
                    segregation: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occupation, sex and race/ethnicity of ``n`` candidates, the last two drawn given the first.

    Parameters
    ----------
    n : int
        Candidates.
    occs : sequence of Occupation
        The occupations; each gets ``n // len(occs)`` or one more candidate.
    female_share, race_probs, segregation
        As in :func:`occupation_mixes`.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    occupation : ndarray (n,) of int
        Index into ``occs``.
    sex : ndarray (n,) of str
        ``"female"`` or ``"male"``.
    race : ndarray (n,) of int
        Index into :data:`RACES`.
    """
    occ_idx = rng.permutation(np.resize(rng.permutation(len(occs)), n))
    female, race_p = occupation_mixes([o.title for o in occs], female_share, race_probs, segregation)
    sex = np.where(rng.random(n) < female[occ_idx], "female", "male")
    cdf = np.cumsum(race_p[occ_idx], axis=1)
    u = rng.random(n)[:, None] * cdf[:, -1:]
    race = np.minimum((u >= cdf).sum(axis=1), len(RACES) - 1)  # inverse CDF, row by row
    return occ_idx, sex, race


def applicant_sets(jobs: pd.DataFrame, candidates: pd.DataFrame, per_job: int,
                   rng: np.random.Generator) -> pd.DataFrame:
    """``per_job`` applicants of its own occupation for every job.

    Each occupation's candidates are shuffled once and dealt to its jobs in turn
    (cycling when the jobs need more places than there are candidates), so every
    candidate applies to as few jobs as possible and a job never lists anyone twice.

    Parameters
    ----------
    jobs : DataFrame
        ``job_id`` and ``occupation``.
    candidates : DataFrame
        ``candidate_id`` and ``occupation``; at least ``per_job`` per occupation of a job.
    per_job : int
        Applicants per job.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    DataFrame
        ``job_id``, ``candidate_id``: one row per application, jobs in table order.
    """
    cand_occ = candidates["occupation"].to_numpy()
    cand_ids = candidates["candidate_id"].to_numpy()
    job_occ = jobs["occupation"].to_numpy()
    picks = np.empty((len(jobs), per_job), dtype=np.int64)
    for occ in pd.unique(job_occ):
        people = np.flatnonzero(cand_occ == occ)
        if len(people) < per_job:
            raise DataError(f"{len(people)} candidate(s) of occupation {occ!r} for {per_job} applicants per job")
        rows = np.flatnonzero(job_occ == occ)
        dealt = np.resize(rng.permutation(people), len(rows) * per_job)  # a window never repeats anyone
        picks[rows] = dealt.reshape(len(rows), per_job)
    return pd.DataFrame({"job_id": np.repeat(jobs["job_id"].to_numpy(), per_job),
                         "candidate_id": cand_ids[picks.ravel()]})
