"""Audit configuration and result containers (plain data, JSON round-trip).

Every table is a tidy :class:`pandas.DataFrame` (one row per k, attribute and
group or job), so that reports, reviews and notebooks can filter and pivot them
without recomputing anything.

Tables of an :class:`AuditResult`
---------------------------------
``impact``, ``parity``, ``diversity``, ``ranking``, ``per_job``, ``drivers``,
``occlusion``, ``decomposition`` and ``cause_split``: every column is defined once, in
:data:`fairaudit.data.columns.TABLES` (rendered on the documentation's "Result
tables" page and copied into the JSON schema's descriptions).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .display import audit_html
# AuditConfig and its resolvers live in their own module; re-exported here, their import path of earlier versions
from .audit_config import (DECOMPOSITION_MODES, DRIVER_METHODS, DRIVER_SCOPES, AuditConfig,  # noqa: F401
                           resolve_decomposition, resolve_driver_method, resolve_drivers)
from ..errors import ConfigError, DataError

TABLES = ("impact", "parity", "diversity", "ranking", "per_job", "drivers", "occlusion", "decomposition",
          "cause_split")
SCHEMA_VERSION = 3  # also in fairaudit.data.schema (which reads versions 1 and 2 too)

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

    Parameters
    ----------
    config : AuditConfig
        The settings of the audit, as validated and completed by it (the audited
        attributes, the chance options).
    provenance : dict
        audit_id, created_at, input hashes (sha256 of jobs and candidates), the
        recommender's description, config hash and library versions.
    summary : dict
        Headline figures and the verdict (see :meth:`verdict`).
    tables : dict of str -> DataFrame
        ``impact``, ``parity``, ``diversity``, ``ranking``, ``per_job``, ``drivers``,
        ``occlusion``, ``decomposition``, ``cause_split`` (:meth:`to_frame` returns a copy); every
        column is defined in ``fairaudit.data.columns.TABLES``, shown on
        :doc:`/api/result-tables`.
    groups : dict of str to list of str, default {}
        Each audited attribute's known group labels, in group-code order.
    rankings : Rankings or None, default None
        In memory only (not serialised): top-k per job for further analysis.
    run_info : dict, default {}
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
            ``"drivers"``, ``"occlusion"``, ``"decomposition"`` or ``"cause_split"`` (who applied,
            identity cues, job text). Every column is
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
        """The result as a JSON-ready dict: what :meth:`to_json` writes and :meth:`from_dict` reads back."""
        return {
            "schema_version": SCHEMA_VERSION,
            "config": self.config.to_dict(),
            "provenance": _jsonable(self.provenance),
            "summary": _jsonable(self.summary),
            "groups": self.groups,
            "tables": {name: frame_records(df) for name, df in self.tables.items()},
        }

    def to_json(self, path: str | os.PathLike | None = None, indent: int = 2) -> str:
        """Serialise to JSON; with ``path`` the file is written atomically.

        Parameters
        ----------
        path : str or os.PathLike, optional
            The file to write (UTF-8, with a final newline); None only returns the text.
        indent : int, default 2
            Spaces per nesting level of the JSON.

        Returns
        -------
        str
            The JSON text (:meth:`to_dict` of the result).
        """
        text = json.dumps(self.to_dict(), indent=indent, sort_keys=False, ensure_ascii=False)
        if path is not None:
            from ..atomic import write_text

            write_text(path, text + "\n")
        return text

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "audit result") -> "AuditResult":
        """Build a result from :meth:`to_dict` output, validated against ``fairaudit.data.schema``.

        Parameters
        ----------
        d : mapping
            The parsed audit JSON (any schema version the schema reads; an earlier
            one is upgraded first).
        source : str, default "audit result"
            What ``d`` came from (a file name), named in error messages.

        Returns
        -------
        AuditResult
            Without ``rankings``; ``run_info`` holds ``source``.

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
        """Read a result written by :meth:`to_json`; a corrupt or incomplete file raises DataError.

        Parameters
        ----------
        path : str or os.PathLike
            The audit JSON file.

        Returns
        -------
        AuditResult
            As :meth:`from_dict` builds it.

        Raises
        ------
        DataError
            A missing, unreadable or invalid file.
        """
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
        category (``fairaudit.engine.verdicts.VERDICTS``) over the attributes at the
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
