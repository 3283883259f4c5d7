"""Sign a PDF report (PAdES baseline B-B) with pyHanko.

The signer comes either from a PKCS#12 file (``.p12`` / ``.pfx``: a
certificate issued by your organisation) or from a key folder made by
:func:`fairaudit.report.keys.init_keys`. Passwords are passed in by the
caller (the CLI reads them from an environment variable, never from the
command line, so they do not end up in shell history or ``ps``).

References
----------
.. [1] ETSI EN 319 142-1, PAdES digital signatures, baseline level B-B.
"""
from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import SigningError
from .keys import CERT_FILE, KEY_FILE

FIELD_NAME = "FairauditSignature"


def _check_validity(cert: x509.Certificate, source: str, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.timezone.utc)
    if cert.not_valid_after_utc < now:
        raise SigningError(
            f"the certificate in {source} ({cert.subject.rfc4514_string()}) expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}; renew it or create a new one with `fairaudit keys init`")
    if cert.not_valid_before_utc > now:
        raise SigningError(
            f"the certificate in {source} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; "
            "check the system clock or the certificate")


def _check_usage(cert: x509.Certificate, source: str) -> None:
    """Refuse a certificate whose key usage ``fairaudit verify`` would reject, before anything is signed.

    The rule is pyHanko's own default for PDF signatures, the one verification applies
    (:func:`pyhanko.sign.validation.validate_pdf_signature`), so the two cannot disagree.
    """
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator.errors import InvalidCertificateError

    try:
        PdfSignatureStatus.default_usage_constraints(None).validate(
            asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    except InvalidCertificateError as exc:
        raise SigningError(
            f"the certificate in {source} ({cert.subject.rfc4514_string()}) is not meant for signing documents "
            f"({str(exc).rstrip('.')}), so `fairaudit verify` would reject every report signed with it; use a "
            "document-signing certificate with the nonRepudiation (content commitment) key usage, "
            "e.g. one from `fairaudit keys init`") from None


def check_private_file(path: Path) -> None:
    """Refuse a private key file that other users can read or write, as ssh does.

    A signature proves who signed only while the key is secret; a key file with
    mode 0644 on a shared machine is not. ``fairaudit keys init`` writes 0600.
    (POSIX only: Windows ACLs are not modes.)
    """
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningError(f"{path} holds a private key and is accessible by other users (mode {mode:04o}); "
                           f"restrict it with `chmod 600 {path}`")


def _simple_signer(key, cert: x509.Certificate, extra: list[x509.Certificate]):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    # hand pyHanko DER (asn1crypto objects), its public interface
    der = serialization.Encoding.DER
    to_asn1 = lambda c: asn1_x509.Certificate.load(c.public_bytes(der))  # noqa: E731
    store = SimpleCertificateStore()
    store.register_multiple([to_asn1(c) for c in extra])
    key_info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return signers.SimpleSigner(signing_key=key_info, signing_cert=to_asn1(cert), cert_registry=store)


def load_p12_signer(path: str | os.PathLike, password: str | bytes | None = None,
                    now: dt.datetime | None = None):
    """A pyHanko signer from a PKCS#12 file.

    Raises
    ------
    SigningError
        Missing/unreadable file, a file other users can access (mode beyond
        0600), wrong password, no key inside, or a certificate that is expired
        or not yet valid.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
        check_private_file(p)
    except FileNotFoundError:
        raise SigningError(f"PKCS#12 file not found: {p}") from None
    except OSError as exc:
        raise SigningError(f"cannot read PKCS#12 file {p}: {exc.strerror or exc}") from None
    pw = password.encode() if isinstance(password, str) else password
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, pw or None)
    except ValueError:
        hint = ("no password was given; set it in the environment variable named by --password-env "
                "(default FAIRAUDIT_P12_PASSWORD)") if not pw else "the password is wrong"
        raise SigningError(f"cannot open PKCS#12 file {p}: {hint}, or the file is not a PKCS#12 archive") from None
    if key is None or cert is None:
        raise SigningError(f"PKCS#12 file {p} holds no private key and certificate; export it with both")
    _check_validity(cert, str(p), now)
    _check_usage(cert, str(p))
    return _simple_signer(key, cert, list(extra or []))


def load_keydir_signer(directory: str | os.PathLike, password: str | bytes | None = None,
                       now: dt.datetime | None = None):
    """A pyHanko signer from a folder made by ``fairaudit keys init`` (the key must be mode 0600).

    Raises
    ------
    SigningError
        A missing file, a key other users can access, an encrypted key without
        ``password`` or with a wrong one, a key and certificate that do not belong
        together, or a certificate that is expired, not yet valid or not meant for
        signing documents.
    """
    folder = Path(directory)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    for f in (key_path, cert_path):
        if not f.is_file():
            raise SigningError(f"{f} not found; create a key pair with `fairaudit keys init --dir {folder}`")
    check_private_file(key_path)
    pw = password.encode() if isinstance(password, str) else password
    data = key_path.read_bytes()
    encrypted = b"ENCRYPTED" in data[:200]  # the PEM header of an encrypted PKCS#8 or traditional key
    if encrypted and not pw:
        raise SigningError(f"{key_path} is encrypted and no password was given; put it in an environment variable "
                           "and name that variable with --password-env (review TOML: signing.password_env)")
    try:
        key = serialization.load_pem_private_key(data, pw if encrypted else None)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise SigningError(f"cannot decrypt the private key {key_path}: the password is wrong") from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SigningError(f"cannot load private key {key_path}: {first}") from None
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError as exc:
        raise SigningError(f"cannot load certificate {cert_path}: {exc}") from None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise SigningError(f"{key_path} and {cert_path} do not belong together")
    _check_validity(cert, str(cert_path), now)
    _check_usage(cert, str(cert_path))
    return _simple_signer(key, cert, [])


def load_signer(*, p12: str | os.PathLike | None = None, password: str | bytes | None = None,
                key_dir: str | os.PathLike | None = None, now: dt.datetime | None = None):
    """Load a signer from ``p12`` or ``key_dir`` (exactly one).

    Parameters
    ----------
    p12 : str or os.PathLike, optional
        A PKCS#12 file holding the key and certificate (mode 0600).
    password : str or bytes, optional
        The password of the PKCS#12 file or of an encrypted key; None for an
        unencrypted key.
    key_dir : str or os.PathLike, optional
        A folder made by ``fairaudit keys init`` (the key must be mode 0600).
    now : datetime.datetime, optional
        The time the certificate must be valid at (timezone-aware, UTC); default
        the current time.

    Returns
    -------
    pyhanko.sign.signers.SimpleSigner
        The signer to pass to :func:`sign_pdf_bytes` or ``build_report(sign_with=...)``.

    Raises
    ------
    SigningError
        Neither or both sources given, or any problem of the key or certificate
        (unreadable, readable by others, wrong password, expired, not yet valid,
        not meant for signing documents).
    """
    if (p12 is None) == (key_dir is None):
        raise SigningError("give exactly one of a PKCS#12 file (--p12) or a key folder (--key-dir)")
    if p12 is not None:
        return load_p12_signer(p12, password, now)
    return load_keydir_signer(key_dir, password, now)


def signer_name(signer) -> str:
    """The signer's subject, human readable."""
    return signer.signing_cert.subject.human_friendly


def outside_event_loop(fn, *args, **kwargs):
    """Call ``fn`` where ``asyncio.run`` works.

    pyHanko's synchronous API calls ``asyncio.run()``, which fails inside a
    running event loop (Jupyter notebooks); there the call goes to a worker thread.
    """
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def sign_pdf_bytes(pdf: bytes, signer, *, visible: bool = False, reason: str | None = None,
                   location: str | None = None, field_name: str = FIELD_NAME, timestamper=None) -> bytes:
    """Sign a PDF held in memory; returns the signed PDF.

    Parameters
    ----------
    pdf : bytes
        An unsigned PDF.
    signer : pyhanko.sign.signers.Signer
        From :func:`load_signer`.
    visible : bool
        Add a visible signature box at the bottom of the last page.
    reason, location : str, optional
        Recorded in the signature dictionary.
    field_name : str, default "FairauditSignature"
        Name of the signature field (``fairaudit verify`` looks for this one).
    timestamper : pyhanko.sign.timestamps.TimeStamper, optional
        A time-stamping authority (e.g. ``HTTPTimeStamper(url)``): the signature
        then carries an RFC 3161 timestamp (PAdES B-T), which lets
        ``fairaudit verify`` accept the report after the certificate expires.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,  # ETSI.CAdES.detached: PAdES baseline
        reason=reason,
        location=location,
        name=signer_name(signer),
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        spec = None
        stamp = None
        if visible:
            last = int(writer.root["/Pages"]["/Count"]) - 1
            spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=last, box=(45, 62, 345, 112))
            stamp = TextStampStyle(stamp_text="Digitally signed by %(signer)s\nDate: %(ts)s",
                                   border_width=1)
        pdf_signer = signers.PdfSigner(meta, signer, new_field_spec=spec, stamp_style=stamp,
                                       timestamper=timestamper)
        out = outside_event_loop(pdf_signer.sign_pdf, writer, output=io.BytesIO())
    except SigningError:
        raise
    except Exception as exc:  # pyHanko raises several types; all mean "cannot sign this"
        raise SigningError(f"signing failed: {exc}") from None
    return out.getvalue()
