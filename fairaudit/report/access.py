"""Looking values up in the audits' tables for the report sections (nothing is recomputed).

Tolerant of audits of earlier versions: a missing table is an empty frame, a
missing configuration falls back to the k values and attributes of the tables.
"""
from __future__ import annotations

from typing import Any, Iterator

import pandas as pd

from ..engine.result import AuditResult
from .format import as_number


def result_table(result: AuditResult | None, name: str) -> pd.DataFrame:
    """Table ``name`` of ``result``; an empty frame when the result or the table is missing."""
    if result is None:
        return pd.DataFrame()
    df = result.tables.get(name)
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


def select_rows(df: pd.DataFrame, **eq: Any) -> pd.DataFrame:
    """Rows whose columns equal the given values (compared as text); none if a column is missing."""
    if df.empty:
        return df
    mask = pd.Series(True, index=df.index)
    for col, val in eq.items():
        if col not in df.columns:
            return df.iloc[0:0]
        mask &= df[col].astype(str) == str(val)
    return df[mask]


def result_ks(result: AuditResult) -> list[int]:
    """The audit's cut-offs: from its configuration, else the k values of its impact table."""
    ks = [int(k) for k in (result.config.ks or ())]
    if not ks:
        imp = result_table(result, "impact")
        ks = sorted({int(k) for k in imp.get("k", [])})
    return ks


def result_attributes(result: AuditResult) -> list[str]:
    """Attributes with impact rows, in the configuration's order, then any others."""
    attrs = list(result.config.attributes or ())
    imp = result_table(result, "impact")
    present = list(dict.fromkeys(imp["attribute"])) if "attribute" in imp else []
    return [a for a in attrs if a in present] + [a for a in present if a not in attrs]


def headline_k(result: AuditResult) -> int | None:
    """The k of the verdict (the first configured k)."""
    v = result.summary.get("verdict") or {}
    if as_number(v.get("k")) is not None:
        return int(v["k"])
    ks = result_ks(result)
    return ks[0] if ks else None


def effective_gap_k(result: AuditResult) -> int | None:
    """The k of the per-job gaps, drivers and decomposition (see ``AuditConfig.effective_gap_k``)."""
    cfg = result.config
    if cfg.ks or cfg.gap_k:
        return int(cfg.effective_gap_k)
    ks = result_ks(result)  # no configured k: the k values of the tables
    return max(ks) if ks else None


def per_k_and_attribute(before: AuditResult, after: AuditResult | None, name: str
                        ) -> Iterator[tuple[int, str, pd.DataFrame, pd.DataFrame | None]]:
    """``(k, attribute, before rows, after rows)`` of table ``name``, for each k and attribute with rows."""
    tb, ta = result_table(before, name), result_table(after, name)
    for k in result_ks(before):
        for attr in result_attributes(before):
            b = select_rows(tb, k=k, attribute=attr)
            if not b.empty:
                yield k, attr, b, (select_rows(ta, k=k, attribute=attr) if after is not None else None)
