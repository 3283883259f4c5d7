"""Old private name of :mod:`fairaudit.progress`; kept until ``rewriting/`` imports the public one."""
from .progress import progress_bar as progress  # noqa: F401
from .progress import status  # noqa: F401

__all__ = ["progress", "status"]
