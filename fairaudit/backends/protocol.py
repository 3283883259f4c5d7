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
# A Protocol has no constructor: its signature is typing's (*args, **kwargs), nothing to document.
class Backend(Protocol):  # numpydoc ignore=PR01
    """Where the jobs x candidates scoring runs.

    A backend has a ``name`` (recorded in the audit's provenance) and a
    :meth:`rank` method; :class:`~fairaudit.backends.LocalBackend` and
    :class:`~fairaudit.backends.RayBackend` subclass it.
    """

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

        The same contract as :func:`fairaudit.recommenders.rank`: two backends
        given the same recommender and texts return equal :class:`~fairaudit.recommenders.Rankings`.

        Parameters
        ----------
        recommender : Recommender
            Fitted on the candidate texts (a Ray backend may fit it itself).
        job_texts : sequence of str
            The job texts, in the order of the result's rows.
        k_max : int
            Largest k any metric will ask for (at most ``n_candidates``).
        group_codes : mapping, optional
            ``{attribute: (code of each candidate, number of codes)}``
            (:data:`GroupCodes`): the groups whose above-median counts are kept.
        n_candidates : int
            Pool size (to check the recommender's output shape).
        progress : callable, optional
            Wraps the iterable of job blocks, e.g. in a progress bar.

        Returns
        -------
        Rankings
        """
        ...
