"""Benchmark: time to render, print, sign and verify a before/after report for 400 jobs.

The two audits are real (``fairaudit.audit`` with BM25 on synthetic hiring
data; the "after" audit re-measures the jobs with their gender-coded words
neutralised by the lexicon), and are computed once, untimed. Then, over
``--repeats`` runs, it times each step of :func:`fairaudit.report.build_report`
separately (sidecar JSON, HTML + charts, WeasyPrint PDF, pyHanko signature,
atomic write) and the full call, plus ``verify_report``.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/report_bench.py                 # 400 jobs x 1,000 candidates
    HF_HUB_OFFLINE=1 python benchmarks/report_bench.py --jobs 50 --candidates 300 --repeats 1

Writes ``benchmarks/results/report_bench.json``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent


def make_audits(n_jobs: int, n_candidates: int, seed: int):
    import difflib

    import pandas as pd

    from fairaudit import audit
    from fairaudit.data.datasets import make_hiring_data
    from fairaudit.text.lexicon import neutralize_text

    jobs, cands = make_hiring_data(n_jobs, n_candidates, seed=seed)
    kw = dict(recommender="bm25", k=(10, 50), n_bootstrap=200, seed=seed,
              created_at="2025-01-01T00:00:00+00:00", data_source=f"make_hiring_data(seed={seed})")
    before = audit(jobs, cands, **kw)
    new = jobs.assign(text=[neutralize_text(t) for t in jobs["text"]])
    after = audit(new, cands, drivers=False, decomposition=False, **kw)
    k = before.config.effective_gap_k
    gb = before.per_job.query("k == @k and attribute == 'sex'").set_index("job_id")["gap"]
    ga = after.per_job.query("k == @k and attribute == 'sex'").set_index("job_id")["gap"]
    changed = jobs[jobs["text"] != new["text"]]
    rw = pd.DataFrame({
        "job_id": changed["job_id"].to_numpy(), "original": changed["text"].to_numpy(),
        "rewrite": new.loc[changed.index, "text"].to_numpy(),
        "gap_before": gb.loc[changed["job_id"]].to_numpy(), "gap_after": ga.loc[changed["job_id"]].to_numpy(),
        "meaning_score": [difflib.SequenceMatcher(a=a, b=b).ratio()
                          for a, b in zip(changed["text"], new.loc[changed.index, "text"])],
    })
    rw["accepted"] = rw["gap_after"] <= rw["gap_before"]
    return before, after, rw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=400)
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "results" / "report_bench.json"))
    args = ap.parse_args(argv)

    from fairaudit.atomic import write_text
    from fairaudit.report import build_report, init_keys, load_signer, verify_report
    from fairaudit.report.pdf import html_to_pdf, write_files
    from fairaudit.report import render_report, sidecar_bytes
    from fairaudit.report.sign import sign_pdf_bytes

    t0 = time.perf_counter()
    before, after, rewrites = make_audits(args.jobs, args.candidates, args.seed)
    audit_s = time.perf_counter() - t0
    print(f"audits (untimed setup): {audit_s:.1f} s, {len(rewrites)} rewritten jobs", file=sys.stderr)

    names = ("sidecar", "html", "pdf", "sign", "write", "build_report", "verify")
    steps: dict[str, list[float]] = {k: [] for k in names}  # wall-clock seconds
    cpu: dict[str, list[float]] = {k: [] for k in names}  # CPU seconds of this process (robust to a busy machine)
    clock: dict[str, float] = {}

    def start(name: str) -> None:
        clock[name] = time.perf_counter()
        clock[name + ".cpu"] = time.process_time()

    def stop(name: str) -> None:
        steps[name].append(time.perf_counter() - clock[name])
        cpu[name].append(time.process_time() - clock[name + ".cpu"])

    with tempfile.TemporaryDirectory() as tmp:
        kp = init_keys(Path(tmp) / "keys")  # RSA-3072, the default
        signer = load_signer(key_dir=Path(tmp) / "keys")
        html_hashes, pages = set(), None
        for r in range(args.repeats):
            start("sidecar")
            side = sidecar_bytes(before, after, rewrites)
            stop("sidecar")
            start("html")
            html = render_report(before, after, rewrites, sidecar_sha256=hashlib.sha256(side).hexdigest())
            stop("html")
            html_hashes.add(hashlib.sha256(html.encode()).hexdigest())
            start("pdf")
            pdf = html_to_pdf(html)
            stop("pdf")
            start("sign")
            signed = sign_pdf_bytes(pdf, signer)
            stop("sign")
            start("write")
            write_files({Path(tmp) / f"step{r}.json": side, Path(tmp) / f"step{r}.pdf": signed})
            stop("write")

            out = Path(tmp) / f"report{r}.pdf"
            start("build_report")
            files = build_report(before, out, after=after, rewrites=rewrites, sign_with=signer)
            stop("build_report")
            pages = files.pages
            start("verify")
            res = verify_report(out, trust=kp.cert)
            stop("verify")
            assert res.ok, res.problems
            print(f"run {r + 1}/{args.repeats}: build_report {steps['build_report'][-1]:.2f} s "
                  f"({pages} pages), verify {steps['verify'][-1]:.2f} s", file=sys.stderr)
        size = files.size_bytes
        sidecar_size = len(side)

    result: dict[str, Any] = {
        "benchmark": "report_bench",
        "n_jobs": args.jobs, "n_candidates": args.candidates, "n_rewrites": int(len(rewrites)),
        "ks": list(before.config.ks), "attributes": list(before.config.attributes),
        "repeats": args.repeats, "pages": pages, "pdf_bytes": size, "sidecar_bytes": sidecar_size,
        "key": "RSA-3072 self-signed", "signature": "PAdES B-B (pyHanko)",
        "html_deterministic": len(html_hashes) == 1,
        "seconds_median": {k: round(statistics.median(v), 3) for k, v in steps.items()},
        "seconds_all": {k: [round(x, 3) for x in v] for k, v in steps.items()},
        "cpu_seconds_median": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
        "audit_setup_seconds": round(audit_s, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps({"wall": result["seconds_median"], "cpu": result["cpu_seconds_median"]}, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
