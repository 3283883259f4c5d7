"""``fairaudit keys``: create a signing key and a self-signed certificate."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("keys", help="manage report signing keys",
                              description="Create a key pair for signing reports.")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    init = sub.add_parser(
        "init", help="create a private key (mode 0600) and a self-signed certificate",
        description="Write signing-key.pem (readable only by you) and signing-cert.pem into DIR. Give the "
                    "certificate to the readers of your reports: `fairaudit verify report.pdf --trust "
                    "signing-cert.pem`. For reports that others must trust without that step, sign with a "
                    "certificate from your organisation's CA (`fairaudit report --p12`).")
    init.add_argument("--dir", required=True, help="folder for the key pair (created if missing)")
    init.add_argument("--name", default="fairaudit report signer", help="certificate common name (the signer)")
    init.add_argument("--org", help="organisation name in the certificate")
    init.add_argument("--days", type=int, default=1095, help="validity in days (default 1095)")
    init.add_argument("--key-type", choices=["rsa", "ec"], default="rsa", help="RSA-3072 (default) or ECDSA P-256")
    init.add_argument("--force", action="store_true", help="replace an existing key pair")
    init.set_defaults(func=run_init)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_init(args: argparse.Namespace) -> int:
    from ..report.keys import init_keys

    kp = init_keys(args.dir, common_name=args.name, organization=args.org, days=args.days,
                   key_type=args.key_type, overwrite=args.force)
    print(f"private key:  {kp.key} (mode 0600, keep it secret)")
    print(f"certificate:  {kp.cert}")
    print(f"subject:      {kp.subject}")
    print(f"valid until:  {kp.not_valid_after}")
    print(f"fingerprint:  SHA256 {kp.sha256_fingerprint}")
    print(f"sign:         fairaudit report --audit audit.json --out report.pdf --key-dir {args.dir}")
    print(f"verify:       fairaudit verify report.pdf --trust {kp.cert}")
    return 0
