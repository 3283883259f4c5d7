"""Make the picture the README shows: the first page of a signed report.

Run from the repository root after a change to the report's layout::

    .venv/bin/python docs/snapshots.py

It is the documentation build's own run (``docs/_ext/guide_run.py``: the compliance
guide's commands on the example data, the audit with BM25, so no model is needed; the
report's pages rendered with poppler's ``pdftoppm``, the LL144 summary page with headless
Chromium) and copies the report's first page to ``docs/_static/img/report-page-1.png``.
That copy is committed because the README must not depend on a docs build; the docs
pages show the pictures of their own build.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "_static" / "img"
#: The pictures the README shows.
README_PICTURES = ("report-page-1.png",)


def main() -> int:
    sys.path.insert(0, str(DOCS / "_ext"))
    from guide_run import GuideRunError, generate

    with tempfile.TemporaryDirectory() as tmp:
        try:
            generate(Path(tmp))
        except GuideRunError as exc:
            print(f"snapshots: {exc}", file=sys.stderr)
            return 2
        OUT.mkdir(parents=True, exist_ok=True)
        for name in README_PICTURES:
            shutil.copyfile(Path(tmp) / name, OUT / name)
            print(OUT / name, (OUT / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
