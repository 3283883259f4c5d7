"""The ``fairaudit`` command line: thin argparse wrappers over the Python API.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``; the module adds its parser and sets ``func`` to a
function ``(args) -> int`` (the exit code). No metric is computed here.

Errors a user can cause (:class:`~fairaudit.errors.FairauditError`) are printed
as one line on stderr with a non-zero exit code, never as a traceback; warnings
(:class:`~fairaudit.errors.FairauditWarning`) as one line each.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from typing import Sequence

from ..errors import FairauditError, FairauditWarning

#: Sub-command modules, in the order they appear in ``--help``.
COMMANDS = ("demo", "datasets", "audit", "check", "rewrite", "report", "summary", "verify", "keys", "review", "history")


def build_parser() -> argparse.ArgumentParser:
    from ..version import __version__

    parser = argparse.ArgumentParser(
        prog="fairaudit",
        description="Audit job-ad recommenders for gender and race/ethnicity bias, "
        "rewrite biased job texts, and produce signed PDF audit reports.",
    )
    parser.add_argument("--version", action="version", version=f"fairaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".{name}_cmd", __name__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"{name}_cmd"):
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def quiet_dependency_warnings() -> None:
    """Hide deprecation notices that a dependency raises about its own dependencies on import.

    cryptography 51 warns that DSA is deprecated when pyHanko imports its DSA key class; the notice says
    nothing about the user's input and would stand before the one line a failed command prints
    ("fairaudit verify: error: report not found: missing.pdf").
    """
    warnings.filterwarnings("ignore", message=r".*is deprecated and support will be removed",
                            module=r"pyhanko(_certvalidator)?(\.|$)")


def main(argv: Sequence[str] | None = None) -> int:
    quiet_dependency_warnings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", FairauditWarning)
            warnings.showwarning = _one_line_warning(args.command, warnings.showwarning)
            return int(args.func(args) or 0)
    except FairauditError as exc:
        print(f"fairaudit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"fairaudit {args.command}: interrupted; no output was written", file=sys.stderr)
        return 130


def _one_line_warning(command: str, default):
    """Print fairaudit's own warnings as ``fairaudit <command>: warning: <message>``, others as usual."""

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, FairauditWarning):
            print(f"fairaudit {command}: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def run() -> None:  # console-script entry point
    sys.exit(main())
