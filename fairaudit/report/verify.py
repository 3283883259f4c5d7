"""Verify a signed audit report and its JSON sidecar.

A report passes when the PDF carries a signature that

* is **intact** (the signed bytes hash to the signed digest),
* is **valid** (the CMS signature checks out against the signer's key),
* is **trusted** (the signer's certificate chains to a trust root: the
  certificate(s) given with ``trust``, or the system's roots),
* **covers the whole file** (nothing was appended after signing),

and the sidecar JSON's sha256 equals the one recorded in the PDF metadata
before signing.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import VerificationError

#: Document-info key that holds the sidecar's sha256 (WeasyPrint writes
#: ``<meta name="fairaudit-sidecar-sha256">`` as this key).
SIDECAR_KEY = "/fairauditsidecarsha256"


@dataclass
class VerificationResult:
    """Outcome of :func:`verify_report`; :attr:`ok` is True only if every check holds."""

    path: str
    signed: bool = False
    signer: str | None = None
    signing_time: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    sidecar: str | None = None
    sidecar_sha256_expected: str | None = None
    sidecar_sha256_actual: str | None = None
    sidecar_match: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.signed and self.intact and self.valid and self.trusted
                and self.covers_whole_file and self.sidecar_match and not self.problems)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    # pyHanko logs full tracebacks for expected failures (untrusted chains, bad digests)
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, levels):
            lg.setLevel(lvl)


def _load_trust(trust: str | os.PathLike | Sequence[str | os.PathLike] | None):
    from pyhanko.keys import load_certs_from_pemder

    if trust is None:
        return None
    paths = [trust] if isinstance(trust, (str, os.PathLike)) else list(trust)
    certs = []
    for p in paths:
        if not Path(p).is_file():
            raise VerificationError(f"trust certificate not found: {p}")
        try:
            certs.extend(load_certs_from_pemder([str(p)]))
        except (ValueError, OSError) as exc:
            raise VerificationError(f"cannot read trust certificate {p}: {exc}") from None
    return certs


def sidecar_path_for(pdf: str | os.PathLike) -> Path:
    """``report.pdf`` -> ``report.json``."""
    return Path(pdf).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def verify_report(pdf: str | os.PathLike, trust: str | os.PathLike | Sequence | None = None,
                  sidecar: str | os.PathLike | None = None, check_sidecar: bool = True) -> VerificationResult:
    """Check a report's signature and sidecar.

    Parameters
    ----------
    pdf : path-like
        The signed report.
    trust : path or list of paths, optional
        PEM/DER certificate(s) to trust (e.g. the ``signing-cert.pem`` of
        ``fairaudit keys init``, or your organisation's CA). Without it the
        system trust roots are used, so a self-signed signer is untrusted.
    sidecar : path-like, optional
        The JSON sidecar; default: the ``.json`` file next to ``pdf``.
    check_sidecar : bool
        Set False to skip the sidecar check (``sidecar_match`` is then True).

    Returns
    -------
    VerificationResult
        Failing checks are listed in ``problems``; nothing is raised for a
        report that merely fails verification.

    Raises
    ------
    VerificationError
        If ``pdf`` or a trust certificate cannot be read at all.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from .sign import outside_event_loop

    path = Path(pdf)
    if not path.is_file():
        raise VerificationError(f"report not found: {path}")
    res = VerificationResult(path=str(path))
    roots = _load_trust(trust)
    data = path.read_bytes()

    expected: str | None = None
    with _quiet_pyhanko():
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            sigs = reader.embedded_signatures
            info = reader.trailer_view.get("/Info")
            if info is not None:
                raw = info.get_object().get(SIDECAR_KEY)
                expected = str(raw) if raw is not None else None
        except Exception as exc:  # malformed xref, truncated file, not a PDF...
            res.problems.append(f"not a readable PDF ({type(exc).__name__}: {exc}); the file is damaged or was altered")
            sigs = []
        else:
            if not sigs:
                res.problems.append("the PDF is not signed")
        if sigs:
            res.signed = True
            if len(sigs) > 1:
                res.problems.append(f"the PDF holds {len(sigs)} signatures; a fairaudit report has exactly one")
            sig = sigs[-1]
            vc = ValidationContext(trust_roots=roots, allow_fetching=False) if roots else \
                ValidationContext(allow_fetching=False)
            try:
                status = outside_event_loop(validate_pdf_signature, sig, vc)
            except SignatureValidationError as exc:
                res.problems.append(f"the signature cannot be validated: {exc}")
            except Exception as exc:  # a damaged signature object trips pyHanko in many ways
                res.problems.append(f"the signature is damaged and cannot be validated ({type(exc).__name__})")
            else:
                res.signer = status.signing_cert.subject.human_friendly
                when = status.signer_reported_dt
                res.signing_time = when.isoformat() if when else None
                res.intact = bool(status.intact)
                res.valid = bool(status.valid)
                res.trusted = bool(status.trusted)
                res.covers_whole_file = status.coverage.name == "ENTIRE_FILE"
                if not res.intact:
                    res.problems.append("the signed content was modified after signing (digest mismatch)")
                elif not res.valid:
                    res.problems.append("the signature does not match the signer's key")
                if not res.trusted:
                    res.problems.append("the signer's certificate is not trusted"
                                        + ("" if roots else "; pass --trust with the signer's certificate or CA"))
                if not res.covers_whole_file:
                    res.problems.append("bytes were added or changed outside the signed range after signing")

    res.sidecar_sha256_expected = expected
    if not check_sidecar:
        res.sidecar_match = True
        return res
    side = Path(sidecar) if sidecar is not None else sidecar_path_for(path)
    res.sidecar = str(side)
    if not side.is_file():
        res.problems.append(f"sidecar {side} not found; pass --sidecar")
    elif expected is None:
        res.problems.append("the PDF records no sidecar hash (not a fairaudit report?)")
    else:
        res.sidecar_sha256_actual = file_sha256(side)
        res.sidecar_match = res.sidecar_sha256_actual == expected
        if not res.sidecar_match:
            res.problems.append(f"sidecar {side.name} does not match the report "
                                f"(sha256 {res.sidecar_sha256_actual[:12]}… vs {expected[:12]}… in the PDF)")
    return res
