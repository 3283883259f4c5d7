"""Run one periodic review: load -> audit -> (rewrite -> re-audit) -> report -> history -> verdict.

>>> from fairaudit.review import run_review
>>> outcome = run_review("examples/review.toml")      # doctest: +SKIP
>>> outcome.status, outcome.exit_code                  # doctest: +SKIP
('pass', 0)

The audit, rewriting and report steps are :func:`fairaudit.pipeline.audit_rewrite_report`,
the same as the demo's; the review adds its section to the report
(:mod:`.report`), compares with the history (:mod:`.trend`), checks the
thresholds (:mod:`.checks`) and records the run (:mod:`.history`).

Every output is written atomically into ``output_dir`` and named after the
period and its version (``review-2026-Q4-v2.pdf``), so a rerun of a period adds
files and a history version and never overwrites an earlier review.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..atomic import write_all, write_text
from ..errors import ConfigError, FairauditError
from ..data.io import candidates_sha256, frame_sha256, jobs_sha256, redact_url
from ..pipeline import AutoRefineRewriter, audit_rewrite_report, log_report
from ..engine.result import AuditResult
from ..version import __version__
from .thresholds import EXIT_BREACH, EXIT_PASS, Breach, evaluate_thresholds, metric_rows
from .config import LogSource, ReviewConfig, config_hash, load_config
from .data import ReviewLog, build_recommender, load_review_data, load_review_log
from .history import HistoryStore
from .report_section import clean_row, history_rows, review_context, review_section
from .changes import change_table, review_spread
from .trend import regressions, trend_frame

__all__ = ["ReviewOutcome", "run_review", "output_paths"]


@dataclass
class ReviewOutcome:
    """What a review produced; ``exit_code`` is what ``fairaudit review`` returns.

    Parameters
    ----------
    period : str
        The period reviewed.
    version : int
        The review's version within the period (1 for the first run).
    review_id : int
        Its id in the history.
    status : {"pass", "breach"}
        The outcome; ``exit_code`` is 0 for a pass and 3 for a breach.
    breaches : list of Breach
        The broken rules (empty for a pass).
    report_path : pathlib.Path
        The signed PDF report written.
    report_sha256 : str
        sha256 of that PDF.
    audit_path : pathlib.Path
        The audit JSON written.
    summary_path : pathlib.Path
        The review's summary JSON (:meth:`to_dict`) written.
    metrics : list of dict
        The stored metric rows (:func:`~fairaudit.review.metric_rows`), every stage.
    regressions : pandas.DataFrame
        Every change since the previous period with its verdict
        (``fairaudit.review.changes.change_table()``); ``regressed`` rows fail
        the review with ``fail_on_regression``.
    pruned : list of str, default []
        The periods deleted from the history by ``keep_periods``.
    """

    period: str
    version: int
    review_id: int
    status: str
    breaches: list[Breach]
    report_path: Path
    report_sha256: str
    audit_path: Path
    summary_path: Path
    metrics: list[dict[str, Any]]
    regressions: pd.DataFrame = field(repr=False)
    pruned: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_PASS if self.status == "pass" else EXIT_BREACH

    def to_dict(self) -> dict[str, Any]:
        """The review's summary JSON as a dict (``summary_path`` holds it), regressions and changes included."""
        reg = self.regressions
        return {
            "period": self.period, "version": self.version, "review_id": self.review_id,
            "status": self.status, "exit_code": self.exit_code,
            "breaches": [b.to_dict() for b in self.breaches],
            "report_path": str(self.report_path), "report_sha256": self.report_sha256,
            "audit_path": str(self.audit_path), "metrics": [clean_row(m) for m in self.metrics],
            "regressions": [clean_row(r) for r in reg[reg["regressed"]].to_dict("records")] if len(reg) else [],
            "changes": [clean_row(r) for r in reg.to_dict("records")],
            "pruned_periods": self.pruned,
        }


@dataclass
class _Evaluation:
    """The review's verdict on the audits: metric rows, trend, changes judged against chance and breaches."""

    rows: list[dict[str, Any]]
    trend: pd.DataFrame
    regressions: pd.DataFrame
    breaches: list[Breach]
    spreads: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "breach" if self.breaches else "pass"


def output_paths(cfg: ReviewConfig, version: int) -> dict[str, Path]:
    """Every file a review writes into ``output_dir``, named after its period and version."""
    out, stem = cfg.output_dir, f"review-{cfg.period}-v{version}"
    return {
        "report": out / f"{stem}.pdf",
        "sidecar": out / f"{stem}.json",
        "outcome": out / f"{stem}-outcome.json",
        "audit": out / f"audit-{cfg.period}-v{version}.json",
        "audit_after": out / f"audit-{cfg.period}-v{version}-after.json",
    }


def _guard_inputs(cfg: ReviewConfig) -> None:
    """Refuse a history database that is one of the review's inputs (its own files are never overwritten).

    The ``sql`` source's database is an input like a file: the history may not be
    created in it (:func:`~fairaudit.review.database.same_database`).
    """
    from ..paths import guard_outputs, sqlite_file
    from .config import FilesSource, SqlSource, expand_env
    from .database import same_database

    src, sign = cfg.source, cfg.signing
    files = isinstance(src, (FilesSource, LogSource))
    guard_outputs({"source.jobs": src.jobs if files else None, "source.candidates": src.candidates if files else None,
                   "source.log": src.log if isinstance(src, LogSource) else None,
                   "signing.p12": sign.p12 if sign else None, "signing.key_dir": sign.key_dir if sign else None,
                   "rewrite.adapter": cfg.rewrite.adapter},
                  {"history.url": sqlite_file(cfg.history_url)})
    url = getattr(src, "url", None) if isinstance(src, (SqlSource, LogSource)) else None
    if url is not None and same_database(cfg.history_url, expand_env(url, "source.url")):
        raise ConfigError(f"history.url {redact_url(cfg.history_url)} is the database the review reads "
                          f"(source.url {redact_url(expand_env(url, 'source.url'))}); fairaudit never writes "
                          "its history tables into its input database: set [history] url to another database "
                          "(or leave it out for output_dir/history.sqlite)")


def _check_unused(cfg: ReviewConfig, paths: Mapping[str, Path]) -> None:
    """Fail before any work if this version's file names are taken (another history wrote them)."""
    taken = [p.name for p in paths.values() if p.exists()]
    if taken:
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        raise ConfigError(
            f"output_dir {cfg.output_dir} already holds {taken[0]}{more}, written by a review that this "
            f"history ({redact_url(cfg.history_url)}) does not know about; nothing is overwritten. Point "
            "[history] url at the history that wrote it, or choose another output_dir")


def _audit_options(cfg: ReviewConfig, recommender: Any, data_source: str, created_at: str,
                   progress: bool) -> dict[str, Any]:
    """The keyword arguments of ``audit()`` for this review; ``[audit] options`` are checked against it."""
    from ..engine.auditing import audit

    opts = cfg.audit
    kwargs: dict[str, Any] = dict(recommender=recommender, k=opts.k, target=opts.target, seed=opts.seed,
                                  tolerance=opts.tolerance, min_share=opts.min_share,
                                  scoring_median=opts.scoring_median, n_bootstrap=opts.n_bootstrap,
                                  progress=progress, data_source=data_source, period=cfg.period,
                                  created_at=created_at, labels=cfg.labels or None)
    if cfg.thresholds.match_rate_goal is not None:
        kwargs["match_goal"] = cfg.thresholds.match_rate_goal
    for name in ("drivers", "driver_method", "decomposition", "decomposition_sample"):
        # earlier configs set these in [audit] options; a default does not clash with them
        if name in opts.model_fields_set or name not in opts.options:
            kwargs[name] = getattr(opts, name)
    clash = sorted(set(opts.options) & set(kwargs))
    if clash:
        raise ConfigError(f"audit.options: {clash} are set elsewhere in the config; remove them from options")
    try:
        inspect.signature(audit).bind(None, None, **kwargs, **opts.options)
    except TypeError as exc:
        raise ConfigError(f"audit.options: {exc}") from None
    return {**kwargs, **opts.options}


def _log_options(cfg: ReviewConfig, data_source: str, created_at: str) -> dict[str, Any]:
    """The keyword arguments of ``audit_log()`` for a log review; ``[audit] options`` are checked against it.

    The counterfactual analyses (drivers, decomposition) re-rank texts and are not possible from a log;
    the LL144 scoring rate is against each job's own median score.
    """
    from ..engine.log_audit import audit_log

    opts = cfg.audit
    if opts.scoring_median != "job":
        raise ConfigError("audit.scoring_median: a log audit compares each score with its job's median over the "
                          "candidates that job considered; remove scoring_median or set it to \"job\"")
    kwargs: dict[str, Any] = dict(k=opts.k, target=opts.target if "target" in opts.model_fields_set else "own",
                                  seed=opts.seed, tolerance=opts.tolerance, min_share=opts.min_share,
                                  n_bootstrap=opts.n_bootstrap, data_source=data_source, period=cfg.period,
                                  created_at=created_at, labels=cfg.labels or None)
    if cfg.thresholds.match_rate_goal is not None:
        kwargs["match_goal"] = cfg.thresholds.match_rate_goal
    options = {n: v for n, v in opts.options.items() if n not in ("drivers", "driver_method", "decomposition",
                                                                   "decomposition_sample")}
    clash = sorted(set(options) & set(kwargs))
    if clash:
        raise ConfigError(f"audit.options: {clash} are set elsewhere in the config; remove them from options")
    try:
        inspect.signature(audit_log).bind(None, None, **kwargs, **options)
    except TypeError as exc:
        raise ConfigError(f"audit.options: {exc}") from None
    return {**kwargs, **options}


def _rewriter(cfg: ReviewConfig, recommender: Any, candidates: pd.DataFrame,
              say: Callable[[str], None]) -> AutoRefineRewriter | None:
    if not cfg.rewrite.enabled:
        if cfg.thresholds.stage == "after":
            raise ConfigError("thresholds.stage = \"after\" needs rewrite.enabled = true")
        return None
    return AutoRefineRewriter(recommender, candidates, method=cfg.rewrite.method, adapter=cfg.rewrite.adapter,
                              options={**cfg.rewrite.options,
                                       **({"attributes": cfg.rewrite.attributes} if cfg.rewrite.attributes else {})},
                              seed=cfg.audit.seed, say=say)


def _evaluate(cfg: ReviewConfig, store: HistoryStore, rec: Any, before: AuditResult,
              after: AuditResult | None, candidates: pd.DataFrame) -> _Evaluation:
    """Metric rows of both stages, the trend with this run, every change judged against chance, breaches."""
    rows = metric_rows(before, "before") + (metric_rows(after, "after") if after is not None else [])
    current = pd.DataFrame(rows)
    current["period"], current["period_start"] = cfg.period, cfg.period_start
    current["version"], current["review_id"], current["status"] = rec.version, rec.id, "running"
    trend = trend_frame(store, current=current)
    reg = regressions(trend, cfg.thresholds.regression_tolerance, period=cfg.period)
    audits = {"before": before, "after": after}
    spreads = {s: review_spread(a, candidates, cfg.labels or None) for s, a in audits.items() if a is not None}
    changes = change_table(reg, spreads, _previous_spreads(store, trend, reg),
                           float(getattr(before.config, "alpha", 0.05)), cfg.thresholds.regression_tolerance,
                           seed=cfg.audit.seed)
    return _Evaluation(rows=rows, trend=trend, regressions=changes,
                       breaches=evaluate_thresholds(rows, cfg.thresholds, changes), spreads=spreads)


def _previous_spreads(store: HistoryStore, trend: pd.DataFrame, reg: pd.DataFrame) -> dict[str, Any]:
    """The previous period's stored spreads by stage (empty for a review stored without them)."""
    if reg.empty:
        return {}
    rows = trend[trend["period"] == str(reg["previous_period"].iloc[0])]
    return store.spreads(int(rows["review_id"].iloc[0])) if len(rows) else {}


def _signer(cfg: ReviewConfig) -> Any:
    if cfg.signing is None:
        return None
    from ..report.sign import load_signer

    return load_signer(p12=cfg.signing.p12, key_dir=cfg.signing.key_dir, password=cfg.signing.password())


def _report_options(cfg: ReviewConfig) -> dict[str, Any]:
    options: dict[str, Any] = {"sign_with": _signer(cfg), "title": cfg.title, "period": cfg.period}
    if cfg.signing is not None:
        options.update(visible_signature=cfg.signing.visible, reason=cfg.signing.reason,
                       location=cfg.signing.location)
    return options


# -- the run --------------------------------------------------------------------------
def run_review(config: ReviewConfig | str | os.PathLike, *, progress: bool = False,
               log: Callable[[str], None] | None = None) -> ReviewOutcome:
    """Run one review from a config (a :class:`ReviewConfig` or a TOML path).

    Steps: load the data, audit, optionally rewrite and re-audit, compare with
    the history (trend and regressions), check the thresholds, write the audit
    JSON, the review summary JSON and the signed PDF into ``output_dir``, record
    the review in the history store and prune it when ``keep_periods`` is set.

    The history row is created (status ``running``, version allocated) before
    the audit and finished with the outcome; if anything fails the row is
    marked ``error`` with the message, and the error is re-raised.

    Parameters
    ----------
    config : ReviewConfig or str or os.PathLike
        The review's configuration, or its TOML file (:func:`~fairaudit.review.load_config`).
    progress : bool, default False
        Progress bars and one line per audit stage on stderr.
    log : callable, optional
        Called with one short line per step (``fairaudit review`` prints them).

    Returns
    -------
    ReviewOutcome
        ``status`` is ``"pass"`` or ``"breach"``; ``exit_code`` 0 or 3.
    """
    cfg = config if isinstance(config, ReviewConfig) else load_config(config)
    say = log or (lambda _msg: None)
    _guard_inputs(cfg)
    say(f"review {cfg.period}: loading data")
    log = load_review_log(cfg) if isinstance(cfg.source, LogSource) else None
    if log is not None:  # the recommender's past output: nothing is ranked
        jobs, candidates, data_source, recommender = log.jobs, log.candidates, log.data_source, None
        input_hashes = {"log": frame_sha256(log.log), "candidates": candidates_sha256(candidates),
                        **({"jobs": jobs_sha256(jobs)} if jobs is not None else {})}
    else:
        jobs, candidates, data_source = load_review_data(cfg)
        recommender = build_recommender(cfg)
        input_hashes = {"jobs": jobs_sha256(jobs), "candidates": candidates_sha256(candidates)}
    try:
        cfg.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output_dir {cfg.output_dir} cannot be created: {exc.strerror}") from None

    store = HistoryStore(cfg.history_url)
    try:
        rec = store.start(cfg.period, config_hash=config_hash(cfg), input_hashes=input_hashes,
                          fairaudit_version=__version__)
        try:
            return _run_recorded(cfg, store, rec, jobs, candidates, recommender, data_source,
                                 input_hashes, progress, say, log=log)
        except BaseException as exc:
            msg = str(exc) if isinstance(exc, FairauditError) else f"{type(exc).__name__}: {exc}"
            try:
                store.fail(rec.id, msg)
            except FairauditError:
                pass  # the original error matters more than the bookkeeping
            raise
    finally:
        store.close()


def _run_recorded(cfg: ReviewConfig, store: HistoryStore, rec: Any, jobs: pd.DataFrame | None,
                  candidates: pd.DataFrame, recommender: Any, data_source: str,
                  input_hashes: dict[str, str], progress: bool, say: Callable[[str], None],
                  log: ReviewLog | None = None) -> ReviewOutcome:
    version = rec.version
    paths = output_paths(cfg, version)
    _check_unused(cfg, paths)
    created_at = rec.created_at.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
    step = (lambda msg: say(f"review {cfg.period} v{version}: {msg}"))
    options = (_log_options(cfg, data_source, created_at) if log is not None
               else _audit_options(cfg, recommender, data_source, created_at, progress))
    rewriter = _rewriter(cfg, recommender, candidates, step)  # a log: none (config), and no "after" stage
    evaluations: list[_Evaluation] = []

    def sections(before: AuditResult, after: AuditResult | None) -> list[Any]:
        ev = _evaluate(cfg, store, rec, before, after, candidates)
        evaluations.append(ev)
        history = history_rows(store.records(statuses=("pass", "breach")),
                               {"period": cfg.period, "version": version, "status": ev.status,
                                "created_at": created_at})
        rec_name = "historical log" if log is not None else getattr(recommender, "name", type(recommender).__name__)
        return [review_section(review_context(
            cfg, version=version, created_at=created_at, status=ev.status, breaches=ev.breaches, rows=ev.rows,
            trend=ev.trend, regression_table=ev.regressions, history=history, input_hashes=input_hashes,
            data_source=data_source, recommender=str(rec_name)))]

    if log is not None:
        run = log_report(log.log, candidates, jobs, audit_options=options, report_options=_report_options(cfg),
                         sections=sections, say=step)
    else:
        run = audit_rewrite_report(jobs, candidates, audit_options=options, rewriter=rewriter,
                                   report_options=_report_options(cfg), sections=sections, say=step)
    (ev,) = evaluations
    report_sha = hashlib.sha256(run.report.pdf).hexdigest()
    outcome = ReviewOutcome(period=cfg.period, version=version, review_id=rec.id, status=ev.status,
                            breaches=ev.breaches, report_path=paths["report"], report_sha256=report_sha,
                            audit_path=paths["audit"], summary_path=paths["outcome"], metrics=ev.rows,
                            regressions=ev.regressions)
    spreads = {s: sp.to_dict() for s, sp in ev.spreads.items() if sp is not None}
    files = {paths["sidecar"]: run.report.sidecar, paths["report"]: run.report.pdf,
             paths["audit"]: (run.before.to_json() + "\n").encode("utf-8")}
    if run.after is not None:
        files[paths["audit_after"]] = (run.after.to_json() + "\n").encode("utf-8")
    step(f"writing {paths['report']}")
    # all or nothing, never over an existing file: a full disk leaves no half review behind
    write_all(files, overwrite=False)
    try:
        _finish(cfg, store, rec, outcome, spreads)
    except BaseException:
        # the caller marks the history row "error"; leave no report behind that the history does not vouch for
        for p in files:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    return outcome


def _finish(cfg: ReviewConfig, store: HistoryStore, rec: Any, outcome: ReviewOutcome,
            spreads: dict[str, Any]) -> None:
    """Record the outcome (with what the next review's change test needs) in the history, prune it, and
    write the outcome JSON."""
    breaches = outcome.breaches
    store.finish(rec.id, status=outcome.status, metrics=outcome.metrics, report_path=str(outcome.report_path),
                 report_sha256=outcome.report_sha256, breaches=[b.to_dict() for b in breaches],
                 message=f"{len(breaches)} threshold breach(es)" if breaches else None, spreads=spreads)
    if cfg.history.keep_periods:
        outcome.pruned = store.prune(cfg.history.keep_periods)
    write_text(outcome.summary_path, json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False) + "\n",
               overwrite=False)
