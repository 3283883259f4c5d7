"""Charts for the audit report: matplotlib figures rendered to deterministic SVG.

Every function takes the tidy tables of an :class:`~fairaudit.engine.result.AuditResult`
(and optionally the "after" tables of a re-audit), plots what is in them and
returns the SVG text. Nothing is recomputed. The SVG carries no date and a
fixed hash salt, so the same tables give byte-identical charts.

:func:`style`, :func:`new_figure` and :func:`to_svg` are the one chart style of
fairaudit; the review's trend charts (:mod:`fairaudit.review.trend`) use them too.
"""
from __future__ import annotations

import base64
import io
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..metrics.impact import is_below
from .format import attribute_label

BEFORE = "#51637a"
AFTER = "#1f8a70"
FAIL = "#b3261e"
GRID = "#d9dee5"
TEXT = "#1f2933"

_RC = {
    "svg.hashsalt": "fairaudit",
    "svg.fonttype": "none",  # keep text as text: small, selectable, rendered in the report's font
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.edgecolor": "#9aa5b1",
    "axes.labelcolor": TEXT,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 72,
}


def style() -> Any:
    """A context manager that applies fairaudit's chart style (matplotlib rc settings)."""
    import matplotlib

    return matplotlib.rc_context(_RC)


def new_figure(width: float, height: float) -> Any:
    """A matplotlib figure of ``width`` x ``height`` inches, outside pyplot (no global state, no GUI)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def to_svg(fig: Any) -> str:
    """The figure as SVG text without a date (deterministic with the style's fixed hash salt)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


def svg_data_uri(svg: str) -> str:
    """``data:image/svg+xml;base64,...`` for an ``<img src>`` ("" for no chart)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii") if svg else ""


def _rated(impact: pd.DataFrame, k: int, attribute: str) -> pd.DataFrame:
    rows = impact[(impact["k"] == k) & (impact["attribute"] == attribute)]
    if "excluded" in rows:
        rows = rows[~rows["excluded"].fillna(False).astype(bool)]
    return rows[rows["group"] != "unknown"]


def _paired(before: pd.DataFrame, after: pd.DataFrame | None, cols: Sequence[str]) -> pd.DataFrame:
    out = before[["group", *cols]].reset_index(drop=True)
    if after is not None:
        a = after[["group", *cols]].rename(columns={c: f"{c}_after" for c in cols})
        out = out.merge(a, on="group", how="left")
    return out


def _group_panels(before: pd.DataFrame, after: pd.DataFrame | None, *, k: int, attributes: Sequence[str],
                  cols: Sequence[str], row_height: float, xlabel: str, label: Callable[[str], str],
                  draw: Callable[..., None], decorate: Callable[[Any], None], single: str = "before") -> str:
    """One horizontal-bar panel per attribute, a bar per rated group (and per stage with ``after``).

    The frame the selection-rate and impact-ratio charts share: ``draw(ax, df, yy, h, name, suffix,
    color)`` draws one series (``suffix`` "" before, "_after" after), ``decorate(ax)`` adds what is
    particular to the chart (a threshold line, the x range); ``single`` names the one series without ``after``.
    """
    panels = [(a, _paired(_rated(before, k, a), None if after is None else _rated(after, k, a), cols))
              for a in attributes if len(_rated(before, k, a))]
    if not panels:
        return ""
    heights = [max(len(p), 2) for _, p in panels]
    with style():
        fig = new_figure(6.6, 0.7 + row_height * sum(heights) * (1.6 if after is not None else 1))
        axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
        for ax, (attr, df) in zip(axes, panels):
            y = np.arange(len(df))[::-1].astype(float)
            series = [("before" if after is not None else single, "", BEFORE)]
            if after is not None:
                series.append(("after", "_after", AFTER))
            h = 0.8 / len(series)
            for i, (name, suf, color) in enumerate(series):
                draw(ax, df, y + (len(series) - 1) * h / 2 - i * h, h, name, suf, color)
            decorate(ax)
            ax.set_yticks(y, [label(str(g)) for g in df["group"]])
            ax.set_title(attribute_label(attr), loc="left")
            ax.xaxis.grid(True, color=GRID, linewidth=0.6)
            ax.set_axisbelow(True)
        axes[-1].set_xlabel(xlabel)
        if after is not None:
            axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        fig.tight_layout()
        return to_svg(fig)


def selection_rate_chart(before: pd.DataFrame, after: pd.DataFrame | None = None, *, k: int,
                         attributes: Sequence[str] = ("sex", "race_ethnicity"),
                         label: Callable[[str], str] = str) -> str:
    """Selection rate per group with its bootstrap confidence interval.

    Parameters
    ----------
    before, after : DataFrame
        ``impact`` tables (``after`` optional, drawn next to ``before``).
    k : int
        Which top-k.
    attributes : sequence of str
        One panel per attribute.
    label : callable
        Display name of a group label.
    """
    def draw(ax: Any, df: pd.DataFrame, yy: np.ndarray, h: float, name: str, suf: str, color: str) -> None:
        rate = df[f"selection_rate{suf}"].to_numpy(float)
        lo = df[f"selection_rate_ci_low{suf}"].to_numpy(float)
        hi = df[f"selection_rate_ci_high{suf}"].to_numpy(float)
        err = np.nan_to_num(np.vstack([np.clip(rate - lo, 0, None), np.clip(hi - rate, 0, None)]))
        ax.barh(yy, rate * 100, height=h * 0.9, color=color, label=name,
                xerr=err * 100, error_kw={"ecolor": TEXT, "elinewidth": 0.8, "capsize": 2})

    return _group_panels(before, after, k=k, attributes=attributes, label=label, draw=draw,
                         cols=["selection_rate", "selection_rate_ci_low", "selection_rate_ci_high"],
                         row_height=0.26, single="selection rate",
                         decorate=lambda ax: ax.set_xlim(left=0),
                         xlabel=f"selection rate at k={k} (%), bars: 95% bootstrap CI")


def impact_ratio_chart(before: pd.DataFrame, after: pd.DataFrame | None = None, *, k: int,
                       attributes: Sequence[str] = ("sex", "race_ethnicity"), threshold: float = 0.8,
                       label: Callable[[str], str] = str) -> str:
    """Impact ratio per group against the four-fifths line (29 CFR 1607.4(D))."""
    def draw(ax: Any, df: pd.DataFrame, yy: np.ndarray, h: float, name: str, suf: str, color: str) -> None:
        ir = np.nan_to_num(df[f"impact_ratio{suf}"].to_numpy(float))
        below = is_below(ir, threshold)
        if after is None:  # one series: colour says pass / fail
            ax.barh(yy, ir, height=h * 0.9, color=[FAIL if b else color for b in below])
        else:  # two series: colour says before / after, red hatching says below the line
            ax.barh(yy, ir, height=h * 0.9, color=color, label=name)
            if below.any():
                ax.barh(yy[below], ir[below], height=h * 0.9, color="none", edgecolor=FAIL,
                        hatch="////", linewidth=0.8)

    # a small rated group outside the reference (metrics.impact.reference_mask) can exceed 1: keep its bar whole
    shown = pd.concat([t for t in (before, after) if t is not None and "impact_ratio" in t])
    shown = pd.to_numeric(shown[(shown["k"] == k) & shown["attribute"].isin(list(attributes))]["impact_ratio"],
                          errors="coerce")
    right = max(1.05, 1.05 * float(shown.max())) if shown.notna().any() else 1.05

    def decorate(ax: Any) -> None:
        ax.axvline(threshold, color=FAIL, linestyle="--", linewidth=1)
        ax.set_xlim(0, right)

    return _group_panels(before, after, k=k, attributes=attributes, label=label, draw=draw, decorate=decorate,
                         cols=["impact_ratio"], row_height=0.24,
                         xlabel=f"impact ratio at k={k} (dashed: four-fifths threshold {threshold:g}; "
                                + ("red bars fall below it)" if after is None else "hatched bars fall below it)"))


def gap_distribution_chart(before: pd.DataFrame, after: pd.DataFrame | None = None, *, k: int,
                           attribute: str = "sex", tolerance: float | None = None) -> str:
    """Histogram of the per-job gap between top-k mix and target, before and after."""
    def gaps(df: pd.DataFrame | None) -> np.ndarray:
        if df is None or df.empty:
            return np.array([])
        g = df[(df["k"] == k) & (df["attribute"] == attribute)]["gap"].to_numpy(float)
        return g[~np.isnan(g)]

    b, a = gaps(before), gaps(after)
    if not len(b):
        return ""
    top = max(float(np.max(b)), float(np.max(a)) if len(a) else 0.0, 0.05)
    bins = np.linspace(0, np.ceil(top * 20) / 20, int(np.ceil(top * 20)) + 1)
    with style():
        fig = new_figure(6.6, 2.3)
        ax = fig.subplots()
        ax.hist(b, bins=bins, color=BEFORE, alpha=0.85 if not len(a) else 0.6, label="before")
        if len(a):
            ax.hist(a, bins=bins, color=AFTER, alpha=0.6, label="after")
            ax.legend(loc="upper right", fontsize=7)
        if tolerance is not None:
            ax.axvline(tolerance, color=FAIL, linestyle="--", linewidth=1)
            ax.annotate(f"tolerance {tolerance:g}", (tolerance, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -10), textcoords="offset points", color=FAIL, fontsize=7)
        ax.set_xlabel(f"per-job gap between the top-{k} {attribute_label(attribute).lower()} "
                      "mix and the target")
        ax.set_ylabel("jobs")
        ax.yaxis.grid(True, color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        fig.tight_layout()
        return to_svg(fig)
