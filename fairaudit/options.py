"""The audit's options: each default held once, each rule checked once.

:class:`fairaudit.AuditConfig` is the owner of the audit's options; it calls
:func:`check_options` when it is built (directly, by :func:`fairaudit.audit` or
by :meth:`~fairaudit.AuditConfig.from_dict`). The CLI (``audit``, ``check``,
``demo``), the review TOML (:mod:`fairaudit.review.config`) and the
pre-publication check (:mod:`fairaudit.adcheck.checker`) take their defaults from the
constants below and their rules from the functions below, so a default or a
rule cannot drift between entry points.

Rules
-----
- **Cut-offs**: positive whole numbers, each given once, kept in the order
  given; the *first* is the headline k (the verdict's k) everywhere
  (:func:`parse_ks`, :func:`headline_k`).
- **Bootstrap**: :data:`DEFAULT_N_BOOTSTRAP` resamples (1,000) wherever an
  audit runs: API, CLI, demo and review.
- **Chance level**: :data:`DEFAULT_N_PERMUTATIONS` label permutations at level
  :data:`DEFAULT_ALPHA`; fewer than ``ceil(1/alpha) - 1`` permutations cannot give
  ``p <= alpha`` and are refused (:func:`check_n_permutations`).
- **Stored files** are read with the same rules: the audit JSON schema
  (:mod:`fairaudit.data.schema`) checks types only and leaves ranges and defaults
  to :class:`fairaudit.AuditConfig`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import ConfigError

#: The cut-offs when none are given: a first page (10) and a long list (50); the first is the headline.
DEFAULT_KS: tuple[int, ...] = (10, 50)
#: Bootstrap resamples over jobs for every confidence interval (0 = no intervals).
DEFAULT_N_BOOTSTRAP = 1000
#: A job matches the target when its gap is at most this.
DEFAULT_TOLERANCE = 0.1
#: The longest ad ``fairaudit check`` accepts, in characters (a long job ad is about 5,000): each
#: occluded unit re-ranks the whole ad, and a longer text is not an ad; refused before any model loads.
MAX_AD_CHARS = 30_000
#: Share of matching jobs the diversity verdict asks for.
DEFAULT_MATCH_GOAL = 0.8
#: Categories under this share of the known pool are not rated (6 RCNY § 5-301 allows 2 %).
DEFAULT_MIN_SHARE = 0.02
#: Level of every confidence interval.
DEFAULT_CONFIDENCE = 0.95
#: Candidates in the identity-blind decomposition's stratified sample.
DEFAULT_DECOMPOSITION_SAMPLE = 2000
#: The four-fifths rule's threshold of the impact ratio (EEOC, 29 CFR § 1607.4(D)).
DEFAULT_FOUR_FIFTHS = 0.8
#: Label permutations of the chance level (0 = no significance: verdicts "not assessed").
DEFAULT_N_PERMUTATIONS = 1000
#: Of those, how many feed the null of the match rate and the mean gap (per-job mixes, costlier).
DEFAULT_N_PERMUTATIONS_GAP = 200
#: Significance level of "beyond chance".
DEFAULT_ALPHA = 0.05
#: Power a group needs (against a true impact ratio of DEFAULT_JUDGE_RATIO) to be judged.
DEFAULT_POWER = 0.8
#: The true impact ratio a group must be able to detect with that power.
DEFAULT_JUDGE_RATIO = 0.6
#: How the LL144 scoring rate's median is taken (see ``fairaudit.audit``).
SCORING_MEDIANS = ("job", "sample")
#: How far ahead of this machine's clock a date may lie (another time zone, a clock that runs behind).
CLOCK_TOLERANCE = dt.timedelta(days=1)


def check_not_future(when: dt.datetime | dt.date, what: str, now: dt.datetime | None = None) -> None:
    """Refuse a date after now (beyond :data:`CLOCK_TOLERANCE`): an audit date or a review period to come.

    An LL144 summary states when the audit was done and a review's retention keeps the
    latest periods, so a date in the future (``--created-at 2099-01-01``, period
    ``9999-Q4``) would be published as a fact or push real periods out.

    Parameters
    ----------
    when : datetime or date
        A naive datetime is UTC; a date is its first moment (UTC).
    what : str
        How the message names the value (``"created_at 2099-01-01T00:00:00+00:00"``).
    now : datetime, optional
        The current time (aware); default: this machine's clock.

    Raises
    ------
    ConfigError
    """
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)
    when = when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when
    now = now or dt.datetime.now(dt.timezone.utc)
    if when > now + CLOCK_TOLERANCE:
        raise ConfigError(f"{what} is after now ({now.replace(microsecond=0).isoformat()}, with "
                          f"{CLOCK_TOLERANCE.days} day of clock tolerance); a date fairaudit records or publishes "
                          "must have happened: give today's date or an earlier one")


def known_fields(cls: type, d: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``d`` that are fields of the dataclass ``cls``.

    The one rule of every config's ``from_dict``: keys it does not know (written by a
    newer version, or by another part of a combined record) are ignored.

    Parameters
    ----------
    cls : dataclass type
    d : mapping
        Names to values.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in dict(d).items() if k in names}


def _whole(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


#: ``k = 0`` (on its own): the selection as recorded, a log's ``selected`` flags or aggregate counts, no top-k.
RECORDED_SELECTION = 0


def parse_ks(k: int | Sequence[int], name: str = "k") -> tuple[int, ...]:
    """The cut-offs as distinct positive ints, in the order given (the first is the headline k).

    ``(0,)`` alone (:data:`RECORDED_SELECTION`) stands for the selection as
    recorded (a log audit of ``selected`` flags, a counts audit); a live audit
    refuses it (:func:`fairaudit.recommenders.base.check_k`).

    Raises
    ------
    ConfigError
        No k, a k that is not a positive whole number, or a k given twice (a
        repeated k would repeat every row of every table).
    """
    raw = [k] if _whole(k) else k
    try:
        values = list(raw)
    except TypeError:
        raise ConfigError(f"{name} must be positive whole numbers, got {k!r}") from None
    if not values:
        raise ConfigError(f"give at least one {name}, e.g. --k 10 50")
    if len(values) == 1 and _whole(values[0]) and values[0] == RECORDED_SELECTION and name == "k":
        return (RECORDED_SELECTION,)
    for x in values:
        if not _whole(x) and not (isinstance(x, float) and x.is_integer()):
            raise ConfigError(f"{name} must be positive whole numbers, got {x!r}")
        if x < 1:
            raise ConfigError(f"{name} must be at least 1, got {x}")
    ks = tuple(int(x) for x in values)
    if len(set(ks)) != len(ks):
        raise ConfigError(f"{name} values must be distinct, got {list(ks)}; give each cut-off once (e.g. --k 10 50)")
    return ks


def headline_k(ks: Sequence[int]) -> int:
    """The verdict's k: the first cut-off given (never the smallest or the largest)."""
    return int(parse_ks(ks)[0])


def check_scoring_median(value: str) -> None:
    """The scoring median: each job's own (``"job"``) or the whole sample's (``"sample"``, 6 RCNY § 5-300)."""
    if value not in SCORING_MEDIANS:
        raise ConfigError(f"scoring_median must be one of {list(SCORING_MEDIANS)}, got {value!r}")


def check_tolerance(tolerance: float) -> None:
    """A gap tolerance lies in [0, 1] (gaps are W1 / total variation distances)."""
    if not 0 <= float(tolerance) <= 1:
        raise ConfigError(f"tolerance must be in [0, 1], got {tolerance}")


def check_match_goal(match_goal: float | None) -> None:
    """A share of jobs in [0, 1]; None: no diversity goal (files of earlier versions)."""
    if match_goal is not None and not 0 <= match_goal <= 1:
        raise ConfigError(f"match_goal must be in [0, 1], got {match_goal}")


def check_min_share(min_share: float) -> None:
    """A share of the known pool in [0, 1)."""
    if not 0 <= min_share < 1:
        raise ConfigError(f"min_share must be in [0, 1), got {min_share} (e.g. 0.02 for the 2 % of 6 RCNY § 5-301)")


def check_n_bootstrap(n_bootstrap: int) -> None:
    """A whole number of resamples, 0 for no intervals."""
    if not _whole(n_bootstrap) or n_bootstrap < 0:
        raise ConfigError(f"n_bootstrap must be a whole number >= 0, got {n_bootstrap!r}")


def check_confidence(confidence: float) -> None:
    """The level of an interval, strictly between 0 and 1."""
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")


def check_decomposition_sample(n: int) -> None:
    """At least two candidates (one per group is the least a mix needs)."""
    if not _whole(n) or n < 2:
        raise ConfigError(f"decomposition_sample must be a whole number of candidates, at least 2, got {n!r}")


def check_gap_k(gap_k: int | None) -> None:
    """None (the largest k) or a positive whole number; the pool bound is checked once the pool is known."""
    if gap_k is not None:
        parse_ks(gap_k, name="gap_k")


def _fraction(name: str, value: Any, low: float, high: float, high_open: bool = True, example: str = "") -> None:
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and low < value and (
        value < high if high_open else value <= high)
    if not ok:
        raise ConfigError(f"{name} must be a number in ({low:g}, {high:g}{')' if high_open else ']'}{example}; "
                          f"got {value!r}")


def check_four_fifths(four_fifths: float) -> None:
    """The impact-ratio threshold, in (0, 1]."""
    _fraction("four_fifths", four_fifths, 0, 1, high_open=False, example=", e.g. 0.8")


def check_alpha(alpha: float) -> None:
    """A significance level in (0, 0.5)."""
    _fraction("alpha", alpha, 0, 0.5, example=", e.g. 0.05")


def check_power(power: float) -> None:
    """The power a group needs to be judged, in (0, 1)."""
    _fraction("power", power, 0, 1, example=", e.g. 0.8")


def check_judge_ratio(judge_ratio: float) -> None:
    """The true impact ratio a group must be able to detect, in (0, 1)."""
    _fraction("judge_ratio", judge_ratio, 0, 1, example=", e.g. 0.6")


def check_n_permutations_gap(n: int) -> None:
    """A whole number of permutations, 0 or more."""
    if not _whole(n) or n < 0:
        raise ConfigError(f"n_permutations_gap must be a whole number >= 0, got {n!r}")


def check_n_permutations(n: int, alpha: float = DEFAULT_ALPHA) -> None:
    """0 (no significance) or enough permutations to reach ``alpha``.

    With ``n`` permutations the smallest p-value is ``1 / (n + 1)`` (Phipson & Smyth
    2010), so ``p <= alpha`` needs ``n >= ceil(1 / alpha) - 1``.
    """
    check_alpha(alpha)
    least = int(np.ceil(1 / alpha)) - 1
    if not _whole(n) or (n != 0 and n < least):
        raise ConfigError(f"n_permutations must be 0 (no significance) or at least {least} at alpha={alpha:g} "
                          f"(1,000 or more recommended); got {n!r}")


#: How the three-way cause split neutralises the job texts (``fairaudit.engine.cause_split``): every
#: gender-coded word replaced by its neutral word, or no split; texts of your own come as a mapping.
CAUSE_SPLIT_TEXTS = ("lexicon", "none")


def check_cause_split(value: Any, has_sets: bool) -> None:
    """``None``, one of :data:`CAUSE_SPLIT_TEXTS`, or neutral texts (a mapping job id -> text, or a table with
    ``job_id`` and ``text``); anything but ``None`` and ``"none"`` needs candidate sets.

    Parameters
    ----------
    value : str, mapping, DataFrame or None
        The ``cause_split`` option of :func:`fairaudit.audit`.
    has_sets : bool
        Whether the audit has candidate sets.
    """
    if value is None or (isinstance(value, str) and value == "none"):
        return
    if isinstance(value, str) and value not in CAUSE_SPLIT_TEXTS:
        raise ConfigError(f"cause_split must be one of {list(CAUSE_SPLIT_TEXTS)}, a mapping job_id -> neutral text "
                          f"or a table with job_id and text; got {value!r}")
    if not isinstance(value, (str, Mapping)) and not {"job_id", "text"} <= set(getattr(value, "columns", ())):
        raise ConfigError("cause_split texts must be a mapping job_id -> text or a table with columns job_id and "
                          f"text; got {type(value).__name__}")
    if not has_sets:
        raise ConfigError("cause_split separates who applied from identity cues and the job text, which needs "
                          "each job's own candidates: pass candidate_sets (a table of job_id, candidate_id)")


#: The check of each option, by its name in :class:`fairaudit.AuditConfig` (the review's fields use the same).
OPTION_CHECKS = {
    "ks": parse_ks, "tolerance": check_tolerance, "match_goal": check_match_goal, "min_share": check_min_share,
    "scoring_median": check_scoring_median, "n_bootstrap": check_n_bootstrap, "confidence": check_confidence,
    "decomposition_sample": check_decomposition_sample, "gap_k": check_gap_k, "four_fifths": check_four_fifths,
    "alpha": check_alpha, "power": check_power, "judge_ratio": check_judge_ratio,
    "n_permutations_gap": check_n_permutations_gap,
}


def check_options(**options: Any) -> None:
    """Check each named option with its rule in :data:`OPTION_CHECKS` (ConfigError naming the option)."""
    for name, value in options.items():
        OPTION_CHECKS[name](value)
