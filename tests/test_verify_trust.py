"""Issue 11, item 1: the signer's certificate must be valid when the report was signed and
trusted at a time that can be relied on; poppler's ``pdfsig`` must agree with ``fairaudit verify``.

Certificates are made with ``cryptography`` and reports signed with plain pyHanko
(:mod:`pki`), so a signer whose certificate expired years ago can sign.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import skip_or_fail

from fairaudit.cli import main
from fairaudit.report import sidecar_bytes, verify_report
from pki import UTC, dummy_tsa, incremental_update, issue, make_ca, pyhanko_sign
from test_report_render import audits, unsigned_pdf

NOW = dt.datetime.now(UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca()
    return {
        "dir": d, "ca": ca, "ca_pem": ca.write_pem(d / "ca.pem"),
        # valid now, for a month
        "signer": issue(ca, "Current Signer", NOW - DAY, NOW + 30 * DAY),
        # valid 2020-2021 only
        "old": issue(ca, "Old Signer", dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2021, 1, 1, tzinfo=UTC)),
        "tsa": issue(ca, "Test TSA", NOW - DAY, NOW + 3650 * DAY, tsa=True),
    }


def _write(folder: Path, name: str, pdf: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / f"{name}.pdf"
    p.write_bytes(pdf)
    p.with_suffix(".json").write_bytes(sidecar_bytes(*audits()))
    return p


@pytest.fixture(scope="module")
def reports(pki):
    """The four cases of the acceptance test, signed PAdES like a fairaudit report."""
    d, ca, pdf = pki["dir"] / "reports", pki["ca"], unsigned_pdf()
    good = pyhanko_sign(pdf, pki["signer"], chain=(ca,))
    data = bytearray(good)
    br = [int(x) for x in re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", data).groups()]
    data[br[1] // 2] ^= 0x01  # a byte of the signed page content
    return {
        "good": _write(d, "good", good),
        "tampered": _write(d, "tampered", bytes(data)),
        "incremental": _write(d, "incremental", incremental_update(good)),
        "expired_signer": _write(d, "expired_signer", pyhanko_sign(pdf, pki["old"], chain=(ca,))),
    }


# ------------------------------------------------------------------ fairaudit's own verdicts
def test_good_report_reports_the_certificate_validity(pki, reports):
    res = verify_report(reports["good"], trust=pki["ca_pem"])
    assert res.ok, res.problems
    assert res.signing_time_source == "signer's clock"
    assert res.cert_not_after.startswith(f"{(NOW + 30 * DAY):%Y-%m-%d}")
    assert res.cert_valid_at_signing and res.validation_time


def test_expired_signer_fails_with_the_reason(pki, reports):
    res = verify_report(reports["expired_signer"], trust=pki["ca_pem"])
    assert not res.ok and res.intact and res.valid and not res.trusted
    assert res.cert_valid_at_signing is False
    assert len(res.problems) == 1 and "after the signer's certificate expired on 2021-01-01" in res.problems[0]


def test_expired_self_signed_signer_given_as_trust_fails(tmp_path):
    """The issue's case: a self-signed certificate valid 2020-2021, passed with --trust."""
    old = issue(None, "Self Signed 2020", dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2021, 1, 1, tzinfo=UTC))
    pdf = _write(tmp_path, "report", pyhanko_sign(unsigned_pdf(), old))
    cert = old.write_pem(tmp_path / "old.pem")
    res = verify_report(pdf, trust=cert)
    assert not res.ok and not res.trusted and "expired on 2021-01-01" in res.problems[0]
    assert main(["verify", str(pdf), "--trust", str(cert)]) == 1


def test_genuine_report_fails_after_its_certificate_expired(pki, reports):
    later = NOW + 60 * DAY
    assert verify_report(reports["good"], trust=pki["ca_pem"]).ok
    res = verify_report(reports["good"], trust=pki["ca_pem"], validation_time=later)
    assert not res.ok and res.cert_valid_at_signing and not res.trusted
    assert len(res.problems) == 1 and "expired on" in res.problems[0] and "no trusted timestamp" in res.problems[0]
    assert res.validation_time.startswith(f"{later:%Y-%m-%d}")
    # the same through the CLI
    assert main(["verify", str(reports["good"]), "--trust", str(pki["ca_pem"]),
                 "--at", f"{later:%Y-%m-%dT%H:%M:%S}Z"]) == 1


def test_timestamped_report_stays_valid_after_the_certificate_expired(pki, tmp_path):
    tsa = dummy_tsa(pki["tsa"], chain=(pki["ca"],))
    pdf = _write(tmp_path, "stamped", pyhanko_sign(unsigned_pdf(), pki["signer"], chain=(pki["ca"],),
                                                    timestamper=tsa))
    res = verify_report(pdf, trust=pki["ca_pem"], validation_time=NOW + 60 * DAY)
    assert res.ok, res.problems
    assert res.signing_time_source == "timestamp" and res.validation_time[:10] == res.signing_time[:10]


def test_changed_byte_reports_only_the_digest_mismatch(pki, reports, capsys):
    res = verify_report(reports["tampered"], trust=pki["ca_pem"])
    assert not res.intact and res.trusted is None and res.valid is None
    assert res.problems == ["the signed content was modified after signing (digest mismatch)"]
    assert main(["verify", str(reports["tampered"]), "--trust", str(pki["ca_pem"])]) == 1
    out = capsys.readouterr().out
    assert "intact:      NO" in out and "trusted:     not checked" in out and "not trusted" not in out


def test_incremental_update_fails_on_coverage_only(pki, reports):
    res = verify_report(reports["incremental"], trust=pki["ca_pem"])
    assert not res.ok and res.intact and res.trusted and not res.covers_whole_file
    assert len(res.problems) == 1 and "outside the signed range" in res.problems[0]


# ------------------------------------------------------------------ poppler's pdfsig agrees
@pytest.fixture(scope="module")
def nss(pki) -> str:
    """An NSS certificate database (what pdfsig reads) that trusts the test CA."""
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        skip_or_fail("poppler", "pdfsig (apt: poppler-utils) and certutil (apt: libnss3-tools) are needed")
    db = pki["dir"] / "nss"
    db.mkdir()
    run = dict(check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], **run)
    subprocess.run(["certutil", "-A", "-n", "test-ca", "-t", "C,C,C", "-i", str(pki["ca_pem"]),
                    "-d", f"sql:{db}"], **run)
    return f"sql:{db}"


def _pdfsig(pdf: Path, nssdir: str, at: dt.datetime | None = None) -> dict[str, bool]:
    # (no -no-ocsp: with it poppler 22 reports "Unknown issue" for every certificate;
    # the test certificates name no OCSP responder, so nothing is fetched)
    cmd = ["pdfsig", "-nssdir", nssdir, str(pdf)]
    if at is not None:
        cmd = ["faketime", f"{at:%Y-%m-%d %H:%M:%S}"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
                         env={"TZ": "UTC", "PATH": "/usr/bin:/bin"}).stdout
    assert "Signature #1" in out, out
    verdict = {
        "intact": "Signature is Valid." in out,
        "trusted": "Certificate is Trusted." in out,
        "expired": "Certificate has Expired" in out,
        "whole_file": "Total document signed" in out and "Not total document signed" not in out,
    }
    verdict["ok"] = verdict["intact"] and verdict["trusted"] and verdict["whole_file"]
    return verdict


def _ours(res) -> dict[str, bool]:
    return {"intact": bool(res.intact and res.valid), "trusted": bool(res.trusted),
            "expired": any("expired" in p for p in res.problems),
            "whole_file": bool(res.covers_whole_file), "ok": res.ok}


@pytest.mark.parametrize("case", ["good", "tampered", "incremental", "expired_signer"])
def test_pdfsig_agrees_with_fairaudit_verify(pki, reports, nss, case):
    theirs = _pdfsig(reports[case], nss)
    ours = _ours(verify_report(reports[case], trust=pki["ca_pem"]))
    assert ours == theirs, (case, ours, theirs)
    assert theirs["ok"] == (case == "good")
    rc = main(["verify", str(reports[case]), "--trust", str(pki["ca_pem"])])
    assert rc == (0 if theirs["ok"] else 1)


def test_pdfsig_agrees_on_a_genuine_report_after_expiry(pki, reports, nss):
    if not shutil.which("faketime"):
        skip_or_fail("poppler", "faketime (apt: faketime) is needed to run pdfsig at a later date")
    later = NOW + 60 * DAY
    theirs = _pdfsig(reports["good"], nss, at=later)
    ours = _ours(verify_report(reports["good"], trust=pki["ca_pem"], validation_time=later))
    assert theirs["expired"] and not theirs["ok"]
    assert ours == theirs


# ------------------------------------------------------------------ bad input: exit 2, one line
@pytest.mark.parametrize("trust_content, match", [
    (b"", "holds no PEM or DER certificate"),
    (b"-----BEGIN CERTIFICATE-----\nabcd\n-----END CERTIFICATE-----\n", "holds no PEM or DER certificate"),
    (None, "trust certificate not found"),
])
def test_verify_bad_input_exits_2(reports, tmp_path, capsys, trust_content, match):
    trust = tmp_path / "trust.pem"
    if trust_content is not None:
        trust.write_bytes(trust_content)
    assert main(["verify", str(reports["good"]), "--trust", str(trust)]) == 2
    err = capsys.readouterr().err
    assert match in err and err.count("\n") == 1 and "Traceback" not in err
    assert main(["verify", str(tmp_path / "missing.pdf")]) == 2
    err = capsys.readouterr().err
    assert "report not found" in err and err.count("\n") == 1


def test_missing_sidecar_is_reported_as_missing(pki, reports, tmp_path, capsys):
    """Item 13: a missing sidecar is 'missing', not 'DOES NOT MATCH'."""
    p = tmp_path / "report.pdf"
    shutil.copy(reports["good"], p)
    assert main(["verify", str(p), "--trust", str(pki["ca_pem"])]) == 1
    out = capsys.readouterr().out
    assert "MISSING" in out and "DOES NOT MATCH" not in out
