"""HTML -> PDF (WeasyPrint), and the calls that build a signed report.

:func:`make_report` renders the HTML (:func:`~fairaudit.report.render_report`),
prints it to PDF with the sidecar's sha256 in the document metadata and signs
the PDF, all in memory. :func:`build_report` then writes ``report.pdf`` and
``report.json`` together (each to a temporary file renamed into place), so a
failure at any step leaves no partial report behind; a caller that writes other
files with the report (the periodic review) writes :func:`make_report`'s bytes itself.
"""
from __future__ import annotations

import hashlib
import logging
import os
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from ..atomic import write_all
from ..errors import FairauditError, FairauditWarning, ReportError
from ..engine.result import AuditResult
from .fetch import safe_fetcher
from .render import ReportSection, render_report
from .sidecar import sidecar_bytes


def lay_out(html: str, refused: list[str] | None = None) -> Any:
    """Lay report HTML out in pages (a WeasyPrint ``Document``), as :func:`html_to_pdf` prints it.

    Parameters
    ----------
    html : str
        The report's HTML.
    refused : list of str, optional
        Receives the external resources that were left out (see :func:`html_to_pdf`).

    Returns
    -------
    weasyprint.Document
        Its ``pages`` hold the layout boxes (the layout tests walk them).

    Raises
    ------
    ReportError
        WeasyPrint cannot be loaded or fails on the HTML.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango/cairo system libraries missing
        raise ReportError(f"WeasyPrint cannot be loaded ({exc}); install it and its system libraries "
                          "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)") from None
    # WeasyPrint warns about every CSS property it ignores; the report is tested to render as intended
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        # only data: URIs and the package's own templates: no http://, no file:// from elsewhere (.fetch)
        return weasyprint.HTML(string=html, base_url=None,
                               url_fetcher=safe_fetcher([] if refused is None else refused)).render()
    except Exception as exc:  # WeasyPrint has no single exception type
        raise ReportError(f"cannot print the report to PDF: {type(exc).__name__}: {exc}") from None


def html_to_pdf(html: str) -> bytes:
    """Print report HTML to PDF bytes (custom ``<meta>`` tags become document-info keys).

    Resources are fetched by ``fairaudit.report.fetch.safe_fetcher()``: ``data:`` URIs and the
    package's templates only; anything else is left out with a :class:`~fairaudit.errors.FairauditWarning`.

    Parameters
    ----------
    html : str
        The report's HTML (:func:`~fairaudit.report.render_report`).

    Returns
    -------
    bytes
        The PDF, unsigned.

    Raises
    ------
    ReportError
        WeasyPrint cannot be loaded or fails on the HTML.
    """
    refused: list[str] = []
    document = lay_out(html, refused)
    try:
        pdf = document.write_pdf(custom_metadata=True)
    except Exception as exc:  # WeasyPrint has no single exception type
        raise ReportError(f"cannot print the report to PDF: {type(exc).__name__}: {exc}") from None
    if refused:
        warnings.warn(f"the report's HTML named {len(refused)} external resource(s), which were left out "
                      f"(reports load only data: URIs and fairaudit's templates): {', '.join(refused[:3])}",
                      FairauditWarning, stacklevel=2)
    return pdf


def write_pdf(html: str, out_pdf: str | os.PathLike) -> Path:
    """Print ``html`` to ``out_pdf`` atomically (unsigned).

    Parameters
    ----------
    html : str
        The report's HTML.
    out_pdf : str or os.PathLike
        The PDF file to write (replaced if it exists).

    Returns
    -------
    pathlib.Path
        ``out_pdf``.
    """
    data = html_to_pdf(html)
    write_files({Path(out_pdf): data})
    return Path(out_pdf)


@dataclass
class ReportBytes:
    """A rendered, printed and (optionally) signed report, not yet written.

    Parameters
    ----------
    pdf : bytes
        The PDF.
    sidecar : bytes
        The JSON sidecar: every number of the report (:func:`~fairaudit.report.sidecar_bytes`).
    sidecar_sha256 : str
        The sidecar's sha256 hex digest, also in the PDF's metadata (which the
        signature covers).
    signer : str or None, default None
        The signer's name; None for an unsigned report.
    """

    pdf: bytes
    sidecar: bytes
    sidecar_sha256: str
    signer: str | None = None


@dataclass
class ReportFiles:
    """What :func:`build_report` wrote.

    Parameters
    ----------
    pdf : str
        Path of the PDF written.
    sidecar : str
        Path of its JSON sidecar (the PDF's name with the suffix ``.json``).
    sidecar_sha256 : str
        The sidecar's sha256 hex digest, as recorded in the PDF.
    signed : bool
        Whether the PDF carries a signature.
    signer : str or None
        The signer's name; None when unsigned.
    pages : int
        Pages of the PDF.
    size_bytes : int
        Size of the PDF in bytes.
    """

    pdf: str
    sidecar: str
    sidecar_sha256: str
    signed: bool
    signer: str | None
    pages: int
    size_bytes: int

    def to_dict(self) -> dict:
        return asdict(self)


def _check_folder(folder: Path) -> None:
    """Fail early (before any rendering) on an output folder that cannot take the report."""
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"cannot write into {folder}: it is a file, not a folder; choose another --out")
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise ReportError(f"output folder {folder} is not writable; choose another --out")


def write_files(files: dict[Path, bytes], *, overwrite: bool = True) -> None:
    """Write report files so that either all appear or none does (see :func:`fairaudit.atomic.write_all`).

    The folder is checked first, and a failure is a :class:`ReportError`.
    """
    for p in files:
        _check_folder(p.parent if str(p.parent) else Path("."))
    try:
        write_all(files, overwrite=overwrite)
    except FairauditError as exc:
        raise ReportError(str(exc)) from None


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def make_report(before: AuditResult, after: AuditResult | None = None, rewrites: pd.DataFrame | None = None,
                sign_with: Any = None, *, title: str | None = None, page_size: str = "A4",
                period: str | None = None, organization: str | None = None,
                extra_sections: Sequence[ReportSection] = (), visible_signature: bool = False,
                reason: str = "fairaudit bias audit report", location: str | None = None,
                status: Callable[[str], None] | None = None, timestamper: Any = None,
                **render_kw: Any) -> ReportBytes:
    """Render, print and sign a report and its JSON sidecar, in memory.

    Parameters
    ----------
    before, after, rewrites
        As for :func:`~fairaudit.report.render_report`.
    sign_with : pyhanko Signer, optional
        From :func:`fairaudit.report.load_signer`; ``None`` gives an
        unsigned report (which ``fairaudit verify`` rejects).
    title, page_size, period, organization, extra_sections
        As for :func:`~fairaudit.report.render_report`.
    visible_signature : bool
        Add a visible signature box on the last page.
    reason, location : str
        Recorded in the signature.
    timestamper : pyhanko TimeStamper, optional
        Add an RFC 3161 signature timestamp from this authority.
    status : callable, optional
        Called with a short message before each step (progress output).
    **render_kw
        Further options of :func:`~fairaudit.report.render_report`:
        ``max_gap_jobs``, ``max_rewrite_rows``, ``max_diffs``.

    Returns
    -------
    ReportBytes

    Raises
    ------
    ReportError, SigningError
    """
    say = status or (lambda msg: None)
    say("collecting the numbers (JSON sidecar)")
    side = sidecar_bytes(before, after, rewrites)
    digest = hashlib.sha256(side).hexdigest()
    say("rendering HTML and charts")
    html = render_report(before, after, rewrites, title=title, page_size=page_size, period=period,
                         organization=organization, sidecar_sha256=digest, extra_sections=extra_sections,
                         **render_kw)
    say("printing PDF")
    pdf = html_to_pdf(html)
    signer = None
    if sign_with is not None:
        from .sign import sign_pdf_bytes, signer_name

        signer = signer_name(sign_with)
        say(f"signing (PAdES B-B) as {signer}")
        pdf = sign_pdf_bytes(pdf, sign_with, visible=visible_signature, reason=reason, location=location,
                             timestamper=timestamper)
    return ReportBytes(pdf=pdf, sidecar=side, sidecar_sha256=digest, signer=signer)


def _pdf_path(out_pdf: str | os.PathLike) -> Path:
    out = Path(out_pdf)
    if out.suffix.lower() != ".pdf":
        raise ReportError(f"the report file must end in .pdf, got {out.name!r}")
    return out


def report_paths(out_pdf: str | os.PathLike) -> dict[str, Path]:
    """The files a report named ``out_pdf`` writes: the PDF and its JSON sidecar (suffix ``.json``).

    Parameters
    ----------
    out_pdf : str or path
        The report's PDF path.

    Returns
    -------
    dict
        Option name to path, for ``fairaudit.paths.guard_outputs()``.
    """
    out = _pdf_path(out_pdf)
    return {"--out": out, "the sidecar of --out": out.with_suffix(".json")}


def write_report(report: ReportBytes, out_pdf: str | os.PathLike,
                 status: Callable[[str], None] | None = None) -> ReportFiles:
    """Write ``report`` as ``out_pdf`` and its sidecar ``out_pdf`` with suffix ``.json``, all or nothing.

    Parameters
    ----------
    report : ReportBytes
        What :func:`make_report` returned.
    out_pdf : str or os.PathLike
        The PDF path (must end in ``.pdf``); the sidecar goes next to it.
    status : callable, optional
        Called with a short message before writing (progress output).

    Returns
    -------
    ReportFiles

    Raises
    ------
    ReportError
        A path that does not end in ``.pdf``, or an output folder that cannot be
        written (nothing is left behind).
    """
    out, sidecar_path = report_paths(out_pdf).values()
    (status or (lambda msg: None))(f"writing {out} and {sidecar_path.name}")
    write_files({sidecar_path: report.sidecar, out: report.pdf})
    return ReportFiles(pdf=str(out), sidecar=str(sidecar_path), sidecar_sha256=report.sidecar_sha256,
                       signed=report.signer is not None, signer=report.signer, pages=_page_count(report.pdf),
                       size_bytes=len(report.pdf))


def build_report(before: AuditResult, out_pdf: str | os.PathLike, after: AuditResult | None = None,
                 rewrites: pd.DataFrame | None = None, sign_with: Any = None, *,
                 status: Callable[[str], None] | None = None, **options: Any) -> ReportFiles:
    """Render, print, sign and write a report and its JSON sidecar.

    Parameters
    ----------
    before, after, rewrites, sign_with, status
        As for :func:`make_report`.
    out_pdf : path-like
        The PDF; the sidecar is written next to it with the suffix ``.json``.
    **options
        The other options of :func:`make_report` (title, page size, extra
        sections, signature appearance, ...).

    Returns
    -------
    ReportFiles

    Raises
    ------
    ReportError, SigningError
        Nothing is written when any step fails.
    """
    out = _pdf_path(out_pdf)
    _check_folder(out.parent if str(out.parent) else Path("."))  # before the (slow) rendering
    report = make_report(before, after, rewrites, sign_with, status=status, **options)
    return write_report(report, out, status=status)
