"""Run one periodic review: load -> audit -> (rewrite) -> report -> history -> verdict.

>>> from fairaudit.review import run_review
>>> outcome = run_review("examples/review.toml")      # doctest: +SKIP
>>> outcome.status, outcome.exit_code                  # doctest: +SKIP
('pass', 0)

Every output is written atomically into ``output_dir`` and named after the
period and its version (``review-2026-Q4-v2.pdf``), so a rerun of a period adds
files and a history version and never overwrites an earlier review.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import importlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from ..version import __version__
from ..atomic import write_all, write_text
from ..errors import ConfigError, DataError, FairauditError, ReportError
from .checks import EXIT_BREACH, EXIT_PASS, Breach, evaluate_thresholds, metric_rows
from .config import FilesSource, ReviewConfig, SqlSource, SyntheticSource, config_hash, expand_env, load_config
from .history import METRICS, HistoryStore
from .trend import metric_label, regressions, trend_chart_svg, trend_frame

__all__ = ["ReviewOutcome", "run_review", "load_review_data", "build_recommender", "review_context",
           "render_review_html", "TEMPLATE_NAME"]

TEMPLATE_NAME = "review.html"
CHART_METRICS = ("min_impact_ratio", "match_rate", "mean_gap")


@dataclass
class ReviewOutcome:
    """What a review produced; ``exit_code`` is what ``fairaudit review`` returns."""

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
        reg = self.regressions
        return {
            "period": self.period, "version": self.version, "review_id": self.review_id,
            "status": self.status, "exit_code": self.exit_code,
            "breaches": [b.to_dict() for b in self.breaches],
            "report_path": str(self.report_path), "report_sha256": self.report_sha256,
            "audit_path": str(self.audit_path), "metrics": [_clean(m) for m in self.metrics],
            "regressions": [_clean(r) for r in reg[reg["regressed"]].to_dict("records")] if len(reg) else [],
            "pruned_periods": self.pruned,
        }


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            v = None
        elif hasattr(v, "item"):  # numpy scalar
            v = v.item()
        out[k] = v
    return out


# -- data and recommender -------------------------------------------------------
def load_review_data(cfg: ReviewConfig) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Jobs, candidates and a description of where they came from."""
    from ..io import ColumnMap, load_candidates, load_jobs, validate_candidates, validate_jobs

    src = cfg.source
    labels = cfg.labels or None
    if isinstance(src, FilesSource):
        jobs = load_jobs(src.jobs, columns=cfg.columns.jobs or None, sep=src.sep)
        cands = load_candidates(src.candidates, columns=cfg.columns.candidates or None, labels=labels, sep=src.sep)
        return jobs, cands, f"files: {src.jobs}, {src.candidates}"
    if isinstance(src, SqlSource):
        import sqlalchemy as sa

        from .history import default_driver

        url = expand_env(src.url, "source.url")
        try:
            engine = sa.create_engine(default_driver(url))
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
            raise ConfigError(f"source.url is not a usable database URL: {exc}") from None
        safe = engine.url.render_as_string(hide_password=True)
        frames = []
        try:
            with engine.connect() as conn:
                for what, query in (("jobs", src.jobs_query), ("candidates", src.candidates_query)):
                    try:
                        frames.append(pd.read_sql(sa.text(query), conn))
                    except (sa.exc.DBAPIError, pd.errors.DatabaseError) as exc:
                        # pandas wraps driver errors in its own DatabaseError
                        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                        raise DataError(f"source.{what}_query failed on {safe}: {first}") from None
        except sa.exc.OperationalError as exc:
            raise DataError(f"cannot connect to source.url {safe}: "
                            f"{str(exc.orig).strip().splitlines()[0]}") from None
        finally:
            engine.dispose()
        jobs = validate_jobs(ColumnMap(cfg.columns.jobs, table="jobs").apply(frames[0]), source="jobs_query")
        cands = validate_candidates(ColumnMap(cfg.columns.candidates, table="candidates").apply(frames[1]),
                                    source="candidates_query", labels=labels)
        return jobs, cands, f"sql: {safe}"
    if isinstance(src, SyntheticSource):
        try:
            from ..datasets import make_hiring_data
        except ImportError:
            raise ConfigError("source.kind = \"synthetic\" needs fairaudit.datasets.make_hiring_data, "
                              "which is not available in this installation") from None
        try:
            jobs, cands = make_hiring_data(src.n_jobs, src.n_candidates, seed=src.seed, **src.options)
        except TypeError as exc:
            raise ConfigError(f"source.options: {exc}") from None
        return (validate_jobs(jobs, source="synthetic jobs"),
                validate_candidates(cands, source="synthetic candidates"),
                f"synthetic: {src.n_jobs} jobs, {src.n_candidates} candidates, seed {src.seed}")
    raise ConfigError(f"unknown source kind {getattr(src, 'kind', src)!r}")  # pragma: no cover


def _import(spec: str, field_name: str) -> Any:
    module, _, attr = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"{field_name}: cannot import module {module!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"{field_name}: module {module!r} has no attribute {attr!r}") from None
    return obj


def build_recommender(cfg: ReviewConfig) -> Any:
    """The recommender named by ``[recommender]`` (see :class:`RecommenderConfig`)."""
    from ..recommenders import make_recommender

    rc = cfg.recommender
    if rc.name is not None:
        return make_recommender(rc.name, **rc.options)
    obj = _import(rc.python, "recommender.python")
    if isinstance(obj, type):
        try:
            obj = obj(**rc.options)
        except TypeError as exc:
            raise ConfigError(f"recommender.options: {exc}") from None
        return make_recommender(obj)
    return make_recommender(obj, **rc.options)


def _rewrite(cfg: ReviewConfig, jobs: pd.DataFrame, candidates: pd.DataFrame,
             recommender: Any) -> pd.DataFrame:
    """Rewrite the job texts with ``rewriting.AutoRefine`` (guarded import).

    Returns AutoRefine's table (job_id, original, rewrite, accepted, gap_before,
    gap_after, ...); rejected rewrites keep the original text.
    """
    try:
        from rewriting import AutoRefine
    except ImportError:
        raise ConfigError("rewrite.enabled = true, but rewriting.AutoRefine is not available in this "
                          "installation; set rewrite.enabled = false") from None
    kw: dict[str, Any] = {"recommender": recommender, "candidates": candidates, "k": max(cfg.audit.k),
                          "target": cfg.audit.target, "progress": False}
    kw.update(cfg.rewrite.options)
    try:
        if cfg.rewrite.adapter is not None:
            refiner = AutoRefine.load(cfg.rewrite.adapter, **kw)
        else:
            refiner = AutoRefine(**kw)
    except TypeError as exc:
        raise ConfigError(f"rewrite.options: {exc}") from None
    return refiner.rewrite(jobs, method=cfg.rewrite.method, seed=cfg.audit.seed)


# -- report -------------------------------------------------------------------------
def _template_dirs() -> list[Path]:
    """Folders holding ``review.html``: the ``reports`` package's templates first."""
    dirs = []
    try:
        import reports  # the report engine's template package (PackageLoader("reports", "templates"))

        dirs.append(Path(reports.__file__).resolve().parent / "templates")
    except ImportError:
        pass
    dirs.append(Path(__file__).resolve().parents[2] / "reports" / "templates")
    return [d for d in dict.fromkeys(dirs) if (d / TEMPLATE_NAME).exists()]


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def review_context(cfg: ReviewConfig, *, version: int, created_at: str, status: str,
                   breaches: list[Breach], rows: list[dict[str, Any]], trend: pd.DataFrame,
                   regression_table: pd.DataFrame, history: list[dict[str, Any]],
                   input_hashes: Mapping[str, str], data_source: str, recommender: str) -> dict[str, Any]:
    """The ``review`` variable of ``reports/templates/review.html``."""
    th = cfg.thresholds
    stage = th.stage
    charts = []
    for m in CHART_METRICS:
        limit = {"min_impact_ratio": th.min_impact_ratio, "match_rate": th.match_rate_goal,
                 "mean_gap": th.max_gap}.get(m)
        svg = trend_chart_svg(trend, m, stage=stage, threshold=limit)
        charts.append({"metric": m, "label": metric_label(m), "svg": svg, "data_uri": _svg_uri(svg)})
    reg = regression_table
    prev = None if reg.empty else str(reg["previous_period"].iloc[0])
    if prev is None:
        periods = trend["period"].drop_duplicates().tolist()
        prev = periods[periods.index(cfg.period) - 1] if cfg.period in periods and periods.index(cfg.period) > 0 else None
    return {
        "title": cfg.title,
        "period": cfg.period,
        "version": version,
        "status": status,
        "created_at": created_at,
        "config_hash": config_hash(cfg),
        "input_hashes": dict(input_hashes),
        "data_source": data_source,
        "recommender": recommender,
        "thresholds": {
            "minimum impact ratio (floor)": th.min_impact_ratio,
            "diversity match rate (goal)": th.match_rate_goal,
            "mean gap to target (max)": th.max_gap,
            "regression tolerance": th.regression_tolerance,
            "regressions breach": th.fail_on_regression,
            "evaluated stage": stage,
        },
        "breaches": [b.to_dict() for b in breaches],
        "summary": [_clean(r) for r in rows],
        "metric_labels": {m: metric_label(m) for m in METRICS},
        "charts": charts,
        "previous_period": prev,
        "regressions": [_clean(r) for r in reg[reg["regressed"]].to_dict("records")] if len(reg) else [],
        "n_compared": int(len(reg)),
        "tolerance": th.regression_tolerance,
        "history": history,
    }


_STANDALONE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ review.title }} {{ review.period }}</title>
<style>@page { size: A4; margin: 18mm 16mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222; }</style>
</head><body>{% include "review.html" %}</body></html>
"""


def render_review_html(review: Mapping[str, Any], standalone: bool = True) -> str:
    """Render ``review.html`` (inside a minimal page when ``standalone``)."""
    import jinja2

    dirs = _template_dirs()
    if not dirs:
        raise ReportError(f"template {TEMPLATE_NAME} not found (looked in reports/templates); "
                          "reinstall fairaudit")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined)
    try:
        tpl = env.from_string(_STANDALONE) if standalone else env.get_template(TEMPLATE_NAME)
        return tpl.render(review=review)
    except jinja2.TemplateError as exc:
        raise ReportError(f"cannot render {TEMPLATE_NAME}: {exc}") from None


def _load_signer(cfg: ReviewConfig) -> Any:
    if cfg.signing is None:
        return None
    from ..report.sign import load_signer

    return load_signer(p12=cfg.signing.p12, key_dir=cfg.signing.key_dir, password=cfg.signing.password())


def _build_report(cfg: ReviewConfig, review: dict[str, Any], before: Any,
                  after: Any = None, rewrites: Any = None) -> tuple[bytes, bytes]:
    """The signed review report: ``(pdf, sidecar)`` bytes, not yet written.

    The full audit report of :mod:`fairaudit.report` (before/after, rewrites)
    with the review section (``review.html``) appended, signed with the
    configured identity. The sidecar is the report engine's, so
    ``fairaudit verify`` checks a review report like any audit report.
    """
    from ..report.pdf import html_to_pdf
    from ..report.render import render_report, sidecar_bytes

    signer = _load_signer(cfg)
    side = sidecar_bytes(before, after, rewrites)
    digest = hashlib.sha256(side).hexdigest()
    html = render_report(before, after, rewrites, title=cfg.title, period=cfg.period, sidecar_sha256=digest)
    section = render_review_html(review, standalone=False)
    if "</body>" not in html:
        raise ReportError("the audit report HTML has no </body>; cannot add the review section")
    head, _, tail = html.rpartition("</body>")
    pdf = html_to_pdf(head + section + "</body>" + tail)
    if signer is not None:
        from ..report.sign import sign_pdf_bytes

        pdf = sign_pdf_bytes(pdf, signer, visible=cfg.signing.visible, reason=cfg.signing.reason,
                             location=cfg.signing.location)
    return pdf, side


def _output_paths(cfg: ReviewConfig, version: int) -> dict[str, Path]:
    """Every file a review writes into ``output_dir``, named after its period and version."""
    out, stem = cfg.output_dir, f"review-{cfg.period}-v{version}"
    return {
        "report": out / f"{stem}.pdf",
        "sidecar": out / f"{stem}.json",
        "outcome": out / f"{stem}-outcome.json",
        "audit": out / f"audit-{cfg.period}-v{version}.json",
        "audit_after": out / f"audit-{cfg.period}-v{version}-after.json",
    }


def _check_unused(cfg: ReviewConfig, paths: Mapping[str, Path]) -> None:
    """Fail before any work if this version's file names are taken (another history wrote them)."""
    taken = [p.name for p in paths.values() if p.exists()]
    if taken:
        more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
        raise ConfigError(
            f"output_dir {cfg.output_dir} already holds {taken[0]}{more}, written by a review that this "
            f"history ({_safe_url(cfg.history_url)}) does not know about; nothing is overwritten. Point "
            "[history] url at the history that wrote it, or choose another output_dir")


def _safe_url(url: str) -> str:
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL fails later with its own message
        return url


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

    Returns
    -------
    ReviewOutcome
        ``status`` is ``"pass"`` or ``"breach"``; ``exit_code`` 0 or 3.
    """
    from ..audit import audit
    from ..io import frame_sha256

    cfg = config if isinstance(config, ReviewConfig) else load_config(config)
    say = log or (lambda _msg: None)
    say(f"review {cfg.period}: loading data")
    jobs, candidates, data_source = load_review_data(cfg)
    recommender = build_recommender(cfg)
    input_hashes = {
        "jobs": frame_sha256(jobs, ["job_id", "title", "text"]),
        "candidates": frame_sha256(candidates, [c for c in ("candidate_id", "text", "sex", "race_ethnicity")
                                                if c in candidates.columns]),
    }
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
                                 input_hashes, audit, progress, say)
        except BaseException as exc:
            msg = str(exc) if isinstance(exc, FairauditError) else f"{type(exc).__name__}: {exc}"
            try:
                store.fail(rec.id, msg)
            except FairauditError:
                pass  # the original error matters more than the bookkeeping
            raise
    finally:
        store.close()


def _run_recorded(cfg: ReviewConfig, store: HistoryStore, rec: Any, jobs: pd.DataFrame,
                  candidates: pd.DataFrame, recommender: Any, data_source: str,
                  input_hashes: dict[str, str], audit: Callable[..., Any], progress: bool,
                  say: Callable[[str], None]) -> ReviewOutcome:
    version = rec.version
    paths = _output_paths(cfg, version)
    _check_unused(cfg, paths)
    created_at = rec.created_at.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()
    opts = cfg.audit
    kwargs: dict[str, Any] = dict(recommender=recommender, k=opts.k, target=opts.target, seed=opts.seed,
                                  tolerance=opts.tolerance, min_share=opts.min_share,
                                  scoring_median=opts.scoring_median,
                                  n_bootstrap=opts.n_bootstrap, progress=progress,
                                  data_source=data_source, period=cfg.period, created_at=created_at)
    if cfg.thresholds.match_rate_goal is not None:
        kwargs["match_goal"] = cfg.thresholds.match_rate_goal
    clash = sorted(set(opts.options) & set(kwargs))
    if clash:
        raise ConfigError(f"audit.options: {clash} are set elsewhere in the config; remove them from options")
    say(f"review {cfg.period} v{version}: auditing {len(jobs)} jobs x {len(candidates)} candidates")
    try:
        before = audit(jobs, candidates, **kwargs, **opts.options)
    except TypeError as exc:
        raise ConfigError(f"audit.options: {exc}") from None
    rows = metric_rows(before, "before")
    after = rewrites = None
    if cfg.rewrite.enabled:
        say(f"review {cfg.period} v{version}: rewriting job texts")
        rewrites = _rewrite(cfg, jobs, candidates, recommender)
        new_text = rewrites.set_index("job_id")["rewrite"].astype(str)
        new_jobs = jobs.copy()
        new_jobs["text"] = new_jobs["job_id"].map(new_text).fillna(new_jobs["text"])
        after = audit(new_jobs, candidates, **kwargs, **opts.options)
        rows += metric_rows(after, "after")
    if cfg.thresholds.stage == "after" and after is None:
        raise ConfigError("thresholds.stage = \"after\" needs rewrite.enabled = true")

    current = pd.DataFrame(rows)
    current["period"], current["period_start"] = cfg.period, cfg.period_start
    current["version"], current["review_id"], current["status"] = version, rec.id, "running"
    trend = trend_frame(store, current=current)
    reg = regressions(trend, cfg.thresholds.regression_tolerance, period=cfg.period)
    breaches = evaluate_thresholds(rows, cfg.thresholds, reg)
    status = "breach" if breaches else "pass"

    history = [{"period": r.period, "version": r.version, "status": r.status,
                "created_at": (r.created_at.replace(tzinfo=r.created_at.tzinfo or dt.timezone.utc)
                               .astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()),
                "report_sha256": r.report_sha256}
               for r in store.records(statuses=("pass", "breach"))][-12:]
    history.append({"period": cfg.period, "version": version, "status": status, "created_at": created_at,
                    "report_sha256": None})
    rec_name = getattr(recommender, "name", type(recommender).__name__)
    review = review_context(cfg, version=version, created_at=created_at, status=status, breaches=breaches,
                            rows=rows, trend=trend, regression_table=reg, history=history,
                            input_hashes=input_hashes, data_source=data_source, recommender=str(rec_name))
    report_path = paths["report"]
    say(f"review {cfg.period} v{version}: writing {report_path}")
    pdf, side = _build_report(cfg, review, before, after=after, rewrites=rewrites)
    report_sha = hashlib.sha256(pdf).hexdigest()
    outcome = ReviewOutcome(period=cfg.period, version=version, review_id=rec.id, status=status,
                            breaches=breaches, report_path=report_path, report_sha256=report_sha,
                            audit_path=paths["audit"], summary_path=paths["outcome"], metrics=rows,
                            regressions=reg)
    files = {paths["sidecar"]: side, paths["report"]: pdf,
             paths["audit"]: (before.to_json() + "\n").encode("utf-8")}
    if after is not None:
        files[paths["audit_after"]] = (after.to_json() + "\n").encode("utf-8")
    # all or nothing, never over an existing file: a full disk leaves no half review behind
    write_all(files, overwrite=False)
    written = list(files)
    try:
        store.finish(rec.id, status=status, metrics=rows, report_path=str(report_path), report_sha256=report_sha,
                     breaches=[b.to_dict() for b in breaches],
                     message=f"{len(breaches)} threshold breach(es)" if breaches else None)
        if cfg.history.keep_periods:
            outcome.pruned = store.prune(cfg.history.keep_periods)
        write_text(outcome.summary_path, json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False) + "\n",
                   overwrite=False)
    except BaseException:
        # the caller marks the history row "error"; leave no report behind that the history does not vouch for
        for p in written:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    return outcome
