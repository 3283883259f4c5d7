"""Where a review reads its jobs and candidates: files, SQL or synthetic data (``[source]`` of the TOML).

The ``log`` source (a recommender's past output) is in :mod:`.log_config`; the
review config (:mod:`.config`) joins them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigError

__all__ = ["StrictModel", "FilesSource", "SqlSource", "SyntheticSource", "expand_env"]


class StrictModel(BaseModel):
    """A frozen pydantic model that refuses unknown options (every table of the review TOML)."""

    # extra="forbid": a misspelt option is an error, not silently ignored
    model_config = ConfigDict(extra="forbid", frozen=True)


class FilesSource(StrictModel):
    """Jobs and candidates from CSV/TSV/Parquet/JSONL files.

    ``sep``: field delimiter of CSV/TSV files, e.g. ``";"`` (default ``,`` / tab).
    """

    kind: Literal["files"]
    jobs: Path
    candidates: Path
    sep: Optional[str] = Field(None, min_length=1)


class SqlSource(StrictModel):
    """Jobs and candidates from SQL queries through SQLAlchemy.

    ``url`` may reference environment variables as ``${NAME}`` so that no
    password is written in the config.
    """

    kind: Literal["sql"]
    url: str = Field(min_length=1)
    jobs_query: str = Field(min_length=1)
    candidates_query: str = Field(min_length=1)


class SyntheticSource(StrictModel):
    """Synthetic jobs and candidates (:func:`fairaudit.data.datasets.make_hiring_data`)."""

    kind: Literal["synthetic"]
    n_jobs: int = Field(40, ge=1)
    n_candidates: int = Field(400, ge=2)
    seed: int = 0
    options: dict[str, Any] = Field(default_factory=dict)


def expand_env(value: str, field: str) -> str:
    """Expand ``${NAME}`` references; a missing variable is a ConfigError."""

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise ConfigError(f"{field}: environment variable {name} is not set")
        return os.environ[name]

    return re.sub(r"\$\{(\w+)\}", sub, value)
