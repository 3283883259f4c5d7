"""Where the jobs x candidates scoring runs: in this process or on a Ray cluster.

Both backends return the same :class:`~fairaudit.recommenders.base.Rankings`
(bit-identical indices and scores, equal above-median tables) on the same data,
so every metric computed from them is equal too.

>>> from fairaudit.backends import get_backend
>>> get_backend("local").name
'local'
"""
from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .local import LocalBackend, merge_topk, rankings_equal, read_parquet_folder
from .protocol import Backend, GroupCodes

__all__ = ["Backend", "GroupCodes", "LocalBackend", "RayBackend", "get_backend", "merge_topk", "rankings_equal",
           "read_parquet_folder", "recall_at_k"]


def __getattr__(name: str) -> Any:
    # ray is an optional extra; import its backend only when asked for
    if name in ("RayBackend", "recall_at_k"):
        from . import ray as _ray

        return getattr(_ray, name)
    raise AttributeError(name)


def get_backend(spec: "str | Backend | None" = None, **options: Any) -> Backend:
    """Backend from a name: ``"local"``, ``"ray"`` (local Ray or ``RAY_ADDRESS``),
    ``"ray://host:port"`` / ``"ray:auto"`` (a cluster), or a Backend instance (returned as is).

    Parameters
    ----------
    spec : str or Backend, optional
        ``"local"`` (also None), ``"ray"``, ``"ray://host:port"``, ``"ray:<address>"``
        or a Backend.
    **options
        Passed to the backend's constructor (e.g. ``block_size``).

    Returns
    -------
    Backend

    Raises
    ------
    ConfigError
        Any other spec.
    """
    if spec is None or spec == "local":
        return LocalBackend(**options)
    if not isinstance(spec, str):
        if isinstance(spec, Backend):
            return spec
        raise ConfigError(f"backend must be 'local', 'ray', 'ray://host:port' or a Backend, got {spec!r}")
    from .ray import RayBackend

    if spec == "ray":
        return RayBackend(**options)
    if spec.startswith("ray://"):
        return RayBackend(address=spec, **options)
    if spec.startswith("ray:"):
        return RayBackend(address=spec[4:], **options)
    raise ConfigError(f"unknown backend {spec!r}; use 'local', 'ray' or 'ray://host:port'")
