"""The review configuration: a TOML file validated with pydantic.

A review is a scheduled, repeatable audit: the same data sources, recommender,
thresholds and signing identity every period, with the results kept in a
history store. Everything a review needs is in one file, e.g.::

    period = "2026-Q4"
    output_dir = "review-out"

    [source]
    kind = "synthetic"          # or "files" / "sql" / "log" (a log: fairaudit.review.log_config)
    n_jobs = 40
    n_candidates = 400
    seed = 0

    [recommender]
    name = "bm25"

    [audit]
    k = [10, 50]
    target = "pool"

    [thresholds]
    min_impact_ratio = 0.8
    match_rate_goal = 0.5
    max_gap = 0.25

See ``examples/review.toml`` for every option. Every mistake in the file is
reported as one line ``<field path>: <what is wrong>`` inside a single
:class:`~fairaudit.errors.ConfigError`; pydantic never leaks out.

Relative paths (data files, output folder, keys, the SQLite history) are
resolved against the folder of the TOML file, so a scheduler may start the
review from any working directory.

Period labels are read by :mod:`fairaudit.review.period`, pydantic's errors
turned into those one-line messages by :mod:`fairaudit.review.config_errors`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Optional, Union

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from ..errors import ConfigError, read_input_bytes
from ..metrics.diversity import check_shares
from ..options import (DEFAULT_DECOMPOSITION_SAMPLE, DEFAULT_KS, DEFAULT_MIN_SHARE, DEFAULT_N_BOOTSTRAP,
                       DEFAULT_TOLERANCE, OPTION_CHECKS)
from .config_errors import format_validation_error
from .log_config import LogSource
from .sources import FilesSource, SqlSource, StrictModel as _Model, SyntheticSource, expand_env
from .period import period_start, reviewable_period

__all__ = [
    "ReviewConfig", "FilesSource", "SqlSource", "SyntheticSource", "LogSource", "load_config",
    "parse_config", "config_hash", "period_start", "with_period",
]

Source = Annotated[Union[FilesSource, SqlSource, SyntheticSource, LogSource], Field(discriminator="kind")]


class Columns(_Model):
    """Column mapping ``canonical name = name in your data`` per table."""

    jobs: dict[str, str] = Field(default_factory=dict)
    candidates: dict[str, str] = Field(default_factory=dict)


class RecommenderConfig(_Model):
    """Which recommender to audit.

    Either ``name``: anything :func:`fairaudit.recommenders.make_recommender`
    accepts (``"embedding"``, ``"bm25"``, a model id or folder), or
    ``python = "package.module:attr"``: a scoring function
    ``fn(job_texts, candidate_texts) -> scores``, a recommender class
    (instantiated with ``options``) or a recommender object.
    ``options`` are passed to the recommender's constructor.
    """

    name: Optional[str] = None
    python: Optional[str] = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_of(self) -> "RecommenderConfig":
        if (self.name is None) == (self.python is None):
            raise ValueError("give exactly one of `name` (e.g. \"bm25\", \"embedding\") or "
                             "`python` (\"package.module:attr\")")
        if self.python is not None and not re.match(r"^[\w.]+:[\w.]+$", self.python):
            raise ValueError(f"python {self.python!r} must look like \"package.module:attr\"")
        return self


class AuditOptions(_Model):
    """Parameters passed to :func:`fairaudit.audit`.

    ``min_share``: categories under this share of the known pool are not rated
    (default 0.02, as 6 RCNY § 5-301 allows). ``scoring_median``: ``"job"``
    (each job's median score, default) or ``"sample"`` (the median of all
    scores) for the LL144 scoring rate.

    ``drivers``: ``"flagged"`` (jobs whose gap exceeds the noise floor plus
    the tolerance, default), ``"all"`` or ``"none"``; ``driver_method``:
    ``"lexicon"`` or ``"occlusion"``; ``decomposition``: ``"sample"`` (a
    stratified sample of ``decomposition_sample`` candidates, default),
    ``"full"`` or ``"none"``.

    ``options`` passes any further keyword of ``audit()`` (e.g.
    ``attributes = ["sex"]``).

    Defaults and rules are the audit's own (:mod:`fairaudit.options`): ``k``
    keeps the order given and its first value is the headline k (earlier
    versions sorted it); ``n_bootstrap`` defaults to 1,000 as in ``audit()``
    and the CLI (earlier versions: 200; set it in the file to keep a review fast).
    """

    # defaults and rules are fairaudit.options' (the audit's own): one default, one check per option
    k: list[int] = Field(default_factory=lambda: list(DEFAULT_KS))
    # "own" (each job's own candidates) is a log source's default and needs one
    target: Union[Literal["pool", "uniform", "own"], dict[str, dict[str, float]]] = "pool"
    tolerance: float = DEFAULT_TOLERANCE
    min_share: float = DEFAULT_MIN_SHARE
    scoring_median: Literal["job", "sample"] = "job"
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP
    seed: int = 0
    drivers: Literal["flagged", "all", "none"] = "flagged"
    driver_method: Literal["lexicon", "occlusion"] = "lexicon"
    decomposition: Literal["sample", "full", "none"] = "sample"
    decomposition_sample: int = DEFAULT_DECOMPOSITION_SAMPLE
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("k", "tolerance", "min_share", "n_bootstrap", "decomposition_sample")
    @classmethod
    def _audit_rule(cls, v: Any, info: ValidationInfo) -> Any:
        # the ks keep the order given: the first is the headline k, as in audit() and the CLI
        check = OPTION_CHECKS["ks" if info.field_name == "k" else info.field_name]
        try:
            check(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("target")
    @classmethod
    def _shares(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for attr, shares in v.items():
                try:
                    check_shares(attr, shares)  # the API's rule (fairaudit.metrics.diversity)
                except ConfigError as exc:
                    raise ValueError(str(exc)) from None
        return v


class Thresholds(_Model):
    """Pass/breach rules, checked for every (k, attribute) of the audit.

    A review *breaches* when any of:

    - ``min_impact_ratio`` < ``min_impact_ratio`` floor (four-fifths rule: 0.8),
    - ``match_rate`` < ``match_rate_goal`` (share of jobs whose top-k mix is
      within the tolerance of the target distribution),
    - ``mean_gap`` > ``max_gap`` (mean distance of the top-k mix from the target),

    and, only with ``fail_on_regression = true``, when a change since the previous
    period is "worse beyond chance" (two-way bootstrap, max-T adjusted over every
    change the stage compares; :mod:`fairaudit.review.changes`) and worse by more
    than ``regression_tolerance`` (x100 for the gap score).
    Metrics that cannot be computed (NaN) are reported but never breach.
    """

    min_impact_ratio: Optional[float] = Field(0.8, ge=0, le=1)
    match_rate_goal: Optional[float] = Field(None, ge=0, le=1)
    max_gap: Optional[float] = Field(None, ge=0, le=1)
    regression_tolerance: float = Field(0.02, ge=0)
    fail_on_regression: bool = False
    stage: Literal["before", "after"] = "before"


class RewriteConfig(_Model):
    """Optional rewriting of the job texts (``rewriting.AutoRefine``) and a re-audit.

    ``method``: ``"policy"`` (default: the adapter shipped with fairaudit, or
    ``adapter``, a folder saved by ``AutoRefine.save``), ``"search"``,
    ``"best_of_n"``, ``"prompt"`` or ``"lexicon"`` (word swaps).
    ``options`` go to the ``AutoRefine`` constructor (e.g. ``max_sentences``).
    ``attributes``: the attributes whose gap the rewrite closes (``["sex"]``,
    ``["race_ethnicity"]``, ``["sex", "race_ethnicity", "sex_race"]``); default every
    audited attribute with rated groups. A rewrite that widens any audited
    attribute's gap beyond its noise floor is rejected whatever is named.
    """

    enabled: bool = False
    method: Optional[str] = None
    adapter: Optional[Path] = None
    attributes: Optional[list[str]] = None
    options: dict[str, Any] = Field(default_factory=dict)


class SigningConfig(_Model):
    """Who signs the review report: a PKCS#12 file or a key folder.

    ``key_dir`` is a folder made by ``fairaudit keys init`` (``signing-key.pem``
    and ``signing-cert.pem``). The password, if any, is read from the
    environment variable named by ``password_env`` (never from this file).
    """

    p12: Optional[Path] = None
    key_dir: Optional[Path] = None
    password_env: Optional[str] = None
    visible: bool = False
    reason: str = "Periodic fairness review"
    location: Optional[str] = None

    @model_validator(mode="after")
    def _one_of(self) -> "SigningConfig":
        if (self.p12 is None) == (self.key_dir is None):
            raise ValueError("give exactly one of `p12` (a PKCS#12 file) or `key_dir` "
                             "(a folder from `fairaudit keys init`), or remove the [signing] section")
        return self

    def password(self) -> Optional[str]:
        if self.password_env is None:
            return None
        if self.password_env not in os.environ:
            raise ConfigError(f"signing.password_env: environment variable {self.password_env} is not set")
        return os.environ[self.password_env]


class HistoryConfig(_Model):
    """Where reviews are recorded.

    ``url`` is any SQLAlchemy database URL (``${NAME}`` expands environment
    variables); default: ``sqlite:///<output_dir>/history.sqlite``.
    ``keep_periods`` prunes all but the most recent N periods after each review.
    """

    url: Optional[str] = None
    keep_periods: Optional[int] = Field(None, ge=1)


class ReviewConfig(_Model):
    """A validated review configuration (see the module docstring; one field per TOML table).

    Parameters
    ----------
    period : str
        The period label, e.g. ``"2026-Q4"`` (normalised; a period that starts after now is refused).
    output_dir : Path, default ``review-out``
        Where the review writes its report, audit JSON and history (relative to the TOML file).
    source : Source
        Where the jobs and candidates come from: files, SQL, or a recommender's ``log``.
    columns : Columns
        Column mapping of the inputs (default: fairaudit's own names).
    labels : dict
        Custom group labels, ``{attribute: {group: [labels]}}``, added to the built-in ones.
    recommender : RecommenderConfig or None
        The recommender the review audits; required except for a ``log`` source, which runs none.
    audit : AuditOptions
        The audit's options (ks, target, permutations, ...), as :class:`~fairaudit.AuditConfig` takes them.
    thresholds : Thresholds
        The pass / breach thresholds of the review and whether a regression fails it.
    rewrite : RewriteConfig
        Whether and how flagged jobs are rewritten before the re-audit.
    signing : SigningConfig or None
        The key that signs the review PDF (None: unsigned).
    history : HistoryConfig
        The history database (URL, retention).
    title : str, default ``"Quarterly fairness review"``
        The report's title.
    base_dir : Path
        Folder of the TOML file, against which relative paths were resolved (not part of the hash).
    """

    period: str
    output_dir: Path = Path("review-out")
    source: Source
    columns: Columns = Field(default_factory=Columns)
    labels: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    # required, except for a log source (nothing is ranked); validated with the other fields, so that a
    # missing one is listed with every other problem
    recommender: Optional[RecommenderConfig] = Field(None, validate_default=True)
    audit: AuditOptions = Field(default_factory=AuditOptions)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    rewrite: RewriteConfig = Field(default_factory=RewriteConfig)
    signing: Optional[SigningConfig] = None
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    title: str = "Quarterly fairness review"
    #: folder of the TOML file; relative paths were resolved against it
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        try:
            return reviewable_period(v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("recommender")
    @classmethod
    def _recommender(cls, v: Optional[RecommenderConfig], info: ValidationInfo) -> Optional[RecommenderConfig]:
        if "source" not in info.data:  # the source has problems of its own: whether it needs one is unknown
            return v
        log = isinstance(info.data["source"], LogSource)
        if v is None and not log:
            raise ValueError("is required (the recommender the review audits; only a log source, the "
                             "recommender's past output, needs none)")
        if v is not None and log:
            raise ValueError("a log source audits the recommender's past output and runs no recommender; "
                             "remove [recommender]")
        return v

    @model_validator(mode="after")
    def _log_options(self) -> "ReviewConfig":
        log = isinstance(self.source, LogSource)
        if log and self.rewrite.enabled:
            raise ValueError("rewrite.enabled: rewriting ranks the rewritten job texts with a recommender, which a "
                             "log source does not have; set it to false")
        if not log and self.audit.target == "own":
            raise ValueError("audit.target: \"own\" (each job's own candidates) needs a log source")
        return self

    @property
    def period_start(self) -> dt.date:
        return period_start(self.period)

    @property
    def history_url(self) -> str:
        if self.history.url:
            return expand_env(self.history.url, "history.url")
        return f"sqlite:///{self.output_dir / 'history.sqlite'}"

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _resolve_paths(cfg: ReviewConfig, base: Path) -> ReviewConfig:
    def res(p: Optional[Path]) -> Optional[Path]:
        if p is None:
            return None
        p = Path(os.path.expanduser(str(p)))
        return p if p.is_absolute() else (base / p)

    update: dict[str, Any] = {"output_dir": res(cfg.output_dir), "base_dir": base}
    if isinstance(cfg.source, (FilesSource, LogSource)):
        names = ("jobs", "candidates") + (("log",) if isinstance(cfg.source, LogSource) else ())
        update["source"] = cfg.source.model_copy(update={n: res(getattr(cfg.source, n)) for n in names})
    if cfg.rewrite.adapter is not None:
        update["rewrite"] = cfg.rewrite.model_copy(update={"adapter": res(cfg.rewrite.adapter)})
    if cfg.signing is not None:
        update["signing"] = cfg.signing.model_copy(
            update={"p12": res(cfg.signing.p12), "key_dir": res(cfg.signing.key_dir)})
    if cfg.history.url and cfg.history.url.startswith("sqlite:///") and not cfg.history.url.startswith("sqlite:////"):
        rel = cfg.history.url[len("sqlite:///"):]
        if rel and rel != ":memory:" and "${" not in rel:
            update["history"] = cfg.history.model_copy(update={"url": f"sqlite:///{res(Path(rel))}"})
    return cfg.model_copy(update=update)


def parse_config(data: Mapping[str, Any], base_dir: str | os.PathLike = ".",
                 source: str = "config") -> ReviewConfig:
    """Validate a config mapping (e.g. parsed TOML).

    Parameters
    ----------
    data : mapping
        The options, as ``tomllib.loads()`` gives them.
    base_dir : path, default ``"."``
        The folder relative paths in ``data`` are resolved against (the TOML file's).
    source : str, default ``"config"``
        How messages name the config (its file name).

    Returns
    -------
    ReviewConfig

    Raises
    ------
    ConfigError
        One message listing every problem as ``field.path: what is wrong``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a table of options, got {type(data).__name__}")
    try:
        cfg = ReviewConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    return _resolve_paths(cfg, Path(base_dir).resolve())


def load_config(path: str | os.PathLike) -> ReviewConfig:
    """Read and validate a review TOML file.

    Parameters
    ----------
    path : path
        The TOML file (UTF-8); relative paths inside it are resolved against its folder.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or has invalid options.
    """
    p = Path(path)
    raw = read_input_bytes(p, "review config", "the review TOML file", ConfigError)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p} is not UTF-8 text; re-save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from None
    return parse_config(data, base_dir=p.resolve().parent, source=str(p))


def config_hash(cfg: ReviewConfig) -> str:
    """sha256 of the canonical JSON of the validated config, without the period.

    Two periods reviewed with the same settings share a hash, so a change of
    settings between periods is visible in the history.

    Parameters
    ----------
    cfg : ReviewConfig
        The validated config.

    Returns
    -------
    str
        64 hexadecimal characters.
    """
    d = cfg.to_dict()
    d.pop("period", None)
    text = json.dumps(d, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_period(cfg: ReviewConfig, period: str) -> ReviewConfig:
    """The same config for another period label (validated: :func:`~fairaudit.review.period.reviewable_period`)."""
    return cfg.model_copy(update={"period": reviewable_period(period)})
