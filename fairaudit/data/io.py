"""Loading and validating jobs and candidates (CSV, Parquet, JSONL).

Loaders never compute metrics; they return DataFrames with the canonical column
names below, or raise :class:`~fairaudit.errors.DataError` with a message that
says what to fix.

Canonical columns
-----------------
jobs:        ``job_id``, ``title``, ``text`` and optional ``occupation``
candidates:  ``candidate_id``, ``text`` and optional ``sex``, ``race_ethnicity``,
             ``name``; proxy-inferred attributes live in separate
             ``sex_inferred`` / ``race_ethnicity_inferred`` columns and are never
             mixed with self-reported values.

SQL sources are read with :func:`read_sql` (SQLAlchemy), then mapped and
validated like files. :func:`jobs_sha256` and :func:`candidates_sha256` (from
:mod:`fairaudit.data.hashing`) are the content hashes recorded in every audit and review.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from .csvsafe import restore
from .encoding import detect_encoding, not_utf8_message
from ..errors import DataError
from .labels import ATTRS_KEY, check_labels, merge_vocab
# the label vocabulary lives in a module with no I/O, so metrics use it without the loaders;
# fairaudit.data.io.LABELS / UNKNOWN stay public names
from .group_labels import LABELS, UNKNOWN  # noqa: F401
# the content hashes have their own module; fairaudit.data.io keeps their names
from .hashing import (CANDIDATE_HASH_COLUMNS, JOB_HASH_COLUMNS, candidates_sha256, frame_sha256,  # noqa: F401
                      jobs_sha256, text_sha1)

JOB_REQUIRED = ("job_id", "title", "text")
JOB_OPTIONAL = ("occupation",)
CANDIDATE_REQUIRED = ("candidate_id", "text")
CANDIDATE_OPTIONAL = ("sex", "race_ethnicity", "name")

_MISSING_TOKENS = {"", "nan", "none", "null", "unknown", "na", "n/a", "prefer not to say", "declined"}


#: Canonical column names a column mapping may target, per table.
JOB_COLUMNS = (*JOB_REQUIRED, *JOB_OPTIONAL)
CANDIDATE_COLUMNS = (*CANDIDATE_REQUIRED, *CANDIDATE_OPTIONAL, "sex_inferred", "race_ethnicity_inferred")
_MAP_OPTION = {"jobs": "--job-columns", "candidates": "--candidate-columns"}


@dataclass(frozen=True)
class ColumnMap:
    """Maps the user's column names onto the canonical ones (``canonical -> user``).

    With ``table`` ("jobs" or "candidates") a canonical name that fairaudit does
    not know for that table is an error (it is usually a mapping written the
    wrong way round, ``description=text`` for ``text=description``).
    """

    mapping: Mapping[str, str] = field(default_factory=dict)
    table: str | None = None

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.table is not None:
            known = JOB_COLUMNS if self.table == "jobs" else CANDIDATE_COLUMNS
            unknown = [c for c in self.mapping if c not in known]
            if unknown:
                c = unknown[0]
                raise DataError(
                    f"column mapping {c}={self.mapping[c]}: {c!r} is not a {self.table} column fairaudit reads; "
                    f"map one of {list(known)} as canonical=name_in_file "
                    f"(e.g. {_MAP_OPTION.get(self.table, '--job-columns')} text=description)")
        rename = {user: canon for canon, user in self.mapping.items() if user in df.columns}
        missing = [user for user in self.mapping.values() if user not in df.columns]
        if missing:
            raise DataError(
                f"column(s) {missing} named in the column mapping are not in the file; "
                f"the file has {list(df.columns)}"
            )
        # text=bio in a file that also has a "text" column (one file with both tables): bio wins
        shadowed = [c for c in rename.values() if c in df.columns and c not in rename]
        return df.drop(columns=shadowed).rename(columns=rename)


#: Delimiters csv.Sniffer may propose for a text table, with the names used in messages.
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def parse_sep(sep: str | None) -> str | None:
    """A field delimiter as given on a command line or in a config: ``;``, ``\\t``, ``tab``, ``|`` ..."""
    if sep is None:
        return None
    value = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(sep.strip().lower(), sep)
    if len(value) != 1 or value in "\"\r\n":
        raise DataError(f"--sep must be one character such as ';' or '\\t' (tab), got {sep!r}")
    return value


def sniff_delimiter(text: str) -> str | None:
    """The delimiter :class:`csv.Sniffer` sees in the start of a text table, if any."""
    try:
        return csv.Sniffer().sniff(text, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return None


def _wrong_sep(p: Path, raw: bytes, used: str) -> str | None:
    """A hint when the file looks separated by something else than ``used``."""
    sample = raw[:65536].decode("utf-8-sig", errors="replace")
    lines = sample.splitlines()
    sniffed = sniff_delimiter("\n".join(lines[:50]))
    if sniffed is None or sniffed == used:
        return None
    shown = "\\t" if sniffed == "\t" else sniffed
    return (f"{p} looks {DELIMITERS[sniffed]}-separated, not {DELIMITERS.get(used, repr(used))}-separated; "
            f"pass --sep '{shown}' (Python: sep='{shown}')")


def read_table(path: str | os.PathLike, sep: str | None = None) -> pd.DataFrame:
    """Read CSV, TSV, Parquet or JSON Lines by extension, with clear errors.

    Parameters
    ----------
    path : path-like
        A file, or a folder of Parquet files.
    sep : str, optional
        Field delimiter of a text table (``.csv``, ``.tsv``, ``.txt``); default
        ``,`` (``\\t`` for ``.tsv``). A file that fails to parse with it, or
        parses into one column, is checked with :class:`csv.Sniffer`; when it
        looks separated by another character (e.g. ``;`` from a European
        spreadsheet), the error says which ``sep`` to pass. The delimiter is
        never switched silently. A cell that fairaudit's CSV
        writer quoted against spreadsheet formulas (:mod:`fairaudit.data.csvsafe`)
        is read back without the quote.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        files = sorted(p.glob("*.parquet"))
        if not files:
            raise DataError(f"{p} is a folder without .parquet files")
        return pd.concat([read_table(f) for f in files], ignore_index=True)
    if p.stat().st_size == 0:
        raise DataError(f"{p} is empty; expected a table with a header row")
    suffix = p.suffix.lower()
    sep = parse_sep(sep)
    raw = b""
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            raw = p.read_bytes()
            try:  # BOM-less UTF-16 of ASCII text is valid UTF-8 full of NULs: refused as well
                bad = 0 if detect_encoding(raw) else None
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = exc.start
            if bad is not None:
                raise DataError(not_utf8_message(p, raw, bad))
            used = sep or ("\t" if suffix == ".tsv" else ",")
            try:
                df = pd.read_csv(p, sep=used, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except pd.errors.ParserError:
                hint = None if sep else _wrong_sep(p, raw, used)
                if hint:
                    raise DataError(hint) from None
                raise
            if df.shape[1] == 1 and not sep:
                hint = _wrong_sep(p, raw, used)
                if hint:
                    raise DataError(hint)
            # cells that fairaudit's CSV writer quoted against spreadsheet formulas read back as written
            df = df.map(restore)
            df.columns = [restore(c) for c in df.columns]
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            df = pd.read_json(p, lines=suffix != ".json", dtype=False)
        else:
            raise DataError(f"unsupported file type {suffix!r} for {p}; use .csv, .tsv, .parquet or .jsonl")
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(f"{p} is not valid UTF-8; re-save it as UTF-8") from None
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse {p}: {first}") from None
    if df.empty:
        raise DataError(f"{p} has no rows")
    return df


def _check_columns(df: pd.DataFrame, required: Sequence[str], what: str, source: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        option, example = (("--candidate-columns", "text=bio") if what == "candidates"
                           else ("--job-columns", "text=description"))
        name, user = example.split("=")
        raise DataError(
            f"{what} {source} is missing required column(s) {missing}; it has {list(df.columns)}. "
            f"Rename them or map them, e.g. {option} {example} "
            f"(Python: columns={{'{name}': '{user}'}}; review TOML: [columns] {what} = {{ {name} = \"{user}\" }})"
        )


def _check_ids(df: pd.DataFrame, col: str, what: str, source: str) -> None:
    ids = df[col].astype(str)
    if (ids.str.strip() == "").any():
        raise DataError(f"{what} {source}: {int((ids.str.strip() == '').sum())} row(s) have an empty {col}")
    dup = ids[ids.duplicated()].unique()
    if len(dup):
        raise DataError(f"{what} {source}: duplicate {col} value(s) {list(dup[:5])}; ids must be unique")


def _check_text(df: pd.DataFrame, col: str, id_col: str, what: str, source: str) -> None:
    text = df[col].fillna("").astype(str)
    empty = df.loc[text.str.strip() == "", id_col].astype(str).tolist()
    if empty:
        raise DataError(f"{what} {source}: {len(empty)} row(s) have empty {col!r} (first: {empty[:3]})")


def normalize_labels(values: pd.Series, attribute: str,
                     labels: Mapping[str, Sequence[str]] | None = None) -> pd.Series:
    """Map raw labels onto canonical ones; missing values become ``"unknown"``.

    ``labels`` (``{category: [spellings]}``) adds to the built-in categories
    (:func:`fairaudit.data.labels.merge_vocab`).

    Raises
    ------
    DataError
        If a value is neither a known spelling nor missing.
    """
    vocab, lookup = merge_vocab(LABELS.get(attribute, {}), labels, attribute)  # custom labels add to the built-in
    raw = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    out = raw.map(lambda v: UNKNOWN if v in _MISSING_TOKENS else lookup.get(v))
    bad = sorted(raw[out.isna()].unique().tolist())
    if bad:
        raise DataError(
            f"unknown {attribute} label(s) {bad[:5]}; allowed: {sorted(vocab)} (or empty for unknown). "
            "Recode them in the data, or declare them (added to the built-in categories) with a [labels] table "
            "in the review TOML, --labels on the command line, or labels= in Python (fairaudit.audit, "
            "load_candidates)"
        )
    return out.astype(str)


def _checked_copy(df: Any, what: str, required: Sequence[str], id_col: str, source: str) -> pd.DataFrame:
    """The checks every table gets (a DataFrame with rows, required columns, unique ids, texts),
    then a copy with the id and the text as strings."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise DataError(f"{what} {source} has no rows")
    _check_columns(df, required, what, source)
    _check_ids(df, id_col, what, source)
    _check_text(df, "text", id_col, what, source)
    out = df.copy()
    out[id_col] = out[id_col].astype(str)
    out["text"] = out["text"].astype(str)
    return out


def validate_jobs(df: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check and normalise a jobs table (canonical columns already applied)."""
    out = _checked_copy(df, "jobs", JOB_REQUIRED, "job_id", source)
    out["title"] = out["title"].fillna("").astype(str)
    return out.reset_index(drop=True)


def validate_candidates(df: pd.DataFrame, source: str = "table",
                        labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> pd.DataFrame:
    """Check and normalise a candidates table; group labels become canonical.

    Custom ``labels`` (``fairaudit.data.labels``) are remembered in the result's
    ``attrs``, and a table that remembers them is validated with them again.
    """
    if labels is None and isinstance(df, pd.DataFrame):
        labels = df.attrs.get(ATTRS_KEY)
    labels = check_labels(labels)
    out = _checked_copy(df, "candidates", CANDIDATE_REQUIRED, "candidate_id", source)
    for attr in ("sex", "race_ethnicity"):
        if attr in out.columns:
            out[attr] = normalize_labels(out[attr], attr, (labels or {}).get(attr))
        inferred = f"{attr}_inferred"
        if inferred in out.columns:
            out[inferred] = normalize_labels(out[inferred], attr, (labels or {}).get(attr))
    out = out.reset_index(drop=True)
    if labels:
        out.attrs[ATTRS_KEY] = labels
    return out


def load_jobs(path: str | os.PathLike, columns: Mapping[str, str] | None = None,
              sep: str | None = None) -> pd.DataFrame:
    """Load a jobs table from CSV/TSV/Parquet/JSONL.

    Parameters
    ----------
    path : path-like
        The file (or a folder of Parquet files).
    columns : mapping, optional
        ``{canonical_name: name_in_file}``, e.g. ``{"text": "description"}``.
    sep : str, optional
        Field delimiter of a CSV/TSV file (see ``read_table()``).
    """
    df = ColumnMap(columns or {}, table="jobs").apply(read_table(path, sep=sep))
    return validate_jobs(df, source=str(path))


def load_candidates(path: str | os.PathLike, columns: Mapping[str, str] | None = None,
                    labels: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                    sep: str | None = None) -> pd.DataFrame:
    """Load a candidates table from CSV/TSV/Parquet/JSONL (see :func:`load_jobs`).

    Parameters
    ----------
    path : path-like
        The file (or a folder of Parquet files).
    columns : mapping, optional
        ``{canonical_name: name_in_file}``, e.g. ``{"candidate_id": "id", "sex": "gender"}``.
    labels : mapping, optional
        Your own categories and spellings, ``{"race_ethnicity": {"white": ["caucasian"]}}``,
        added to the built-in ones (``fairaudit.data.labels``); the table remembers them.
    sep : str, optional
        Field delimiter of a CSV/TSV file (see ``read_table()``).

    Returns
    -------
    pandas.DataFrame
        Canonical columns, ids and texts as strings, labels normalised (a blank or
        "prefer not to say" is ``unknown``).
    """
    df = ColumnMap(columns or {}, table="candidates").apply(read_table(path, sep=sep))
    return validate_candidates(df, source=str(path), labels=labels)


def streams_candidates(backend: Any, candidates: Any) -> bool:
    """True when the audit streams candidate texts from disk instead of loading them.

    That is a distributed backend (anything but ``"local"``) with a Parquet file
    or folder: only ids and attributes come into memory, the backend embeds the
    texts where they are.
    """
    if backend in (None, "local") or not isinstance(candidates, (str, os.PathLike)):
        return False
    p = Path(candidates)
    return p.is_dir() or p.suffix.lower() in (".parquet", ".pq")


# --------------------------------------------------------------------------- SQL
def default_driver(url: Any) -> Any:
    """The SQLAlchemy URL of ``url``, with ``postgresql://`` on whichever PostgreSQL driver is installed.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3; fairaudit's test
    extra installs psycopg2-binary, so fall back to it when psycopg 3 is absent.
    """
    import importlib.util

    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
            parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def redact_url(url: Any) -> str:
    """``url`` with its password hidden, for messages (``<invalid url>`` when it does not parse)."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid url>"


def read_sql(url: str, queries: Mapping[str, str], *, label: str = "source") -> tuple[dict[str, pd.DataFrame], str]:
    """Run named queries on one database (any SQLAlchemy URL).

    Parameters
    ----------
    url : str
        SQLAlchemy database URL.
    queries : mapping name -> SQL
        E.g. ``{"jobs": "select ...", "candidates": "select ..."}``.
    label : str
        How the caller's configuration names the source, for messages
        (``source.url``, ``source.jobs_query``).

    Returns
    -------
    frames : dict name -> DataFrame
    where : str
        The URL with its password hidden.

    Raises
    ------
    ConfigError
        ``url`` is not a usable database URL.
    DataError
        The database cannot be reached or a query fails (the driver's first line).
    """
    import sqlalchemy as sa

    from ..errors import ConfigError

    try:
        engine = sa.create_engine(default_driver(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(f"{label}.url is not a usable database URL: {exc}") from None
    safe = engine.url.render_as_string(hide_password=True)
    frames = {}
    try:
        with engine.connect() as conn:
            for name, query in queries.items():
                try:
                    frames[name] = pd.read_sql(sa.text(query), conn)
                except (sa.exc.DBAPIError, pd.errors.DatabaseError) as exc:
                    # pandas wraps driver errors in its own DatabaseError
                    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                    raise DataError(f"{label}.{name}_query failed on {safe}: {first}") from None
    except sa.exc.OperationalError as exc:
        raise DataError(f"cannot connect to {label}.url {safe}: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()
    return frames, safe
