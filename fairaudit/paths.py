"""Never write over an input: the output-versus-input check every command runs before any work.

A command's outputs (``--out``, and every path derived from it, such as a
report's JSON sidecar or a summary's figures) must not be one of its inputs,
nor another of its outputs, nor lie inside an input folder (a Parquet folder,
a key folder). Two paths name the same file when their real paths are equal
(``os.path.realpath`` follows symbolic links) or, for files that exist, when
they share a device and an inode (``os.path.samestat``: hard links, bind mounts,
case-insensitive file systems).

:func:`guard_outputs` raises one :class:`~fairaudit.errors.OutputError` (exit
code 2 in the CLI) naming both options, so nothing is read, computed or written
before the user has picked another name. Existing outputs that pass the check
are still only replaced atomically (:mod:`fairaudit.atomic`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional, Union

from .errors import OutputError

PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["same_file", "inside", "guard_outputs", "sqlite_file", "if_file"]


def _stat(path: Path) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (real path, or same device and inode)."""
    pa, pb = Path(a), Path(b)
    if os.path.realpath(pa) == os.path.realpath(pb):
        return True
    sa, sb = _stat(pa), _stat(pb)
    return sa is not None and sb is not None and os.path.samestat(sa, sb)


def inside(path: PathLike, folder: PathLike) -> bool:
    """True when ``path`` lies (at any depth) inside the existing folder ``folder``."""
    f = Path(folder)
    if not f.is_dir():
        return False
    parent = Path(os.path.realpath(Path(path))).parent
    sf = _stat(f)
    while True:
        if os.path.realpath(parent) == os.path.realpath(f):
            return True
        sp = _stat(parent)
        if sp is not None and sf is not None and os.path.samestat(sp, sf):
            return True
        if parent.parent == parent:
            return False
        parent = parent.parent


def sqlite_file(url: Optional[str]) -> Optional[Path]:
    """The file behind a ``sqlite:///`` URL, or None (another database, or in memory)."""
    if not url or not str(url).startswith("sqlite"):
        return None
    try:
        from sqlalchemy.engine import make_url

        database = make_url(str(url)).database
    except Exception:  # an invalid URL is reported by whoever opens it
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def if_file(value: Optional[PathLike]) -> Optional[Path]:
    """``value`` as a path when it names an existing file (options that take a file *or* inline text), else None."""
    try:
        return Path(value) if value is not None and Path(value).is_file() else None
    except (OSError, ValueError):
        return None


def _given(paths: Mapping[str, Optional[PathLike]]) -> list[tuple[str, Path]]:
    return [(name, Path(p)) for name, p in paths.items() if p is not None and str(p) != ""]


def guard_outputs(inputs: Mapping[str, Optional[PathLike]], outputs: Mapping[str, Optional[PathLike]]) -> None:
    """Refuse, before any work, outputs that would replace an input or each other.

    Parameters
    ----------
    inputs : mapping
        What the command reads, by the name the user knows it under (``"--audit"``);
        files or folders; None entries are ignored.
    outputs : mapping
        Every file (or folder) the command writes, derived ones included
        (``"the sidecar"``); None entries are ignored.

    Raises
    ------
    OutputError
        One line naming the output, the input (or other output) it clashes
        with, and what to do.
    """
    ins, outs = _given(inputs), _given(outputs)
    for o_name, o in outs:
        for i_name, i in ins:
            if same_file(o, i):
                raise OutputError(f"{o_name} {o} would overwrite the input {i_name} {i}; fairaudit never writes over "
                                  "its own inputs: choose another output name")
            if inside(o, i):
                raise OutputError(f"{o_name} {o} lies inside the input folder {i_name} {i}; fairaudit never "
                                  "writes into its own inputs: choose an output outside that folder")
            if inside(i, o):  # an output folder is replaced whole (e.g. a saved adapter)
                raise OutputError(f"the input {i_name} {i} lies inside the output folder {o_name} {o}, which "
                                  "would be replaced; choose an output folder that holds no input")
    for n, (a_name, a) in enumerate(outs):
        for b_name, b in outs[n + 1:]:
            if same_file(a, b):
                raise OutputError(f"{a_name} {a} and {b_name} {b} are the same file; each output needs its own "
                                  "name: choose another output name")
