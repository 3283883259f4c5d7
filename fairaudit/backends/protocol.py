"""The one contract of a backend: :class:`Backend` and its :meth:`Backend.rank` signature.

Every backend (:class:`~fairaudit.backends.LocalBackend`,
:class:`~fairaudit.backends.RayBackend`) subclasses :class:`Backend`, and
``tests/test_backends_protocol.py`` checks that each ``rank`` accepts the
protocol's parameters in the protocol's order (a backend may add keyword-only
options after them, e.g. the Ray backend's ``candidates``). The per-block work
every backend shares is :func:`fairaudit.recommenders.base.rank_block`.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from ..recommenders.base import Rankings, Recommender

#: ``{attribute: (code of each candidate, number of codes)}``: the groups whose above-median counts are kept.
GroupCodes = Mapping[str, tuple[np.ndarray, int]]
#: Wraps the iterable of job blocks, e.g. in a progress bar.
Progress = Callable[[Iterable], Iterable]


@runtime_checkable
class Backend(Protocol):
    """Where the jobs x candidates scoring runs."""

    name: str

    def rank(
        self,
        recommender: Recommender,
        job_texts: Sequence[str],
        k_max: int,
        group_codes: GroupCodes | None = None,
        *,
        n_candidates: int,
        progress: Progress | None = None,
    ) -> Rankings:
        """Each job's top ``k_max`` candidates (indices, scores) and the above-median group counts.

        The same contract as :func:`fairaudit.recommenders.base.rank`: two backends
        given the same recommender and texts return equal :class:`Rankings`.
        """
        ...
