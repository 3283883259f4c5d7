"""Make the pictures the docs and the README show: report pages and the LL144 summary page.

Run from the repository root after a change to the report's layout::

    .venv/bin/python docs/snapshots.py

It audits the synthetic data (BM25, so it needs no model), writes a signed report, renders
its pages with poppler's ``pdftoppm`` and the LL144 summary page with headless Chromium (the
tools ``.ci/run`` installs), into ``docs/_static/img/``. The pictures are committed because the
README shows one and must not depend on a docs build.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "_static" / "img"


def main() -> int:
    from fairaudit import audit, make_hiring_data
    from fairaudit.report import build_report, init_keys, load_signer, write_summary

    pdftoppm = shutil.which("pdftoppm")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not (pdftoppm and chromium):
        print("needs pdftoppm (poppler-utils) and chromium", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    jobs, candidates = make_hiring_data(60, 1200, seed=0)
    result = audit(jobs, candidates, recommender="bm25", k=(10, 50), seed=0, n_bootstrap=200,
                   drivers="flagged", decomposition="none", created_at="2026-01-15T00:00:00Z")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        init_keys(work / "keys", common_name="Example Corp compliance")
        build_report(result, work / "report.pdf", sign_with=load_signer(key_dir=work / "keys"),
                     organization="Example Corp", visible_signature=True)
        subprocess.run([pdftoppm, "-png", "-r", "70", "-f", "1", "-l", "2", str(work / "report.pdf"),
                        str(work / "page")], check=True)
        for i, page in enumerate(sorted(work.glob("page*.png")), start=1):
            shutil.copyfile(page, OUT / f"report-page-{i}.png")
        write_summary(result, work / "summary.html", distribution_date="2026-02-01", organization="Example Corp")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--disable-background-networking", "--no-first-run", f"--user-data-dir={work / 'profile'}",
                        f"--screenshot={OUT / 'll144-summary.png'}", "--window-size=1000,1400",
                        (work / "summary.html").as_uri()], check=True, capture_output=True, timeout=120)
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p, p.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
