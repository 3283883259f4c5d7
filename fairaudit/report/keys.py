"""Create a signing key and a self-signed certificate for audit reports.

For production, sign with a certificate issued by your organisation's CA (a
PKCS#12 file); a self-signed certificate proves integrity only to readers who
were given the certificate (``fairaudit verify --trust cert.pem``).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..atomic import atomic_path
from ..errors import FairauditError, SigningError

#: The longest common name or organisation name a certificate may hold (RFC 5280, ub-common-name).
MAX_NAME = 64
KEY_FILE = "signing-key.pem"
CERT_FILE = "signing-cert.pem"


@dataclass(frozen=True)
class KeyPaths:
    """Where :func:`init_keys` wrote the key and certificate."""

    key: str
    cert: str
    subject: str
    not_valid_before: str
    not_valid_after: str
    sha256_fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def make_self_signed(common_name: str = "fairaudit report signer", organization: str | None = None,
                     days: int = 1095, key_type: str = "rsa",
                     not_before: dt.datetime | None = None):
    """A private key and a self-signed certificate fit for document signing.

    Returns ``(private_key, certificate)`` (``cryptography`` objects). The
    certificate has the digitalSignature and nonRepudiation key usages that
    PDF signature validators expect.
    """
    if days < 1:
        raise SigningError(f"certificate validity must be at least 1 day, got {days}")
    # X.509 names: RFC 5280's upper bound of a common name and of an organisation name is 64 characters
    for what, value in (("common name (--name)", common_name), ("organisation (--org)", organization or None)):
        if value is not None and not 1 <= len(value) <= MAX_NAME:
            raise SigningError(f"the certificate's {what} must be 1 to {MAX_NAME} characters (the X.509 limit), "
                               f"got {len(value)}")
    if key_type == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    elif key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise SigningError(f"key type must be 'rsa' or 'ec', got {key_type!r}")
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    name = x509.Name(attrs)
    start = (not_before or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    last = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)  # the latest date an X.509 validity can hold
    if days > (last - start).days:
        raise SigningError(f"a certificate valid for {days} days would end after {last:%Y-%m-%d}, the latest date "
                           f"a certificate can hold; give at most {(last - start).days} days")
    end = start + dt.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                              ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _write_private(path: Path, data: bytes) -> None:
    # mkstemp creates the temporary file 0600, so the key is never readable by others
    with atomic_path(path) as tmp:
        os.chmod(tmp, 0o600)
        with open(tmp, "wb") as fh:
            fh.write(data)


def init_keys(directory: str | os.PathLike, common_name: str = "fairaudit report signer",
              organization: str | None = None, days: int = 1095, key_type: str = "rsa",
              overwrite: bool = False) -> KeyPaths:
    """Write ``signing-key.pem`` (mode 0600) and ``signing-cert.pem`` into ``directory``.

    Parameters
    ----------
    directory : path-like
        Created if missing.
    common_name, organization : str
        Subject of the certificate (shown as the signer by ``fairaudit verify``).
    days : int
        Validity of the certificate.
    key_type : {"rsa", "ec"}
        RSA-3072 (default, widest viewer support) or ECDSA P-256.
    overwrite : bool
        Replace an existing key pair; otherwise an existing one is an error.
    """
    folder = Path(directory)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    if not overwrite and (key_path.exists() or cert_path.exists()):
        raise SigningError(f"{folder} already holds a signing key; pass --force to replace it "
                           "(reports signed with the old key then only verify against the old certificate)")
    key, cert = make_self_signed(common_name, organization, days, key_type)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        _write_private(key_path, key_pem)
        with atomic_path(cert_path) as tmp:
            tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            os.chmod(tmp, 0o644)
    except (FairauditError, OSError) as exc:
        if key_path.exists() and not cert_path.exists():
            key_path.unlink()  # never leave a key without its certificate
        msg = str(exc) if isinstance(exc, FairauditError) else exc.strerror or str(exc)
        raise SigningError(f"cannot write keys to {folder}: {msg}") from None
    return KeyPaths(
        key=str(key_path), cert=str(cert_path), subject=cert.subject.rfc4514_string(),
        not_valid_before=cert.not_valid_before_utc.isoformat(),
        not_valid_after=cert.not_valid_after_utc.isoformat(),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(":"),
    )
