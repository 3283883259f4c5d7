"""Where an audit's numbers came from: its creation time, input hashes, recommender and versions.

:func:`resolve_created_at` fixes the audit's time (``created_at``, else
``$SOURCE_DATE_EPOCH``, else now); :func:`audit_provenance` records the inputs' hashes,
the recommender's description and the audit id (machine details excluded).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from typing import Any, Sequence

from ..data.groups import GroupEncoding
from ..data.io import candidates_sha256, jobs_sha256
from ..errors import ConfigError
from ..recommenders.base import Recommender
from ..version import library_versions
from ..options import check_not_future
from .inputs import AuditInputs, parquet_sha256
from .result import AuditConfig, recommender_identity


def resolve_created_at(created_at: str | None = None) -> str:
    """The audit's creation time as an ISO 8601 UTC string, to the second.

    ``created_at`` when given (any ISO 8601 time; naive times are UTC), else
    ``$SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC, the reproducible-builds
    convention) when set, else now. Fixing it makes the audit JSON of the same
    inputs byte-identical.

    Raises
    ------
    ConfigError
        An unparsable time or ``SOURCE_DATE_EPOCH``, or one after now (beyond a
        day of clock tolerance, :func:`fairaudit.options.check_not_future`).
    """
    if created_at is not None:
        try:
            t = _dt.datetime.fromisoformat(str(created_at).strip())
        except ValueError:
            raise ConfigError(f"created_at {created_at!r} is not an ISO 8601 time, "
                              "e.g. 2026-01-01T00:00:00Z") from None
    elif os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        raw = os.environ["SOURCE_DATE_EPOCH"].strip()
        try:
            t = _dt.datetime.fromtimestamp(int(raw), _dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, "
                              f"got {raw!r}") from None
    else:
        t = _dt.datetime.now(_dt.timezone.utc)
    t = t.replace(tzinfo=_dt.timezone.utc) if t.tzinfo is None else t.astimezone(_dt.timezone.utc)
    check_not_future(t, f"created_at {t.replace(microsecond=0).isoformat()}")  # it becomes the LL144 audit date
    return t.replace(microsecond=0).isoformat()


def sha256_of(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def audit_provenance(rec: Recommender, inputs: AuditInputs, encodings: Sequence[GroupEncoding], config: AuditConfig,
                *, backend: Any, candidates: Any, data_source: str | None, period: str | None,
                created_at: str) -> dict[str, Any]:
    """Input hashes, the recommender's description, versions and the audit id."""
    describe = getattr(rec, "describe", None)
    rec_info = describe() if callable(describe) else {"name": getattr(rec, "name", type(rec).__name__)}
    prov = {
        "jobs_sha256": jobs_sha256(inputs.jobs),
        "candidates_sha256": parquet_sha256(candidates) if inputs.streamed else candidates_sha256(inputs.candidates),
        "candidates_streamed": inputs.streamed,
        "config_sha256": sha256_of(config.to_dict()),
        "recommender": rec_info,
        "backend": backend if isinstance(backend, str) or backend is None else type(backend).__name__,
        "n_jobs": len(inputs.jobs), "n_candidates": len(inputs.candidates),
        "attribute_sources": {e.attribute: e.source for e in encodings},
        "data_source": data_source or f"jobs: {inputs.jobs_source}; candidates: {inputs.candidates_source}",
        "period": period,
        "versions": library_versions(),
    }
    # machine-specific details (cache folder, paths, device) must not change the id
    prov["audit_id"] = sha256_of({"jobs": prov["jobs_sha256"], "candidates": prov["candidates_sha256"],
                             "config": prov["config_sha256"], "recommender": recommender_identity(rec_info)})[:16]
    prov["created_at"] = created_at
    return prov
