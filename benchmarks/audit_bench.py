"""Benchmark: the first (cold-cache) full audit, threads, the cached audit, and what the defaults keep exact.

Measures, on this machine (issue 13's acceptance lives here, not in timed tests):

1. **cold audit**: ``fairaudit.audit(...)`` with the defaults (drivers for the
   flagged jobs, identity-blind decomposition on a stratified sample of 2,000
   candidates) in a fresh Python process with an empty embedding cache
   (``FAIRAUDIT_CACHE`` pointed at an empty folder), model load included: wall
   time, torch threads, and per stage the seconds and the texts the model
   embedded (``AuditResult.run_info``). Target: at most 5 minutes for 1,000 jobs
   x 10,000 candidates;
2. **threads**: plain ``SentenceTransformer.encode`` with 1 thread and with every
   usable core, interleaved in A-B / B-A order on the same texts, and the
   largest difference between the two sets of embeddings;
3. embedding throughput of ``EmbeddingRecommender.encode`` (cold cache, default
   threads) against plain ``SentenceTransformer.encode`` (target: within 10 %);
4. **cached** audits: the default audit and the core audit (no drivers, no
   decomposition) once every embedding is cached (target for the core: < 5 s);
5. **the exact run**: ``drivers="all", decomposition="full"`` on the same cache
   (the settings of earlier versions), then the checks: headline tables
   identical, drivers of the flagged jobs identical to the all-jobs run, the
   exact identity part inside the sampled estimate's interval.

The load average is recorded at the start and the end of every phase: the
development machine is shared, and times measured under load are pessimistic.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/audit_bench.py            # 1,000 jobs x 10,000 candidates
    HF_HUB_OFFLINE=1 python benchmarks/audit_bench.py --small    # 100 x 1,000, quick check
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
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent
TARGET_COLD_S = 300.0
TARGET_AUDIT_S = 5.0
TARGET_EMBED_RATIO = 0.9
HEADLINE = ("impact", "parity", "diversity", "ranking", "per_job")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    import torch

    from fairaudit.threads import default_threads

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = None
    return {
        "python": sys.version.split()[0], "platform": platform.platform(), "cpu": cpu,
        "cpu_count": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
        "memory_gib": None if mem is None else round(mem, 1), "torch": torch.__version__,
        "torch_default_threads": torch.get_num_threads(), "fairaudit_default_threads": default_threads(),
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "FAIRAUDIT_THREADS", "OMP_WAIT_POLICY")},
        "load_average_at_start": load(),
    }


def standin_data(n_jobs: int, n_candidates: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small synthetic tables in the canonical columns, used only when
    ``fairaudit.data.datasets.make_hiring_data`` is not available."""
    rng = np.random.default_rng(seed)
    roles = ["software engineer", "registered nurse", "truck driver", "accountant", "teacher",
             "electrician", "data analyst", "chef", "marketing manager", "pharmacist"]
    skills = ["python", "patient care", "logistics", "bookkeeping", "curriculum design", "wiring",
              "sql", "menu planning", "branding", "dispensing", "leadership", "teamwork", "negotiation"]
    first = {"female": ["Emily", "Lakisha", "Mei", "Maria", "Aisha"], "male": ["Greg", "Jamal", "Wei", "Jose", "Omar"]}
    race = ["white", "black", "asian", "hispanic"]
    jobs = []
    for j in range(n_jobs):
        role = roles[j % len(roles)]
        sk = rng.choice(skills, 3, replace=False)
        jobs.append({"job_id": f"J{j:05d}", "title": role.title(),
                     "text": f"We are hiring a {role}. You bring {sk[0]}, {sk[1]} and {sk[2]}; "
                             f"{int(rng.integers(1, 10))} years of experience."})
    cands = []
    for c in range(n_candidates):
        sex = ["female", "male"][int(rng.integers(2))]
        r = int(rng.integers(4))
        role = roles[int(rng.integers(len(roles)))]
        sk = rng.choice(skills, 4, replace=False)
        name = f"{first[sex][r]} {['Smith', 'Washington', 'Chen', 'Garcia'][r]}"
        cands.append({"candidate_id": f"C{c:06d}", "name": name, "sex": sex, "race_ethnicity": race[r],
                      "text": f"{name}. {role.title()} with {int(rng.integers(1, 20))} years: "
                              f"{', '.join(sk)}. Candidate {c}."})
    return pd.DataFrame(jobs), pd.DataFrame(cands)


def load_data(n_jobs: int, n_candidates: int, standin: bool) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    if not standin:
        try:
            from fairaudit.data.datasets import make_hiring_data
        except ImportError as exc:
            print(f"fairaudit.data.datasets.make_hiring_data unavailable ({exc}); using the stand-in data",
                  file=sys.stderr)
        else:
            out = make_hiring_data(n_jobs, n_candidates, seed=0)
            jobs, cands = (out[0], out[1]) if isinstance(out, tuple) else (out.jobs, out.candidates)
            return jobs, cands, "fairaudit.datasets.make_hiring_data(seed=0)"
    jobs, cands = standin_data(n_jobs, n_candidates)
    return jobs, cands, "stand-in (benchmarks/audit_bench.py:standin_data)"


def phase(result: dict[str, Any], name: str, fn, *args: Any, **kwargs: Any) -> Any:
    """Run one phase, recording the load average before and after it."""
    before = load()
    print(f"[{time.strftime('%H:%M:%S')}] {name} (load {before}) ...", flush=True)
    out = fn(*args, **kwargs)
    result.setdefault("load_average", {})[name] = {"start": before, "end": load()}
    return out


def stage_table(run_info: dict[str, Any]) -> dict[str, Any]:
    return {s["stage"]: {"seconds": s["seconds"], "texts_embedded": s["texts_embedded"]}
            for s in run_info.get("stages", [])}


# -- 1. the cold audit, in a fresh process ------------------------------------------------------------
def cold_child(args: argparse.Namespace) -> int:
    """Child process: generate the data, run the default audit on an empty cache, save what the parent needs."""
    t_start = time.perf_counter()
    import fairaudit

    t_import = time.perf_counter() - t_start
    jobs, cands, source = load_data(args.jobs, args.candidates, args.standin)
    t0 = time.perf_counter()
    res = fairaudit.audit(jobs, cands, k=(10, 50), target="pool", seed=0, n_bootstrap=args.n_bootstrap,
                          decomposition_sample=args.decomposition_sample, created_at="2026-01-01T00:00:00Z",
                          progress=args.progress)
    t_audit = time.perf_counter() - t0
    res.to_json(args.child_dir / "cold_audit.json")
    info = {"audit_s": round(t_audit, 3), "import_s": round(t_import, 3),
            "process_s": round(time.perf_counter() - t_start, 3), "threads": res.run_info["threads"],
            "stages": stage_table(res.run_info),
            "texts_embedded": sum(s["texts_embedded"] for s in res.run_info["stages"]),
            "peak_rss_mib": round(peak_rss_mib(), 1), "data_source": source}
    (args.child_dir / "cold_info.json").write_text(json.dumps(info, indent=2))
    return 0


def bench_cold(n_jobs: int, n_cands: int, n_boot: int, n_sample: int, cache: Path, work: Path,
               standin: bool) -> dict[str, Any]:
    env = {**os.environ, "FAIRAUDIT_CACHE": str(cache)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--cold-child", "--jobs", str(n_jobs),
           "--candidates", str(n_cands), "--n-bootstrap", str(n_boot), "--decomposition-sample", str(n_sample),
           "--child-dir", str(work), "--progress"]  # what a user sees on stderr (a bar per stage)
    if standin:
        cmd.append("--standin")
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    wall = time.perf_counter() - t0
    info = json.loads((work / "cold_info.json").read_text())
    return {"wall_s_with_process_start": round(wall, 3), **info}


# -- 2. threads -----------------------------------------------------------------------------------------
def bench_threads(texts: list[str], batch_size: int, parts: int) -> dict[str, Any]:
    """Plain sentence-transformers with 1 thread and every usable core, interleaved on the same texts."""
    import torch

    from fairaudit.models import load_sentence_transformer
    from fairaudit.threads import usable_cpus

    st = load_sentence_transformer(None, "cpu")
    n_all = usable_cpus()
    before = torch.get_num_threads()
    st.encode(texts[:batch_size], batch_size=batch_size)  # warm-up
    secs = {1: 0.0, n_all: 0.0}
    got: dict[int, list[np.ndarray]] = {1: [], n_all: []}
    for i, part in enumerate(np.array_split(np.arange(len(texts)), parts)):
        chunk = [texts[j] for j in part]
        for n in ((1, n_all) if i % 2 == 0 else (n_all, 1)):
            torch.set_num_threads(n)
            t0 = time.perf_counter()
            got[n].append(st.encode(chunk, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False))
            secs[n] += time.perf_counter() - t0
    torch.set_num_threads(before)
    diff = float(np.abs(np.concatenate(got[1]) - np.concatenate(got[n_all])).max())
    return {"n_texts": len(texts), "batch_size": batch_size, "parts": parts, "all_threads": n_all,
            "texts_per_s_1_thread": round(len(texts) / secs[1], 1),
            f"texts_per_s_{n_all}_threads": round(len(texts) / secs[n_all], 1),
            "speedup_all_vs_1": round(secs[1] / secs[n_all], 3), "max_abs_diff_1_vs_all": diff}


def bench_embedding(texts: list[str], cache_dir: Path, batch_size: int, parts: int) -> dict[str, Any]:
    """fairaudit's encode (cold cache, default threads) against plain sentence-transformers (same threads)."""
    import torch

    from fairaudit.recommenders import EmbeddingRecommender
    from fairaudit.threads import default_threads

    rec = EmbeddingRecommender(batch_size=batch_size, cache_dir=cache_dir)
    st = rec.st_model
    n = default_threads()
    before = torch.get_num_threads()
    torch.set_num_threads(n)  # plain gets the threads fairaudit uses
    st.encode(texts[:batch_size], batch_size=batch_size, normalize_embeddings=True)  # warm-up, not cached
    t_plain = t_ours = 0.0
    max_diff = 0.0
    for i, part in enumerate(np.array_split(np.arange(len(texts)), parts)):
        chunk = [texts[j] for j in part]
        got: dict[str, np.ndarray] = {}
        for which in (("plain", "ours") if i % 2 == 0 else ("ours", "plain")):
            t0 = time.perf_counter()
            if which == "plain":
                got[which] = st.encode(chunk, batch_size=batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)
                t_plain += time.perf_counter() - t0
            else:
                got[which] = rec.encode(chunk, cache=True)
                t_ours += time.perf_counter() - t0
        max_diff = max(max_diff, float(np.abs(got["plain"] - got["ours"]).max()))
    torch.set_num_threads(before)
    return {"n_texts": len(texts), "batch_size": batch_size, "parts": parts, "threads": n,
            "plain_texts_per_s": round(len(texts) / t_plain, 1), "fairaudit_texts_per_s": round(len(texts) / t_ours, 1),
            "ratio_fairaudit_to_plain": round(t_plain / t_ours, 4), "max_abs_diff_vs_plain": max_diff}


# -- 4. cached audits and 5. the exact run --------------------------------------------------------------
def run_audit(jobs: pd.DataFrame, cands: pd.DataFrame, n_boot: int, **options: Any) -> tuple[float, Any]:
    import fairaudit

    t0 = time.perf_counter()
    res = fairaudit.audit(jobs, cands, k=(10, 50), target="pool", seed=0, n_bootstrap=n_boot,
                          created_at="2026-01-01T00:00:00Z", **options)
    return time.perf_counter() - t0, res


def bench_cached(jobs: pd.DataFrame, cands: pd.DataFrame, n_boot: int, n_sample: int, repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, options in (("default", {"decomposition_sample": n_sample}),
                           ("core", {"drivers": "none", "decomposition": "none"})):
        runs = [run_audit(jobs, cands, n_boot, **options) for _ in range(repeats)]
        out[label] = {"options": options or "defaults", "runs_s": [round(t, 3) for t, _ in runs],
                      "median_s": round(float(np.median([t for t, _ in runs])), 3),
                      "texts_embedded": [sum(s["texts_embedded"] for s in r.run_info["stages"]) for _, r in runs],
                      "stages_last_run": stage_table(runs[-1][1].run_info)}
    return out


def tables_of(res: Any) -> dict[str, list]:
    """The tables as stored in the audit JSON (the same floats a reader of the file sees)."""
    return json.loads(res.to_json())["tables"]


def checks(cold: Any, exact: Any) -> dict[str, Any]:
    """Issue 13's equality checks between the default (cold) audit and the exact all-jobs / full run."""
    a, b = tables_of(cold), tables_of(exact)
    headline = {name: a[name] == b[name] for name in HEADLINE}
    drv = cold.summary.get("drivers", {})
    flagged_ids = {r["job_id"] for r in a["drivers"]}
    sub = [r for r in b["drivers"] if r["job_id"] in flagged_ids]
    s, f = cold.summary.get("decomposition", {}), exact.summary.get("decomposition", {})
    inside = (s.get("identity_part_ci_low") is not None and
              s["identity_part_ci_low"] <= f.get("mean_identity_part", float("nan")) <= s["identity_part_ci_high"])
    return {
        "headline_tables_identical": all(headline.values()), "headline_tables": headline,
        "jobs_flagged": drv.get("n_flagged"), "jobs_with_driver_rows": len(flagged_ids),
        "driver_rows_flagged_jobs": len(a["drivers"]),
        "drivers_of_flagged_jobs_identical_to_all_run": a["drivers"] == sub,
        "identity_part_sample": s.get("mean_identity_part"),
        "identity_part_sample_ci": [s.get("identity_part_ci_low"), s.get("identity_part_ci_high")],
        "identity_part_full": f.get("mean_identity_part"),
        "full_inside_sample_ci": bool(inside),
        "noise_floor": drv.get("noise_floor"), "threshold": drv.get("threshold"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="100 jobs x 1,000 candidates, 200 bootstrap resamples")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--candidates", type=int, default=None)
    ap.add_argument("--n-bootstrap", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3, help="timed audits with a warm cache")
    ap.add_argument("--parts", type=int, default=4, help="interleaved parts of the throughput comparisons")
    ap.add_argument("--embed-sample", type=int, default=1000, help="texts for the throughput comparisons")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--decomposition-sample", type=int, default=None,
                    help="candidates in the decomposition's sample (default 2,000; --small: 300)")
    ap.add_argument("--skip-exact", action="store_true", help="skip phase 5 (the drivers=all, full run)")
    ap.add_argument("--standin", action="store_true", help="use the built-in stand-in data")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    n_jobs = args.jobs or (100 if args.small else 1000)
    n_cands = args.candidates or (1000 if args.small else 10_000)
    n_boot = args.n_bootstrap if args.n_bootstrap is not None else (200 if args.small else 1000)
    n_sample = args.decomposition_sample or (300 if args.small else 2000)
    if args.cold_child:
        args.jobs, args.candidates, args.n_bootstrap, args.decomposition_sample = n_jobs, n_cands, n_boot, n_sample
        return cold_child(args)
    out_path = args.out or ROOT / "results" / ("audit_bench_small.json" if args.small else "audit_bench.json")

    from fairaudit.atomic import write_text

    result: dict[str, Any] = {"benchmark": "audit_bench", "machine": machine_info(),
                              "n_jobs": n_jobs, "n_candidates": n_cands, "n_bootstrap": n_boot,
                              "decomposition_sample": n_sample}
    with tempfile.TemporaryDirectory(prefix="fairaudit-bench-") as tmp:
        cache, work = Path(tmp) / "cache", Path(tmp) / "work"
        work.mkdir()
        result["cold"] = phase(result, "cold", bench_cold, n_jobs, n_cands, n_boot, n_sample, cache, work,
                               args.standin)
        c = result["cold"]
        print(f"  cold audit {c['audit_s']} s ({c['threads']} threads), {c['texts_embedded']} texts embedded: "
              f"{c['stages']}", flush=True)
        os.environ["FAIRAUDIT_CACHE"] = str(cache)  # the rest of the run uses the cache the cold audit filled
        jobs, cands, source = load_data(n_jobs, n_cands, args.standin)
        result["data"] = {"source": source}
        texts = list(dict.fromkeys(cands["text"].astype(str).tolist() + jobs["text"].astype(str).tolist()))
        pick = np.sort(np.random.default_rng(0).choice(len(texts), min(args.embed_sample, len(texts)), replace=False))
        sample = [texts[i] for i in pick]
        result["threads"] = phase(result, "threads", bench_threads, sample, args.batch_size, args.parts)
        print(f"  threads: {result['threads']}", flush=True)
        result["embedding"] = phase(result, "embedding", bench_embedding, sample, Path(tmp) / "cache-throughput",
                                    args.batch_size, args.parts)
        print(f"  embedding: {result['embedding']}", flush=True)
        result["cached"] = phase(result, "cached", bench_cached, jobs, cands, n_boot, n_sample, args.repeats)
        print(f"  cached: default {result['cached']['default']['median_s']} s, "
              f"core {result['cached']['core']['median_s']} s", flush=True)
        if not args.skip_exact:
            t, exact = phase(result, "exact", run_audit, jobs, cands, n_boot, drivers="all", decomposition="full")
            result["exact_run"] = {"options": {"drivers": "all", "decomposition": "full"},
                                   "partly_cached_s": round(t, 3), "stages": stage_table(exact.run_info),
                                   "texts_embedded": sum(s["texts_embedded"] for s in exact.run_info["stages"]),
                                   "note": "run on the cache the cold default audit filled: it embeds only the "
                                           "counterfactual texts of the jobs that were not flagged and the masked "
                                           "profiles outside the sample"}
            from fairaudit import AuditResult

            cold = AuditResult.from_json(work / "cold_audit.json")
            result["checks"] = checks(cold, exact)
            print(f"  checks: {result['checks']}", flush=True)
        result["peak_rss_mib_parent"] = round(peak_rss_mib(), 1)
        result["cache_mib"] = round(sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 2**20, 1)

    chk = result.get("checks", {})
    result["targets"] = {
        "cold_audit_s_le": TARGET_COLD_S, "cold_audit_met": result["cold"]["audit_s"] <= TARGET_COLD_S,
        "cold_process_met": result["cold"]["wall_s_with_process_start"] <= TARGET_COLD_S,
        "audit_cached_s_lt": TARGET_AUDIT_S,
        "audit_cached_core_met": result["cached"]["core"]["median_s"] < TARGET_AUDIT_S,
        "audit_cached_default_met": result["cached"]["default"]["median_s"] < TARGET_AUDIT_S,
        "embedding_ratio_ge": TARGET_EMBED_RATIO,
        "embedding_met": result["embedding"]["ratio_fairaudit_to_plain"] >= TARGET_EMBED_RATIO,
        "headline_tables_identical": chk.get("headline_tables_identical"),
        "drivers_of_flagged_jobs_identical": chk.get("drivers_of_flagged_jobs_identical_to_all_run"),
        "full_identity_part_inside_sample_ci": chk.get("full_inside_sample_ci"),
    }
    result["machine"]["load_average_at_end"] = load()
    text = json.dumps(result, indent=2, default=str)
    print(text)
    write_text(out_path, text + "\n")
    print(f"saved {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
