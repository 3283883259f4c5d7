"""The end-to-end demo on packaged data and models.

load (synthetic hiring data) -> recommend + measure (audit) -> rewrite the
flagged jobs (AutoRefine, a short RL run) -> re-measure -> signed pre/post PDF
report with its JSON sidecar -> verify.

Every step is the public API; the CLI's ``fairaudit demo`` only calls
:func:`run_demo` and prints where the files are.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from .atomic import atomic_path, write_text
from .audit import audit
from .result import AuditResult

#: Columns of a rewrites table (``rewriting.rewrite.COLUMNS``), for an empty one.
REWRITE_COLUMNS = ("job_id", "original", "rewrite", "accepted", "gap_before", "gap_after", "meaning_score",
                   "skill_recall", "reason", "n_sentences", "n_rewritten", "edits")


@dataclass
class DemoConfig:
    """Parameters of the demo (defaults: a few minutes on 2 CPU cores)."""

    n_jobs: int = 200
    # about 87 candidates per occupation: k = 10 and 50 stay below a job's relevant
    # candidates, so wording can move the top-k (with 2,000, the top-50 holds them all)
    n_candidates: int = 4000
    seed: int = 0
    k: tuple[int, ...] = (10, 50)
    n_bootstrap: int = 1000
    rewrite: bool = True
    method: str = "policy"  # AutoRefine method for the rewrites (policy = the shipped adapter)
    train: bool = False  # fine-tune the shipped adapter on the flagged jobs first
    train_steps: int = 10  # GRPO steps of that fine-tuning
    max_flagged: int = 40  # flagged jobs considered for rewriting, largest gap first
    sign: bool = True


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
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def flagged_jobs(result: AuditResult, jobs: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Jobs whose gap exceeds the tolerance at the audit's gap k, largest gap first.

    Whether their *wording* drives the gap is AutoRefine's first step
    (:func:`rewriting.rewrite.find_units`); jobs whose gap no sentence explains
    are left as they are.
    """
    k, attr = result.config.k_gap, result.config.gap_attribute
    pj = result.tables["per_job"]
    pj = pj[(pj["k"] == k) & (pj["attribute"] == attr) & (pj["gap"] > result.config.tolerance)]
    ids = pj.sort_values("gap", ascending=False, kind="stable")["job_id"]
    if limit:
        ids = ids.head(limit)
    return jobs.set_index("job_id").loc[list(ids)].reset_index()


def apply_rewrites(jobs: pd.DataFrame, rewrites: pd.DataFrame) -> pd.DataFrame:
    """Jobs with the accepted rewrites substituted (rejected ones keep the original)."""
    acc = rewrites[rewrites["accepted"].astype(bool)].set_index("job_id")["rewrite"]
    out = jobs.copy()
    mask = out["job_id"].isin(acc.index)
    out.loc[mask, "text"] = out.loc[mask, "job_id"].map(acc)
    return out


def run_demo(out_dir: str | Path = "demo_out", config: DemoConfig | None = None,
             status: Callable[[str], None] = print, progress: bool = True) -> DemoOutputs:
    """Run the whole pipeline and write every artefact into ``out_dir``."""
    from .datasets import make_hiring_data

    cfg = config or DemoConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t: dict[str, float] = {}
    t0 = time.perf_counter()

    status(f"[1/6] generating synthetic hiring data ({cfg.n_jobs} jobs x {cfg.n_candidates} candidates, seed {cfg.seed})")
    jobs, cands = make_hiring_data(cfg.n_jobs, cfg.n_candidates, seed=cfg.seed)
    files = DemoOutputs(out_dir=str(out), jobs=str(out / "jobs.csv"), candidates=str(out / "candidates.csv"),
                        audit_before=str(out / "audit_before.json"))
    for frame, path in ((jobs, files.jobs), (cands, files.candidates)):
        with atomic_path(path) as tmp:
            frame.to_csv(tmp, index=False)
    t["data"] = time.perf_counter() - t0

    status("[2/6] auditing the recommender (all-MiniLM-L6-v2, cosine similarity)")
    from .recommenders import EmbeddingRecommender

    rec = EmbeddingRecommender(progress=progress)
    s = time.perf_counter()
    before = audit(jobs, cands, recommender=rec, k=cfg.k, seed=cfg.seed, n_bootstrap=cfg.n_bootstrap,
                   progress=progress, data_source="fairaudit.datasets.make_hiring_data "
                   f"(n_jobs={cfg.n_jobs}, n_candidates={cfg.n_candidates}, seed={cfg.seed})")
    before.to_json(files.audit_before)
    t["audit"] = time.perf_counter() - s

    after = rewrites = None
    if cfg.rewrite:
        flagged = flagged_jobs(before, jobs, cfg.max_flagged)
        status(f"[3/6] AutoRefine: {len(flagged)} job(s) above the tolerance; finding the wording that drives "
               "their gap" + (f", then fine-tuning the policy ({cfg.train_steps} GRPO steps)" if cfg.train else ""))
        s = time.perf_counter()
        from rewriting import AutoRefine, TrainSettings

        ar = AutoRefine(recommender=rec, candidates=cands, k=before.config.k_gap, target=before.config.target,
                        train_settings=TrainSettings(steps=cfg.train_steps, seed=cfg.seed), progress=progress)
        if len(flagged) and cfg.train:
            ar.fit(flagged, seed=cfg.seed)
            files.adapter = str(ar.save(out / "adapter"))
        t["train"] = time.perf_counter() - s
        s = time.perf_counter()
        status(f"[4/6] rewriting the flagged jobs ({cfg.method}) and re-auditing")
        rewrites = ar.rewrite(flagged, method=cfg.method, seed=cfg.seed) if len(flagged) else \
            pd.DataFrame(columns=list(REWRITE_COLUMNS))
        files.rewrites = str(out / "rewrites.csv")
        with atomic_path(files.rewrites) as tmp:
            rewrites.to_csv(tmp, index=False)
        new_jobs = apply_rewrites(jobs, rewrites)
        after = audit(new_jobs, cands, recommender=rec, k=cfg.k, seed=cfg.seed, n_bootstrap=cfg.n_bootstrap,
                      progress=progress, data_source=before.provenance["data_source"] + " after AutoRefine rewrites")
        files.audit_after = str(out / "audit_after.json")
        after.to_json(files.audit_after)
        t["rewrite"] = time.perf_counter() - s

    status("[5/6] rendering the PDF report" + (" and signing it" if cfg.sign else ""))
    from .report import build_report, init_keys, load_signer, verify_report

    s = time.perf_counter()
    signer = None
    if cfg.sign:
        key_dir = out / "keys"
        if not (key_dir / "signing-key.pem").exists():
            init_keys(key_dir, common_name="fairaudit demo signer")
        files.cert = str(key_dir / "signing-cert.pem")
        signer = load_signer(key_dir=key_dir)
    rf = build_report(before, out / "report.pdf", after=after, rewrites=rewrites, sign_with=signer,
                      title="Bias audit of a job-ad recommender (synthetic demo data)")
    files.report_pdf, files.report_json = str(rf.pdf), str(rf.sidecar)
    t["report"] = time.perf_counter() - s

    if cfg.sign:
        status("[6/6] verifying the signed report")
        v = verify_report(files.report_pdf, trust=files.cert)
        files.verified = v.ok
    t["total"] = time.perf_counter() - t0
    files.seconds = {k: round(v, 1) for k, v in t.items()}
    import json

    write_text(out / "demo_outputs.json", json.dumps(files.to_dict(), indent=2) + "\n")
    return files
