"""Signed PDF audit reports.

>>> from fairaudit.report import build_report, load_signer, verify_report   # doctest: +SKIP
>>> signer = load_signer(key_dir="keys")                                     # doctest: +SKIP
>>> build_report(result, "report.pdf", sign_with=signer)                     # doctest: +SKIP
>>> verify_report("report.pdf", trust="keys/signing-cert.pem").ok            # doctest: +SKIP
True

Modules: :mod:`.render` (Jinja2 -> HTML), :mod:`.charts` (matplotlib SVG),
:mod:`.pdf` (WeasyPrint, atomic writing), :mod:`.sign` / :mod:`.verify`
(pyHanko), :mod:`.keys` (self-signed key pair), :mod:`.diff` (word diff).
"""
from __future__ import annotations

from .diff import word_diff
from .keys import init_keys
from .pdf import ReportFiles, build_report, html_to_pdf, write_pdf
from .render import build_sidecar, render_report, sidecar_bytes
from .sign import load_signer, sign_pdf_bytes
from .verify import VerificationResult, verify_report

__all__ = [
    "ReportFiles", "VerificationResult", "build_report", "build_sidecar", "html_to_pdf", "init_keys",
    "load_signer", "render_report", "sidecar_bytes", "sign_pdf_bytes", "verify_report", "word_diff",
    "write_pdf",
]
