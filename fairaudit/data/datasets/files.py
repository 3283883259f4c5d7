"""Write the synthetic hiring data to files: example inputs for the command line.

``fairaudit datasets write DIR`` calls :func:`write_hiring_data`, so a first
``fairaudit audit --jobs DIR/jobs.csv --candidates DIR/candidates.csv`` has data
to read. The two files appear together or not at all (:func:`fairaudit.atomic.write_all`),
and existing files are never replaced unless asked: they may be someone's real data.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from ...atomic import write_all
from ...errors import OutputError
from ...paths import guard_outputs
from ..csvsafe import write_csv
from .hiring import make_hiring_data

__all__ = ["HiringDataFiles", "write_hiring_data"]

#: The file names written into the folder (what ``fairaudit audit --jobs/--candidates`` reads).
JOBS_FILE, CANDIDATES_FILE = "jobs.csv", "candidates.csv"


@dataclass(frozen=True)
class HiringDataFiles:
    """The files :func:`write_hiring_data` wrote.

    Parameters
    ----------
    jobs : Path
        The jobs CSV (``job_id``, ``title``, ``text``, ``occupation``, ``coding``, ``family``).
    candidates : Path
        The candidates CSV (``candidate_id``, ``text``, ``sex``, ``race_ethnicity``, ...).
    n_jobs : int
        Rows of the jobs file.
    n_candidates : int
        Rows of the candidates file.
    """

    jobs: Path
    candidates: Path
    n_jobs: int
    n_candidates: int


def _csv_bytes(frame) -> bytes:
    buf = io.StringIO()
    write_csv(frame, buf)
    return buf.getvalue().encode("utf-8")


def write_hiring_data(out_dir: Union[str, "os.PathLike[str]"], n_jobs: int = 200, n_candidates: int = 2000,
                      seed: int = 0, *, overwrite: bool = False) -> HiringDataFiles:
    """Write :func:`make_hiring_data`'s jobs and candidates as ``jobs.csv`` and ``candidates.csv``.

    Parameters
    ----------
    out_dir : path-like
        Folder for the two files (created if missing).
    n_jobs : int
        Number of synthetic job ads.
    n_candidates : int
        Number of synthetic candidates.
    seed : int
        Seed of :func:`make_hiring_data`: the same arguments always write identical files.
    overwrite : bool
        Replace existing ``jobs.csv`` / ``candidates.csv`` in ``out_dir``. By
        default an existing file is an error, raised before any data is generated.

    Returns
    -------
    HiringDataFiles
        The two paths and their row counts.

    Raises
    ------
    OutputError
        A file exists (and ``overwrite`` is False), or the folder cannot be written.
    ConfigError
        Invalid sizes (from :class:`HiringDataConfig`).

    Examples
    --------
    >>> import tempfile
    >>> files = write_hiring_data(tempfile.mkdtemp(), 20, 100, seed=1)
    >>> files.jobs.name, files.n_candidates
    ('jobs.csv', 100)
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder: choose a folder for jobs.csv and candidates.csv")
    jobs_path, cands_path = out / JOBS_FILE, out / CANDIDATES_FILE
    guard_outputs({}, {"the jobs file": jobs_path, "the candidates file": cands_path})
    if not overwrite:
        taken = [str(p) for p in (jobs_path, cands_path) if p.exists()]
        if taken:  # checked first: no minutes of generating data to then refuse
            raise OutputError(f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''}; they may be "
                              "real data and were left untouched: choose another folder or pass --force")
    jobs, cands = make_hiring_data(n_jobs, n_candidates, seed=seed)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    write_all({jobs_path: _csv_bytes(jobs), cands_path: _csv_bytes(cands)}, overwrite=overwrite)
    return HiringDataFiles(jobs=jobs_path, candidates=cands_path, n_jobs=len(jobs), n_candidates=len(cands))
