"""How the report writes one value: numbers, changes, pass/fail words and display names.

Pure functions of a single value; the table layout (:mod:`.tables`) and the
charts (:mod:`.charts`) use the same labels, so a group or attribute is named
the same way everywhere in a report.
"""
from __future__ import annotations

import json
import math
from typing import Any, Mapping

from ..data.groups import INTERSECTION

#: Display names of the EEO-1 / NYC LL144 categories.
GROUP_LABELS = {
    "female": "Female", "male": "Male", "unknown": "Unknown",
    "hispanic": "Hispanic or Latino", "white": "White", "black": "Black or African American",
    "asian": "Asian", "nhpi": "Native Hawaiian or Pacific Islander",
    "aian": "American Indian or Alaska Native", "multiracial": "Two or more races",
}
#: Display names of the audited attributes (tables, charts and headings).
ATTRIBUTE_LABELS = {"sex": "Sex", "race_ethnicity": "Race/ethnicity",
                    INTERSECTION: "Intersection: sex × race/ethnicity"}
MINUS = "\u2212"
STATUS_KINDS = ("pass", "met", "flag")


def as_number(x: Any) -> float | None:
    """A finite float, or None for missing / NaN / non-numeric values."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def as_bool(x: Any) -> bool | None:
    """``bool(x)``, or None for a missing value (None or NaN)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return bool(x)


def group_label(group: Any) -> str:
    """``"female|black"`` -> ``"Female · Black or African American"``."""
    g = str(group)
    if "|" in g:
        return " · ".join(group_label(p) for p in g.split("|"))
    return GROUP_LABELS.get(g, g.replace("_", " "))


def attribute_label(attribute: Any) -> str:
    """``"race_ethnicity"`` -> ``"Race/ethnicity"``; unknown names are capitalised."""
    return ATTRIBUTE_LABELS.get(str(attribute), str(attribute).replace("_", " ").capitalize())


def fmt(value: Any, kind: str = "ratio") -> str:
    """Format one value for a table cell (``—`` when missing).

    ``kind`` is one of ``ratio`` (3 decimals), ``ratio4``, ``int``, ``pct``,
    ``rate`` (small percentages, 2 decimals), ``pctg`` (configuration values),
    ``score`` (1 decimal), ``text``/``rtext`` or a status kind (``pass``,
    ``met``, ``flag``).
    """
    if kind in ("text", "rtext"):
        return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if kind in ("pass", "met"):
        b = as_bool(value)
        return "—" if b is None else {("pass", True): "Pass", ("pass", False): "Fail",
                                      ("met", True): "Met", ("met", False): "Not met"}[(kind, b)]
    if kind == "flag":
        b = as_bool(value)
        return "—" if b is None else ("Below\u00a04/5" if b else "OK")
    v = as_number(value)
    if v is None:
        return "—"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "rate":  # selection rates can be small: keep three significant decimals in %
        return f"{100 * v:.2f}%"
    if kind == "pctg":  # configuration values: 95%, 2%
        return f"{100 * v:g}%"
    if kind == "score":
        return f"{v:.1f}".replace("-", MINUS)
    if kind == "ratio4":
        return f"{v:.4f}".replace("-", MINUS)
    return f"{v:.3f}".replace("-", MINUS)


#: Decimals of a printed change per kind (percentages in points); other kinds: 3.
DELTA_DECIMALS = {"pct": 1, "rate": 2, "int": 0, "score": 1, "ratio4": 4}


def delta_shown(before: Any, after: Any, kind: str = "ratio") -> float | None:
    """The change ``after - before`` as :func:`fmt_delta` prints it: rounded, in points for percentages.

    Parameters
    ----------
    before, after : any
        The two values (missing, NaN or non-numeric: None is returned).
    kind : str
        The column's kind, as for :func:`fmt` (sets the unit and the decimals).

    Returns
    -------
    float or None
        A change that rounds to zero is 0.0 (never -0.0), so it is printed and coloured as no change.
    """
    b, a = as_number(before), as_number(after)
    if b is None or a is None:
        return None
    scale = 100.0 if kind in ("pct", "rate") else 1.0
    return round((a - b) * scale, DELTA_DECIMALS.get(kind, 3)) + 0.0  # + 0.0: -0.0 becomes 0.0


def fmt_delta(before: Any, after: Any, kind: str = "ratio") -> str:
    """Change ``after - before`` with an explicit sign; pp for percentages.

    A change that rounds to zero is printed without a sign (``0.000``, ``0.00 pp``);
    text values (such as verdicts) read "no change" or "changed".
    """
    if kind in STATUS_KINDS:
        b, a = as_bool(before), as_bool(after)
        if b is None or a is None:
            return "—"
        if b == a:
            return "no change"
        if kind == "flag":
            return "resolved" if b and not a else "new"
        return "now " + fmt(a, kind).lower()
    if kind in ("text", "rtext"):
        b, a = fmt(before, kind), fmt(after, kind)
        return "—" if "—" in (b, a) else ("no change" if b == a else "changed")
    d = delta_shown(before, after, kind)
    if d is None:
        return "—"
    sign = "+" if d > 0 else (MINUS if d < 0 else "")
    text = f"{sign}{abs(d):,.{DELTA_DECIMALS.get(kind, 3)}f}"
    return f"{text} pp" if kind in ("pct", "rate") else text


def ci_text(row: Mapping[str, Any], key: str, kind: str) -> str:
    """``[low, high]`` of the bootstrap interval ``key_ci_low``..``key_ci_high`` ("" when undefined)."""
    lo, hi = as_number(row.get(f"{key}_ci_low")), as_number(row.get(f"{key}_ci_high"))
    if lo is None or hi is None:
        return ""
    return f"[{fmt(lo, kind)}, {fmt(hi, kind)}]"


def status_class(kind: str, value: Any) -> str:
    """CSS class of a status cell: ``good``, ``bad`` or "" (a flag is bad when set)."""
    b = as_bool(value)
    if b is None:
        return ""
    if kind == "flag":
        return "bad" if b else "good"
    return "good" if b else "bad"


def mix_text(mix: Any) -> str:
    """A top-k group mix (JSON text or mapping) as ``"Female 40.0%, Male 60.0%"``."""
    try:
        d = json.loads(mix) if isinstance(mix, str) else dict(mix or {})
    except (TypeError, ValueError):
        return ""
    return ", ".join(f"{group_label(g)} {fmt(s, 'pct')}" for g, s in d.items())


def target_text(target: Any) -> str:
    """A target distribution (``"pool"``, ``"uniform"``, JSON or a mapping) in words."""
    if isinstance(target, str):
        try:
            target = json.loads(target)
        except ValueError:
            return {"pool": "the candidate pool's mix", "uniform": "equal shares",
                    "own": "each job's own candidates' mix"}.get(target, target)
    if isinstance(target, Mapping):
        if all(isinstance(v, Mapping) for v in target.values()):
            return "; ".join(f"{attribute_label(a)}: {target_text(t)}" for a, t in target.items())
        return ", ".join(f"{group_label(g)} {fmt(s, 'pct')}" for g, s in target.items())
    return str(target)
