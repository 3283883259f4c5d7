"""The parameters of :func:`~fairaudit.data.datasets.make_hiring_data`: one self-validating dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ...errors import ConfigError
from . import sources
from .sources import RACES

__all__ = ["HiringDataConfig"]

@dataclass(frozen=True)
class HiringDataConfig:
    """Parameters of :func:`make_hiring_data`.

    Parameters
    ----------
    n_jobs, n_candidates : int
        Table sizes.
    seed : int
        Seed of the ``numpy.random.Generator``; same seed, same tables.
    coded_share : float in [0, 1], default 0.5
        Share of job ads written with gender-coded wording (exactly
        ``round(coded_share * n_jobs)`` ads); the rest are neutral.
    masculine_share : float in [0, 1], default 0.5
        Share of the coded ads that are masculine-coded (the rest feminine-coded).
    stereotype_weight : float >= 1, default 3.0
        How much more likely a technical/trades ad is to receive the masculine
        wording (and a care/education ad the feminine wording) than an ad of
        another family; 1.0 assigns the wording irrespective of occupation.
    agentic_prob : (float, float), default (0.7, 0.3)
        ``(P(agentic | male), P(agentic | female))``: probability that a bio's
        self-description uses agentic (masculine-coded) rather than communal
        (feminine-coded) wording.
    female_share : float in (0, 1), default 0.5
        P(sex = female) of candidates.
    race_shares : mapping, optional
        ``{label: share}`` over :data:`RACES`; default: the US population
        shares implied by the Census 2020 surname table.
    occupations : sequence of str, optional
        Subset of occupation titles to use (default: all 46).
    n_skills : int, default 3
        ESCO skills listed in each bio (out of 4 per occupation).
    wording_sentences : int, default 3
        Gendered wording sentences per coded ad and per bio.
    applicants_per_job : int, optional
        Give each job its own applicants: this many candidates of the job's
        occupation, returned as a third table of (``job_id``, ``candidate_id``)
        pairs for ``fairaudit.audit(..., candidate_sets=...)``. Needs at least
        this many candidates per occupation (``n_candidates >=
        applicants_per_job * number of occupations``). Default: no candidate sets.
    segregation : float in [0, 1], default 0.0
        How far each candidate's sex and race/ethnicity follow their
        occupation's mix in the US Bureau of Labor Statistics' occupation
        statistics (``fairaudit.data.datasets.segregation``): 0 draws
        everyone from the pool mix (``female_share``, ``race_shares``), 1 from
        the occupation's mix, values between from the mixture.
    """

    n_jobs: int = 200
    n_candidates: int = 2000
    seed: int = 0
    coded_share: float = 0.5
    masculine_share: float = 0.5
    stereotype_weight: float = 3.0
    agentic_prob: tuple[float, float] = (0.7, 0.3)
    female_share: float = 0.5
    race_shares: Mapping[str, float] | None = None
    occupations: Sequence[str] | None = None
    n_skills: int = 3
    wording_sentences: int = 3
    applicants_per_job: int | None = None
    segregation: float = 0.0

    def __post_init__(self) -> None:
        def unit(name: str, v: float, open_: bool = False) -> None:
            ok = isinstance(v, (int, float)) and ((0 < v < 1) if open_ else (0 <= v <= 1))  # type first
            if not ok:
                raise ConfigError(f"{name} must be a number in {'(0, 1)' if open_ else '[0, 1]'}, got {v!r}")

        for name in ("n_jobs", "n_candidates"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        if not isinstance(self.seed, (int, np.integer)):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        unit("coded_share", self.coded_share)
        unit("masculine_share", self.masculine_share)
        unit("female_share", self.female_share, open_=True)
        if not isinstance(self.stereotype_weight, (int, float)) or self.stereotype_weight < 1:
            raise ConfigError(f"stereotype_weight must be >= 1 (1 = no stereotyping), got {self.stereotype_weight!r}")
        try:
            pm, pf = (float(p) for p in self.agentic_prob)
        except (TypeError, ValueError):
            raise ConfigError("agentic_prob must be a pair (P(agentic | male), P(agentic | female)), "
                              f"got {self.agentic_prob!r}") from None
        unit("agentic_prob[0] (male)", pm)
        unit("agentic_prob[1] (female)", pf)
        object.__setattr__(self, "agentic_prob", (pm, pf))
        if self.race_shares is not None:
            bad = sorted(set(self.race_shares) - set(RACES))
            vals = list(self.race_shares.values())
            if bad or not vals or any((not isinstance(v, (int, float))) or v < 0 for v in vals) or sum(vals) <= 0:
                raise ConfigError(f"race_shares must map labels from {list(RACES)} to non-negative shares "
                                  f"with a positive sum; got {dict(self.race_shares)!r}")
        if self.occupations is not None:
            known = {o[0] for o in sources.OCCUPATIONS}
            bad = [o for o in self.occupations if o not in known]
            if bad or not list(self.occupations):
                raise ConfigError(f"unknown occupation(s) {bad}; choose from {sorted(known)}")
        if not isinstance(self.n_skills, int) or not 1 <= self.n_skills <= 4:
            raise ConfigError(f"n_skills must be 1..4, got {self.n_skills!r}")
        if not isinstance(self.wording_sentences, int) or not 1 <= self.wording_sentences <= 4:
            raise ConfigError(f"wording_sentences must be 1..4, got {self.wording_sentences!r}")
        if isinstance(self.segregation, bool):
            raise ConfigError(f"segregation must be a number in [0, 1], got {self.segregation!r}")
        unit("segregation", self.segregation)
        self._check_applicants()

    def _check_applicants(self) -> None:
        per_job = self.applicants_per_job
        if per_job is None:
            return
        if not isinstance(per_job, (int, np.integer)) or isinstance(per_job, bool) or per_job < 1:
            raise ConfigError(f"applicants_per_job must be a positive integer, got {per_job!r}")
        n_occ = len(set(self.occupations)) if self.occupations is not None else len(sources.OCCUPATIONS)
        # candidates are spread evenly over the occupations: each has at least n_candidates // n_occ
        if per_job * n_occ > self.n_candidates:
            raise ConfigError(f"applicants_per_job={per_job} needs {per_job} candidates of each of the {n_occ} "
                              f"occupations: n_candidates must be at least {per_job * n_occ}, got {self.n_candidates}")

    @property
    def segregated(self) -> bool:
        """Whether candidates are drawn by occupation (candidate sets or a segregation above 0)."""
        return self.applicants_per_job is not None or self.segregation > 0

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (the data's ``attrs["fairaudit_dataset"]``)."""
        d = asdict(self)
        if not self.segregated:  # the default data's metadata stays as it was before these two options
            del d["applicants_per_job"], d["segregation"]
        d["agentic_prob"] = list(self.agentic_prob)
        d["race_shares"] = dict(self.race_shares) if self.race_shares is not None else None
        d["occupations"] = list(self.occupations) if self.occupations is not None else None
        return d
