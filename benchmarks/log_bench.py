"""Log benchmark: a streamed log audit (DuckDB) vs a plain pandas load-and-groupby, time and peak memory.

For each size a synthetic log of ``rows`` (job, candidate) pairs is written to
Parquet (jobs x ``--per-job`` candidates drawn without replacement from
``--people`` people, a float score and a selected flag), then two measurements
run, each in a fresh subprocess so that its peak resident memory
(``ru_maxrss``, DuckDB's native memory included) is its own:

* **fairaudit**: ``fairaudit.audit_log(path, people, k=..., stream=True)``, the whole
  audit (every table, the per-job permutation null and the bootstrap);
* **pandas**: ``pd.read_parquet`` of the log, a merge with the people, each job's
  top-k by score (``groupby().rank``) and the selected pairs per job and sex
  (``groupby().size``): the least an audit of the same log needs, in memory.

Sizes that fail (e.g. pandas running out of memory) are recorded with their
error. Run it on an otherwise idle machine: the numbers are meaningless under load.

    .venv/bin/python benchmarks/log_bench.py                       # 1M, 5M, 10M, 50M rows
    .venv/bin/python benchmarks/log_bench.py --rows 1000000        # one size
    .venv/bin/python benchmarks/log_bench.py --rows 20000 --out /tmp/x.json   # a quick check of the script
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_ROWS = (1_000_000, 5_000_000, 10_000_000, 50_000_000)


def write_data(folder: Path, rows: int, per_job: int, people: int, seed: int = 0) -> tuple[Path, Path]:
    """The log (Parquet, written in chunks of jobs: bounded memory) and the people table of one size."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    people_path = folder / "people.parquet"
    if not people_path.exists():
        pd.DataFrame({"candidate_id": [f"p{i}" for i in range(people)],
                      "sex": rng.choice(["female", "male", ""], people, p=[0.47, 0.47, 0.06]),
                      "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic", ""], people,
                                                   p=[0.55, 0.15, 0.12, 0.15, 0.03])}).to_parquet(people_path)
    log_path = folder / f"log_{rows}.parquet"
    if log_path.exists():
        return log_path, people_path
    n_jobs, chunk = rows // per_job, 2000
    ids = np.array([f"p{i}" for i in range(people)], dtype=object)
    schema = pa.schema([("job_id", pa.string()), ("candidate_id", pa.string()), ("score", pa.float32()),
                        ("selected", pa.bool_())])
    with pq.ParquetWriter(log_path, schema) as writer:
        for start in range(0, n_jobs, chunk):
            jobs = range(start, min(start + chunk, n_jobs))
            cands = np.concatenate([rng.choice(people, per_job, replace=False) for _ in jobs])
            n = len(cands)
            writer.write_table(pa.table({
                "job_id": np.repeat([f"j{j}" for j in jobs], per_job).astype(object),
                "candidate_id": ids[cands], "score": rng.random(n, dtype=np.float32),
                "selected": rng.random(n) < 0.05}, schema=schema))
    return log_path, people_path


def run_fairaudit(log: str, people: str, ks: list[int], permutations: int, bootstrap: int, memory_limit: str) -> dict:
    import pandas as pd

    import fairaudit

    t0 = time.perf_counter()
    result = fairaudit.audit_log(log, pd.read_parquet(people), k=ks, stream=True, memory_limit=memory_limit,
                                 n_permutations=permutations, n_bootstrap=bootstrap)
    return {"seconds": time.perf_counter() - t0, "jobs": result.provenance["n_jobs"],
            "pairs": result.provenance["n_pairs"], "min_impact_ratio": result.summary["verdict"]["min_impact_ratio"]}


def run_pandas(log: str, people: str, ks: list[int]) -> dict:
    import pandas as pd

    t0 = time.perf_counter()
    df = pd.read_parquet(log).merge(pd.read_parquet(people), on="candidate_id")
    place = df.groupby("job_id")["score"].rank(ascending=False, method="first")
    out = {f"selected_k{k}": df[place <= k].groupby(["job_id", "sex"]).size().groupby("sex").sum().to_dict()
           for k in ks}
    considered = df.groupby(["job_id", "sex"]).size().groupby("sex").sum().to_dict()
    return {"seconds": time.perf_counter() - t0, "considered": considered, **out}


def child(args: argparse.Namespace) -> None:
    """One measurement in this process; prints its JSON with the peak resident memory."""
    ks = list(args.k)
    try:
        out = (run_fairaudit(args.log, args.people, ks, args.permutations, args.bootstrap, args.memory_limit)
               if args.child == "fairaudit" else run_pandas(args.log, args.people, ks))
        out["ok"] = True
    except Exception as exc:  # recorded, e.g. MemoryError at 50M rows
        out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps(out, default=str))


def measure(kind: str, log: Path, people: Path, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--log", str(log), "--people", str(people),
           "--k", *map(str, args.k), "--permutations", str(args.permutations), "--bootstrap", str(args.bootstrap),
           "--memory-limit", args.memory_limit]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"ok": False, "error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"}
    return json.loads(lines[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS))
    p.add_argument("--per-job", type=int, default=500, help="candidates each job considered (default 500)")
    p.add_argument("--n-people", type=int, default=200_000, help="distinct people (default 200,000)")
    p.add_argument("--k", type=int, nargs="+", default=[10, 50])
    p.add_argument("--permutations", type=int, default=1000)
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--memory-limit", default="2GB", help="DuckDB's memory limit (default 2GB)")
    p.add_argument("--data-dir", help="where the logs are written (default: a temporary folder)")
    p.add_argument("--out", default=str(HERE / "results" / "log_bench.json"))
    p.add_argument("--child", choices=["fairaudit", "pandas"], help=argparse.SUPPRESS)
    p.add_argument("--log", help=argparse.SUPPRESS)
    p.add_argument("--people", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args)
        return
    folder = Path(args.data_dir or tempfile.mkdtemp(prefix="log_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for rows in args.rows:
        log, people = write_data(folder, rows, args.per_job, args.n_people)
        entry = {"rows": rows, "jobs": rows // args.per_job, "log_mb": log.stat().st_size / 2**20}
        for kind in ("fairaudit", "pandas"):
            entry[kind] = measure(kind, log, people, args)
            print(f"{rows:>12,} rows  {kind:9s} {entry[kind].get('seconds', float('nan')):8.1f} s  "
                  f"peak {entry[kind].get('peak_mb', float('nan')):8.0f} MB  {entry[kind].get('error', '')}",
                  flush=True)
        runs.append(entry)
    out = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
           "settings": {"per_job": args.per_job, "people": args.n_people, "k": args.k,
                        "permutations": args.permutations, "bootstrap": args.bootstrap,
                        "memory_limit": args.memory_limit},
           "runs": runs}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
