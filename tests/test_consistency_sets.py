"""The consistency check on audits of per-job candidate sets, logs and aggregate counts (issues 25 item 2, 28).

Their counts are not the whole pool's: a group's rate is selected / the
(job, candidate) pairs it had assessed (``n_assessed``), ``n_pool`` is the
distinct people among them, a job selects at most its set's size, ``k = 0`` is
the selection as recorded, and counts have no jobs. Genuine audits of each kind
pass the check and become a signed report and an LL144 summary; a hand-edit of
an impact ratio, a pair count or a selection count is refused with one line
naming the field.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.cli import main
from fairaudit.engine.consistency import check_consistency, disagreements
from fairaudit.engine.counts_audit import audit_counts
from fairaudit.engine.result import AuditResult
from fairaudit.errors import DataError
from toy import ToyRecommender, toy_data

CREATED = "2025-01-02T00:00:00+00:00"
pytestmark = pytest.mark.filterwarnings("ignore::fairaudit.errors.FairauditWarning")


def _sets(jobs: pd.DataFrame, cands: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Sets of 4 to 40 candidates: some jobs have fewer than k candidates."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 41, len(jobs))
    return pd.DataFrame([(j, c) for j, n in zip(jobs["job_id"], sizes)
                         for c in rng.choice(cands["candidate_id"], n, replace=False)],
                        columns=["job_id", "candidate_id"])


@pytest.fixture(scope="module")
def audits() -> dict[str, dict]:
    """A live audit of candidate sets, the log it writes (its ranks, and its selection as recorded: k=0) and the
    log's counts, as JSON."""
    jobs, cands = toy_data(16, 160, seed=4)
    cands.loc[::9, "race_ethnicity"] = "unknown"
    sets = _sets(jobs, cands)
    live = fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=(5, 10), candidate_sets=sets,
                           n_bootstrap=20, n_permutations=99, seed=3, created_at=CREATED)
    log = live.rankings.to_frame(cands["candidate_id"])
    log["selected"] = log["rank"] <= np.where(log["job_id"].str[1:].astype(int) % 2 == 0, 3, 6)
    people = cands[["candidate_id", "sex", "race_ethnicity"]]
    from_log = fairaudit.audit_log(log, people, jobs, k=(5, 10), n_bootstrap=20, n_permutations=99, seed=3,
                                   created_at=CREATED)
    recorded = fairaudit.audit_log(log, people, jobs, k=0, n_bootstrap=20, n_permutations=99, seed=3,
                                   created_at=CREATED)
    m = log.merge(people, on="candidate_id")
    known = ~m[["sex", "race_ethnicity"]].isin(["", "unknown"]).any(axis=1)
    m["sex_race"] = (m["sex"] + "|" + m["race_ethnicity"]).where(known, "unknown")
    counts = pd.concat([m.assign(category=m[a]).groupby("category").agg(
        assessed=("job_id", "size"), selected=("selected", "sum"),
        individuals=("candidate_id", "nunique")).reset_index().assign(attribute=a)
        for a in ("sex", "race_ethnicity", "sex_race")], ignore_index=True)
    from_counts = audit_counts(counts, n_permutations=99, created_at=CREATED)
    return {name: json.loads(r.to_json()) for name, r in
            (("live", live), ("log", from_log), ("recorded", recorded), ("counts", from_counts))}


KINDS = ("live", "log", "recorded", "counts")


def _load(d: dict) -> AuditResult:
    return AuditResult.from_dict(json.loads(json.dumps(d)), source="edited.json")


@pytest.mark.parametrize("kind", KINDS)
def test_genuine_audits_of_sets_logs_and_counts_pass(audits, kind):
    assert list(disagreements(_load(audits[kind]))) == []


def test_the_live_audit_in_memory_passes():
    jobs, cands = toy_data(8, 60, seed=2)
    result = fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=(3, 30), candidate_sets=_sets(jobs, cands),
                             n_bootstrap=0, n_permutations=39, seed=1)
    assert list(disagreements(result)) == []  # k=30 is above some sets' sizes: they select all they considered
    pool = fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=5, candidate_sets=_sets(jobs, cands),
                           target="pool", n_bootstrap=0, n_permutations=0)
    assert list(disagreements(pool)) == []


def _rated_row(d: dict) -> dict:
    """The first rated group at the headline k that is not the reference (its ratio below 1)."""
    k0 = d["config"]["ks"][0]
    return next(r for r in d["tables"]["impact"] if r["k"] == k0 and not r["excluded"] and r["impact_ratio"] < 1)


def _e_impact(d):
    _rated_row(d)["impact_ratio"] = 0.95


def _e_assessed(d):  # fewer pairs assessed: a higher rate, the ratio and rate left as they were
    _rated_row(d)["n_assessed"] -= 1


def _e_selected(d):  # one more selection for a group
    _rated_row(d)["selected"] += 1


def _e_rate_and_count(d):  # a selection count and its rate, edited together
    r = _rated_row(d)
    r["selected"] += 1
    r["selection_rate"] = r["selected"] / r["n_assessed"]


EDITS = [(_e_impact, "impact_ratio"), (_e_assessed, "n_assessed"), (_e_selected, "selected"),
         (_e_rate_and_count, "selected")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("edit, column", EDITS, ids=[e.__name__[3:] for e, _ in EDITS])
def test_hand_edits_are_refused_naming_the_field(audits, kind, edit, column):
    d = copy.deepcopy(audits[kind])
    edit(d)
    with pytest.raises(DataError) as err:
        check_consistency(_load(d))
    message = str(err.value)
    assert "\n" not in message and message.startswith("edited.json: tables.impact[")
    assert message.split(" is ")[0].endswith(f".{column}"), message


def test_a_job_with_fewer_candidates_than_k_bounds_the_selections(audits):
    d = copy.deepcopy(audits["live"])
    d["provenance"].pop("selections")  # a file without the stored totals: only the bound is known
    k0 = d["config"]["ks"][0]
    rows = [r for r in d["tables"]["impact"] if r["k"] == k0 and r["attribute"] == "sex"]
    assert list(disagreements(_load(d))) == []
    rows[0]["selected"] += d["provenance"]["n_jobs"] * k0  # more than every job's top-k
    first = next(disagreements(_load(d)))
    assert first.rule == "counts" or first.rule == "selections"


def test_every_attribute_adds_up_to_the_same_selections(audits):
    d = copy.deepcopy(audits["log"])
    d["provenance"].pop("selections")
    k0 = d["config"]["ks"][0]
    race = next(r for r in d["tables"]["impact"] if r["k"] == k0 and r["attribute"] == "race_ethnicity"
                and r["selected"] > 0)
    race["selected"] -= 1
    first = next(disagreements(_load(d)))
    assert first.rule == "selections" and "the same total" in first.derived


def test_own_targets_re_derive_each_jobs_gap(audits):
    d = copy.deepcopy(audits["live"])
    assert d["tables"]["diversity"][0]["target"] == "own"
    row = next(r for r in d["tables"]["per_job"] if r["gap"] is not None and r["gap"] > 0.05)
    row["gap"] = 0.0
    first = next(disagreements(_load(d)))
    assert first.rule == "per_job" and first.path.endswith(".gap")
    d = copy.deepcopy(audits["live"])
    d["tables"]["per_job"][0]["own_mix"] = json.dumps({"female": 1.0, "male": 0.0})  # a different target
    first = next(disagreements(_load(d)))
    assert first.rule == "per_job" and first.path == "tables.per_job[0].gap"


@pytest.fixture(scope="module")
def files(audits, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("sets")
    for kind in KINDS:
        (d / f"{kind}.json").write_text(json.dumps(audits[kind]))
        edited = copy.deepcopy(audits[kind])
        _e_assessed(edited)
        (d / f"{kind}-edited.json").write_text(json.dumps(edited))
    assert main(["keys", "init", "--dir", str(d / "keys"), "--key-type", "ec", "--name", "Sets Signer"]) == 0
    return d


@pytest.mark.parametrize("kind", KINDS)
def test_signed_report_and_summary_of_each_kind(files, kind, tmp_path):
    pdf, html = tmp_path / "r.pdf", tmp_path / "s.html"
    assert main(["report", "--audit", str(files / f"{kind}.json"), "--out", str(pdf), "--key-dir",
                 str(files / "keys"), "--quiet"]) == 0
    assert pdf.stat().st_size > 0
    assert main(["verify", str(pdf), "--trust", str(files / "keys" / "signing-cert.pem")]) == 0
    assert main(["summary", "--audit", str(files / f"{kind}.json"), "--out", str(html), "--distribution-date",
                 "2025-02-01"]) == 0
    assert ("Historical data" in html.read_text()) == (kind != "live")


@pytest.mark.parametrize("kind", KINDS)
def test_commands_refuse_an_edited_file_of_each_kind(files, kind, tmp_path, capsys):
    edited = files / f"{kind}-edited.json"
    for args in (["report", "--audit", str(edited), "--out", str(tmp_path / "r.pdf"), "--quiet"],
                 ["summary", "--audit", str(edited), "--out", str(tmp_path / "s.html"), "--distribution-date",
                  "2025-02-01"]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"{edited}: tables.impact[" in err[0] and ".n_assessed is " in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_a_streamed_log_audit_passes(tmp_path):
    pytest.importorskip("duckdb")
    jobs, cands = toy_data(10, 80, seed=5)
    live = fairaudit.audit(jobs, cands, recommender=ToyRecommender(), k=(5, 10), candidate_sets=_sets(jobs, cands),
                           n_bootstrap=0, n_permutations=39, seed=2)
    path = tmp_path / "recs.parquet"
    live.rankings.to_frame(cands["candidate_id"]).to_parquet(path)
    streamed = fairaudit.audit_log(path, cands[["candidate_id", "sex", "race_ethnicity"]], jobs, k=(5, 10),
                                   n_bootstrap=0, n_permutations=39, seed=2, stream=True)
    assert streamed.provenance["selections"] == live.provenance["selections"]
    assert list(disagreements(AuditResult.from_dict(json.loads(streamed.to_json())))) == []
