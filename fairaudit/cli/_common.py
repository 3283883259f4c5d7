"""Argument helpers shared by sub-commands (parsing only, no logic)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def column_map(pairs: list[str] | None) -> dict[str, str]:
    """Parse ``canonical=name`` pairs."""
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise ConfigError(f"column mapping {p!r} must look like canonical=name_in_file (e.g. text=description)")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def target_spec(value: str) -> Any:
    """``own``, ``pool``, ``uniform``, inline JSON, or a path to a JSON file (None stays None: the default)."""
    if value is None or value in ("own", "pool", "uniform"):
        return value
    p = Path(value)
    try:
        text = p.read_text(encoding="utf-8") if p.exists() else value
        return json.loads(text)
    except (json.JSONDecodeError, OSError) as exc:
        raise ConfigError(f"--target must be 'own', 'pool', 'uniform', a JSON mapping or a JSON file: {exc}") from None


def add_data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--jobs", required=required, help="jobs file (CSV, TSV, Parquet, JSONL) or Parquet folder")
    p.add_argument("--candidates", required=required, help="candidates file or Parquet folder")
    p.add_argument("--job-columns", nargs="*", metavar="CANON=NAME", help="map columns, e.g. text=description")
    p.add_argument("--candidate-columns", nargs="*", metavar="CANON=NAME", help="map columns, e.g. text=bio")
    p.add_argument("--sep", metavar="CHAR",
                   help="field delimiter of CSV/TSV input, e.g. ';' or '\\t' (default: ',' for .csv, tab for .tsv)")
    p.add_argument("--labels", metavar="JSON|FILE",
                   help='your own categories or spellings, added to the built-in ones: a JSON mapping such as '
                        '\'{"race_ethnicity": {"white": ["caucasian"]}}\' or a JSON/TOML file ([labels] table)')
    p.add_argument("--recommender", default="embedding",
                   help="embedding (packaged all-MiniLM-L6-v2), bm25, or a sentence-transformers model id/path")


def parse_time(value: str) -> "dt.datetime":
    """An ISO 8601 time (``2030-01-01``, ``2030-01-01T12:00:00Z``); naive times are UTC."""
    import datetime as dt

    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time, e.g. 2030-01-01T00:00:00Z") from None
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t


def add_chance_args(p) -> None:
    """--permutations, --strata, --alpha: the chance level of the verdicts (defaults from AuditConfig)."""
    from ..engine.result import AuditConfig

    d = AuditConfig()
    p.add_argument("--permutations", type=int, default=d.n_permutations, metavar="N",
                   help=f"label permutations of the null behind each verdict (default {d.n_permutations}; 0 = none)")
    p.add_argument("--strata", nargs="+", default=None, metavar="COLUMN",
                   help="candidate columns to permute labels within, e.g. occupation (default: the whole pool); "
                        "with --log or --candidate-sets also jobs columns that group the jobs (default: the "
                        "jobs' occupation column, if any)")
    p.add_argument("--alpha", type=float, default=d.alpha,
                   help=f"significance level of 'breach, beyond chance' (default {d.alpha})")
