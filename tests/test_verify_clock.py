"""Issue 19, item 10: a signing time later than the verification time fails, and says which clock is wrong."""
from __future__ import annotations

import datetime as dt

import pytest

from fairaudit.cli import main
from fairaudit.report import verify_report
from fairaudit.report.verify import CLOCK_TOLERANCE
from pki import UTC, dummy_tsa, issue, make_ca, pyhanko_sign
from test_report_render import unsigned_pdf
from test_verify_trust import _write

NOW = dt.datetime.now(UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki-clock")
    ca = make_ca()
    return {"dir": d, "ca": ca, "ca_pem": ca.write_pem(d / "ca.pem"),
            "signer": issue(ca, "Clock Signer", NOW - DAY, NOW + 800 * DAY),
            "tsa": issue(ca, "Clock TSA", NOW - DAY, NOW + 3650 * DAY, tsa=True)}


def _sign_with_clock(monkeypatch, pki, offset: dt.timedelta, timestamper=None) -> bytes:
    """Sign as a signer whose clock runs ``offset`` ahead (pyHanko reads the signing time from datetime.now)."""
    import pyhanko.sign.signers.pdf_signer as pdf_signer

    real = pdf_signer.datetime

    class Skewed(real):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) + offset

    with monkeypatch.context() as m:
        m.setattr(pdf_signer, "datetime", Skewed)
        return pyhanko_sign(unsigned_pdf(), pki["signer"], chain=(pki["ca"],), timestamper=timestamper)


def test_signer_clock_a_year_ahead_fails_and_names_the_signers_clock(pki, monkeypatch, tmp_path, capsys):
    # Clock readings around the signing, not the module's NOW: a run that crosses midnight moves the date.
    before = dt.datetime.now(UTC).replace(microsecond=0)
    pdf = _write(tmp_path, "ahead", _sign_with_clock(monkeypatch, pki, dt.timedelta(days=365)))
    after = dt.datetime.now(UTC)
    res = verify_report(pdf, trust=pki["ca_pem"])
    assert res.intact and res.valid and res.signing_time_source == "signer's clock"
    signed = dt.datetime.fromisoformat(res.signing_time.replace("Z", "+00:00"))
    assert before + 365 * DAY <= signed <= after + 365 * DAY
    assert not res.ok and res.signed_before_check is False
    assert len(res.problems) == 1 and "the signer's clock was ahead" in res.problems[0]
    assert main(["verify", str(pdf), "--trust", str(pki["ca_pem"])]) == 1
    assert "signer's clock was ahead" in capsys.readouterr().out


def test_within_the_tolerance_passes(pki, monkeypatch, tmp_path):
    pdf = _write(tmp_path, "drift", _sign_with_clock(monkeypatch, pki, CLOCK_TOLERANCE - dt.timedelta(minutes=1)))
    res = verify_report(pdf, trust=pki["ca_pem"])
    assert res.ok, res.problems
    assert res.signed_before_check is True


def test_at_before_the_signing_time_fails(pki, tmp_path, capsys):
    pdf = _write(tmp_path, "now", pyhanko_sign(unsigned_pdf(), pki["signer"], chain=(pki["ca"],)))
    assert verify_report(pdf, trust=pki["ca_pem"]).ok
    earlier = NOW - dt.timedelta(hours=2)  # the certificate was already valid then
    res = verify_report(pdf, trust=pki["ca_pem"], validation_time=earlier)
    assert not res.ok and any("--at" in p and "before the signing time" in p for p in res.problems)
    assert main(["verify", str(pdf), "--trust", str(pki["ca_pem"]), "--at", f"{earlier:%Y-%m-%dT%H:%M:%S}Z"]) == 1
    assert "did not exist then" in capsys.readouterr().out


def test_trusted_timestamp_in_the_future_blames_this_computers_clock(pki, monkeypatch, tmp_path):
    """A trusted timestamp later than now: the verifying computer's clock is behind."""
    tsa = dummy_tsa(pki["tsa"], chain=(pki["ca"],))
    tsa.fixed_dt = NOW + 30 * DAY  # the authority's (trusted) time: this computer is a month behind
    pdf = _write(tmp_path, "stamped", _sign_with_clock(monkeypatch, pki, 30 * DAY, timestamper=tsa))
    res = verify_report(pdf, trust=pki["ca_pem"])
    assert res.signing_time_source == "timestamp", res.problems
    assert not res.ok and any("this computer's clock is behind" in p for p in res.problems)
