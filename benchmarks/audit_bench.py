"""Benchmark: embedding throughput and audit time on synthetic hiring data.

Measures, on this machine, in one process:

1. embedding throughput (texts/s) of ``EmbeddingRecommender.encode`` with a cold
   cache (hashing, cache writes included) against plain
   ``SentenceTransformer.encode`` on the same unique texts, interleaved in
   A-B / B-A order over several parts so a change in machine load hits both
   (a seeded sample of 2,000 of the pool's texts by default, to keep the run short);
2. the time of ``fairaudit.audit(...)`` once every embedding is cached (ranking,
   metrics, bootstrap, drivers, identity-blind decomposition; the model is
   already loaded); a counter on the model checks that nothing was embedded;
3. peak resident memory (``ru_maxrss``) after each phase.

Targets: audit with cached embeddings < 5 s; embedding within 10 % of plain.

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
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent
TARGET_AUDIT_S = 5.0
TARGET_EMBED_RATIO = 0.9


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def machine_info() -> dict[str, Any]:
    import torch

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
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def standin_data(n_jobs: int, n_candidates: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small synthetic tables in the canonical columns, used only when
    ``fairaudit.datasets.make_hiring_data`` is not available."""
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
            from fairaudit.datasets import make_hiring_data
        except ImportError as exc:
            print(f"fairaudit.datasets.make_hiring_data unavailable ({exc}); using the stand-in data",
                  file=sys.stderr)
        else:
            out = make_hiring_data(n_jobs, n_candidates, seed=0)
            jobs, cands = (out[0], out[1]) if isinstance(out, tuple) else (out.jobs, out.candidates)
            return jobs, cands, "fairaudit.datasets.make_hiring_data(seed=0)"
    jobs, cands = standin_data(n_jobs, n_candidates)
    return jobs, cands, "stand-in (benchmarks/audit_bench.py:standin_data)"


class CountingEncode:
    """Wraps a model's ``encode`` to count the texts that really go through the model."""

    def __init__(self, model: Any):
        self.model, self.inner, self.texts = model, model.encode, 0
        model.encode = self

    def __call__(self, texts: Any, *args: Any, **kwargs: Any) -> Any:
        self.texts += len(texts)
        return self.inner(texts, *args, **kwargs)

    def restore(self) -> None:
        self.model.encode = self.inner


def bench_embedding(texts: list[str], cache_dir: Path, batch_size: int, parts: int) -> dict[str, Any]:
    from fairaudit.recommenders import EmbeddingRecommender

    rec = EmbeddingRecommender(batch_size=batch_size, cache_dir=cache_dir)
    st = rec.st_model
    st.encode(texts[:batch_size], batch_size=batch_size, normalize_embeddings=True)  # warm-up, not cached
    t_plain = t_ours = 0.0
    max_diff = 0.0
    for i, part in enumerate(np.array_split(np.arange(len(texts)), parts)):
        chunk = [texts[j] for j in part]
        order = ("plain", "ours") if i % 2 == 0 else ("ours", "plain")
        got: dict[str, np.ndarray] = {}
        for which in order:
            t0 = time.perf_counter()
            if which == "plain":
                got[which] = st.encode(chunk, batch_size=batch_size, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)
                t_plain += time.perf_counter() - t0
            else:
                got[which] = rec.encode(chunk, cache=True)
                t_ours += time.perf_counter() - t0
        max_diff = max(max_diff, float(np.abs(got["plain"] - got["ours"]).max()))
    n = len(texts)
    return {
        "n_texts": n, "batch_size": batch_size, "parts": parts,
        "mean_chars": float(np.mean([len(t) for t in texts])),
        "plain_sentence_transformers_s": round(t_plain, 3),
        "fairaudit_cold_cache_s": round(t_ours, 3),
        "plain_texts_per_s": round(n / t_plain, 1),
        "fairaudit_texts_per_s": round(n / t_ours, 1),
        "ratio_fairaudit_to_plain": round(t_plain / t_ours, 4),
        "max_abs_diff_vs_plain": max_diff,
    }


def bench_audit(jobs: pd.DataFrame, cands: pd.DataFrame, cache_dir: Path, batch_size: int, n_bootstrap: int,
                repeats: int) -> dict[str, Any]:
    import fairaudit
    from fairaudit.recommenders import EmbeddingRecommender

    def run(drivers: bool, decomposition: bool) -> tuple[float, int, Any]:
        rec = EmbeddingRecommender(batch_size=batch_size, cache_dir=cache_dir)
        counter = CountingEncode(rec.st_model)
        try:
            t0 = time.perf_counter()
            res = fairaudit.audit(jobs, cands, recommender=rec, k=(10, 50), target="pool", seed=0,
                                  n_bootstrap=n_bootstrap, drivers=drivers, decomposition=decomposition,
                                  progress=False)
            return time.perf_counter() - t0, counter.texts, res
        finally:
            counter.restore()

    out: dict[str, Any] = {"n_bootstrap": n_bootstrap, "k": [10, 50], "repeats": repeats}
    for label, drivers, decomposition in (("full", True, True), ("core", False, False)):
        # first run fills the cache with what the earlier phase did not embed
        # (job texts, identity-masked candidates, counterfactual texts of the drivers)
        t_first, n_first, _ = run(drivers, decomposition)
        times, encoded = [], []
        for _ in range(repeats):
            t, n, res = run(drivers, decomposition)
            times.append(t)
            encoded.append(n)
        out[label] = {
            "drivers": drivers, "decomposition": decomposition,
            "first_run_s": round(t_first, 3), "first_run_texts_embedded": n_first,
            "cached_runs_s": [round(t, 3) for t in times], "cached_median_s": round(float(np.median(times)), 3),
            "cached_runs_texts_embedded": encoded,
        }
        out[label]["headline"] = _headline(res)
    return out


def _headline(res: Any) -> dict[str, Any]:
    """Audit id and the scalar headline figures, to compare runs at a glance."""
    summary = res.to_dict().get("summary", {})
    return {"audit_id": res.provenance.get("audit_id"),
            **{k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool))}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="100 jobs x 1,000 candidates, 200 bootstrap resamples")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--candidates", type=int, default=None)
    ap.add_argument("--n-bootstrap", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3, help="timed audits with a warm cache")
    ap.add_argument("--parts", type=int, default=4, help="interleaved parts for the throughput comparison")
    ap.add_argument("--embed-sample", type=int, default=None,
                    help="texts for the throughput comparison (default: 2,000; --small: all); "
                         "the rest of the pool is embedded by the first audit run")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    ap.add_argument("--standin", action="store_true", help="use the built-in stand-in data")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    n_jobs = args.jobs or (100 if args.small else 1000)
    n_cands = args.candidates or (1000 if args.small else 10_000)
    n_boot = args.n_bootstrap if args.n_bootstrap is not None else (200 if args.small else 1000)
    out_path = args.out or ROOT / "results" / ("audit_bench_small.json" if args.small else "audit_bench.json")

    from fairaudit.atomic import write_text

    result: dict[str, Any] = {"benchmark": "audit_bench", "machine": machine_info(),
                              "n_jobs": n_jobs, "n_candidates": n_cands}
    t0 = time.perf_counter()
    jobs, cands, source = load_data(n_jobs, n_cands, args.standin)
    result["data"] = {"source": source, "generate_s": round(time.perf_counter() - t0, 3)}
    print(f"data: {len(jobs)} jobs x {len(cands)} candidates from {source}", flush=True)

    with tempfile.TemporaryDirectory(prefix="fairaudit-bench-cache-") as tmp:
        cache_dir = Path(tmp)
        t0 = time.perf_counter()
        from fairaudit.models import load_sentence_transformer

        load_sentence_transformer(None, "cpu")
        result["model_load_s"] = round(time.perf_counter() - t0, 3)
        texts = list(dict.fromkeys(cands["text"].astype(str).tolist() + jobs["text"].astype(str).tolist()))
        n_sample = args.embed_sample or (len(texts) if args.small else 2000)
        if n_sample < len(texts):
            pick = np.sort(np.random.default_rng(0).choice(len(texts), n_sample, replace=False))
            texts = [texts[i] for i in pick]
        result["embedding_sample_of_unique_texts"] = len(texts)
        print(f"embedding {len(texts)} unique texts twice (plain vs fairaudit) ...", flush=True)
        result["embedding"] = bench_embedding(texts, cache_dir, args.batch_size, args.parts)
        result["peak_rss_mib_after_embedding"] = round(peak_rss_mib(), 1)
        e = result["embedding"]
        print(f"  plain {e['plain_texts_per_s']} texts/s, fairaudit {e['fairaudit_texts_per_s']} texts/s "
              f"(ratio {e['ratio_fairaudit_to_plain']})", flush=True)

        print("auditing (first run fills the cache, then timed runs) ...", flush=True)
        result["audit"] = bench_audit(jobs, cands, cache_dir, args.batch_size, n_boot, args.repeats)
        result["peak_rss_mib_after_audit"] = round(peak_rss_mib(), 1)
        result["cache_mib"] = round(sum(f.stat().st_size for f in cache_dir.rglob("*") if f.is_file()) / 2**20, 1)

    a = result["audit"]
    result["targets"] = {
        "audit_cached_s_lt": TARGET_AUDIT_S,
        "audit_cached_full_met": a["full"]["cached_median_s"] < TARGET_AUDIT_S,
        "audit_cached_core_met": a["core"]["cached_median_s"] < TARGET_AUDIT_S,
        "embedding_ratio_ge": TARGET_EMBED_RATIO,
        "embedding_met": result["embedding"]["ratio_fairaudit_to_plain"] >= TARGET_EMBED_RATIO,
    }
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=2, default=str)
    print(text)
    write_text(out_path, text + "\n")
    print(f"saved {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
