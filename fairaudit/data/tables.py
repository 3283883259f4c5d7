"""Typed tables: every CSV fairaudit writes is read back through the schema that wrote it.

A CSV file keeps no types: pandas 3 reads the text ``"True"`` / ``"False"`` as
strings (``astype(bool)`` of either is True) and a column of gaps as text when
the file is read with ``dtype=str``. A :class:`TableSchema` names each column's
kind (text, boolean, number, integer) once; :meth:`TableSchema.write` writes a
table with it (spreadsheet-safe, :mod:`fairaudit.data.csvsafe`) and
:meth:`TableSchema.read` / :meth:`TableSchema.coerce` give the same types back,
refusing a cell that is not of its column's kind with one
:class:`~fairaudit.errors.DataError` that names the column and the row.

Booleans are parsed strictly: ``True``, ``False``, ``true``, ``false``, ``1``
and ``0`` (what pandas, spreadsheets and people write); anything else, an empty
cell included, is an error rather than a guess.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import IO, Any, Mapping, Union

import numpy as np
import pandas as pd

from ..errors import DataError
from .csvsafe import write_csv

__all__ = ["KINDS", "TableSchema", "parse_bool"]

#: Column kinds: ``text`` (str, empty for missing), ``bool`` (strict), ``float`` (empty = NaN),
#: ``int`` (nullable integers, empty = missing).
KINDS = ("text", "bool", "float", "int")
_TRUE, _FALSE = frozenset({"True", "true", "1"}), frozenset({"False", "false", "0"})


def parse_bool(value: Any) -> bool | None:
    """``value`` as a boolean, or None when it is not one of the accepted spellings.

    Parameters
    ----------
    value : object
        A cell: a bool, the integers 0 / 1, or the text ``True``, ``False``,
        ``true``, ``false``, ``1``, ``0``.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, float) and value in (0.0, 1.0):  # a bool column with a missing value read as float
        return bool(value)
    if isinstance(value, str):
        return True if value in _TRUE else False if value in _FALSE else None
    return None


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


@dataclass(frozen=True)
class TableSchema:
    """The columns of one kind of table that fairaudit writes, with their kinds.

    Parameters
    ----------
    name : str
        What the table is called in messages ("rewrites table").
    columns : mapping of str to str
        Column name -> kind (:data:`KINDS`), in the order the table is written.
    required : tuple of str, optional
        Columns a table must have to be read (default: all of ``columns``).
    prefixed : mapping of str to str, optional
        Kinds of further columns by name prefix (``{"gap_before_": "float"}``);
        columns matching neither are kept as they are.
    """

    name: str
    columns: Mapping[str, str]
    required: tuple[str, ...] | None = None
    prefixed: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = {c: k for c, k in {**self.columns, **self.prefixed}.items() if k not in KINDS}
        if bad:
            raise ValueError(f"unknown column kind(s) {bad}; use one of {KINDS}")
        unknown = [c for c in self.required or () if c not in self.columns]
        if unknown:
            raise ValueError(f"required column(s) {unknown} are not in columns")

    def kind(self, column: str) -> str | None:
        """The kind of ``column`` (None: not a column of this schema).

        Parameters
        ----------
        column : str
            A column name.
        """
        if column in self.columns:
            return self.columns[column]
        for prefix, kind in self.prefixed.items():
            if column.startswith(prefix) and len(column) > len(prefix):
                return kind
        return None

    def missing(self, df: pd.DataFrame, required: tuple[str, ...] | None = None) -> list[str]:
        """The required columns that ``df`` lacks, in schema order.

        Parameters
        ----------
        df : DataFrame
            A table.
        required : tuple of str, optional
            The columns needed here (default: the schema's ``required``).
        """
        need = required or (tuple(self.columns) if self.required is None else self.required)
        return [c for c in need if c not in df.columns]

    def coerce(self, df: pd.DataFrame, source: str = "table",
               required: tuple[str, ...] | None = None) -> pd.DataFrame:
        """A copy of ``df`` with every known column converted to its kind.

        Parameters
        ----------
        df : DataFrame
            A table read from a file (all text) or built in memory.
        source : str
            Where it came from, for messages (a file name).
        required : tuple of str, optional
            The columns needed here (default: the schema's ``required``).

        Raises
        ------
        DataError
            A required column is missing, or a cell is not of its column's kind
            (the message names the column and the row, 1 = first data row).
        """
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"a {self.name} must be a pandas DataFrame, got {type(df).__name__}")
        missing = self.missing(df, required)
        if missing:
            raise DataError(f"{self.name} {source} is missing column(s) {missing}; it has {list(df.columns)}")
        out = df.copy()
        for col in out.columns:
            kind = self.kind(str(col))
            if kind is not None:
                out[col] = _convert(out[col].reset_index(drop=True), kind, self.name, source, str(col)).set_axis(
                    out.index)
        return out

    def read(self, path: str | os.PathLike, sep: str | None = None) -> pd.DataFrame:
        """Read a table written by :meth:`write` (or a Parquet / JSON Lines copy) with its types.

        Parameters
        ----------
        path : path-like
            The file.
        sep : str, optional
            Field delimiter of a CSV file (:func:`fairaudit.data.io.read_table`).
        """
        from .io import read_table  # io is the reader of every input table; it imports nothing from here

        return self.coerce(read_table(path, sep=sep), source=str(path))

    def write(self, df: pd.DataFrame, target: Union[str, "os.PathLike[str]", IO[str]]) -> None:
        """Write ``df`` as spreadsheet-safe CSV, its columns checked and converted first.

        Parameters
        ----------
        df : DataFrame
            The table (extra columns are written after the schema's, as they are).
        target : path-like or text file
            Where to write (pass the temporary path or handle of :mod:`fairaudit.atomic`).
        """
        out = self.coerce(df, source="being written")
        order = [c for c in self.columns if c in out.columns]
        write_csv(out[order + [c for c in out.columns if c not in self.columns]], target)


def _convert(s: pd.Series, kind: str, table: str, source: str, col: str) -> pd.Series:
    def fail(i: int, what: str) -> DataError:
        return DataError(f"{table} {source}: column {col!r}, row {i + 1}: {s.iloc[i]!r} is not {what}")

    if kind == "text":
        return s.map(lambda v: "" if _blank(v) else str(v)).astype(object)
    if kind == "bool":
        values = [parse_bool(v) for v in s]
        bad = next((i for i, v in enumerate(values) if v is None), None)
        if bad is not None:
            raise fail(bad, "a boolean (True/False, true/false or 1/0)")
        return pd.Series(values, dtype=bool, name=s.name)
    if pd.api.types.is_bool_dtype(s):  # a number column must not be made of booleans
        raise fail(0, "a number")
    blank = s.map(_blank).to_numpy(dtype=bool)
    num = pd.to_numeric(s.where(~blank, np.nan), errors="coerce")
    bad = np.flatnonzero(num.isna().to_numpy() & ~blank & ~s.map(_nan_text).to_numpy(dtype=bool))
    if len(bad):
        raise fail(int(bad[0]), "a number")
    if kind == "float":
        return num.astype(float)
    frac = np.flatnonzero(num.notna().to_numpy() & (num.fillna(0) % 1 != 0).to_numpy())
    if len(frac):
        raise fail(int(frac[0]), "a whole number")
    return num.astype("Int64")


def _nan_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() == "nan"
