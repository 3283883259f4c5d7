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
from .format import STATUS_KINDS, as_bool, ci_text, delta_shown, fmt, fmt_delta, status_class

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Col:
    """One column of a report table.

    ``compare``: in a comparison report the column shows before / after /
    change; otherwise one value (identifiers, pool counts). ``better``: +1 if
    higher is better, -1 if lower is better, 0 if neither (colours the change);
    default: :data:`fairaudit.metrics.better.BETTER` for ``key``.
    ``ci``: print the bootstrap interval ``key_ci_low``..``key_ci_high`` under the value.
    ``family``: the metric family of a compared column; a comparison shows each family
    as its own table (:func:`build_tables`), as no page holds them all side by side.
    """

    key: str
    label: str
    kind: str = "ratio"
    compare: bool = True
    better: int | None = None
    ci: bool = False
    fn: Callable[[Row], Any] | None = None
    family: str = ""

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
        d = delta_shown(bv, av, col.kind)  # as printed: a change shown as 0.000 is not coloured
        if col.direction and d:
            cls += " better" if d * col.direction > 0 else " worse"
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
    ``wide`` marks a comparison of more than 10 cells a row (set in a smaller type).
    """
    b_rows = _rows(before)
    a_rows = _rows(after) if after is not None else None
    comparing = a_rows is not None if compare is None else compare
    key = lambda r: tuple(str(r.get(k)) for k in keys)  # noqa: E731
    a_map = {key(r): r for r in (a_rows or [])}
    order = [(r, a_map.get(key(r))) for r in b_rows]
    seen = {key(r) for r in b_rows}
    order += [(None, r) for r in (a_rows or []) if key(r) not in seen]
    align = ["" if c.kind in ("text", *STATUS_KINDS) else "num" for c in cols]
    header = [{"label": c.label, "span": 3 if (comparing and c.compare) else 1,
               "rowspan": 1 if (comparing and c.compare) else 2 if comparing else 1, "cls": cls}
              for c, cls in zip(cols, align)]
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
            # per column: None (not compared) or the alignment of its before / after headers
            "subheader": [cls if c.compare else None for c, cls in zip(cols, align)] if comparing else [], "rows": rows,
            "wide": comparing and sum(3 if c.compare else 1 for c in cols) > 10}


def build_tables(before: pd.DataFrame | Sequence[Row], after: pd.DataFrame | Sequence[Row] | None,
                 keys: Sequence[str], cols: Sequence[Col], *, caption: str = "", note: str = "",
                 row_class: Callable[[Row], str] | None = None) -> list[dict[str, Any]]:
    """:func:`build_table`, split in a comparison into one table per family of compared columns.

    A comparison triples every compared column (before, after, change); with all of a section's
    columns side by side the table would run off the page. Each family (:attr:`Col.family`) gets
    its own table, which repeats the columns that are not compared (the row's identifiers), so
    every column of the single audit's table is still shown. A single audit gives one table.

    Parameters
    ----------
    before, after, keys, cols, row_class
        As for :func:`build_table` (``after`` None: a single audit).
    caption : str
        The tables' caption; a split table's adds its family (``"caption: family"``).
    note : str
        Printed under the last table.

    Returns
    -------
    list of dict
        The tables in order; ``caption`` is followed by the family's name, ``note`` goes under the last.
    """
    families = list(dict.fromkeys(c.family for c in cols if c.compare)) if after is not None else []
    if len(families) <= 1:
        return [build_table(before, after, keys, cols, caption=caption, note=note, row_class=row_class)]
    out = []
    for i, fam in enumerate(families):
        part = [c for c in cols if not c.compare or c.family == fam]
        title = f"{caption}: {fam}" if caption else fam[:1].upper() + fam[1:]
        out.append(build_table(before, after, keys, part, caption=title, row_class=row_class,
                               note=note if i == len(families) - 1 else ""))
    return out
