"""The configuration of one audit: every setting, its default and its rule, validated on construction.

:class:`AuditConfig` owns the audit's options (the defaults and checks live once in
``fairaudit.options``); :mod:`fairaudit.engine.result` re-exports it, the import path of
earlier versions.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from ..errors import ConfigError
from ..data.groups import INTERSECTION
from ..options import (DEFAULT_ALPHA, DEFAULT_CONFIDENCE, DEFAULT_DECOMPOSITION_SAMPLE, DEFAULT_FOUR_FIFTHS,
                       DEFAULT_JUDGE_RATIO, DEFAULT_KS, DEFAULT_MATCH_GOAL, DEFAULT_MIN_SHARE, DEFAULT_N_BOOTSTRAP,
                       DEFAULT_N_PERMUTATIONS, DEFAULT_N_PERMUTATIONS_GAP, DEFAULT_POWER, DEFAULT_TOLERANCE,
                       OPTION_CHECKS, check_n_permutations, check_options, known_fields, parse_ks)

#: Which jobs get a driver analysis: those flagged (gap above noise floor + tolerance), every job, or none.
DRIVER_SCOPES = ("flagged", "all", "none")
#: How drivers are found: the Gaucher word list (``fairaudit.engine.drivers``) or occlusion (``fairaudit.engine.occlusion``).
DRIVER_METHODS = ("lexicon", "occlusion")
#: The identity-blind decomposition on a stratified sample of candidates, on all of them, or not at all.
DECOMPOSITION_MODES = ("sample", "full", "none")


def _choice(name: str, value: Any, choices: tuple[str, ...], true: str) -> str:
    if value is True or value is False or value is None:  # the boolean switches of earlier versions
        return true if value else "none"
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return text


def resolve_drivers(value: Any) -> str:
    """``drivers`` as a scope; ``True`` (earlier versions: every job) is ``"all"``, ``False`` ``"none"``."""
    return _choice("drivers", value, DRIVER_SCOPES, "all")


def resolve_decomposition(value: Any) -> str:
    """``decomposition`` as a mode; ``True`` (earlier versions: every candidate) is ``"full"``, ``False`` ``"none"``."""
    return _choice("decomposition", value, DECOMPOSITION_MODES, "full")


def resolve_driver_method(value: Any) -> str:
    """``driver_method``: ``"lexicon"`` or ``"occlusion"``."""
    if not isinstance(value, str):
        raise ConfigError(f"driver_method must be 'lexicon' or 'occlusion', got {value!r}")
    return _choice("driver_method", value, DRIVER_METHODS, "lexicon")


@dataclass
class AuditConfig:
    """Parameters of one audit (everything needed to reproduce it).

    The config validates itself on construction (``fairaudit.options`` holds each
    default and rule once), so :func:`fairaudit.audit`, :meth:`from_dict` and the
    CLI refuse the same values with a :class:`~fairaudit.errors.ConfigError`.

    Parameters
    ----------
    ks : tuple of int, default (10, 50)
        The cut-offs k (places of each job's ranking counted as selected): positive,
        distinct, kept in the order given; the first is the headline k of the verdict.
    attributes : tuple of str, default ("sex", "race_ethnicity", "sex|race_ethnicity")
        The protected attributes audited. :func:`fairaudit.audit` replaces it with
        those the candidates can be audited on (a column with at least two known
        groups); the intersection needs both of its parts.
    target : {"pool", "uniform", "own"} or mapping, default "pool"
        The group mix each job's top-k is compared with (the gap, the match rate,
        NDKL, skew@k): the known candidates' mix, equal shares, each job's own
        candidates' mix (with candidate sets only), ``{group: share}`` or
        ``{attribute: {group: share}}``.
    tolerance : float, default 0.1
        The largest gap (W1 for two groups, total variation otherwise; a fraction of
        the top-k) at which a job still matches the target.
    match_goal : float, default 0.8
        The share of jobs (in [0, 1]) that must match for the diversity verdict to pass.
    four_fifths : float, default 0.8
        The impact-ratio threshold of the four-fifths rule (29 CFR § 1607.4(D)); a
        rated group below it is flagged.
    min_share : float, default 0.02
        Groups with less than this share of the candidates whose group is known are
        not rated (no impact ratio, no flag, left out of parity), as 6 RCNY § 5-301
        allows for categories under 2 %; 0 rates every non-empty group.
    scoring_median : {"job", "sample"}, default "job"
        The LL144 scoring rate counts pairs scoring above each job's own median
        score ("job") or the median of every score of the sample ("sample").
    n_bootstrap : int, default 1000
        Bootstrap resamples of every confidence interval; 0 gives no intervals.
        The resampling scheme of each quantity is on :doc:`/concepts/statistics`.
    confidence : float, default 0.95
        Level of every confidence interval, in (0, 1).
    seed : int, default 0
        Seed of every random step: the bootstrap, the label permutations and the
        decomposition's sample (each derives its own generator from it), so an
        audit repeated with the same inputs gives the same numbers.
    drivers : {"flagged", "all", "none"}, default "flagged"
        Which jobs get a driver analysis: those whose gap at :attr:`effective_gap_k`
        exceeds the random-top-k noise floor plus ``tolerance``, every job, or none.
        ``True`` / ``False`` (earlier versions) are read as "all" / "none".
    decomposition : {"sample", "full", "none"}, default "sample"
        The identity-blind decomposition: on a stratified sample of
        ``decomposition_sample`` candidates, on every candidate, or not at all.
        ``True`` / ``False`` (earlier versions) are read as "full" / "none".
    gap_attribute : str, default "sex"
        The attribute of the per-job gaps behind the drivers, the decomposition and
        the headline gap; when the audit has no such attribute, the first audited one.
    gap_k : int or None, default None
        The k of the per-job gaps, drivers and decomposition; None means the largest
        of ``ks`` (see :attr:`effective_gap_k`; AutoRefine uses 50).
    use_inferred : bool, default False
        Use the ``<attribute>_inferred`` columns (names-based proxies,
        :mod:`fairaudit.data.proxy`) where a self-reported column is missing or blank.
    driver_method : {"lexicon", "occlusion"}, default "lexicon"
        How drivers are found: neutralising each Gaucher-coded word
        (``fairaudit.engine.drivers``) or removing each sentence and content word
        (``fairaudit.engine.occlusion``).
    decomposition_sample : int, default 2000
        Candidates in the decomposition's stratified sample (stratified by
        ``gap_attribute``, drawn with ``seed``).
    n_permutations : int, default 1000
        Label permutations of the chance level of every verdict
        (``fairaudit.engine.permutation``); 0 leaves the verdicts "not
        assessed". At least ``ceil(1 / alpha) - 1`` when not 0.
    n_permutations_gap : int, default 200
        Of those permutations, how many also feed the null of the match rate and
        the mean gap (which needs every job's mix, so costs more).
    strata : tuple of str, default ()
        Candidate columns within whose values the labels are permuted (e.g.
        occupation); () permutes over the whole pool.
    alpha : float, default 0.05
        Significance level of "beyond chance".
    power : float, default 0.8
        The power a group's test needs, against a true impact ratio of
        ``judge_ratio``, for the group to be judged rather than "too few to judge".
    judge_ratio : float, default 0.6
        The true impact ratio at which that power is computed.
    """

    ks: tuple[int, ...] = DEFAULT_KS  # distinct, in the order given; the first is the headline k
    attributes: tuple[str, ...] = ("sex", "race_ethnicity", INTERSECTION)
    target: Any = "pool"  # "pool" | "uniform" | {attribute: {group: share}}
    tolerance: float = DEFAULT_TOLERANCE
    match_goal: float = DEFAULT_MATCH_GOAL  # share of jobs that must be within tolerance
    four_fifths: float = DEFAULT_FOUR_FIFTHS
    min_share: float = DEFAULT_MIN_SHARE  # LL144: categories under 2% of the data may be excluded
    scoring_median: str = "job"  # scoring rate against each job's median ("job") or the sample's ("sample")
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = 0
    drivers: str = "flagged"  # DRIVER_SCOPES
    decomposition: str = "sample"  # DECOMPOSITION_MODES
    gap_attribute: str = "sex"
    gap_k: int | None = None  # k of drivers/decomposition as given; None: max(ks) (AutoRefine uses 50)
    use_inferred: bool = False
    driver_method: str = "lexicon"  # DRIVER_METHODS
    decomposition_sample: int = DEFAULT_DECOMPOSITION_SAMPLE  # candidates in the identity-blind sample
    # chance level of every verdict (fairaudit.engine.permutation, fairaudit.engine.verdicts)
    n_permutations: int = DEFAULT_N_PERMUTATIONS  # label permutations of the null; 0 = no significance (verdicts "not assessed")
    n_permutations_gap: int = DEFAULT_N_PERMUTATIONS_GAP  # of those, how many feed the null of the match rate and mean gap (per-job mixes)
    strata: tuple[str, ...] = ()  # candidate columns to permute within (e.g. occupation); () = whole pool
    alpha: float = DEFAULT_ALPHA  # significance level of "beyond chance"
    power: float = DEFAULT_POWER  # power a group needs to be judged
    judge_ratio: float = DEFAULT_JUDGE_RATIO  # true impact ratio a group must be able to detect with that power

    def __post_init__(self) -> None:
        # the config validates itself, so AuditConfig(...), from_dict() and audit() refuse the same values
        self.ks = parse_ks(self.ks)
        self.attributes = tuple(self.attributes)
        self.strata = (self.strata,) if isinstance(self.strata, str) else tuple(self.strata or ())
        self.drivers = resolve_drivers(self.drivers)
        self.decomposition = resolve_decomposition(self.decomposition)
        self.driver_method = resolve_driver_method(self.driver_method)
        check_options(**{name: getattr(self, name) for name in OPTION_CHECKS})
        check_n_permutations(self.n_permutations, self.alpha)
        self.decomposition_sample = int(self.decomposition_sample)

    @property
    def effective_gap_k(self) -> int:
        """The k of the per-job gaps, drivers and decomposition: ``gap_k``, or the largest k when unset."""
        return int(self.gap_k or max(self.ks))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ks"] = list(self.ks)
        d["attributes"] = list(self.attributes)
        d["strata"] = list(self.strata)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AuditConfig":
        """The config of a dict (e.g. an audit JSON's ``config``), validated as on construction.

        Parameters
        ----------
        d : mapping
            Field names to values; names that are not fields of the config are ignored.
        """
        return cls(**known_fields(cls, d))
