"""The schema of an audit result JSON (``AuditResult.to_json``), checked with pydantic.

A report must never be rendered from a damaged audit file: a deleted table would
print an empty NYC LL144 section under an "OK" verdict, a text in a numeric cell
would crash half-way. :func:`validate_audit_dict` checks a parsed file against the
models below before anything is built from it and reports every problem as
``field.path: what is wrong`` in one :class:`~fairaudit.errors.DataError` line.

Columns may be added in later versions (``extra="allow"``); the columns the
report, the history and the comparison checks read are required and typed.
``null`` stands for a number that is undefined (NaN) in the audit.

Versions: 2 added the chance level of every verdict (``verdict``, ``p_value``
and the permutation null's quantiles in ``impact``, ``parity`` and
``diversity``; ``n_permutations``, ``strata``, ``alpha`` in the config). A
version-1 file is still read (:func:`upgrade_v1`): its verdicts are "not
assessed" (``verdict`` null, ``n_permutations`` 0), never guessed.
3 made a group row's ``p_value`` family-wise (adjusted for the attribute's
groups; the group's own p-value is ``p_value_raw``), added the verdicts
"shortfall, significant" and "reference group", renamed "too small to judge"
to "too little power to judge" (with ``low_power_reason``) and the match-rate
goal's words to "goal met" / "goal not met, ...". A version-2 file is still
read (:func:`upgrade_v2`): its group p-values become ``p_value_raw`` and its
group verdicts, which were not corrected for the number of groups, "not
assessed"; attribute verdicts are kept, in today's words.
"""
from __future__ import annotations

from typing import Any, Literal, Mapping, Optional, Union

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError,
                      field_validator, model_validator)

from ..errors import ConfigError, DataError
from ..options import parse_ks
from .columns import column_definition

__all__ = ["AuditDocument", "validate_audit_dict", "SCHEMA_VERSION"]

SCHEMA_VERSION = 3
#: Versions this fairaudit reads (older ones are upgraded on reading).
READABLE_VERSIONS = (1, 2, 3)
#: Version 2's words for a verdict category or the match-rate goal, as version 3 writes them
#: (fairaudit.engine.verdicts holds the current words; a test keeps the two in step).
V2_WORDS = {"too small to judge": "too little power to judge"}
V2_GOAL_WORDS = {"breach, beyond chance": "goal not met, beyond chance",
                 "breach, within chance": "goal not met, within chance", "pass": "goal met"}

#: A finite or undefined number: JSON numbers only (no strings, no booleans); null = NaN.
Num = Optional[StrictFloat]


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Keyed(_Row):
    k: StrictInt = Field(ge=0)  # 0: the selection as recorded (selected flags, counts; fairaudit.options)
    attribute: StrictStr


class ImpactRow(_Keyed):
    group: StrictStr
    n_pool: StrictInt = Field(ge=0)
    pool_share: Num = None
    selected: StrictInt = Field(ge=0)
    selection_rate: Num
    selection_rate_ci_low: Num = None
    selection_rate_ci_high: Num = None
    impact_ratio: Num
    scoring_selected: Num = None
    scoring_rate: Num = None
    scoring_impact_ratio: Num = None
    excluded: StrictBool
    exclusion_reason: StrictStr = ""
    four_fifths_flag: StrictBool
    p_value: Num = None
    verdict: Optional[StrictStr] = None


class ParityRow(_Keyed):
    source: StrictStr = "self-reported"
    dp_difference: Num
    dp_difference_ci_low: Num = None
    dp_difference_ci_high: Num = None
    dp_ratio: Num
    dp_ratio_ci_low: Num = None
    dp_ratio_ci_high: Num = None
    min_impact_ratio: Num
    four_fifths_pass: StrictBool
    n_unknown: StrictInt = Field(0, ge=0)
    verdict: Optional[StrictStr] = None  # fairaudit.engine.verdicts.VERDICTS; null: not assessed
    p_value: Num = None


class DiversityRow(_Keyed):
    target: StrictStr
    tolerance: Num
    distance: StrictStr = ""
    match_rate: Num
    match_rate_ci_low: Num = None
    match_rate_ci_high: Num = None
    mean_gap: Num
    mean_gap_ci_low: Num = None
    mean_gap_ci_high: Num = None
    mean_wasserstein: Num = None
    paper_score: Num
    paper_score_ci_low: Num = None
    paper_score_ci_high: Num = None
    ndkl: Num
    ndkl_ci_low: Num = None
    ndkl_ci_high: Num = None
    n_jobs_undefined: StrictInt = Field(0, ge=0)


class RankingRow(_Keyed):
    group: StrictStr
    target_share: Num
    topk_share: Num
    skew_at_k: Num
    exposure: Num
    exposure_ratio: Num


class PerJobRow(_Keyed):
    job_id: StrictStr
    title: StrictStr = ""
    gap: Num
    paper_score: Num
    match: Optional[StrictBool]
    dp_difference: Num = None
    ndkl: Num = None
    mix: StrictStr = "{}"
    order_decided: StrictInt = Field(0, ge=0)  # top-k places decided by row order among tied scores


class DriverRow(_Row):
    job_id: StrictStr
    word: StrictStr
    category: Optional[StrictStr] = None
    count: StrictInt = Field(ge=0)
    gap: Num
    gap_without: Num
    delta: Num


class OcclusionRow(_Row):
    job_id: StrictStr
    kind: Literal["sentence", "word"]
    sentence_no: StrictInt = Field(ge=1)
    sentence: StrictStr
    word: Optional[StrictStr] = None
    coded: StrictBool
    category: Optional[StrictStr] = None
    gap: Num
    gap_without: Num
    delta: Num


class DecompositionRow(_Keyed):
    job_id: StrictStr
    gap: Num
    gap_blind: Num
    identity_part: Num
    text_part: Num
    method: Literal["full", "sample"] = "full"
    sample_size: Optional[StrictInt] = Field(None, ge=1)
    sample_k: Optional[StrictInt] = Field(None, ge=1)


class CauseSplitRow(_Keyed):
    part: Literal["total", "who_applied", "identity_cues", "job_text", "residual"]
    value: Num
    share: Num = None
    chance_median: Num = None
    chance_low: Num = None
    chance_high: Num = None
    p_value: Num = None
    beyond_chance: Optional[StrictBool] = None
    n_jobs: StrictInt = Field(ge=0)
    computed: StrictBool
    reason: StrictStr = ""


def _describe(model: type[BaseModel], table: str) -> None:
    """Copy the definitions of :mod:`fairaudit.data.columns` into the model's JSON schema."""
    for name, field in model.model_fields.items():
        field.description = column_definition(table, name)
    model.model_rebuild(force=True)


for _model, _table in ((ImpactRow, "impact"), (ParityRow, "parity"), (DiversityRow, "diversity"),
                       (RankingRow, "ranking"), (PerJobRow, "per_job"), (DriverRow, "drivers"),
                       (OcclusionRow, "occlusion"), (DecompositionRow, "decomposition"),
                       (CauseSplitRow, "cause_split")):
    _describe(_model, _table)


class Tables(BaseModel):
    model_config = ConfigDict(extra="allow")

    impact: list[ImpactRow] = Field(min_length=1)
    parity: list[ParityRow] = Field(min_length=1)
    diversity: list[DiversityRow] = Field(default_factory=list)  # rows required unless counts (see below)
    per_job: list[PerJobRow] = Field(default_factory=list)
    ranking: list[RankingRow] = Field(default_factory=list)
    drivers: list[DriverRow] = Field(default_factory=list)
    occlusion: list[OcclusionRow] = Field(default_factory=list)
    decomposition: list[DecompositionRow] = Field(default_factory=list)
    cause_split: list[CauseSplitRow] = Field(default_factory=list)


class ConfigModel(BaseModel):
    """:class:`fairaudit.engine.result.AuditConfig` as stored (unknown keys from newer versions are ignored).

    Types only: the ranges, the cross-field rules and the defaults of fields that a file
    of an earlier version lacks are :class:`~fairaudit.engine.result.AuditConfig`'s own
    (:mod:`fairaudit.options`), applied when the result is built, so a stored file and a
    new audit meet the same rules.
    """

    model_config = ConfigDict(extra="ignore")

    ks: list[StrictInt] = Field(min_length=1)
    attributes: list[StrictStr] = Field(min_length=1)
    target: Optional[Union[StrictStr, dict[str, Any]]] = None
    tolerance: Optional[StrictFloat] = None
    match_goal: Optional[StrictFloat] = None
    four_fifths: Optional[StrictFloat] = None
    min_share: Optional[StrictFloat] = None
    scoring_median: Optional[Literal["job", "sample"]] = None
    n_bootstrap: Optional[StrictInt] = None
    confidence: Optional[StrictFloat] = None
    seed: Optional[StrictInt] = None
    # booleans: files of earlier versions (True = every job / every candidate)
    drivers: Optional[Union[StrictBool, Literal["flagged", "all", "none"]]] = None
    decomposition: Optional[Union[StrictBool, Literal["sample", "full", "none"]]] = None
    gap_attribute: Optional[StrictStr] = None
    gap_k: Optional[StrictInt] = None
    use_inferred: Optional[StrictBool] = None
    driver_method: Optional[Literal["lexicon", "occlusion"]] = None
    decomposition_sample: Optional[StrictInt] = None
    n_permutations: Optional[StrictInt] = None
    n_permutations_gap: Optional[StrictInt] = None
    strata: Optional[list[StrictStr]] = None
    alpha: Optional[StrictFloat] = None
    power: Optional[StrictFloat] = None
    judge_ratio: Optional[StrictFloat] = None

    @field_validator("ks")
    @classmethod
    def _positive_distinct(cls, v: list[int]) -> list[int]:
        try:  # the one rule of the cut-offs (fairaudit.options.parse_ks)
            parse_ks(v)
        except ConfigError:
            raise ValueError(f"must be distinct positive integers, got {v}") from None
        return v


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")

    audit_id: StrictStr
    created_at: Optional[StrictStr] = None
    jobs_sha256: Optional[StrictStr] = None
    candidates_sha256: Optional[StrictStr] = None
    config_sha256: Optional[StrictStr] = None
    n_jobs: Optional[StrictInt] = Field(None, ge=1)
    n_candidates: Optional[StrictInt] = Field(None, ge=1)


class Verdict(BaseModel):
    model_config = ConfigDict(extra="allow")

    k: Optional[StrictInt] = None
    four_fifths_pass: Optional[StrictBool] = None
    min_impact_ratio: Num = None
    match_rate: Num = None
    match_goal: Num = None
    diversity_goal_met: Optional[StrictBool] = None
    paper_score: Num = None
    flagged_groups: Optional[StrictInt] = None


class Summary(BaseModel):
    model_config = ConfigDict(extra="allow")

    verdict: Verdict
    warnings: list[StrictStr] = Field(default_factory=list)


class AuditDocument(BaseModel):
    """A whole audit result file."""

    model_config = ConfigDict(extra="allow")

    schema_version: Literal[3]
    config: ConfigModel
    provenance: Provenance
    summary: Summary
    groups: dict[str, list[StrictStr]] = Field(default_factory=dict)
    tables: Tables

    @model_validator(mode="after")
    def _every_cut_off_and_attribute_present(self) -> "AuditDocument":
        # an audit of aggregate counts has no jobs: no diversity or per-job rows (fairaudit.engine.counts_audit)
        counts = getattr(self.provenance, "source", None) == "counts"
        for name in ("impact", "parity") + (() if counts else ("diversity", "per_job")):
            if not getattr(self.tables, name):
                raise ValueError(f"tables.{name}: has no rows")
            have = {(r.k, r.attribute) for r in getattr(self.tables, name)}
            for k in self.config.ks:
                for a in self.config.attributes:
                    if (k, a) not in have:
                        raise ValueError(f"tables.{name} has no rows for k={k}, attribute {a!r}")
        return self


def _loc(loc: tuple) -> str:
    out = ""
    for item in loc:
        out += f"[{item}]" if isinstance(item, int) else (("." if out else "") + str(item))
    return out or "(top level)"


def _problem(err: Mapping[str, Any]) -> str:
    kind, msg = err.get("type", ""), str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{_loc(tuple(err['loc']))}: is required"
    if kind == "too_short" and err["loc"] and err["loc"][0] == "tables":
        return f"{_loc(tuple(err['loc']))}: has no rows"
    got = err.get("input")
    if kind != "value_error" and got is not None and not isinstance(got, (dict, list)):
        msg += f" (got {got!r})"
    where = _loc(tuple(err["loc"]))
    return f"{where}: {msg}" if err["loc"] else msg


def upgrade_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version-1 audit as version 2: same figures, verdicts "not assessed".

    Version 1 had no permutation null, so ``verdict`` and ``p_value`` are null in
    ``impact`` and ``parity`` and the config records ``n_permutations = 0``; the
    plain four-fifths figures are kept as they were. The input is not modified.
    """
    out = dict(data)
    out["schema_version"] = 2
    if isinstance(out.get("config"), Mapping):
        out["config"] = {**out["config"], "n_permutations": 0}
    tables = out.get("tables")
    if isinstance(tables, Mapping):
        tables = dict(tables)
        for name in ("impact", "parity"):
            rows = tables.get(name)
            if isinstance(rows, list):
                tables[name] = [{"verdict": None, "p_value": None, **r} if isinstance(r, Mapping) else r
                                for r in rows]
        out["tables"] = tables
    return out


def upgrade_v2(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version-2 audit as version 3 (see the module docstring). The input is not modified.

    Version 2's group p-values were each group's own (not adjusted for the
    number of groups), so they move to ``p_value_raw`` and the group verdicts
    built on them read "not assessed" (null); they are never re-derived.
    Attribute verdicts came from the test of the lowest ratio, as now, and keep
    their category in today's words.
    """
    out = dict(data)
    out["schema_version"] = 3
    tables = out.get("tables")
    if isinstance(tables, Mapping):
        tables = dict(tables)
        rows = tables.get("impact")
        if isinstance(rows, list):
            tables["impact"] = [{**r, "p_value": None, "verdict": None, "p_value_raw": r.get("p_value")}
                                if isinstance(r, Mapping) else r for r in rows]
        rows = tables.get("parity")
        if isinstance(rows, list):
            tables["parity"] = [{**r, "verdict": V2_WORDS.get(r.get("verdict"), r.get("verdict"))}
                                if isinstance(r, Mapping) and isinstance(r.get("verdict"), str) else r for r in rows]
        out["tables"] = tables
    summary = out.get("summary")
    verdict = summary.get("verdict") if isinstance(summary, Mapping) else None
    if isinstance(verdict, Mapping):
        v = dict(verdict)
        if isinstance(v.get("category"), str):
            v["category"] = V2_WORDS.get(v["category"], v["category"])
        if isinstance(v.get("diversity_category"), str):
            v["diversity_category"] = V2_GOAL_WORDS.get(v["diversity_category"], v["diversity_category"])
        if isinstance(v.get("attributes"), Mapping):
            v["attributes"] = {a: {**d, "verdict": V2_WORDS.get(d.get("verdict"), d.get("verdict"))}
                               if isinstance(d, Mapping) and isinstance(d.get("verdict"), str) else d
                               for a, d in v["attributes"].items()}
        out["summary"] = {**summary, "verdict": v}
    return out


def upgrade(data: Mapping[str, Any], source: str = "audit JSON") -> dict[str, Any]:
    """An audit of any readable version as the current version (:data:`SCHEMA_VERSION`), not yet validated.

    Raises
    ------
    DataError
        Not a JSON object, or a schema version this fairaudit does not read.
    """
    if not isinstance(data, Mapping):
        raise DataError(f"{source} is not a fairaudit audit result (expected a JSON object)")
    version = data.get("schema_version")
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise DataError(f"{source} has schema_version {version!r}; this fairaudit reads versions "
                        f"{', '.join(map(str, READABLE_VERSIONS))} (is it a fairaudit audit result?)")
    out = dict(data)
    if version == 1:
        out = upgrade_v1(out)
    if out["schema_version"] == 2:
        out = upgrade_v2(out)
    return out


def validate_audit_dict(data: Any, source: str = "audit JSON") -> AuditDocument:
    """Check a parsed audit result against the schema (an earlier version is upgraded first, :func:`upgrade`).

    Raises
    ------
    DataError
        One line: the first problem, its field path, and how many more there are.
    """
    data = upgrade(data, source)
    try:
        return AuditDocument.model_validate(dict(data))
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise DataError(f"{source} is not a valid fairaudit audit result: {_problem(errors[0])}{more}; "
                        "re-run `fairaudit audit` to write it again") from None
