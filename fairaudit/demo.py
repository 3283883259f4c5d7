"""The end-to-end demo on packaged data and models.

load (synthetic hiring data) -> :func:`fairaudit.pipeline.audit_rewrite_report`
(audit, rewrite the flagged jobs with AutoRefine, re-audit, signed pre/post PDF
report with its JSON sidecar) -> write every file -> the audit's own
recommendations written as a log (Parquet, every (job, candidate) pair ranked)
and audited as one (:func:`fairaudit.audit_log`), which must give the audit's
LL144 tables -> verify.

Every step is the public API; the CLI's ``fairaudit demo`` only calls
:func:`run_demo` and prints where the files are.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .atomic import atomic_path, write_text
from .data.csvsafe import write_csv
from .data.rewrites_table import REWRITES
from .options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP
from .pipeline import AutoRefineRewriter, audit_rewrite_report


@dataclass
class DemoConfig:
    """Parameters of the demo (defaults: a few minutes on 2 CPU cores)."""

    n_jobs: int = 200
    # about 87 candidates per occupation: k = 10 and 50 stay below a job's relevant
    # candidates, so wording can move the top-k (with 2,000, the top-50 holds them all)
    n_candidates: int = 4000
    seed: int = 0
    k: tuple[int, ...] = DEFAULT_KS
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP
    rewrite: bool = True
    method: str = "policy"  # AutoRefine method for the rewrites (policy = the shipped adapter)
    train: bool = False  # fine-tune the shipped adapter on the flagged jobs first
    train_steps: int = 10  # GRPO steps of that fine-tuning
    max_flagged: int = 40  # flagged jobs considered for rewriting, largest gap first
    sign: bool = True
    #: write the audit's recommendations as a log and audit it as one (the same LL144 tables)
    log: bool = True
    #: ``"embedding"`` (the packaged MiniLM, as in the README) or ``"bm25"`` (no model: a fast, small demo for tests)
    recommender: str = "embedding"


@dataclass
class DemoOutputs:
    out_dir: str
    jobs: str
    candidates: str
    audit_before: str
    audit_after: str | None = None
    rewrites: str | None = None
    adapter: str | None = None
    report_pdf: str | None = None
    report_json: str | None = None
    cert: str | None = None
    verified: bool | None = None
    #: the audit's recommendations as a log (job_id, candidate_id, rank, score) and the audit of that log
    recommendations_log: str | None = None
    audit_from_log: str | None = None
    #: whether the log audit's LL144 tables equal the audit's; the columns that differ otherwise
    log_matches_audit: bool | None = None
    log_differences: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    #: per attribute at the gap k: diversity match rate and mean gap before and after rewriting
    rewriting_effect: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Steps:
    """Numbers the demo's status lines ("[2] auditing ..."), its own and the pipeline's."""

    def __init__(self, say: Callable[[str], None]):
        self.say, self.n = say, 0

    def __call__(self, message: str) -> None:
        self.n += 1
        self.say(f"[{self.n}] {message}")


def _signer(out: Path, sign: bool) -> tuple[Any, str | None]:
    """The demo's signer and certificate (a self-signed key made on first use), or (None, None)."""
    if not sign:
        return None, None
    from .report import init_keys, load_signer

    key_dir = out / "keys"
    if not (key_dir / "signing-key.pem").exists():
        init_keys(key_dir, common_name="fairaudit demo signer")
    return load_signer(key_dir=key_dir), str(key_dir / "signing-cert.pem")


def log_step(out: Path, rec: Any, jobs: Any, cands: Any, before: Any, cfg: DemoConfig, files: DemoOutputs) -> None:
    """Write the audit's recommendations as a log, audit it as one and compare the LL144 tables (into ``files``).

    Parameters
    ----------
    out : Path
        The demo's folder.
    rec : Recommender
        The audit's recommender, fitted on ``cands``.
    jobs, cands : DataFrame
        The jobs and candidates of the audit ``before``.
    before : AuditResult
        The audit whose recommendations are logged.
    cfg : DemoConfig
        The demo's settings (k, seed, bootstrap).
    files : DemoOutputs
        Where the paths and the comparison are recorded.
    """
    from .engine.log_audit import audit_log, ll144_differences, recommendation_log

    log = recommendation_log(rec, jobs["text"].tolist(), jobs["job_id"].tolist(), cands["candidate_id"].tolist())
    files.recommendations_log = str(out / "recommendations.parquet")
    with atomic_path(files.recommendations_log) as tmp:
        log.to_parquet(tmp, index=False)
    people = cands[["candidate_id", *(c for c in ("sex", "race_ethnicity") if c in cands.columns)]]
    # every job considered every candidate: the whole pool is each job's set, so the target is the pool's mix
    from_log = audit_log(files.recommendations_log, people, jobs, k=cfg.k, target="pool", seed=cfg.seed,
                         n_bootstrap=cfg.n_bootstrap, attributes=before.config.attributes,
                         data_source="the demo audit's recommendations, written as a log")
    files.audit_from_log = str(out / "audit_from_log.json")
    from_log.to_json(files.audit_from_log)
    files.log_differences = ll144_differences(before, from_log)
    files.log_matches_audit = not files.log_differences


def rewriting_effect(before: Any, after: Any) -> list[dict[str, Any]]:
    """Match rate and mean gap of every attribute at the audit's gap k, before and after rewriting."""
    k = before.config.effective_gap_k
    b, a = before.tables["diversity"], after.tables["diversity"]
    rows = []
    for attr in b.loc[b["k"] == k, "attribute"]:
        rb = b[(b["k"] == k) & (b["attribute"] == attr)].iloc[0]
        ra = a[(a["k"] == k) & (a["attribute"] == attr)]
        if len(ra):
            ra = ra.iloc[0]
            rows.append({"attribute": attr, "k": int(k), "match_rate_before": float(rb["match_rate"]),
                         "match_rate_after": float(ra["match_rate"]), "mean_gap_before": float(rb["mean_gap"]),
                         "mean_gap_after": float(ra["mean_gap"])})
    return rows


def run_demo(out_dir: str | Path = "demo_out", config: DemoConfig | None = None,
             status: Callable[[str], None] = print, progress: bool = True) -> DemoOutputs:
    """Run the whole pipeline and write every artefact into ``out_dir``."""
    from .data.datasets import make_hiring_data
    from .recommenders import EmbeddingRecommender, make_recommender
    from .report import verify_report, write_report

    cfg = config or DemoConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    step = _Steps(status)
    t0 = time.perf_counter()

    step(f"generating synthetic hiring data ({cfg.n_jobs} jobs x {cfg.n_candidates} candidates, seed {cfg.seed})")
    jobs, cands = make_hiring_data(cfg.n_jobs, cfg.n_candidates, seed=cfg.seed)
    files = DemoOutputs(out_dir=str(out), jobs=str(out / "jobs.csv"), candidates=str(out / "candidates.csv"),
                        audit_before=str(out / "audit_before.json"))
    for frame, path in ((jobs, files.jobs), (cands, files.candidates)):
        with atomic_path(path) as tmp:
            write_csv(frame, tmp)
    t = {"data": time.perf_counter() - t0}

    rec = EmbeddingRecommender(progress=progress) if cfg.recommender == "embedding" else make_recommender(cfg.recommender)
    # the name recorded in provenance since version 1 (still importable); a new name would change audit content
    source = (f"fairaudit.datasets.make_hiring_data (n_jobs={cfg.n_jobs}, n_candidates={cfg.n_candidates}, "
              f"seed={cfg.seed})")
    rewriter = AutoRefineRewriter(rec, cands, method=cfg.method, flagged_only=True, max_jobs=cfg.max_flagged,
                                  train_steps=cfg.train_steps if cfg.train else None,
                                  save_adapter=out / "adapter", seed=cfg.seed, progress=progress,
                                  say=step) if cfg.rewrite else None
    signer, files.cert = _signer(out, cfg.sign)
    run = audit_rewrite_report(
        jobs, cands, rewriter=rewriter,
        audit_options=dict(recommender=rec, k=cfg.k, seed=cfg.seed, n_bootstrap=cfg.n_bootstrap,
                           progress=progress, data_source=source),
        report_options=dict(sign_with=signer, title="Bias audit of a job-ad recommender (synthetic demo data)"),
        say=step)

    run.before.to_json(files.audit_before)
    if run.rewrites is not None:
        files.rewrites = str(out / "rewrites.csv")
        with atomic_path(files.rewrites) as tmp:
            REWRITES.write(run.rewrites, tmp)
        files.audit_after = str(out / "audit_after.json")
        run.after.to_json(files.audit_after)
        files.adapter = rewriter.saved_adapter
        files.rewriting_effect = rewriting_effect(run.before, run.after)
    if cfg.log:
        t_log = time.perf_counter()
        step(f"writing the audit's recommendations as a log ({len(jobs) * len(cands):,} (job, candidate) rows) and "
             "auditing it as one")
        log_step(out, rec, jobs, cands, run.before, cfg, files)
        t["log"] = time.perf_counter() - t_log
    rf = write_report(run.report, out / "report.pdf")
    files.report_pdf, files.report_json = str(rf.pdf), str(rf.sidecar)

    t["audit"] = run.seconds["audit"]
    if rewriter is not None:
        t["train"] = rewriter.train_seconds
        t["rewrite"] = run.seconds["rewrite"] - rewriter.train_seconds + run.seconds["reaudit"]
    t["report"] = run.seconds["report"]
    if cfg.sign:
        step("verifying the signed report")
        files.verified = verify_report(files.report_pdf, trust=files.cert).ok
    t["total"] = time.perf_counter() - t0
    files.seconds = {k: round(v, 1) for k, v in t.items()}
    write_text(out / "demo_outputs.json", json.dumps(files.to_dict(), indent=2) + "\n")
    return files
