"""Test PKI: a CA, signer and TSA certificates with chosen validity, and signing with plain pyHanko.

Nothing here goes through fairaudit's own signer loading (which refuses expired
certificates), so tests can produce the reports a careless or hostile signer could.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc
DER = serialization.Encoding.DER


@dataclass
class Identity:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    cert: x509.Certificate

    def write_pem(self, path: Path) -> Path:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def make_ca(cn: str = "Test Root CA", years: int = 10) -> Identity:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=365 * years)).not_valid_after(now + dt.timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Identity(key, cert)


def issue(ca: Identity | None, cn: str, not_before: dt.datetime, not_after: dt.datetime,
          tsa: bool = False) -> Identity:
    """A document-signing (or, with ``tsa``, time-stamping) certificate; self-signed without ``ca``.

    TSA keys are RSA (pyHanko's test TSA signs with RSA only), signer keys ECDSA P-256.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if tsa else ec.generate_private_key(
        ec.SECP256R1())
    issuer_name, issuer_key = (ca.cert.subject, ca.key) if ca else (_name(cn), key)
    eku = [ExtendedKeyUsageOID.TIME_STAMPING] if tsa else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(_usage(sign=True), critical=True)
         .add_extension(x509.ExtendedKeyUsage(eku), critical=tsa))
    if ca:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    return Identity(key, b.sign(issuer_key, hashes.SHA256()))


def _asn1(ident: Identity):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509

    cert = asn1_x509.Certificate.load(ident.cert.public_bytes(DER))
    key = asn1_keys.PrivateKeyInfo.load(ident.key.private_bytes(
        DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return key, cert


def dummy_tsa(tsa: Identity, chain: tuple[Identity, ...] = ()):
    """A pyHanko test time-stamping authority answering with ``tsa``'s certificate."""
    from pyhanko.sign.timestamps import DummyTimeStamper

    key, cert = _asn1(tsa)
    return DummyTimeStamper(tsa_cert=cert, tsa_key=key, certs_to_embed=[_asn1(c)[1] for c in chain])


def pyhanko_sign(pdf: bytes, signer: Identity, chain: tuple[Identity, ...] = (), timestamper=None) -> bytes:
    """Sign with plain pyHanko (PAdES, no checks of the certificate's dates)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, cert = _asn1(signer)
    store = SimpleCertificateStore()
    store.register_multiple([_asn1(c)[1] for c in chain])
    simple = signers.SimpleSigner(signing_key=key, signing_cert=cert, cert_registry=store)
    meta = signers.PdfSignatureMetadata(field_name="Signature1", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, simple, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=io.BytesIO())
    return out.getvalue()


def incremental_update(signed: bytes) -> bytes:
    """Append a proper incremental update (a changed document language) after the signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    w.root["/Lang"] = generic.TextStringObject("fr")
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()
