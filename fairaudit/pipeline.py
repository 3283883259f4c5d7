"""Audit -> rewrite -> re-audit -> report: the one place these steps are joined.

This module is part of the orchestration layer (with ``fairaudit.cli``,
``fairaudit.demo`` and :mod:`fairaudit.review`): the core (loading,
recommending, measuring, reporting) knows nothing of ``fairaudit.rewriting``;
here an audit, a rewriter and the report meet. Both the demo and the periodic
review call :func:`audit_rewrite_report`, with an :class:`AutoRefineRewriter`
when job texts are to be rewritten.

>>> run = audit_rewrite_report(jobs, candidates, audit_options={"k": (10, 50)},      # doctest: +SKIP
...                            rewriter=AutoRefineRewriter(recommender, candidates))
>>> run.before, run.after, run.rewrites, run.report.pdf                                # doctest: +SKIP
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from .engine.auditing import audit
from .errors import ConfigError
from .report import ReportBytes, ReportSection, make_report
from .engine.result import AuditResult
from .data.rewrites_table import apply_rewrites, empty_rewrites

__all__ = ["AutoRefineRewriter", "PipelineResult", "Rewriter", "audit_rewrite_report", "flagged_jobs", "log_report"]


def _quiet(_message: str) -> None:
    pass


#: Rewrites job texts after an audit: ``rewriter(jobs, before) -> rewrites table`` (``fairaudit.data.rewrites_table``).
#: An optional ``label`` attribute names the rewrites in the re-audit's data source ("... after <label>").
Rewriter = Callable[[pd.DataFrame, AuditResult], pd.DataFrame]


def flagged_jobs(result: AuditResult, jobs: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """Jobs whose gap exceeds the tolerance at the audit's gap k, largest gap first.

    Whether their *wording* drives the gap is the rewriter's first step; jobs
    whose gap no sentence explains are left as they are. (The plain tolerance
    rule, not the drivers' "flagged" scope, which adds the noise floor.)

    Parameters
    ----------
    result : AuditResult
        The audit of ``jobs``: its ``per_job`` gaps at ``config.effective_gap_k``
        for ``config.gap_attribute`` are compared with ``config.tolerance``.
    jobs : DataFrame
        The audited jobs table (``job_id`` unique).
    limit : int, optional
        At most this many jobs (the largest gaps); None or 0: all.

    Returns
    -------
    DataFrame
        The rows of ``jobs`` above the tolerance, largest gap first.
    """
    k, attr = result.config.effective_gap_k, result.config.gap_attribute
    pj = result.tables["per_job"]
    pj = pj[(pj["k"] == k) & (pj["attribute"] == attr) & (pj["gap"] > result.config.tolerance)]
    ids = pj.sort_values("gap", ascending=False, kind="stable")["job_id"]
    if limit:
        ids = ids.head(limit)
    return jobs.set_index("job_id").loc[list(ids)].reset_index()


@dataclass
class AutoRefineRewriter:
    """Rewrite job texts with ``fairaudit.rewriting.AutoRefine`` at the audit's gap k and target.

    Call it as ``rewriter(jobs, before)``: it returns a rewrites table
    (``fairaudit.data.rewrites_table``). After a call, ``saved_adapter`` holds
    the folder of a saved fine-tuned adapter (or None) and ``train_seconds`` the
    time fine-tuning took.

    Parameters
    ----------
    recommender : Recommender or str
        What the audit ranked with (the rewriter measures gaps the same way).
    candidates : DataFrame
        The audit's candidates table.
    method : str or None, default "policy"
        An AutoRefine method (``fairaudit.rewriting.METHODS``); ``"policy"`` is the shipped adapter,
        None AutoRefine's default.
    adapter : str or os.PathLike, optional
        An adapter folder to load instead of the shipped one.
    options : mapping, default {}
        More AutoRefine options (``max_sentences``, ...).
    flagged_only : bool, default False
        Rewrite only the jobs above the tolerance (:func:`flagged_jobs`).
    max_jobs : int, optional
        With ``flagged_only``, at most this many jobs (the largest gaps).
    train_steps : int, optional
        Fine-tune the policy on those jobs first (GRPO steps); None: no training.
    save_adapter : str or os.PathLike, optional
        Where to save a fine-tuned adapter (``saved_adapter`` then holds the folder).
    seed : int, default 0
        Seed of the fine-tuning and of the rewrites' sampling.
    progress : bool, default False
        Progress bars.
    say : callable, default no output
        Receives one-line status messages.
    label : str, default "AutoRefine rewrites"
        Names the rewrites in the re-audit's data source ("... after <label>").
    """

    recommender: Any
    candidates: pd.DataFrame
    method: str | None = "policy"
    adapter: str | os.PathLike | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    flagged_only: bool = False
    max_jobs: int | None = None
    train_steps: int | None = None
    save_adapter: str | os.PathLike | None = None
    seed: int = 0
    progress: bool = False
    say: Callable[[str], None] = _quiet
    label: str = "AutoRefine rewrites"
    saved_adapter: str | None = field(default=None, init=False)
    train_seconds: float = field(default=0.0, init=False)

    def _refiner(self, before: AuditResult) -> Any:
        try:
            from .rewriting import AutoRefine, TrainSettings
        except ImportError:
            raise ConfigError("rewriting needs fairaudit.rewriting.AutoRefine, which is not available in this "
                              "installation; turn rewriting off") from None
        # the audit's gap k and target: the rewriter narrows the gap the audit measures
        kw: dict[str, Any] = {"recommender": self.recommender, "candidates": self.candidates,
                              "k": before.config.effective_gap_k, "target": before.config.target,
                              "progress": self.progress, **self.options}
        if self.train_steps is not None:
            kw["train_settings"] = TrainSettings(steps=self.train_steps, seed=self.seed)
        try:
            return AutoRefine.load(self.adapter, **kw) if self.adapter is not None else AutoRefine(**kw)
        except TypeError as exc:
            raise ConfigError(f"rewrite.options: {exc}") from None

    def __call__(self, jobs: pd.DataFrame, before: AuditResult) -> pd.DataFrame:
        todo = flagged_jobs(before, jobs, self.max_jobs) if self.flagged_only else jobs
        if self.flagged_only:
            self.say(f"AutoRefine: {len(todo)} job(s) above the tolerance; finding the wording that drives their gap"
                     + (f", then fine-tuning the policy ({self.train_steps} GRPO steps)" if self.train_steps else ""))
        if not len(todo):
            return empty_rewrites()
        refiner = self._refiner(before)
        if self.train_steps is not None:
            start = time.perf_counter()
            refiner.fit(todo, seed=self.seed)
            if self.save_adapter is not None:
                self.saved_adapter = str(refiner.save(Path(self.save_adapter)))
            self.train_seconds = time.perf_counter() - start
        self.say(f"rewriting {len(todo)} job(s) ({self.method or 'default method'})")
        return refiner.rewrite(todo, method=self.method, seed=self.seed)


@dataclass
class PipelineResult:
    """What :func:`audit_rewrite_report` produced (nothing is written yet).

    Parameters
    ----------
    before : AuditResult
        The audit of the original job texts.
    after : AuditResult or None
        The re-audit of the rewritten texts; None without a rewriter.
    rewrites : DataFrame or None
        The rewrites table; None without a rewriter.
    report : ReportBytes
        The rendered (and signed, if asked) report and its sidecar, to write with
        :func:`fairaudit.report.write_report`.
    seconds : dict of str to float, default {}
        Seconds per step: ``audit``, ``rewrite``, ``reaudit``, ``report``.
    """

    before: AuditResult
    after: AuditResult | None
    rewrites: pd.DataFrame | None
    report: ReportBytes
    seconds: dict[str, float] = field(default_factory=dict)


def audit_rewrite_report(jobs: pd.DataFrame, candidates: pd.DataFrame, *, audit_options: Mapping[str, Any],
                         rewriter: Rewriter | None = None, report_options: Mapping[str, Any] | None = None,
                         sections: Callable[[AuditResult, AuditResult | None], Sequence[ReportSection]] | None = None,
                         say: Callable[[str], None] = _quiet) -> PipelineResult:
    """Audit, rewrite the job texts, re-audit them and render the (signed) report.

    Parameters
    ----------
    jobs, candidates : DataFrame
        Canonical, validated tables (``fairaudit.data.io``).
    audit_options : mapping
        Keyword arguments of :func:`fairaudit.audit` (recommender, k, target,
        ...); the re-audit uses the same ones, so the two audits are comparable.
    rewriter : Rewriter, optional
        None: no rewriting, and the report shows the audit alone.
    report_options : mapping, optional
        Keyword arguments of :func:`fairaudit.report.make_report` (``sign_with``,
        ``title``, ``period``, signature appearance, ...).
    sections : callable, optional
        ``sections(before, after)`` -> extra report sections (e.g. the periodic
        review's), built once both audits are known.
    say : callable
        Receives a one-line message before each step.

    Returns
    -------
    PipelineResult
        Both audits, the rewrites table, the report's bytes and the seconds of each step.
    """
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    say(f"auditing {len(jobs)} jobs x {len(candidates)} candidates")
    before = audit(jobs, candidates, **audit_options)
    seconds["audit"] = time.perf_counter() - start
    after = rewrites = None
    if rewriter is not None:
        start = time.perf_counter()
        rewrites = rewriter(jobs, before)
        seconds["rewrite"] = time.perf_counter() - start
        say("re-auditing the rewritten jobs")
        start = time.perf_counter()
        source = f"{before.provenance['data_source']} after {getattr(rewriter, 'label', 'rewriting')}"
        after = audit(apply_rewrites(jobs, rewrites), candidates, **{**audit_options, "data_source": source})
        seconds["reaudit"] = time.perf_counter() - start
    options = dict(report_options or {})
    say("rendering the PDF report" + (" and signing it" if options.get("sign_with") is not None else ""))
    start = time.perf_counter()
    extra = list(sections(before, after)) if sections is not None else []
    report = make_report(before, after, rewrites, extra_sections=extra, **options)
    seconds["report"] = time.perf_counter() - start
    return PipelineResult(before=before, after=after, rewrites=rewrites, report=report, seconds=seconds)


def log_report(log: pd.DataFrame, candidates: pd.DataFrame, jobs: pd.DataFrame | None = None, *,
               audit_options: Mapping[str, Any], report_options: Mapping[str, Any] | None = None,
               sections: Callable[[AuditResult, AuditResult | None], Sequence[ReportSection]] | None = None,
               say: Callable[[str], None] = _quiet) -> PipelineResult:
    """Audit a recommender's historical output (:func:`fairaudit.audit_log`) and render the (signed) report.

    Nothing is rewritten: a log has no recommender to rank a rewritten text, and
    the report says which analyses a log cannot support.

    Parameters
    ----------
    log : DataFrame
        One row per (job, candidate) pair the tool considered (``fairaudit.data.logs``).
    candidates : DataFrame
        The candidates' ids and categories.
    jobs : DataFrame, optional
        The jobs (titles for the per-job table).
    audit_options : mapping
        Keyword arguments of :func:`fairaudit.audit_log` (k, target, ...).
    report_options : mapping, optional
        Keyword arguments of :func:`fairaudit.report.make_report`.
    sections : callable, optional
        ``sections(audit, None)`` -> extra report sections.
    say : callable
        Receives a one-line message before each step.

    Returns
    -------
    PipelineResult
        The audit (``before``; no ``after`` or rewrites), the report's bytes and the seconds of each step.
    """
    from .engine.log_audit import audit_log

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    say(f"auditing a log of {len(log):,} (job, candidate) pairs, {candidates['candidate_id'].nunique():,} candidates")
    before = audit_log(log, candidates, jobs, **audit_options)
    seconds["audit"] = time.perf_counter() - start
    options = dict(report_options or {})
    say("rendering the PDF report" + (" and signing it" if options.get("sign_with") is not None else ""))
    start = time.perf_counter()
    extra = list(sections(before, None)) if sections is not None else []
    report = make_report(before, None, None, extra_sections=extra, **options)
    seconds["report"] = time.perf_counter() - start
    return PipelineResult(before=before, after=None, rewrites=None, report=report, seconds=seconds)
