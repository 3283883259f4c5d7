"""History store: versions, retention, export, concurrency on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import threading

import pandas as pd
import pytest

from fairaudit.errors import ConfigError, FairauditError
from fairaudit.errors import HistoryError
from fairaudit.review.history import METRICS, HistoryStore

PG_URL = os.environ.get("FAIRAUDIT_PG_URL")


def metrics(ir: float = 0.9, k: int = 10, attribute: str = "sex", stage: str = "before") -> dict:
    return {"stage": stage, "k": k, "attribute": attribute, "min_impact_ratio": ir, "dp_difference": 0.05,
            "match_rate": 0.6, "paper_score": -12.5, "mean_gap": 0.125}


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'hist' / 'history.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    return request.getfixturevalue("pg_url")


def test_reruns_are_new_versions_never_overwrites(url):
    with HistoryStore(url) as store:
        a = store.add("2026-Q3", status="pass", metrics=[metrics(0.9)], config_hash="c1",
                      input_hashes={"jobs": "j1"}, report_path="r1.pdf", report_sha256="a" * 64)
        b = store.add("2026-Q4", status="pass", metrics=[metrics(0.85)])
        c = store.add("2026-Q4", status="breach", metrics=[metrics(0.7)], breaches=[{"rule": "x"}])
        assert (a.version, b.version, c.version) == (1, 1, 2)
        assert store.get(b.id).metrics[0]["min_impact_ratio"] == pytest.approx(0.85)  # untouched
        assert store.get(a.id).input_hashes == {"jobs": "j1"} and store.get(a.id).report_sha256 == "a" * 64
        assert store.get(c.id).breaches == [{"rule": "x"}]
        full = store.frame()
        assert len(full) == 3
        latest = store.frame(latest_only=True)
        assert latest[["period", "version"]].values.tolist() == [["2026-Q3", 1], ["2026-Q4", 2]]
        assert list(latest.columns[-5:]) == list(METRICS)


def test_nan_metrics_are_stored_as_null(url):
    with HistoryStore(url) as store:
        rec = store.add("2026-Q1", status="pass", metrics=[metrics(float("nan"))])
        assert store.get(rec.id).metrics[0]["min_impact_ratio"] is None
        assert math.isnan(store.frame()["min_impact_ratio"].iloc[0])


def test_start_then_fail_keeps_an_error_trace(url):
    with HistoryStore(url) as store:
        rec = store.start("2026-Q2", config_hash="abc")
        assert rec.status == "running" and rec.version == 1
        store.fail(rec.id, "DataError: boom")
        got = store.get(rec.id)
        assert got.status == "error" and got.message == "DataError: boom"
        # an errored run still consumes its version; the rerun is version 2
        assert store.start("2026-Q2").version == 2
        # error and running rows are not part of the trend table
        assert store.frame().empty


def test_finish_unknown_review(url):
    with HistoryStore(url) as store:
        with pytest.raises(HistoryError, match="not in the history"):
            store.finish(12345, status="pass")


def test_prune_keeps_the_most_recent_periods_by_start_date(url):
    with HistoryStore(url) as store:
        # inserted out of order on purpose: retention follows the period, not the insert time
        for p in ["2026-Q2", "2025-Q4", "2026-Q1", "2026-Q2", "2025-Q3"]:
            store.add(p, status="pass", metrics=[metrics()])
        assert store.periods() == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
        assert store.prune(2, dry_run=True) == ["2025-Q3", "2025-Q4"]
        assert len(store.records()) == 5
        assert store.prune(2) == ["2025-Q3", "2025-Q4"]
        recs = store.records()
        assert [(r.period, r.version) for r in recs] == [("2026-Q1", 1), ("2026-Q2", 1), ("2026-Q2", 2)]
        assert len(store.frame()) == 3  # metrics of pruned reviews are gone too
        assert store.prune(5) == []
        with pytest.raises(ConfigError):
            store.prune(0)


def test_export_csv_and_json(url, tmp_path):
    with HistoryStore(url) as store:
        store.add("2026-Q3", status="pass", metrics=[metrics(0.9), metrics(0.8, k=50)], config_hash="c")
        store.add("2026-Q4", status="breach", metrics=[metrics(0.7)])
        csv = store.export(tmp_path / "out" / "h.csv")
        df = pd.read_csv(csv)
        assert len(df) == 3 and set(METRICS) <= set(df.columns)
        assert df.sort_values(["period", "k"])["min_impact_ratio"].tolist() == [0.9, 0.8, 0.7]
        js = json.loads(store.export(tmp_path / "h.data", fmt="json").read_text())
        assert js["schema"] == "fairaudit.review_history/1"
        assert [r["period"] for r in js["reviews"]] == ["2026-Q3", "2026-Q4"]
        assert len(js["reviews"][0]["metrics"]) == 2
        assert js["reviews"][0]["created_at"].endswith("+00:00")
        with pytest.raises(ConfigError, match="csv or json"):
            store.export(tmp_path / "h.xlsx")
        assert not (tmp_path / "h.xlsx").exists()
        assert [p.name for p in (tmp_path / "out").iterdir()] == ["h.csv"]  # no temp files left


def test_bad_urls_are_user_errors(tmp_path):
    with pytest.raises(ConfigError, match="not a database URL"):
        HistoryStore("history.sqlite")
    with pytest.raises(ConfigError):
        HistoryStore("nosuchdb://x/y")
    with pytest.raises(FairauditError):
        HistoryStore("postgresql://nobody:wrong@127.0.0.1:1/none")


def test_sqlite_uses_wal(sqlite_url):
    with HistoryStore(sqlite_url) as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"


# -- concurrency ------------------------------------------------------------------
N_WRITERS = 4
PER_WRITER = 6


def _writer(url: str, tag: int, barrier=None) -> list[int]:
    store = HistoryStore(url)
    if barrier is not None:
        barrier.wait()
    out = []
    for i in range(PER_WRITER):
        rec = store.add("2026-Q4", status="pass", metrics=[metrics(0.5 + tag / 100 + i / 1000)],
                        config_hash=f"writer{tag}")
        out.append(rec.version)
    store.close()
    return out


def _proc_writer(url: str, tag: int, barrier, queue) -> None:
    try:
        queue.put((tag, _writer(url, tag, barrier)))
    except BaseException as exc:  # report, don't hang the parent
        queue.put((tag, repr(exc)))


def _check_no_lost_record(url: str, results: list) -> None:
    versions = sorted(v for r in results for v in r)
    assert versions == list(range(1, N_WRITERS * PER_WRITER + 1))
    with HistoryStore(url) as store:
        recs = store.records(period="2026-Q4")
        assert sorted(r.version for r in recs) == versions
        assert all(r.status == "pass" and len(r.metrics) == 1 for r in recs)
        per_writer = pd.Series([r.config_hash for r in recs]).value_counts()
        assert per_writer.tolist() == [PER_WRITER] * N_WRITERS


def test_concurrent_threads_same_store(url):
    HistoryStore(url).close()  # schema exists; table creation races are tested by the processes
    results: dict[int, list[int]] = {}
    barrier = threading.Barrier(N_WRITERS)

    def work(t: int) -> None:
        results[t] = _writer(url, t, barrier)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(N_WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == N_WRITERS, "a writer thread failed"
    _check_no_lost_record(url, list(results.values()))


def test_concurrent_processes_same_store(url):
    # processes start on an empty database: they also race to create the tables
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(N_WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_proc_writer, args=(url, t, barrier, queue)) for t in range(N_WRITERS)]
    for p in procs:
        p.start()
    got = dict(queue.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(30)
    bad = {t: r for t, r in got.items() if not isinstance(r, list)}
    assert not bad, bad
    _check_no_lost_record(url, list(got.values()))


# ---------------------------------------------------------------- issue 25, item 9
def test_history_cli_refuses_a_missing_database_unless_create(tmp_path, capsys):
    """A mistyped --db path used to create an empty database and say "no reviews recorded yet" (exit 0)."""
    from fairaudit.cli import main

    typo = tmp_path / "histroy.sqlite"
    assert main(["history", "--db", f"sqlite:///{typo}"]) == 2
    err = capsys.readouterr().err
    assert "no history database at" in err and "--create" in err and len(err.strip().splitlines()) == 1
    assert not typo.exists()
    other = tmp_path / "other.sqlite"  # a database, but not a fairaudit history
    import sqlite3

    sqlite3.connect(other).execute("create table t (x int)").connection.commit()
    assert main(["history", "--db", f"sqlite:///{other}", "--export", "csv", "--out", str(tmp_path / "h.csv")]) == 2
    assert "holds no fairaudit review history" in capsys.readouterr().err and not (tmp_path / "h.csv").exists()
    assert main(["history", "--db", f"sqlite:///{typo}", "--create"]) == 0
    assert "no reviews recorded yet" in capsys.readouterr().out and typo.exists()
    assert main(["history", "--db", f"sqlite:///{typo}"]) == 0  # it exists now


def test_csv_export_keeps_failed_reviews_like_the_json(sqlite_url, tmp_path):
    with HistoryStore(sqlite_url) as store:
        store.add("2026-Q3", status="pass", metrics=[metrics(0.9), metrics(0.8, k=50)])
        failed = store.start("2026-Q4")
        store.fail(failed.id, "the source database was unreachable")
        store.export(tmp_path / "h.csv")
        js = json.loads(store.export(tmp_path / "h.json").read_text())
    raw = pd.read_csv(tmp_path / "h.csv")
    assert sorted(set(raw["review_id"])) == sorted(r["id"] for r in js["reviews"])  # the failed one is there
    from fairaudit.review.history import HISTORY_TABLE

    df = HISTORY_TABLE.read(tmp_path / "h.csv")  # read back through the schema that wrote it
    assert sorted(set(df["review_id"])) == sorted(r["id"] for r in js["reviews"])
    row = df[df["status"] == "error"]
    assert len(row) == 1 and row["message"].iloc[0] == "the source database was unreachable"
    assert row["k"].isna().all() and row["min_impact_ratio"].isna().all() and row["stage"].iloc[0] == ""
    ok = df[df["status"] == "pass"].sort_values("k")
    assert ok["k"].tolist() == [10, 50] and ok["min_impact_ratio"].tolist() == [0.9, 0.8]
