"""Scale benchmark: in-process vs Ray backend on this machine, time and peak memory per size.

Each (backend, size) runs in a fresh subprocess; peak memory is the largest
sum of proportional set sizes (PSS: shared pages such as Ray's object store
counted once) over the process and all its children (Ray's raylet and
workers), sampled every 0.25 s. Jobs are embedded with the deterministic
:class:`~fairaudit.backends.synthetic.HashingEmbedder`; candidates are
embedded from synthetic texts up to 100k and are seeded random unit vectors
for 1M ("synthetic embeddings"). The cluster line extrapolates the measured
CPU-seconds per scored job x candidate pair of the largest Ray run.

    .venv/bin/python benchmarks/scale_bench.py            # 1k x 10k, 10k x 100k, 10k x 1M
    .venv/bin/python benchmarks/scale_bench.py --sizes 1000x10000
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
K, DIM = 10, 64


def _pss_tree(proc) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_one(backend: str, n_jobs: int, n_cands: int, seed: int = 0) -> dict:
    """Rank once in this process; returns wall time and peak PSS of this process tree."""
    import psutil

    from fairaudit.backends import LocalBackend
    from fairaudit.backends.synthetic import HashingEmbedder, synthetic_texts

    me, peak, stop = psutil.Process(), [0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _pss_tree(me))
            time.sleep(0.25)

    rng = np.random.default_rng(seed)
    jobs = synthetic_texts(n_jobs, seed + 1)
    rec = HashingEmbedder(dim=DIM, seed=seed)
    texts = None
    if n_cands <= 100_000:
        texts = synthetic_texts(n_cands, seed + 2)
    codes = {"sex": (rng.integers(0, 2, n_cands).astype(np.int8), 2),
             "race_ethnicity": (rng.integers(0, 7, n_cands).astype(np.int8), 7)}
    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    if texts is None:  # synthetic candidate embeddings, generated in blocks (seeded)
        emb = np.empty((n_cands, DIM), dtype=np.float32)
        for s in range(0, n_cands, 100_000):
            e = np.random.default_rng([seed, s]).standard_normal((min(100_000, n_cands - s), DIM)).astype(np.float32)
            emb[s:s + len(e)] = e / np.linalg.norm(e, axis=1, keepdims=True)
        rec.candidate_embeddings_ = emb
    extra = {}
    if backend == "local":
        if texts is not None:
            rec.fit(texts)
        t1 = time.perf_counter()
        r = LocalBackend().rank(rec, jobs, K, codes, n_candidates=n_cands)
    else:
        from fairaudit.backends.ray import RayBackend

        b = RayBackend(num_cpus=os.cpu_count())
        b.start()
        t1 = time.perf_counter()
        r = b.rank(rec, jobs, K, codes, n_candidates=n_cands, candidates=texts)
        extra["cpus"] = os.cpu_count()
    t2 = time.perf_counter()
    stop.set()
    peak[0] = max(peak[0], _pss_tree(me))
    digest = int(np.bitwise_xor.reduce(r.indices.ravel() * 2654435761 % (1 << 31)))
    out = {"backend": backend, "n_jobs": n_jobs, "n_candidates": n_cands, "k": K, "dim": DIM,
           "seconds": round(t2 - t0, 2), "rank_seconds": round(t2 - t1, 2),
           "peak_mem_mib": round(peak[0] / 2**20, 1), "indices_digest": digest,
           "candidates": "texts (embedded by the backend)" if texts is not None else "synthetic embeddings", **extra}
    if backend == "ray":
        b.shutdown()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000x10000,10000x100000,10000x1000000")
    ap.add_argument("--backends", default="local,ray")
    ap.add_argument("--out", default=str(HERE / "results" / "scale_bench.json"))
    ap.add_argument("--append", action="store_true", help="keep the runs already in --out (sizes run separately)")
    ap.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._child:
        print(json.dumps(run_one(a._child[0], int(a._child[1]), int(a._child[2]))))
        return 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
    rows = []
    if a.append and Path(a.out).exists():
        rows = json.loads(Path(a.out).read_text())["runs"]
    for size in a.sizes.split(","):
        nj, nc = (int(x) for x in size.lower().split("x"))
        for be in a.backends.split(","):
            p = subprocess.run([sys.executable, __file__, "--_child", be, str(nj), str(nc)],
                               capture_output=True, text=True, env=env)
            if p.returncode != 0:
                print(p.stderr[-3000:], file=sys.stderr)
                rows.append({"backend": be, "n_jobs": nj, "n_candidates": nc, "error": p.stderr[-500:]})
                continue
            rows.append(json.loads(p.stdout.strip().splitlines()[-1]))
            print(rows[-1], flush=True)
            _write(a.out, rows, None)  # keep what is measured if a later size is interrupted
    for nj, nc in {(r["n_jobs"], r["n_candidates"]) for r in rows}:
        d = {r["backend"]: r.get("indices_digest") for r in rows if (r["n_jobs"], r["n_candidates"]) == (nj, nc)}
        if len(d) == 2:
            print(f"{nj}x{nc}: local and ray top-k identical: {len(set(d.values())) == 1}")
    ray_rows = [r for r in rows if r["backend"] == "ray" and "error" not in r]
    extrap = None
    if ray_rows:
        big = max(ray_rows, key=lambda r: r["n_jobs"] * r["n_candidates"])
        cpu_s_per_pair = big["rank_seconds"] * big["cpus"] / (big["n_jobs"] * big["n_candidates"])
        target_pairs, cores = 100_000 * 5_000_000, 512
        extrap = {"measured_at": f"{big['n_jobs']}x{big['n_candidates']}", "cpu_ns_per_pair": round(cpu_s_per_pair * 1e9, 3),
                  "target": "100k jobs x 5M candidates on 32 nodes x 16 cores (512 cores)",
                  "estimated_minutes": round(target_pairs * cpu_s_per_pair / cores / 60, 1)}
        print(f"extrapolation: {extrap['cpu_ns_per_pair']} CPU-ns per pair measured at {extrap['measured_at']} -> "
              f"{extrap['target']}: ~{extrap['estimated_minutes']} min (linear in pairs, ignores network)")
    _write(a.out, rows, extrap)
    plot(rows, Path(a.out).with_suffix(".png"))
    return 0


def _write(out: str, rows: list, extrap: dict | None) -> None:
    from fairaudit.atomic import write_text

    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "k": K, "dim": DIM,
            "note": "peak_mem_mib = max PSS summed over the process tree (driver + Ray processes); "
                    "the 2 cores were shared with other jobs (load ~7-10), so times are pessimistic"}
    write_text(out, json.dumps({"meta": meta, "runs": rows, "extrapolation": extrap}, indent=2))


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fairaudit.atomic import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for be, m in (("local", "o-"), ("ray", "s-")):
        rs = sorted((r for r in rows if r["backend"] == be and "error" not in r), key=lambda r: r["n_jobs"] * r["n_candidates"])
        x = [r["n_jobs"] * r["n_candidates"] for r in rs]
        axes[0].loglog(x, [r["seconds"] for r in rs], m, label=be)
        axes[1].semilogx(x, [r["peak_mem_mib"] / 1024 for r in rs], m, label=be)
    axes[0].set(xlabel="job x candidate pairs", ylabel="seconds", title="time")
    axes[1].set(xlabel="job x candidate pairs", ylabel="GiB", title="peak memory (PSS)")
    axes[0].legend()
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
