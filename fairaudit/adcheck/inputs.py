"""The inputs of the one-ad check: the ad's text (and its size limit), the candidate pool, the cut-offs."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..data.io import load_candidates, validate_candidates
from ..errors import DataError, read_input_bytes
from ..options import MAX_AD_CHARS, parse_ks
from ..recommenders.base import check_k

#: What the check runs on when no candidates are given.
SYNTHETIC_POOL = ("the packaged synthetic pool (fairaudit.datasets.make_hiring_data: 2,000 candidates, seed 0; "
                  "not real people)")


def read_ad(path: str | os.PathLike) -> str:
    """The text of an ad file (UTF-8, a byte-order mark is dropped).

    Raises
    ------
    DataError
        The file is missing, a folder, not UTF-8, or holds no text.
    """
    p = Path(path)
    # UTF-8 spends at most 4 bytes a character (and 3 on a byte-order mark): a longer file is too long
    raw = read_input_bytes(p, "ad file", "the ad as a text file", max_bytes=4 * MAX_AD_CHARS + 3)
    if len(raw) > 4 * MAX_AD_CHARS + 3:
        raise DataError(_too_long(f"{p} is larger than {4 * MAX_AD_CHARS + 3:,} bytes"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{p} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                        "save it as UTF-8") from None
    return check_text(text, str(p))


def _too_long(what: str) -> str:
    return (f"{what}: an ad may hold at most {MAX_AD_CHARS:,} characters (fairaudit.options.MAX_AD_CHARS); "
            "check the job ad itself, not a document that contains it")


def check_text(text: Any, source: str = "the ad") -> str:
    """``text`` as a stripped string; DataError when it is not text, holds none or is longer than :data:`fairaudit.options.MAX_AD_CHARS`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{source} is not UTF-8 text; decode it or save it as UTF-8") from None
    if not isinstance(text, str):
        raise DataError(f"{source} must be text, got {type(text).__name__}")
    if "\x00" in text:
        raise DataError(f"{source} holds NUL bytes: is it a binary file? pass the ad as plain text")
    if not text.strip():
        raise DataError(f"{source} is empty; write the job ad's text in it")
    if len(text.strip()) > MAX_AD_CHARS:
        raise DataError(_too_long(f"{source} holds {len(text.strip()):,} characters"))
    return text.strip()


def default_title(text: str) -> str:
    """The first line of a multi-line ad when it is short enough to be a title, else ""."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[0].rstrip(".:") if len(lines) > 1 and len(lines[0]) <= 80 else ""


def resolve_pool(candidates: Any, columns: dict[str, str] | None = None, sep: str | None = None
                 ) -> tuple[pd.DataFrame, str, bool]:
    """``(candidates, description, synthetic)``: a file, a DataFrame, or None for the packaged synthetic pool."""
    if candidates is None:
        from ..data.datasets import make_hiring_data

        return make_hiring_data(seed=0)[1], SYNTHETIC_POOL, True
    if isinstance(candidates, pd.DataFrame):
        return validate_candidates(candidates, "candidates"), f"{len(candidates):,} candidates (DataFrame)", False
    return load_candidates(candidates, columns, sep=sep), str(candidates), False


def check_ks(k: int | Sequence[int], n_candidates: int) -> list[int]:
    """Distinct cut-offs (:func:`fairaudit.options.parse_ks`), each within the pool, in the order given."""
    ks = parse_ks(k)
    for v in ks:
        check_k(v, n_candidates)
    return list(ks)
