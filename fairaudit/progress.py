"""Progress output for long work: tqdm bars and one-line stage messages on stderr.

Public so that every layer (the audit, the embedding cache, ``fairaudit.rewriting``)
reports progress the same way; both are silent when disabled. :class:`StageLog`
records how long each stage of an audit took and how many texts it embedded,
and :func:`embedding_estimate` turns a count of texts to embed into a time estimate.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, TypeVar

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


def duration_text(seconds: float) -> str:
    """A rough duration for an estimate: ``"40 s"``, ``"3.5 min"``, ``"1.2 h"``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def embedding_estimate(n_new: int, rate: float | None) -> str:
    """``", 480 to embed, about 12 s"``: what a stage will embed and, once a rate is known, how long it takes."""
    if n_new <= 0:
        return ", all embeddings cached"
    eta = f", about {duration_text(n_new / rate)}" if rate else ""
    return f", {n_new:,} to embed{eta}"


@dataclass
class StageLog:
    """Wall time and texts embedded per stage of a run (machine-specific; kept out of result files).

    ``texts_embedded`` sums the ``n_encoded`` counters of the recommenders a
    stage watches (those without the counter count 0).
    """

    stages: list[dict[str, Any]] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, name: str, *recommenders: Any) -> Iterator[list[Any]]:
        """Time the enclosed block; append recommenders created inside it to the yielded list."""
        watched = list(recommenders)
        before = {id(r): getattr(r, "n_encoded", 0) for r in watched}
        t0 = time.perf_counter()
        try:
            yield watched
        finally:
            n = sum(getattr(r, "n_encoded", 0) - before.get(id(r), 0) for r in watched)
            self.stages.append({"stage": name, "seconds": round(time.perf_counter() - t0, 3), "texts_embedded": int(n)})
