"""Progress bars for long work (tqdm); silent when disabled or not on a terminal."""
from __future__ import annotations

from typing import Iterable, TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], enabled: bool = True, desc: str | None = None,
             total: int | None = None, unit: str = "it") -> Iterable[T]:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, leave=False, dynamic_ncols=True)


def status(message: str, enabled: bool = True) -> None:
    """One line of progress on stderr (a stage of long work), unless disabled."""
    if enabled:
        import sys

        print(message, file=sys.stderr, flush=True)
