"""Encode candidates' protected attributes as integer group codes.

Known groups get codes ``0..G-1`` (in the canonical order of
:data:`fairaudit.data.io.LABELS`, then alphabetical); ``unknown`` always gets code
``G`` so that it is counted (NYC LL144 asks for the unknown count) but never
rated. The intersection ``sex_race`` is ``"<sex>|<race_ethnicity>"`` and
unknown when either part is unknown.

:func:`usable_encodings` decides which attributes an audit can rate (and why
the others are skipped).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError
from .group_labels import LABELS, UNKNOWN

INTERSECTION = "sex_race"  # attribute name of sex x race_ethnicity


@dataclass(frozen=True)
class GroupEncoding:
    """Integer codes of one attribute over the candidate pool."""

    attribute: str
    labels: tuple[str, ...]  # known groups, code order
    codes: np.ndarray  # (n_candidates,) int, UNKNOWN -> len(labels)
    source: str = "self-reported"  # or "inferred"

    @property
    def n_known(self) -> int:
        return len(self.labels)

    @property
    def n_codes(self) -> int:
        """Known groups plus the unknown bucket."""
        return len(self.labels) + 1

    @property
    def pool_counts(self) -> np.ndarray:
        """Candidates per code (length ``n_codes``; last = unknown)."""
        return np.bincount(self.codes, minlength=self.n_codes)

    def all_labels(self) -> list[str]:
        return [*self.labels, UNKNOWN]


def _order(attribute: str, present: Sequence[str]) -> tuple[str, ...]:
    canon = list(LABELS.get(attribute, {}))
    known = [g for g in canon if g in present]
    return tuple(known + sorted(g for g in present if g not in canon))


def attribute_values(candidates: pd.DataFrame, attribute: str, use_inferred: bool = False) -> tuple[pd.Series, str]:
    """The label column for ``attribute`` (self-reported, else inferred if allowed)."""
    if attribute == INTERSECTION:
        sex, s1 = attribute_values(candidates, "sex", use_inferred)
        race, s2 = attribute_values(candidates, "race_ethnicity", use_inferred)
        both = (sex != UNKNOWN) & (race != UNKNOWN)
        values = (sex + "|" + race).where(both, UNKNOWN)
        return values, s1 if s1 == s2 else f"{s1}/{s2}"
    if attribute in candidates.columns and (candidates[attribute] != UNKNOWN).any():
        return candidates[attribute].astype(str), "self-reported"
    inferred = f"{attribute}_inferred"
    if use_inferred and inferred in candidates.columns:
        return candidates[inferred].astype(str), "inferred"
    hint = (" or infer it from names with --infer-attributes (Python: fairaudit.data.proxy.infer_attributes, "
            "then use_inferred=True)") if "name" in candidates.columns else ""
    if attribute in candidates.columns:
        raise DataError(f"every candidate's {attribute!r} is unknown (blank); fill in the values{hint}")
    raise DataError(f"candidates have no {attribute!r} column; add it{hint}")


def encode(candidates: pd.DataFrame, attribute: str, use_inferred: bool = False) -> GroupEncoding:
    """Encode one attribute; raises DataError if it has no known values."""
    values, source = attribute_values(candidates, attribute, use_inferred)
    present = sorted(set(values.unique()) - {UNKNOWN})
    if not present:
        raise DataError(f"every candidate's {attribute!r} is unknown; nothing to audit")
    labels = _order(attribute, present) if attribute != INTERSECTION else tuple(
        f"{s}|{r}" for s in LABELS["sex"] for r in LABELS["race_ethnicity"] if f"{s}|{r}" in present
    ) + tuple(sorted(p for p in present if p.split("|")[0] not in LABELS["sex"]
                     or p.split("|")[-1] not in LABELS["race_ethnicity"]))
    lookup = {g: i for i, g in enumerate(labels)}
    codes = values.map(lambda v: lookup.get(v, len(labels))).to_numpy(dtype=np.int64)
    return GroupEncoding(attribute=attribute, labels=labels, codes=codes, source=source)


NO_ATTRIBUTES_HINT = ("add self-reported 'sex' and/or 'race_ethnicity' columns, or infer them from a 'name' column "
                      "with --infer-attributes (Python: fairaudit.data.proxy.infer_attributes, then use_inferred=True)")


def candidate_attributes(candidates: pd.DataFrame, use_inferred: bool) -> tuple[str, ...]:
    """The protected attributes the candidates have a column for (their values are checked later)."""
    present = [a for a in ("sex", "race_ethnicity")
               if a in candidates.columns or (use_inferred and f"{a}_inferred" in candidates.columns)]
    if not present:
        raise DataError(f"candidates have neither a 'sex' nor a 'race_ethnicity' column; {NO_ATTRIBUTES_HINT}")
    if len(present) == 2:
        present.append(INTERSECTION)
    return tuple(present)


def usable_encodings(candidates: pd.DataFrame, attributes: Sequence[str], use_inferred: bool
                     ) -> tuple[list[GroupEncoding], list[str]]:
    """Encode each attribute; skip (with a warning text) those an impact ratio cannot be computed for.

    An attribute whose values are all unknown (blank), or with a single known
    group (e.g. an all-female pool), is skipped and the rest are audited. The
    intersection is kept only with both of its parts.

    Returns
    -------
    encodings : list of GroupEncoding
    warnings : list of str, one per skipped attribute

    Raises
    ------
    DataError
        If no attribute is usable (the message gives the reason of the first).
    """
    encodings, notes, reasons = [], [], []
    for attr in attributes:
        if attr == INTERSECTION and any(a in attributes and a not in {e.attribute for e in encodings}
                                        for a in ("sex", "race_ethnicity")):
            notes.append(f"attribute {INTERSECTION!r} skipped: it needs both 'sex' and 'race_ethnicity'")
            continue
        try:
            enc = encode(candidates, attr, use_inferred)
        except DataError as exc:
            reasons.append(str(exc))
            notes.append(f"attribute {attr!r} skipped: {exc}")
            continue
        if enc.n_known < 2:
            why = (f"only one {attr!r} group ({enc.labels[0]!r}) has candidates; "
                   "an impact ratio needs at least two groups to compare")
            reasons.append(why)
            notes.append(f"attribute {attr!r} skipped: {why}")
            continue
        encodings.append(enc)
    if not encodings:
        raise DataError(f"nothing to audit: {reasons[0] if reasons else 'no attribute'}")
    return encodings, notes
