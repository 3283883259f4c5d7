"""Signed PDF reports: one pipeline for audits, before/after comparisons and periodic reviews.

>>> from fairaudit.report import build_report, load_signer, verify_report   # doctest: +SKIP
>>> signer = load_signer(key_dir="keys")                                     # doctest: +SKIP
>>> build_report(result, "report.pdf", sign_with=signer)                     # doctest: +SKIP
>>> verify_report("report.pdf", trust="keys/signing-cert.pem").ok            # doctest: +SKIP
True

Modules, in the order a report is made: ``sidecar`` (the numbers, as
JSON), ``format`` (one value as text), ``tables`` (table layout),
``sections`` (what each section shows), ``charts`` (matplotlib SVG),
``render`` (the Jinja environment and :func:`render_report`), ``pdf``
(WeasyPrint, :func:`make_report` / :func:`build_report`), ``sign`` /
``verify`` (pyHanko), ``keys`` (self-signed key pair), ``diff``
(word diff). ``summary`` renders the NYC LL144 public summary page (6 RCNY
§ 5-303) from the same Jinja environment (:func:`write_summary`).
"""
from __future__ import annotations

from .diff import word_diff
from .keys import init_keys
from .pdf import (ReportBytes, ReportFiles, build_report, html_to_pdf, make_report, report_paths, write_pdf,
                  write_report)
from .render import ReportSection, render_report
from .sidecar import build_sidecar, sidecar_bytes
from .sign import load_signer, sign_pdf_bytes
from .summary import PublicSummary, build_summary, render_summary, write_summary
from .verify import VerificationResult, verify_report

__all__ = [
    "PublicSummary", "ReportBytes", "ReportFiles", "ReportSection", "VerificationResult", "build_report",
    "build_sidecar", "build_summary", "html_to_pdf", "init_keys", "load_signer", "make_report", "render_report",
    "render_summary", "sidecar_bytes", "sign_pdf_bytes", "verify_report", "word_diff", "write_pdf", "write_report",
    "report_paths", "write_summary",
]
