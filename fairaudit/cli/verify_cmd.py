"""``fairaudit verify``: check a report's signature, trust and JSON sidecar."""
from __future__ import annotations

import argparse
import json

from ._common import parse_time


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify", help="verify a signed report and its JSON sidecar",
        description="Print the signer, the signing time and the certificate's validity, and check that the "
                    "signature is intact and valid, that the signer's certificate was valid when the report "
                    "was signed and is trusted (at the signature's timestamp if it has one, otherwise now), "
                    "that the signature covers the whole file, and that the JSON sidecar matches the hash in "
                    "the PDF. Exit status 0 only when every check holds, 1 when one fails, 2 for bad input.")
    p.add_argument("pdf", help="the signed report")
    p.add_argument("--trust", action="append", metavar="CERT",
                   help="trust this certificate (PEM/DER), e.g. keys/signing-cert.pem or your CA; repeatable. "
                        "Default: the system trust roots")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--sidecar", metavar="JSON", help="the sidecar (default: the .json next to the PDF)")
    side.add_argument("--no-sidecar", action="store_true", help="skip the sidecar check")
    p.add_argument("--at", metavar="TIME", type=parse_time,
                   help="check the certificate as of this ISO 8601 time (e.g. 2030-01-01T00:00:00Z) "
                        "instead of now; a trusted signature timestamp takes precedence")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=run)


def _yn(v: bool | None) -> str:
    return "not checked" if v is None else ("yes" if v else "NO")


def run(args: argparse.Namespace) -> int:
    from ..report import verify_report

    res = verify_report(args.pdf, trust=args.trust, sidecar=args.sidecar, check_sidecar=not args.no_sidecar,
                        validation_time=args.at)
    if args.json:
        print(json.dumps(res.to_dict(), indent=2))
        return 0 if res.ok else 1
    print(f"report:      {res.path}")
    print(f"signed:      {_yn(res.signed)}")
    if res.signed:
        print(f"signer:      {res.signer or 'unknown'}")
        source = {"timestamp": " (trusted timestamp)", "signer's clock": " (signer's clock, no timestamp)"}
        print(f"signed at:   {res.signing_time or 'unknown'}{source.get(res.signing_time_source or '', '')}")
        if res.cert_not_before:
            print(f"certificate: valid {res.cert_not_before} to {res.cert_not_after}")
        print(f"intact:      {_yn(res.intact)}")
        print(f"valid:       {_yn(res.valid)}")
        trust = f" (trust: {', '.join(args.trust)})" if args.trust else " (system trust roots)"
        checked = f", checked at {res.validation_time}" if res.validation_time else ""
        print(f"trusted:     {_yn(res.trusted)}" + (trust + checked if res.trusted is not None else ""))
        print(f"whole file:  {_yn(res.covers_whole_file)}")
    if args.no_sidecar:
        print("sidecar:     not checked")
    elif not res.sidecar_found:
        print(f"sidecar:     {res.sidecar}: MISSING")
    else:
        print(f"sidecar:     {res.sidecar}: " + ("matches" if res.sidecar_match else "DOES NOT MATCH")
              + (f" (sha256 {res.sidecar_sha256_expected})" if res.sidecar_match else ""))
    if res.ok:
        print("result:      OK, the report is authentic and unchanged")
        return 0
    print("result:      FAILED")
    for problem in res.problems:
        print(f"  - {problem}")
    return 1
