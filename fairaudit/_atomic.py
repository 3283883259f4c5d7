"""Old private name of :mod:`fairaudit.atomic`; kept until ``rewriting/`` and the benchmarks import the public one."""
from .atomic import atomic_open, atomic_path, write_all, write_text  # noqa: F401

__all__ = ["atomic_open", "atomic_path", "write_all", "write_text"]
