"""`fairaudit keys init`, `fairaudit report` and `fairaudit verify` end to end."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from fairaudit.cli import main
from fairaudit.report.keys import make_self_signed
from test_report_render import audits


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    before, after, rewrites = audits()
    before.to_json(d / "before.json")
    after.to_json(d / "after.json")
    rewrites.to_csv(d / "rewrites.csv", index=False)
    (d / "corrupt.json").write_text('{"schema_version": 1, "tables": ')
    return {"dir": d, "before": d / "before.json", "after": d / "after.json", "rewrites": d / "rewrites.csv",
            "corrupt": d / "corrupt.json"}


@pytest.fixture(scope="module")
def keys(inputs) -> Path:
    d = inputs["dir"] / "keys"
    assert main(["keys", "init", "--dir", str(d), "--key-type", "ec", "--name", "CLI Signer"]) == 0
    assert os.stat(d / "signing-key.pem").st_mode & 0o777 == 0o600
    return d


@pytest.fixture(scope="module")
def report(inputs, keys) -> Path:
    out = inputs["dir"] / "out" / "report.pdf"
    rc = main(["report", "--audit", str(inputs["before"]), "--after", str(inputs["after"]),
               "--rewrites", str(inputs["rewrites"]), "--out", str(out), "--key-dir", str(keys),
               "--page-size", "Letter", "--period", "2025-Q1", "--quiet"])
    assert rc == 0
    return out


def test_report_and_verify(report, keys, capsys):
    assert report.exists() and report.with_suffix(".json").exists()
    side = json.loads(report.with_suffix(".json").read_text())
    assert side["after"] is not None and side["rewrites"]["rows"]
    capsys.readouterr()
    assert main(["verify", str(report), "--trust", str(keys / "signing-cert.pem")]) == 0
    out = capsys.readouterr().out
    assert "CLI Signer" in out and "intact:      yes" in out and "trusted:     yes" in out and "matches" in out
    assert main(["verify", str(report), "--trust", str(keys / "signing-cert.pem"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_verify_failures_exit_non_zero(report, keys, tmp_path, capsys):
    assert main(["verify", str(report)]) == 1  # self-signed, no --trust
    assert "not trusted" in capsys.readouterr().out
    bad = tmp_path / "report.pdf"
    data = bytearray(report.read_bytes())
    data[len(data) // 3] ^= 0x01
    bad.write_bytes(bytes(data))
    (tmp_path / "report.json").write_bytes(report.with_suffix(".json").read_bytes())
    assert main(["verify", str(bad), "--trust", str(keys / "signing-cert.pem")]) == 1
    assert "FAILED" in capsys.readouterr().out
    other = tmp_path / "other.json"
    other.write_text("{}")
    assert main(["verify", str(report), "--trust", str(keys / "signing-cert.pem"), "--sidecar", str(other)]) == 1
    assert "DOES NOT MATCH" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "missing.pdf")]) == 2  # bad input, not a failed verification
    assert "not found" in capsys.readouterr().err


def test_bad_inputs_give_one_message_and_no_pdf(inputs, keys, tmp_path, capsys, monkeypatch):
    out = tmp_path / "r" / "report.pdf"
    assert main(["report", "--audit", str(inputs["corrupt"]), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not valid audit JSON" in err and "Traceback" not in err
    assert main(["report", "--audit", str(tmp_path / "missing.json"), "--out", str(out), "--quiet"]) == 2
    assert "not found" in capsys.readouterr().err

    key, cert = make_self_signed("P12", days=30, key_type="ec")
    p12 = tmp_path / "id.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"id", key, cert, None, serialization.BestAvailableEncryption(b"right")))
    p12.chmod(0o600)
    monkeypatch.setenv("MY_P12_PW", "wrong")
    rc = main(["report", "--audit", str(inputs["before"]), "--out", str(out), "--p12", str(p12),
               "--p12-password-env", "MY_P12_PW", "--quiet"])
    assert rc == 2 and "password is wrong" in capsys.readouterr().err

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    rc = main(["report", "--audit", str(inputs["before"]), "--out", str(blocker / "report.pdf"), "--quiet"])
    assert rc == 2 and "not a folder" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "r").exists() or list((tmp_path / "r").iterdir()) == []


def test_world_readable_key_exits_2_with_one_line(inputs, keys, tmp_path, capsys):
    """Issue 11, item 3: a key file with mode 0644 does not sign silently."""
    import shutil

    d = tmp_path / "keys"
    shutil.copytree(keys, d)
    (d / "signing-key.pem").chmod(0o644)
    out = tmp_path / "report.pdf"
    rc = main(["report", "--audit", str(inputs["before"]), "--out", str(out), "--key-dir", str(d), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "chmod 600" in err and err.count("\n") == 1 and not out.exists()


def _drop_sex_rows(d):
    d["tables"]["parity"] = [r for r in d["tables"]["parity"] if r["attribute"] != "sex"]


@pytest.mark.parametrize("damage, match", [
    (lambda d: d["tables"].pop("impact"), "tables.impact: is required"),
    (lambda d: d["tables"].__setitem__("impact", []), "tables.impact: has no rows"),
    (lambda d: d["tables"]["impact"][0].__setitem__("selection_rate", "abc"),
     "tables.impact[0].selection_rate: Input should be a valid number (got 'abc')"),
    (lambda d: d["tables"]["per_job"][3].__setitem__("gap", "0,5"), "tables.per_job[3].gap"),
    (lambda d: d["tables"]["parity"][0].__setitem__("four_fifths_pass", "yes"), "four_fifths_pass"),
    (_drop_sex_rows, "tables.parity has no rows for k=10, attribute 'sex'"),
    (lambda d: d["config"].__setitem__("ks", [10, 10]), "config.ks: must be distinct"),
    (lambda d: d["provenance"].pop("audit_id"), "provenance.audit_id: is required"),
    (lambda d: d.pop("summary"), "summary: is required"),
])
def test_damaged_audit_json_is_rejected_before_rendering(inputs, tmp_path, capsys, damage, match):
    """Issue 11, item 6: validate the audit JSON against its schema; exit 2, one line, no report."""
    d = json.loads(inputs["before"].read_text())
    damage(d)
    bad = tmp_path / "damaged.json"
    bad.write_text(json.dumps(d))
    out = tmp_path / "report.pdf"
    rc = main(["report", "--audit", str(bad), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert match in err and "not a valid fairaudit audit result" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() and not out.with_suffix(".json").exists()


def _bm25_swapped(job_texts, cand_texts):
    """Another recommender: BM25 with the roles of jobs and candidates swapped."""
    from fairaudit.recommenders import BM25Recommender

    return BM25Recommender().fit(list(job_texts)).score(list(cand_texts)).T


@pytest.mark.parametrize("change, match", [
    ({"candidates_seed": 4}, "the candidates differ"),
    ({"recommender": _bm25_swapped}, "the recommender differs"),
    ({"k": (10, 30)}, "the settings differ (ks: (10, 20) vs (10, 30)"),
    ({"min_share": 0.05}, "min_share: 0.02 vs 0.05"),
])
def test_after_audit_of_something_else_is_refused(inputs, tmp_path, capsys, change, match):
    """Issue 11, item 8: --after must be a re-audit of the same candidates, recommender and settings."""
    from fairaudit import audit
    from fairaudit.data.datasets import make_hiring_data
    from test_report_render import CREATED

    jobs, cands = make_hiring_data(24, 240, seed=3)
    if "candidates_seed" in change:
        cands = make_hiring_data(24, 240, seed=change["candidates_seed"])[1]
    kw = dict(recommender=change.get("recommender", "bm25"), k=change.get("k", (10, 20)), n_bootstrap=60,
              seed=0, created_at=CREATED, drivers=False, decomposition=False)
    if "min_share" in change:
        kw["min_share"] = change["min_share"]
    other = tmp_path / "other.json"
    audit(jobs, cands, **kw).to_json(other)
    out = tmp_path / "report.pdf"
    rc = main(["report", "--audit", str(inputs["before"]), "--after", str(other), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "not comparable" in err and match in err and err.count("\n") == 1
    assert not out.exists()


def test_keys_init_refuses_to_overwrite(keys, capsys):
    assert main(["keys", "init", "--dir", str(keys)]) == 2
    assert "--force" in capsys.readouterr().err


# ------------------------------------------------------------------ issue 25, item 1: the rewrites file, typed
def test_report_counts_the_rewrites_file_as_written(inputs, keys, tmp_path):
    """pandas 3 reads "False" as text and ``astype(bool)`` made every row accepted: the sidecar counted them all."""
    from test_report_render import audits

    _, _, rewrites = audits()
    rewrites = rewrites.assign(accepted=[i % 3 == 0 for i in range(len(rewrites))])
    csv_file = tmp_path / "rw.csv"
    rewrites.to_csv(csv_file, index=False)  # "True" / "False" as text, as any CSV writer does
    out = tmp_path / "r.pdf"
    assert main(["report", "--audit", str(inputs["before"]), "--after", str(inputs["after"]),
                 "--rewrites", str(csv_file), "--out", str(out), "--key-dir", str(keys), "--quiet"]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())["rewrites"]["summary"]
    assert 0 < summary["n_accepted"] == int(rewrites["accepted"].sum()) < len(rewrites)
    kept = rewrites[rewrites["accepted"]]
    assert summary["mean_gap_after_accepted"] == pytest.approx(kept["gap_after"].mean())


@pytest.mark.parametrize("column, value, row", [("accepted", "yes", 2), ("accepted", "", 1),
                                                ("gap_after", "0,5", 3)])
def test_a_bad_cell_in_the_rewrites_file_names_column_and_row(inputs, tmp_path, capsys, column, value, row):
    from test_report_render import audits

    _, _, rewrites = audits()
    rewrites = rewrites.astype({column: object})
    rewrites.loc[rewrites.index[row - 1], column] = value
    rewrites.to_csv(tmp_path / "rw.csv", index=False)
    out = tmp_path / "r.pdf"
    rc = main(["report", "--audit", str(inputs["before"]), "--rewrites", str(tmp_path / "rw.csv"),
               "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and f"column {column!r}, row {row}: {value!r}" in err, err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


# ------------------------------------------------------------------ issue 25, item 9: signing keys
def _key_dir(folder: Path, *, password: bytes | None = None, usage: dict | None = None) -> Path:
    """A key folder like `keys init` writes, optionally with an encrypted key or another key usage."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Key Test")])
    now = dt.datetime.now(dt.timezone.utc)
    flags = dict(digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                 key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(**{**flags, **(usage or {})}), critical=True)
            .sign(key, hashes.SHA256()))
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    (folder / "signing-key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                               serialization.PrivateFormat.PKCS8, enc))
    (folder / "signing-key.pem").chmod(0o600)
    (folder / "signing-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder


def test_an_encrypted_key_dir_key_takes_its_password_from_the_environment(inputs, tmp_path, capsys, monkeypatch):
    keys = _key_dir(tmp_path / "keys", password=b"s3cret")
    out = tmp_path / "r.pdf"
    base = ["report", "--audit", str(inputs["before"]), "--out", str(out), "--key-dir", str(keys), "--quiet"]
    for extra, env, message in [([], None, "is encrypted and no password was given"),
                                (["--password-env", "KEY_PW"], "wrong", "the password is wrong"),
                                (["--password-env", "KEY_PW"], None, "KEY_PW is not set")]:
        if env is None:
            monkeypatch.delenv("KEY_PW", raising=False)
        else:
            monkeypatch.setenv("KEY_PW", env)
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert not out.exists()
    monkeypatch.setenv("KEY_PW", "s3cret")
    assert main([*base, "--password-env", "KEY_PW"]) == 0
    assert main(["verify", str(out), "--trust", str(keys / "signing-cert.pem")]) == 0


@pytest.mark.parametrize("usage", [dict(digital_signature=False, content_commitment=False, key_encipherment=True),
                                   dict(content_commitment=False)])
def test_a_certificate_verify_would_reject_is_refused_at_signing(inputs, tmp_path, capsys, usage):
    """It used to sign, and `verify` then said "not trusted" for every report it signed."""
    keys = _key_dir(tmp_path / "keys", usage=usage)
    out = tmp_path / "r.pdf"
    rc = main(["report", "--audit", str(inputs["before"]), "--out", str(out), "--key-dir", str(keys), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "not meant for signing documents" in err and "key usage" in err, err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("args, message", [(["--days", "10000000"], "the latest date a certificate can hold"),
                                           (["--name", "x" * 65], "1 to 64 characters"),
                                           (["--org", "o" * 65], "1 to 64 characters")])
def test_keys_init_validates_days_and_names(tmp_path, capsys, args, message):
    assert main(["keys", "init", "--dir", str(tmp_path / "k"), "--key-type", "ec", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not (tmp_path / "k" / "signing-key.pem").exists()


def test_keys_init_accepts_the_longest_validity_and_name(tmp_path):
    import datetime as dt

    from fairaudit.report.keys import make_self_signed

    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    most = (dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc) - start).days
    _, cert = make_self_signed("n" * 64, "o" * 64, days=most, key_type="ec", not_before=start)
    assert cert.not_valid_after_utc.year == 9999
    from fairaudit.errors import SigningError

    with pytest.raises(SigningError, match=f"at most {most} days"):
        make_self_signed(days=most + 1, key_type="ec", not_before=start)
