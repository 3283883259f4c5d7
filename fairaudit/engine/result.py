"""Audit configuration and result containers (plain data, JSON round-trip).

Every table is a tidy :class:`pandas.DataFrame` (one row per k, attribute and
group or job), so that reports, reviews and notebooks can filter and pivot them
without recomputing anything.

Tables of an :class:`AuditResult`
---------------------------------
``impact``, ``parity``, ``diversity``, ``ranking``, ``per_job``, ``drivers``,
``occlusion`` and ``decomposition``: every column is defined once, in
:data:`fairaudit.data.columns.TABLES` (rendered on the documentation's "Result
tables" page and copied into the JSON schema's descriptions).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .display import audit_html
from ..errors import ConfigError, DataError
from ..data.groups import INTERSECTION
from ..options import (DEFAULT_ALPHA, DEFAULT_CONFIDENCE, DEFAULT_DECOMPOSITION_SAMPLE, DEFAULT_FOUR_FIFTHS,
                       DEFAULT_JUDGE_RATIO, DEFAULT_KS, DEFAULT_MATCH_GOAL, DEFAULT_MIN_SHARE, DEFAULT_N_BOOTSTRAP,
                       DEFAULT_N_PERMUTATIONS, DEFAULT_N_PERMUTATIONS_GAP, DEFAULT_POWER, DEFAULT_TOLERANCE,
                       OPTION_CHECKS, check_n_permutations, check_options, known_fields, parse_ks)

TABLES = ("impact", "parity", "diversity", "ranking", "per_job", "drivers", "occlusion", "decomposition")
SCHEMA_VERSION = 3  # also in fairaudit.data.schema (which reads versions 1 and 2 too)

#: Which jobs get a driver analysis: those flagged (gap above noise floor + tolerance), every job, or none.
DRIVER_SCOPES = ("flagged", "all", "none")
#: How drivers are found: the Gaucher word list (:mod:`fairaudit.engine.drivers`) or occlusion (:mod:`fairaudit.engine.occlusion`).
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
    """Parameters of one audit (everything needed to reproduce it)."""

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


#: Recommender details that depend on the machine (cache folder, paths, device), not on the model.
_MACHINE_KEYS = ("cache", "model_path", "device", "batch_size", "n_candidates", "threads")

#: Settings that change the measured numbers; a before/after comparison needs them equal.
#: (``drivers``, ``driver_method``, ``decomposition`` and ``decomposition_sample`` only add tables,
#: so they may differ.)
COMPARED_SETTINGS = ("ks", "attributes", "target", "tolerance", "match_goal", "four_fifths", "min_share",
                     "scoring_median", "n_bootstrap", "confidence", "seed", "gap_attribute", "effective_gap_k",
                     "use_inferred", "n_permutations", "n_permutations_gap", "strata", "alpha", "power", "judge_ratio")


def recommender_identity(info: Mapping[str, Any] | None) -> dict[str, Any]:
    """The part of a recommender's ``describe()`` that identifies the model (used in the audit id)."""
    return {k: v for k, v in dict(info or {}).items() if k not in _MACHINE_KEYS}


def comparability_problems(before: "AuditResult", after: "AuditResult") -> list[str]:
    """Why two audits cannot be shown as before/after (empty when they can).

    A before/after report compares the *same* candidates, recommender and
    settings, with only the job texts rewritten: the candidates' hash, the
    recommender's identity, the settings in :data:`COMPARED_SETTINGS` and the set
    of job ids must agree.
    """
    pb, pa = before.provenance or {}, after.provenance or {}
    out = []
    cb, ca = pb.get("candidates_sha256"), pa.get("candidates_sha256")
    if not cb or not ca:
        out.append("an audit records no candidates_sha256, so its candidates cannot be compared")
    elif cb != ca:
        out.append(f"the candidates differ (sha256 {cb[:12]}… vs {ca[:12]}…)")
    rb, ra = recommender_identity(pb.get("recommender")), recommender_identity(pa.get("recommender"))
    if not rb or not ra:
        out.append("an audit records no recommender, so the recommenders cannot be compared")
    elif rb != ra:
        keys = sorted(k for k in set(rb) | set(ra) if rb.get(k) != ra.get(k))
        out.append("the recommender differs (" + ", ".join(f"{k}: {rb.get(k)!r} vs {ra.get(k)!r}" for k in keys) + ")")
    sb = {k: getattr(before.config, k, None) for k in COMPARED_SETTINGS}
    sa = {k: getattr(after.config, k, None) for k in COMPARED_SETTINGS}
    diff = [f"{k}: {sb[k]!r} vs {sa[k]!r}" for k in COMPARED_SETTINGS if _norm(sb[k]) != _norm(sa[k])]
    if diff:
        out.append("the settings differ (" + "; ".join(diff) + ")")
    jb, ja = _job_ids(before), _job_ids(after)
    if jb != ja:
        out.append(f"the jobs differ ({len(jb - ja)} job id(s) only before, {len(ja - jb)} only after)")
    return out


def _norm(v: Any) -> Any:
    return json.dumps(v, sort_keys=True, default=str) if isinstance(v, (dict, list, tuple)) else v


def _job_ids(result: "AuditResult") -> set[str]:
    pj = result.tables.get("per_job")
    return set() if pj is None or "job_id" not in pj else set(pj["job_id"].astype(str))


def check_comparable(before: "AuditResult", after: "AuditResult") -> None:
    """Raise :class:`DataError` when ``after`` is not a re-audit of ``before`` (see :func:`comparability_problems`)."""
    problems = comparability_problems(before, after)
    if problems:
        raise DataError("the before and after audits are not comparable: " + "; ".join(problems)
                        + ". A before/after report needs a re-audit of the same candidates with the same "
                        "recommender and settings, only the job texts rewritten")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(r) for r in df.to_dict(orient="records")]


@dataclass
class AuditResult:
    """Everything one audit measured.

    Attributes
    ----------
    config : AuditConfig
    provenance : dict
        audit_id, created_at, input hashes (sha256 of jobs and candidates), the
        recommender's description, config hash and library versions.
    summary : dict
        Headline figures and the verdict (see :meth:`verdict`).
    tables : dict of str -> DataFrame
        ``impact``, ``parity``, ``diversity``, ``ranking``, ``per_job``, ``drivers``,
        ``occlusion``, ``decomposition`` (:meth:`to_frame` returns a copy); every
        column is defined in ``fairaudit.data.columns.TABLES``, shown on
        :doc:`/api/result-tables`.
    groups : dict of attribute -> list of group labels (code order).
    rankings : Rankings or None
        In memory only (not serialised): top-k per job for further analysis.
    run_info : dict
        In memory only (not serialised, it depends on the machine and the
        embedding cache): ``threads`` and ``stages``, one entry per stage
        (``stage``, ``seconds``, ``texts_embedded``); for a result read from a
        file, ``source`` (its name).
    """

    config: AuditConfig
    provenance: dict[str, Any]
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    groups: dict[str, list[str]] = field(default_factory=dict)
    rankings: Any = field(default=None, repr=False, compare=False)
    run_info: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- access -----------------------------------------------------------
    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def to_frame(self, table: str = "impact") -> pd.DataFrame:
        """One result table as a DataFrame (a copy).

        Parameters
        ----------
        table : str
            ``"impact"`` (NYC LL144 rates and impact ratios per group), ``"parity"``
            (demographic parity and the attribute's verdict), ``"diversity"`` (match
            rate, mean gap, NDKL), ``"ranking"`` (skew@k, exposure), ``"per_job"``,
            ``"drivers"``, ``"occlusion"`` or ``"decomposition"``. Every column is
            defined in ``fairaudit.data.columns.TABLES``, shown on
            :doc:`/api/result-tables`.

        Raises
        ------
        KeyError
            A table this result does not have.
        """
        if table not in self.tables:
            raise KeyError(f"unknown table {table!r}; available: {sorted(self.tables)}")
        return self.tables[table].copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "config": self.config.to_dict(),
            "provenance": _jsonable(self.provenance),
            "summary": _jsonable(self.summary),
            "groups": self.groups,
            "tables": {name: frame_records(df) for name, df in self.tables.items()},
        }

    def to_json(self, path: str | os.PathLike | None = None, indent: int = 2) -> str:
        """Serialise; with ``path`` the file is written atomically."""
        text = json.dumps(self.to_dict(), indent=indent, sort_keys=False, ensure_ascii=False)
        if path is not None:
            from ..atomic import write_text

            write_text(path, text + "\n")
        return text

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "audit result") -> "AuditResult":
        """Build a result from :meth:`to_dict` output, validated against :mod:`fairaudit.data.schema`.

        Raises
        ------
        DataError
            A missing table or field, a non-numeric figure, a table without rows
            for some k and attribute of the configuration, or another schema version.
        """
        from ..data.schema import upgrade, validate_audit_dict

        version = d.get("schema_version") if isinstance(d, Mapping) else None
        d = upgrade(d, source)  # an earlier version's summary in today's words too
        doc = validate_audit_dict(d, source)
        tables = {}
        for name, rows in doc.tables:
            rows = rows if isinstance(rows, list) else []
            records = [r.model_dump() if hasattr(r, "model_dump") else r for r in rows]
            tables[name] = pd.DataFrame(records)
        try:  # the stored settings pass the same validation as a new audit's
            # fields a file lacks (earlier versions) take the config's own defaults
            config = AuditConfig.from_dict(doc.config.model_dump(exclude_unset=True))
        except ConfigError as exc:
            raise DataError(f"{source}: config: {exc}") from None
        return cls(
            config=config,
            provenance=dict(d["provenance"]),
            summary=dict(d["summary"]),
            tables=tables,
            groups={k: list(v) for k, v in doc.groups.items()},
            # names the file in later messages, and says which version it was written in (engine.consistency)
            run_info={"source": source, "schema_version": version},
        )

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "AuditResult":
        """Read a result written by :meth:`to_json`; a corrupt or incomplete file raises DataError."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            raise DataError(f"audit file not found: {path}") from None
        except IsADirectoryError:
            raise DataError(f"{path} is a folder; pass the audit JSON written by `fairaudit audit`") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path} is not valid audit JSON: {exc}") from None
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.from_dict(data, source=str(path))

    # -- summaries ----------------------------------------------------------
    def verdict(self) -> dict[str, Any]:
        """Pass/fail against the four-fifths rule and the diversity-match goal, with the chance level.

        ``four_fifths_pass`` is the plain rule; ``category`` the most severe verdict
        category (:data:`fairaudit.engine.verdicts.VERDICTS`) over the attributes at the
        headline k and ``attributes`` each attribute's category, p-value and null
        quantiles (None for an audit without permutations).
        """
        return dict(self.summary.get("verdict", {}))

    def summary_frame(self) -> pd.DataFrame:
        """One row per (k, attribute): min impact ratio, parity, match rate, mean gap and its score, NDKL."""
        par = self.tables["parity"]
        extra = [c for c in ("verdict", "p_value") if c in par]  # version 2 on (None: not assessed)
        par = par[["k", "attribute", "min_impact_ratio", "four_fifths_pass", *extra, "dp_difference", "dp_ratio"]]
        div = self.tables["diversity"][["k", "attribute", "match_rate", "mean_gap", "paper_score", "ndkl"]]
        return par.merge(div, on=["k", "attribute"], how="outer")

    def _repr_html_(self) -> str:
        return audit_html(self)
