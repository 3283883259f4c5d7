"""Progress output for long work: tqdm bars and one-line stage messages on stderr.

Public so that every layer (the audit, the embedding cache, ``fairaudit.rewriting``)
reports progress the same way; both are silent when disabled.
"""
from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")


def progress_bar(iterable: Iterable[T], enabled: bool = True, desc: str | None = None,
                 total: int | None = None, unit: str = "it") -> Iterable[T]:
    """``iterable`` wrapped in a tqdm bar (``iterable`` itself when not ``enabled``)."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, dynamic_ncols=True)


def status(message: str, enabled: bool = True) -> None:
    """One line of progress on stderr (a stage of long work), unless disabled."""
    if enabled:
        import sys

        print(message, file=sys.stderr, flush=True)
