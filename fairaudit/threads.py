"""How many CPU threads the embedding model uses: all usable cores, unless the process is one of many.

torch runs a transformer's matrix products on an OpenMP thread pool. One
process on an otherwise idle machine is fastest with one thread per usable
core; several processes each running one thread per core (Ray workers, a
``multiprocessing`` / ``concurrent.futures`` process pool) oversubscribe the
CPU and can run many times slower than with one thread each. The rule, in
order (:func:`default_threads`):

1. ``$FAIRAUDIT_THREADS``, when set (a positive integer);
2. ``$OMP_NUM_THREADS``, when set: Ray sets it for every task and actor to the
   CPUs it reserved (1 by default), joblib's loky workers to their share of
   the cores, and a user may set it for any process;
3. one thread in a child process of :mod:`multiprocessing` (the workers of a
   process pool), whose siblings share the cores;
4. otherwise every usable core: the CPU affinity mask
   (:func:`os.sched_getaffinity`), capped by a cgroup v2 CPU quota
   (``/sys/fs/cgroup/cpu.max``) when one is set.

:func:`torch_threads` applies a thread count around one piece of work and
restores the previous setting afterwards, so a caller's own
``torch.set_num_threads`` (e.g. one thread for text generation) is left as it was.

References
----------
.. [1] OpenMP Architecture Review Board, "OpenMP Application Programming
       Interface" 5.2, section 21.1 (``OMP_NUM_THREADS``).
.. [2] Ray documentation, "Configuring parallelism with OMP_NUM_THREADS".
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
from pathlib import Path
from typing import Iterator, Mapping

from .errors import ConfigError

__all__ = ["default_threads", "usable_cpus", "torch_threads", "check_threads"]


def _positive_int(value: str | None) -> int | None:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 1 else None


def _cgroup_quota(path: Path = Path("/sys/fs/cgroup/cpu.max")) -> int | None:
    """CPUs allowed by a cgroup v2 quota (``"max 100000"`` means none), rounded up."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    try:
        return max(1, math.ceil(int(quota) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def usable_cpus() -> int:
    """Cores this process may run on: the affinity mask, capped by a cgroup v2 CPU quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(n, quota) if quota else n)


def default_threads(environ: Mapping[str, str] | None = None, in_worker: bool | None = None) -> int:
    """The number of torch threads fairaudit uses when none is given (see the module docstring).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read (default :data:`os.environ`).
    in_worker : bool, optional
        Whether this is a child process of :mod:`multiprocessing` (default: detected).
    """
    env = os.environ if environ is None else environ
    for var in ("FAIRAUDIT_THREADS", "OMP_NUM_THREADS"):
        n = _positive_int(env.get(var))
        if n is not None:
            return n
    if in_worker is None:
        in_worker = multiprocessing.parent_process() is not None
    return 1 if in_worker else usable_cpus()


def check_threads(threads: int | None) -> int | None:
    """``threads`` validated: None (automatic) or a positive integer."""
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ConfigError(f"threads must be a positive integer or None (automatic), got {threads!r}")
    return threads


@contextlib.contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """Run the enclosed torch work with ``threads`` intra-op threads (None: :func:`default_threads`).

    The previous setting is restored on exit. Yields the number of threads used.
    """
    import torch

    n = check_threads(threads) or default_threads()
    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
