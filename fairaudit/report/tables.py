"""The table layout of the report: tidy rows in, header and cells for the templates out.

:func:`build_table` matches the rows of one audit (or of a before and an after
audit) on key columns and lays out every :class:`Col` as one cell, or as
before / after / change cells in a comparison. It knows nothing of the audit's
tables; :mod:`.sections` says which columns each section shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ..metrics.better import better as better_direction
from .format import STATUS_KINDS, as_bool, as_number, ci_text, fmt, fmt_delta, status_class

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Col:
    """One column of a report table.

    ``compare``: in a comparison report the column shows before / after /
    change; otherwise one value (identifiers, pool counts). ``better``: +1 if
    higher is better, -1 if lower is better, 0 if neither (colours the change);
    default: :data:`fairaudit.metrics.better.BETTER` for ``key``.
    ``ci``: print the bootstrap interval ``key_ci_low``..``key_ci_high`` under the value.
    """

    key: str
    label: str
    kind: str = "ratio"
    compare: bool = True
    better: int | None = None
    ci: bool = False
    fn: Callable[[Row], Any] | None = None

    def value(self, row: Row | None) -> Any:
        if row is None:
            return None
        return self.fn(row) if self.fn else row.get(self.key)

    @property
    def direction(self) -> int:
        return better_direction(self.key) if self.better is None else self.better


def cell(col: Col, row: Row | None) -> dict[str, str]:
    """One cell: its text, the interval under it and its CSS class."""
    v = col.value(row)
    cls = "" if col.kind == "text" else "num"
    if col.kind in STATUS_KINDS:
        cls = f"status {status_class(col.kind, v)}"
    sub = ci_text(row, col.key, col.kind) if (col.ci and row is not None) else ""
    return {"text": fmt(v, col.kind), "sub": sub, "cls": cls.strip()}


def delta_cell(col: Col, b: Row | None, a: Row | None) -> dict[str, str]:
    """The change cell of a comparison, classed ``better`` / ``worse`` by the column's direction."""
    bv, av = col.value(b), col.value(a)
    text = fmt_delta(bv, av, col.kind)
    cls = "num delta"
    if col.kind in STATUS_KINDS:
        bb, ab = as_bool(bv), as_bool(av)
        if bb is not None and ab is not None and bb != ab:
            good = (not ab) if col.kind == "flag" else ab
            cls += " better" if good else " worse"
    else:
        nb, na = as_number(bv), as_number(av)
        if col.direction and nb is not None and na is not None and abs(na - nb) > 1e-12:
            cls += " better" if (na - nb) * col.direction > 0 else " worse"
    return {"text": text, "sub": "", "cls": cls}


def records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows of ``df`` as dicts ([] for None or an empty frame)."""
    if df is None or df.empty:
        return []
    return df.to_dict(orient="records")


def _rows(data: pd.DataFrame | Sequence[Row]) -> list[Row]:
    return data if isinstance(data, list) else records(data)


def build_table(before: pd.DataFrame | Sequence[Row], after: pd.DataFrame | Sequence[Row] | None,
                keys: Sequence[str], cols: Sequence[Col], *, caption: str = "", note: str = "",
                row_class: Callable[[Row], str] | None = None,
                compare: bool | None = None) -> dict[str, Any]:
    """Lay out rows of one (or two, for a comparison) tidy tables as a report table.

    Rows are matched on ``keys``; a row present only after the rewrite is
    appended at the end. Returns a plain dict the templates iterate over.
    """
    b_rows = _rows(before)
    a_rows = _rows(after) if after is not None else None
    comparing = a_rows is not None if compare is None else compare
    key = lambda r: tuple(str(r.get(k)) for k in keys)  # noqa: E731
    a_map = {key(r): r for r in (a_rows or [])}
    order = [(r, a_map.get(key(r))) for r in b_rows]
    seen = {key(r) for r in b_rows}
    order += [(None, r) for r in (a_rows or []) if key(r) not in seen]
    header = [{"label": c.label, "span": 3 if (comparing and c.compare) else 1,
               "rowspan": 1 if (comparing and c.compare) else 2 if comparing else 1,
               "cls": "" if c.kind in ("text", *STATUS_KINDS) else "num"} for c in cols]
    rows = []
    for b, a in order:
        cells = []
        ref = b if b is not None else a
        for c in cols:
            if comparing and c.compare:
                cells += [cell(c, b), cell(c, a), delta_cell(c, b, a)]
            else:
                cells.append(cell(c, ref))
        rows.append({"cells": cells, "cls": row_class(ref) if row_class else ""})
    return {"caption": caption, "note": note, "header": header, "compare": comparing,
            "subheader": [c.compare for c in cols] if comparing else [], "rows": rows,
            "wide": comparing and sum(3 if c.compare else 1 for c in cols) > 10}
