"""The result of the three-way cause split: :class:`CauseSplit`, its table, its words.

The quantities are defined in ``fairaudit.engine.cause_split``; an audit keeps
the table as ``tables["cause_split"]`` and the rest as ``summary["cause_split"]``
(:meth:`CauseSplit.summary`), and :meth:`CauseSplit.from_result` joins them again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["CauseSplit", "COLUMNS", "PARTS", "not_split", "split_lines"]

#: The parts of the mean gap against the pool, in the order of the table (``total`` first).
PARTS = ("who_applied", "identity_cues", "job_text", "residual")
#: How each part is named in sentences.
PART_WORDS = {"total": "mean gap against the whole pool", "who_applied": "who applied",
              "identity_cues": "identity cues in profiles", "job_text": "job text", "residual": "residual"}
#: The lever each part points to, for the sentence under the split.
LEVERS = {
    "who_applied": "the candidate sets: who applies or is made eligible (sourcing, outreach, eligibility rules); "
                   "neither the ranking nor a rewrite of the ranked text moves it",
    "identity_cues": "the recommender reads names, titles and pronouns in the profiles: mask them before ranking "
                     "or fix the model; rewriting the ad cannot fix it",
    "job_text": "rewrite the job text (AutoRefine, guided by the word drivers)",
    "residual": "the profiles' content (what differs between the groups' profiles beyond identity cues), which "
                "none of the three levers reaches",
}
#: The table's columns, in order (defined in :data:`fairaudit.data.columns.TABLES`).
COLUMNS = ("k", "attribute", "part", "value", "share", "chance_median", "chance_low", "chance_high", "p_value",
           "beyond_chance", "n_jobs", "computed", "reason")


def not_split(reason: str, k: int | None = None) -> "CauseSplit":
    """A split that could not be computed at all, with the reason (e.g. an audit without candidate sets).

    Parameters
    ----------
    reason : str
        Why, in words that end a sentence starting "not computed: ".
    k : int, optional
        The audit's headline k.
    """
    return CauseSplit(table=pd.DataFrame(columns=list(COLUMNS)), k=k, text="none", n_draws=0, alpha=0.05,
                      not_computed={}, reason=reason)


def _plain(v: Any) -> Any:
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    return None if v is pd.NA else v


@dataclass(frozen=True)
class CauseSplit:
    """The split of each attribute's gap into who applied, identity cues, job text and a residual.

    Parameters
    ----------
    table : DataFrame
        One row per k, attribute and part (``COLUMNS``; ``part`` ``"total"`` first, then ``PARTS``).
    k : int or None
        The audit's headline k.
    text : str
        How the job texts were neutralised: ``"lexicon"`` (gender-coded words replaced by neutral
        words), ``"given"`` (texts you passed) or ``"none"``.
    n_draws : int
        Draws of each null.
    alpha : float
        The level of "beyond chance".
    not_computed : dict
        Part -> why it was not computed.
    reason : str, default ""
        Why nothing was computed (empty when the table has rows).
    """

    table: pd.DataFrame
    k: int | None
    text: str
    n_draws: int
    alpha: float
    not_computed: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def computed(self) -> bool:
        """Whether any part was computed."""
        return bool(len(self.table)) and bool(self.table["computed"].astype(bool).any())

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy): one row per k, attribute and part."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: the settings, the reasons and ``rows`` (the table's records, NaN as None)."""
        rows = [{c: _plain(v) for c, v in r.items()} for r in self.table.to_dict("records")]
        return {"computed": self.computed, "k": self.k, "text": self.text, "n_draws": int(self.n_draws),
                "alpha": float(self.alpha), "not_computed": dict(self.not_computed), "reason": self.reason,
                "rows": rows}

    def summary(self) -> dict[str, Any]:
        """:meth:`to_dict` without the rows: what the audit keeps in ``summary["cause_split"]``."""
        return {key: v for key, v in self.to_dict().items() if key != "rows"}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] | pd.DataFrame | None = None
                  ) -> "CauseSplit":
        """Rebuild a split from :meth:`to_dict` (or from :meth:`summary` and the table's rows).

        Parameters
        ----------
        d : mapping
            :meth:`to_dict`'s output, or :meth:`summary`'s.
        rows : sequence of mapping or DataFrame, optional
            The table, when ``d`` has no ``rows``.
        """
        rows = d.get("rows", []) if rows is None else rows
        table = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        table = table.reindex(columns=list(COLUMNS)) if len(table) else pd.DataFrame(columns=list(COLUMNS))
        for col in ("value", "share", "chance_median", "chance_low", "chance_high", "p_value"):
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
        return cls(table=table.reset_index(drop=True), k=d.get("k"), text=str(d.get("text") or "none"),
                   n_draws=int(d.get("n_draws") or 0), alpha=float(d.get("alpha") or 0.05),
                   not_computed=dict(d.get("not_computed") or {}), reason=str(d.get("reason") or ""))

    @classmethod
    def from_result(cls, result: Any) -> "CauseSplit":
        """The split stored in an audit result (``summary["cause_split"]`` and the ``cause_split`` table).

        Parameters
        ----------
        result : AuditResult
            An audit, new or read from its JSON file.
        """
        meta = (result.summary or {}).get("cause_split")
        if not meta:
            return not_split("the audit holds no cause split (it was written by an earlier version of fairaudit)",
                             int(result.config.ks[0]))
        return cls.from_dict(meta, result.tables.get("cause_split", pd.DataFrame(columns=list(COLUMNS))))

    def parts(self, attribute: str, k: int | None = None) -> dict[str, dict[str, Any]]:
        """Part -> its row, for one attribute at ``k`` (default the headline k).

        Parameters
        ----------
        attribute : str
            An audited attribute.
        k : int, optional
            The cut-off.
        """
        k = self.k if k is None else k
        t = self.table[(self.table["attribute"] == attribute) & (self.table["k"] == k)]
        return {r["part"]: r for r in t.to_dict("records")}

    def lever(self, attribute: str, k: int | None = None) -> str:
        """Which lever the split points to for ``attribute``: its largest positive part beyond chance.

        Parameters
        ----------
        attribute : str
            An audited attribute.
        k : int, optional
            The cut-off (default the headline k).
        """
        rows = self.parts(attribute, k)
        beyond = [(r["value"], p) for p, r in rows.items() if p != "total" and judged(r) is True and r["value"] > 0]
        if not beyond:
            return ("no part of the gap is beyond chance" if any(judged(r) is not None for r in rows.values())
                    else "no chance level in this audit, so no part is judged")
        part = max(beyond)[1]
        return f"{PART_WORDS[part]} is the largest part beyond chance: {LEVERS[part]}"


def judged(row: Mapping[str, Any]) -> bool | None:
    """A row's ``beyond_chance`` as True, False or None (no chance level), whatever the table's dtype.

    Parameters
    ----------
    row : mapping
        One row of the ``cause_split`` table.
    """
    v = row.get("beyond_chance")
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v)


def split_lines(split: CauseSplit) -> list[str]:
    """One line per attribute at the headline k for the terminal; none when nothing was computed."""
    if not split.computed:
        return []
    out = []
    for attr in dict.fromkeys(split.table["attribute"]):
        rows = split.parts(attr)
        if "total" not in rows:
            continue
        words = []
        for p in PARTS:
            r = rows[p]
            if not r["computed"]:
                words.append(f"{PART_WORDS[p]} not computed")
                continue
            verdict = {None: "", True: ", beyond chance", False: ", within chance"}[judged(r)]
            words.append(f"{PART_WORDS[p]} {r['value']:+.3f}{verdict}")
        out.append(f"Where the {attr} gap comes from (k={split.k}, mean gap {rows['total']['value']:.3f} against the "
                   f"whole pool): " + "; ".join(words) + f". Lever: {split.lever(attr)}.")
    return out
