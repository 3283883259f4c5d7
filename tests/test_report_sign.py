"""Signing and verifying reports: PAdES signature, trust, tampering, sidecar, atomic writes."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from fairaudit.errors import DataError, ReportError, SigningError
from fairaudit.report import build_report, init_keys, load_signer, sign_pdf_bytes, verify_report
from fairaudit.report import pdf as pdf_mod
from fairaudit.report.keys import make_self_signed
from test_report_render import audits, unsigned_pdf


@pytest.fixture(scope="module")
def keydir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("keys")
    init_keys(d, common_name="Audit Signer Test", organization="Example Corp", key_type="ec")
    return d


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keydir) -> Path:
    """One signed comparison report (with visible signature), built once."""
    before, after, rewrites = audits()
    out = tmp_path_factory.mktemp("signed") / "report.pdf"
    files = build_report(before, out, after=after, rewrites=rewrites, sign_with=load_signer(key_dir=keydir),
                         visible_signature=True)
    assert files.signed and files.pages >= 8
    return out


def _copy(src: Path, dst_dir: Path) -> Path:
    shutil.copy(src, dst_dir / "report.pdf")
    shutil.copy(src.with_suffix(".json"), dst_dir / "report.json")
    return dst_dir / "report.pdf"


def _p12(path: Path, password: bytes | None, days: int = 30, not_before: dt.datetime | None = None) -> Path:
    key, cert = make_self_signed("P12 Signer", days=days, key_type="ec", not_before=not_before)
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"signer", key, cert, None, enc))
    path.chmod(0o600)
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


# ------------------------------------------------------------------ keys
def test_init_keys_writes_private_key_0600_and_refuses_overwrite(tmp_path):
    kp = init_keys(tmp_path / "k", key_type="ec")
    assert os.stat(kp.key).st_mode & 0o777 == 0o600
    assert b"BEGIN CERTIFICATE" in Path(kp.cert).read_bytes()
    with pytest.raises(SigningError, match="--force"):
        init_keys(tmp_path / "k")
    kp2 = init_keys(tmp_path / "k", overwrite=True, key_type="ec")
    assert kp2.sha256_fingerprint != kp.sha256_fingerprint


# ------------------------------------------------------------------ round trip
def test_signed_report_verifies(signed, keydir):
    res = verify_report(signed, trust=keydir / "signing-cert.pem")
    assert res.ok, res.problems
    assert "Audit Signer Test" in res.signer
    assert res.intact and res.valid and res.trusted and res.covers_whole_file and res.sidecar_match
    assert res.sidecar_sha256_expected == hashlib.sha256(signed.with_suffix(".json").read_bytes()).hexdigest()
    d = res.to_dict()
    assert d["ok"] is True and json.dumps(d)
    side = json.loads(signed.with_suffix(".json").read_text())
    assert side["before"]["provenance"]["audit_id"] == audits()[0].provenance["audit_id"]
    assert side["rewrites"]["summary"]["n_rewrites"] == len(audits()[2])
    # nothing but the two outputs in the folder (no temp files)
    assert sorted(p.name for p in signed.parent.iterdir()) == ["report.json", "report.pdf"]


def test_one_changed_byte_fails(signed, keydir, tmp_path):
    data = bytearray(signed.read_bytes())
    br = [int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data).groups()]
    for i, pos in enumerate((br[1] // 2, br[1] // 5, br[2] + 40, br[1] + 100)):  # content, content, after, signature
        bad = bytearray(data)
        bad[pos] ^= 0x01
        d = tmp_path / str(i)
        d.mkdir()
        (d / "report.pdf").write_bytes(bytes(bad))
        shutil.copy(signed.with_suffix(".json"), d / "report.json")
        res = verify_report(d / "report.pdf", trust=keydir / "signing-cert.pem")
        assert not res.ok, f"byte {pos} changed but verification passed"
        assert res.problems


def test_appended_bytes_fail(signed, keydir, tmp_path):
    p = _copy(signed, tmp_path)
    with open(p, "ab") as fh:
        fh.write(b"\n% appended after signing\n")
    res = verify_report(p, trust=keydir / "signing-cert.pem")
    assert not res.ok


def test_unsigned_pdf_fails(tmp_path):
    before, after, rewrites = audits()
    from fairaudit.report import sidecar_bytes

    (tmp_path / "report.pdf").write_bytes(unsigned_pdf())
    (tmp_path / "report.json").write_bytes(sidecar_bytes(before, after, rewrites))
    res = verify_report(tmp_path / "report.pdf")
    assert not res.ok and not res.signed
    assert any("not signed" in p for p in res.problems)
    assert res.sidecar_match  # the sidecar is fine; the missing signature alone fails it


def test_untrusted_certificate_fails(signed, tmp_path):
    res = verify_report(signed)  # system roots only
    assert res.intact and res.valid and not res.trusted and not res.ok
    other = init_keys(tmp_path / "other", key_type="ec")
    res = verify_report(signed, trust=other.cert)
    assert not res.trusted and not res.ok
    with pytest.raises(DataError, match="not found"):  # bad input (exit 2), not a failed verification
        verify_report(signed, trust=tmp_path / "missing.pem")


def test_mismatched_or_missing_sidecar_fails(signed, keydir, tmp_path):
    p = _copy(signed, tmp_path)
    side = json.loads((tmp_path / "report.json").read_text())
    side["before"]["summary"]["verdict"]["four_fifths_pass"] = not side["before"]["summary"]["verdict"]["four_fifths_pass"]
    (tmp_path / "report.json").write_text(json.dumps(side, indent=2, sort_keys=True) + "\n")
    res = verify_report(p, trust=keydir / "signing-cert.pem")
    assert res.intact and res.trusted and not res.sidecar_match and not res.ok
    (tmp_path / "report.json").unlink()
    res = verify_report(p, trust=keydir / "signing-cert.pem")
    assert not res.ok and res.sidecar_found is False and any("missing" in x for x in res.problems)
    assert verify_report(p, trust=keydir / "signing-cert.pem", check_sidecar=False).ok
    with pytest.raises(DataError, match="not found"):
        verify_report(tmp_path / "nope.pdf")


def test_garbage_file_fails_cleanly(tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"this is not a pdf")
    res = verify_report(tmp_path / "report.pdf", check_sidecar=False)
    assert not res.ok and "readable PDF" in res.problems[0]


# ------------------------------------------------------------------ PKCS#12
def test_p12_signing_and_password_errors(tmp_path):
    p12 = _p12(tmp_path / "id.p12", b"s3cret")
    signer = load_signer(p12=p12, password="s3cret")
    signed_bytes = sign_pdf_bytes(unsigned_pdf(), signer)
    (tmp_path / "report.pdf").write_bytes(signed_bytes)
    res = verify_report(tmp_path / "report.pdf", trust=p12.with_suffix(".pem"), check_sidecar=False)
    assert res.ok and "P12 Signer" in res.signer
    with pytest.raises(SigningError, match="password is wrong"):
        load_signer(p12=p12, password="wrong")
    with pytest.raises(SigningError, match="no password"):
        load_signer(p12=p12)
    with pytest.raises(SigningError, match="not found"):
        load_signer(p12=tmp_path / "missing.p12", password="x")
    with pytest.raises(SigningError, match="exactly one"):
        load_signer()


def test_expired_certificate_is_refused(tmp_path):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    p12 = _p12(tmp_path / "old.p12", b"pw", days=10, not_before=old)
    with pytest.raises(SigningError, match="expired"):
        load_signer(p12=p12, password=b"pw")
    # same for a key folder
    key, cert = make_self_signed("Old", days=1, key_type="ec", not_before=old)
    d = tmp_path / "oldkeys"
    d.mkdir()
    (d / "signing-key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (d / "signing-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "signing-key.pem").chmod(0o600)
    with pytest.raises(SigningError, match="expired"):
        load_signer(key_dir=d)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_private_key_readable_by_others_is_refused(tmp_path, keydir):
    """Issue 11, item 3: like ssh, refuse a key file other users can access."""
    d = tmp_path / "keys"
    shutil.copytree(keydir, d)
    (d / "signing-key.pem").chmod(0o644)
    with pytest.raises(SigningError, match=r"accessible by other users \(mode 0644\).*chmod 600"):
        load_signer(key_dir=d)
    (d / "signing-key.pem").chmod(0o640)
    with pytest.raises(SigningError, match="mode 0640"):
        load_signer(key_dir=d)
    (d / "signing-key.pem").chmod(0o600)
    assert load_signer(key_dir=d) is not None
    p12 = _p12(tmp_path / "id.p12", b"pw")
    p12.chmod(0o604)
    with pytest.raises(SigningError, match="mode 0604"):
        load_signer(p12=p12, password="pw")


# ------------------------------------------------------------------ atomic output
@pytest.fixture
def fast_pdf(monkeypatch):
    """Skip the (slow) HTML -> PDF step: these tests are about the file handling."""
    monkeypatch.setattr(pdf_mod, "html_to_pdf", lambda html: unsigned_pdf())


def test_output_folder_that_is_a_file_leaves_nothing(tmp_path, fast_pdf):
    before = audits()[0]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="not a folder"):
        build_report(before, blocker / "report.pdf")
    assert blocker.read_text() == "x"


def test_read_only_folder_leaves_nothing(tmp_path, fast_pdf, monkeypatch):
    before = audits()[0]
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    # root (as in CI) can write into a read-only folder, so the permission check is made to answer as it does for
    # any other user; were the check removed, root would write the report and the test would fail
    real_access = os.access

    def access(path, mode, *args, **kw):
        if mode & os.W_OK and Path(path).resolve() == d.resolve():
            return False
        return real_access(path, mode, *args, **kw)

    monkeypatch.setattr(os, "access", access)
    try:
        with pytest.raises(ReportError, match="not writable"):
            build_report(before, d / "report.pdf")
        assert list(d.iterdir()) == []
    finally:
        d.chmod(0o755)


def test_failure_while_writing_leaves_no_partial_files(tmp_path, fast_pdf, monkeypatch):
    from fairaudit import atomic

    before = audits()[0]
    real = os.fsync
    calls = []

    def flaky(fd):
        calls.append(fd)
        if len(calls) == 2:  # the sidecar is written, then the disk fills up while writing the PDF
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", flaky)
    with pytest.raises(ReportError, match="No space left"):
        build_report(before, tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []


def test_signing_failure_leaves_nothing(tmp_path, fast_pdf, keydir, monkeypatch):
    from fairaudit.report import sign as sign_mod

    def boom(*a, **k):
        raise SigningError("signing failed: token removed")

    monkeypatch.setattr(sign_mod, "sign_pdf_bytes", boom)
    with pytest.raises(SigningError):
        build_report(audits()[0], tmp_path / "report.pdf", sign_with=load_signer(key_dir=keydir))
    assert list(tmp_path.iterdir()) == []


def test_existing_report_is_replaced_only_on_success(tmp_path, fast_pdf, monkeypatch):
    before = audits()[0]
    (tmp_path / "report.pdf").write_bytes(b"old pdf")
    (tmp_path / "report.json").write_bytes(b"old json")
    monkeypatch.setattr(pdf_mod, "html_to_pdf", lambda html: (_ for _ in ()).throw(ReportError("template error")))
    with pytest.raises(ReportError):
        build_report(before, tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes() == b"old pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.pdf"]
