"""Verify a signed audit report and its JSON sidecar.

A report passes when the PDF carries a signature that

* is **intact** (the signed bytes hash to the signed digest),
* is **valid** (the CMS signature checks out against the signer's key),
* was made while the signer's certificate was **valid**, and the certificate
  chain is **trusted** at a time that can be relied on: the time of a trusted
  signature timestamp (RFC 3161) when the signature carries one, otherwise the
  validation time (now, or ``validation_time``). Without a timestamp the signing
  time is only the signer's own clock, so a report whose certificate has since
  expired fails, as it does in other validators (e.g. poppler's ``pdfsig``);
* **covers the whole file** (nothing was appended after signing),
* was **signed no later than the verification time** (now, or ``--at``), with
  ``CLOCK_TOLERANCE`` (5 minutes) for clocks that drift apart: a signing
  time in the future means a wrong clock (the signer's, or this computer's when
  the time comes from a trusted timestamp), and ``--at`` before the signing time
  asks about a moment when the report did not exist yet,

and the sidecar JSON's sha256 equals the one recorded in the PDF metadata
before signing. Only what is wrong is reported: a changed byte is reported as a
digest mismatch, not also as a trust problem.

Validity periods are checked by pyHanko's certificate validator; a certificate
given with ``trust`` is a trust anchor whose own validity period is enforced too
(``CertTrustAnchor(..., derive_default_quals_from_cert=True)``; by default
pyHanko does not check a trust anchor's dates, so a self-signed signer's
certificate would never expire).

References
----------
.. [1] ETSI EN 319 102-1, procedures for the creation and validation of AdES
       digital signatures (validation with and without proof of existence).
.. [2] RFC 5280 section 6 (certificate path validation), RFC 3161 (time-stamps).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import DataError

#: Document-info key that holds the sidecar's sha256 (WeasyPrint writes
#: ``<meta name="fairaudit-sidecar-sha256">`` as this key).
SIDECAR_KEY = "/fairauditsidecarsha256"
#: How far a signing time may lie after the verification time (clock drift between two computers).
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


@dataclass
class VerificationResult:
    """Outcome of :func:`verify_report`; :attr:`~fairaudit.report.VerificationResult.ok` is True only if every check holds.

    Checks that could not be made because an earlier one failed (trust of a
    signature whose bytes changed, say) are ``None``: not checked. Times are
    ISO 8601 strings in UTC.

    Parameters
    ----------
    path : str
        The PDF verified.
    signed : bool, default False
        The PDF carries a signature.
    signer : str or None, default None
        The signing certificate's subject, human readable.
    signing_time : str or None, default None
        When the report was signed.
    signing_time_source : {"timestamp", "signer's clock"} or None, default None
        Where ``signing_time`` comes from: a trusted RFC 3161 timestamp, or only
        the signer's own clock.
    cert_not_before, cert_not_after : str or None, default None
        The signing certificate's validity period.
    validation_time : str or None, default None
        When the certificate chain was checked (the trusted timestamp's time, or
        the verification time).
    intact : bool, default False
        The signed bytes hash to the signed digest (nothing signed was changed).
    valid : bool or None, default None
        The CMS signature checks out against the signer's key.
    cert_valid_at_signing : bool or None, default None
        The certificate was valid at a signing time that can be relied on.
    trusted : bool or None, default None
        The certificate chain leads to a trust root (``trust`` or the system's) at
        ``validation_time``, and ``cert_valid_at_signing`` holds.
    covers_whole_file : bool or None, default None
        The signature covers every byte (nothing appended after signing).
    signed_before_check : bool or None, default None
        The signing time is no later than the verification time plus
        ``CLOCK_TOLERANCE`` (5 minutes).
    sidecar : str or None, default None
        The JSON sidecar checked (None when the sidecar is not checked).
    sidecar_found : bool or None, default None
        The sidecar file exists.
    sidecar_sha256_expected : str or None, default None
        The sidecar hash recorded in the PDF's metadata before signing.
    sidecar_sha256_actual : str or None, default None
        The sha256 of the sidecar file as found.
    sidecar_match : bool, default False
        The two hashes are equal (True when the sidecar is not checked).
    problems : list of str, default []
        What is wrong, one sentence each; empty for a report that passes.
    """

    path: str
    signed: bool = False
    signer: str | None = None
    signing_time: str | None = None
    signing_time_source: str | None = None
    cert_not_before: str | None = None
    cert_not_after: str | None = None
    validation_time: str | None = None
    intact: bool = False
    valid: bool | None = None
    cert_valid_at_signing: bool | None = None
    trusted: bool | None = None
    covers_whole_file: bool | None = None
    signed_before_check: bool | None = None
    sidecar: str | None = None
    sidecar_found: bool | None = None
    sidecar_sha256_expected: str | None = None
    sidecar_sha256_actual: str | None = None
    sidecar_match: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only if every check holds (signed, intact, valid, certificate valid at signing, trusted,
        whole file covered, sidecar matching) and no problem was found."""
        return bool(self.signed and self.intact and self.valid and self.cert_valid_at_signing and self.trusted
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
    """Trust anchors from PEM/DER files; their own validity periods are enforced."""
    from pyhanko.keys import load_certs_from_pemder
    from pyhanko_certvalidator.authority import CertTrustAnchor

    if trust is None:
        return None
    paths = [trust] if isinstance(trust, (str, os.PathLike)) else list(trust)
    anchors = []
    for p in paths:
        if not Path(p).is_file():
            raise DataError(f"trust certificate not found: {p}; pass the signer's certificate or CA (PEM/DER)")
        try:
            certs = list(load_certs_from_pemder([str(p)]))
        except OSError as exc:
            raise DataError(f"cannot read trust certificate {p}: {exc.strerror or exc}") from None
        except Exception:  # asn1crypto raises ValueError/TypeError for anything that is not a certificate
            certs = []
        if not certs:
            raise DataError(f"trust certificate {p} holds no PEM or DER certificate; "
                            "pass the signer's certificate or CA, e.g. keys/signing-cert.pem")
        anchors.extend(CertTrustAnchor(c, derive_default_quals_from_cert=True) for c in certs)
    return anchors


def sidecar_path_for(pdf: str | os.PathLike) -> Path:
    """``report.pdf`` -> ``report.json``."""
    return Path(pdf).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else _utc(t).replace(microsecond=0).isoformat()


def _day(t: dt.datetime) -> str:
    return f"{_utc(t):%Y-%m-%d %H:%M} UTC"


def _validate(sig, roots, moment: dt.datetime | None, ts_context=None):
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from .sign import outside_event_loop

    kw: dict[str, Any] = {"allow_fetching": False, "moment": moment}
    if roots:
        kw["trust_roots"] = roots
    vc = ValidationContext(**kw)
    return outside_event_loop(validate_pdf_signature, sig, vc, ts_validation_context=ts_context)


def _certificate_problem(signing_time: dt.datetime | None, from_timestamp: bool, checked_at: dt.datetime,
                         not_before: dt.datetime, not_after: dt.datetime, trusted: bool,
                         have_roots: bool) -> tuple[bool | None, str | None]:
    """(valid at signing, the one problem to report) for the signer's certificate."""
    when = "time-stamped" if from_timestamp else "signed (by the signer's clock)"
    if signing_time is not None and signing_time > not_after:
        return False, (f"the report was {when} on {_day(signing_time)}, after the signer's certificate "
                       f"expired on {_day(not_after)}")
    if signing_time is not None and signing_time < not_before:
        return False, (f"the report was {when} on {_day(signing_time)}, before the signer's certificate "
                       f"became valid on {_day(not_before)}")
    if trusted:
        return True, None
    if checked_at > not_after:
        return True, (f"the signer's certificate expired on {_day(not_after)} (checked at {_day(checked_at)}) "
                      "and the signature has no trusted timestamp proving it was made before that")
    if checked_at < not_before:
        return True, (f"the signer's certificate is not valid before {_day(not_before)} "
                      f"(checked at {_day(checked_at)})")
    return True, ("the signer's certificate is not trusted or its chain is not valid at "
                  f"{_day(checked_at)}" + ("" if have_roots else
                                           "; pass --trust with the signer's certificate or CA"))


def _clock_problem(signing_time: dt.datetime | None, stamped: bool, moment: dt.datetime,
                   explicit: bool) -> str | None:
    """The problem with a signing time later than the verification time (None within the tolerance)."""
    if signing_time is None or signing_time <= moment + CLOCK_TOLERANCE:
        return None
    ahead = f"{_day(signing_time)}, after the verification time {_day(moment)}"
    if explicit:
        return (f"--at {_day(moment)} is before the signing time {_day(signing_time)}: the report did not exist "
                "then; verify at or after the signing time")
    if stamped:
        return (f"the trusted timestamp says the report was signed on {ahead} by this computer's clock: this "
                "computer's clock is behind (the timestamp authority's is trusted); set it right and verify again")
    return (f"the signer's clock says the report was signed on {ahead} by this computer's clock: the signer's "
            f"clock was ahead (tolerance {int(CLOCK_TOLERANCE.total_seconds() // 60)} minutes), so its signing "
            "time cannot be relied on; if this computer's clock is behind, set it right and verify again")


def verify_report(pdf: str | os.PathLike, trust: str | os.PathLike | Sequence | None = None,
                  sidecar: str | os.PathLike | None = None, check_sidecar: bool = True,
                  validation_time: dt.datetime | None = None) -> VerificationResult:
    """Check a report's signature, the signer's certificate and the sidecar.

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
    validation_time : datetime, optional
        Check the certificate chain as of this time instead of now (naive
        datetimes are UTC). A trusted signature timestamp takes precedence.

    Returns
    -------
    VerificationResult
        Failing checks are listed in ``problems``; nothing is raised for a
        report that merely fails verification.

    Raises
    ------
    DataError
        If ``pdf`` or a trust certificate cannot be read at all.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError

    path = Path(pdf)
    if not path.is_file():
        raise DataError(f"report not found: {path}")
    res = VerificationResult(path=str(path))
    roots = _load_trust(trust)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    moment = _utc(validation_time) if validation_time is not None else dt.datetime.now(dt.timezone.utc)

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
            _check_signature(sigs[-1], roots, moment, res, SignatureValidationError)
            if res.signing_time is not None and res.intact and res.valid:
                clock = _clock_problem(_utc(dt.datetime.fromisoformat(res.signing_time)),
                                       res.signing_time_source == "timestamp", moment, validation_time is not None)
                res.signed_before_check = clock is None
                if clock:
                    res.problems.append(clock)

    res.sidecar_sha256_expected = expected
    if not check_sidecar:
        res.sidecar_match = True
        return res
    side = Path(sidecar) if sidecar is not None else sidecar_path_for(path)
    res.sidecar = str(side)
    res.sidecar_found = side.is_file()
    if not res.sidecar_found:
        res.problems.append(f"sidecar {side} is missing; pass --sidecar with the report's .json")
    elif expected is None:
        res.problems.append("the PDF records no sidecar hash (not a fairaudit report?)")
    else:
        res.sidecar_sha256_actual = file_sha256(side)
        res.sidecar_match = res.sidecar_sha256_actual == expected
        if not res.sidecar_match:
            res.problems.append(f"sidecar {side.name} does not match the report "
                                f"(sha256 {res.sidecar_sha256_actual[:12]}… vs {expected[:12]}… in the PDF)")
    return res


def _check_signature(sig, roots, moment: dt.datetime, res: VerificationResult, validation_error) -> None:
    """Fill ``res`` with the signature checks, in order; stop at the first broken one."""
    try:
        status = _validate(sig, roots, moment)
    except validation_error as exc:
        res.problems.append(f"the signature cannot be validated: {exc}")
        return
    except Exception as exc:  # a damaged signature object trips pyHanko in many ways
        res.problems.append(f"the signature is damaged and cannot be validated ({type(exc).__name__})")
        return
    cert = status.signing_cert
    res.signer = cert.subject.human_friendly
    not_before, not_after = _utc(cert.not_valid_before), _utc(cert.not_valid_after)
    res.cert_not_before, res.cert_not_after = _iso(not_before), _iso(not_after)
    res.covers_whole_file = status.coverage.name == "ENTIRE_FILE"
    if not res.covers_whole_file:
        res.problems.append("bytes were added or changed outside the signed range after signing")

    tst = status.timestamp_validity
    stamped = tst is not None and bool(tst.intact and tst.valid and tst.trusted)
    signing_time = _utc(tst.timestamp if stamped else status.signer_reported_dt)
    res.signing_time = _iso(signing_time)
    res.signing_time_source = "timestamp" if stamped else ("signer's clock" if signing_time else None)

    res.intact = bool(status.intact)
    if not res.intact:
        res.problems.append("the signed content was modified after signing (digest mismatch)")
        return
    res.valid = bool(status.valid)
    if not res.valid:
        res.problems.append("the signature does not match the signer's key")
        return
    checked_at = moment
    trusted = bool(status.trusted)
    if stamped:
        # a trusted timestamp proves the signature existed then: check the chain at that time
        checked_at = signing_time
        try:
            trusted = bool(_validate(sig, roots, signing_time).trusted)
        except Exception:  # noqa: BLE001 -- same signature, validated a moment ago
            trusted = False
    res.validation_time = _iso(checked_at)
    res.cert_valid_at_signing, problem = _certificate_problem(signing_time, stamped, checked_at, not_before,
                                                              not_after, trusted, bool(roots))
    res.trusted = trusted and res.cert_valid_at_signing
    if problem:
        res.problems.append(problem)
