"""Atomic file writes: write to a temporary file in the same folder, then rename.

A crash or an error half-way never leaves a half-written output behind, and an
existing file is only replaced once the new one is complete (or, with
``overwrite=False``, never replaced at all). Every ``OSError`` on the way (a full
disk, a read-only folder) becomes one :class:`~fairaudit.errors.OutputError`
that names the file.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Iterator, Mapping

from .errors import FairauditError, OutputError


def _why(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{reason}; free some space or write elsewhere"
    return reason


def _publish(tmp: Path, target: Path, overwrite: bool) -> None:
    """Move the finished temporary file onto ``target``."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        # link() fails if the name exists: no window in which a file written by
        # someone else could be replaced (unlike exists() followed by replace())
        os.link(tmp, target)
    except FileExistsError:
        raise OutputError(f"{target} already exists; it was left untouched") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # file systems without hard links: best effort
        if target.exists():
            raise OutputError(f"{target} already exists; it was left untouched") from None
        os.replace(tmp, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "", *, overwrite: bool = True,
                _publish_on_exit: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final file.
    suffix : str
        Suffix of the temporary file.
    overwrite : bool
        Replace an existing ``path`` (atomically). With False an existing
        file is never touched and :class:`OutputError` is raised instead.

    Raises
    ------
    OutputError
        The folder cannot be created or written, the disk is full, or
        ``path`` exists and ``overwrite`` is False. The temporary file is removed.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create output folder {parent}: {_why(exc)}") from None
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output folder {parent} is not writable; choose another --out")
    if not overwrite and target.exists():
        raise OutputError(f"{target} already exists; it was left untouched")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_why(exc)}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        # mkstemp creates 0600; give the final file the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        yield tmp_path
        if _publish_on_exit:
            _publish(tmp_path, target, overwrite)
    except FairauditError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_why(exc)}") from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", *,
                overwrite: bool = True) -> Iterator[IO]:
    """Open a temporary file for writing; it becomes ``path`` only if the block succeeds."""
    if "b" in mode:
        encoding = None
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())


def write_text(path: str | os.PathLike, text: str, *, overwrite: bool = True) -> None:
    with atomic_open(path, "w", overwrite=overwrite) as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> None:
    with atomic_open(path, "wb", overwrite=overwrite) as fh:
        fh.write(data)


def _backup(target: Path) -> Path | None:
    """A second name for the file at ``target`` (a hard link, or a copy where links fail), or None."""
    if not os.path.lexists(target):
        return None
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".backup", dir=target.parent)
    os.close(fd)
    backup = Path(name)
    try:
        os.unlink(backup)
        os.link(target, backup, follow_symlinks=False)
    except OSError:  # no hard links here, or an immutable file: copy it instead
        shutil.copy2(target, backup, follow_symlinks=False)
    return backup


def _roll_back(published: list[tuple[Path, Path | None]]) -> list[Path]:
    """Put back what ``published`` replaced (remove what it added); the backups that could not be restored."""
    stuck = []
    for target, backup in reversed(published):
        try:
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
        except OSError:
            if backup is not None:
                stuck.append(backup)
    return stuck


def write_all(files: Mapping[str | os.PathLike, bytes], *, overwrite: bool = True) -> None:
    """Write several files so that all of them are replaced or, on an error, none of them.

    Every file is written completely to a temporary file first; only then are
    they moved into place, each existing file keeping a second name (a hard link)
    until all are in place. When any of them fails (a folder or an immutable file
    in the way, a full disk), the files already moved are removed again and the
    ones they replaced are restored, so a report and its sidecar always belong
    together. With ``overwrite=False`` nothing existing is touched at all.

    Parameters
    ----------
    files : mapping of path-like to bytes
        Each file and its whole content.
    overwrite : bool
        Replace existing files (default); with False an existing file is an error.

    Raises
    ------
    OutputError
        As :func:`atomic_path`, or a target is a folder; what was there before is left as it was.
    """
    for target in files:
        if Path(target).is_dir():
            raise OutputError(f"cannot write {target}: it is a folder; choose another name")
    with contextlib.ExitStack() as stack:
        temps = []
        for target, data in files.items():
            tmp = stack.enter_context(atomic_path(target, overwrite=overwrite, _publish_on_exit=False))
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise OutputError(f"cannot write {target}: {_why(exc)}") from None
            temps.append((tmp, Path(target)))
        published: list[tuple[Path, Path | None]] = []
        try:
            for tmp, target in temps:
                backup = None
                try:
                    backup = _backup(target) if overwrite else None
                    _publish(tmp, target, overwrite)
                except OSError as exc:
                    if backup is not None:
                        backup.unlink(missing_ok=True)
                    raise OutputError(f"cannot write {target}: {_why(exc)}") from None
                except BaseException:
                    if backup is not None:
                        backup.unlink(missing_ok=True)
                    raise
                published.append((target, backup))
        except BaseException as exc:
            stuck = _roll_back(published)
            if stuck and isinstance(exc, FairauditError):
                raise OutputError(f"{exc}; the earlier file(s) could not be put back and are kept as "
                                  f"{', '.join(map(str, stuck))}") from None
            raise
        for _, backup in published:
            if backup is not None:
                backup.unlink(missing_ok=True)
