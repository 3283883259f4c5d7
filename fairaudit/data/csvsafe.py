"""Spreadsheet-safe CSV: every CSV fairaudit writes goes through :func:`write_csv`.

Compliance files are opened in Excel, LibreOffice or Google Sheets, which run a
cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK("http://x","y")``, ``+cmd|' /C calc'!A0``); a leading tab or
carriage return can hide such a prefix. Following OWASP's recommendation
("CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection), a
*text* cell that begins with one of these characters is written with a single
quote in front, which spreadsheets show as text and never evaluate.

Only text cells are changed. Numeric columns (int, float, bool dtypes) are
written as numbers, so a negative gap such as ``-0.05`` stays a number a
spreadsheet can sum; a number is never a formula. A text column whose cell is
``-5`` gets the quote like any other text. JSON outputs keep the raw text.

Reading a CSV back (:func:`fairaudit.data.io.read_table`) removes the quote again
(:func:`restore`), so a job text that begins with ``- `` (a bullet) is audited as
it was written. A text that itself began with a quote followed by one of these
characters cannot be told apart and loses its quote.
"""
from __future__ import annotations

import os
from typing import IO, Any, Union

import pandas as pd

#: First characters that make a spreadsheet evaluate a cell (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

__all__ = ["FORMULA_PREFIXES", "neutralise", "restore", "safe_frame", "write_csv"]


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The inverse of :func:`neutralise`: ``value`` without the quote that :func:`neutralise` put in front."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are neutralised (numeric columns untouched)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
            continue
        out[col] = s.map(neutralise, na_action="ignore")
    safe_columns = [neutralise(c) for c in out.columns]
    out.columns = safe_columns
    return out


def write_csv(df: pd.DataFrame, target: Union[str, "os.PathLike[str]", IO[str]], **kwargs: Any) -> None:
    """Write ``df`` as CSV with its text cells neutralised (:func:`safe_frame`); ``index=False`` by default.

    ``target`` is an open text file or a path (for atomic writes pass the
    temporary path or handle from :mod:`fairaudit.atomic`).
    """
    kwargs.setdefault("index", False)
    safe_frame(df).to_csv(target, **kwargs)
