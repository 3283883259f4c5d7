"""One exception family for every error a user can cause.

Each message says what is wrong *and* what to do about it; the CLI prints the
message alone (no traceback) and exits non-zero.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["FairauditError", "DataError", "ConfigError", "RecommenderError", "ModelError", "OutputError",
           "HistoryError", "ReportError", "SigningError", "VerificationError", "FairauditWarning"]


class FairauditError(Exception):
    """Base class of all user-facing errors."""

    exit_code: int = 2


class DataError(FairauditError):
    """Input data is missing, malformed or inconsistent."""


class ConfigError(FairauditError):
    """A parameter or configuration file is invalid."""


class RecommenderError(FairauditError):
    """A recommender failed or returned unusable scores (NaN, inf, wrong shape)."""


class ModelError(FairauditError):
    """A model or adapter cannot be found or loaded."""


class OutputError(FairauditError):
    """An output file cannot be written (full disk, read-only folder, name already taken)."""


class HistoryError(FairauditError):
    """The review history database cannot be opened, read or written."""


class ReportError(FairauditError):
    """A report cannot be rendered or written."""


class SigningError(FairauditError):
    """A key, certificate or signature cannot be loaded or created."""


class VerificationError(FairauditError):
    """A signed report failed verification."""

    exit_code = 1


class FairauditWarning(UserWarning):
    """Something the user should know that does not stop the run (a skipped attribute,
    jobs whose top-k is decided by row order). The CLI prints it as one line."""


def read_input_bytes(path: str | os.PathLike, what: str, expected: str,
                     error: type[FairauditError] = DataError, max_bytes: int | None = None) -> bytes:
    """The bytes of a file the user named, or one readable ``error`` saying why not.

    ``what`` names the file in "<what> not found: PATH"; ``expected`` completes
    "PATH is a folder; pass <expected>". With ``max_bytes``, at most
    ``max_bytes + 1`` bytes are read, so that a caller can refuse a longer file
    without loading it.
    """
    p = Path(path)
    try:
        if max_bytes is None:
            return p.read_bytes()
        with open(p, "rb") as fh:
            return fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{what} not found: {p}") from None
    except IsADirectoryError:
        raise error(f"{p} is a folder; pass {expected}") from None
    except OSError as exc:
        raise error(f"cannot read {p}: {exc.strerror or exc}") from None
