"""What is rendered and signed is what fairaudit checked (issue 25, item 2).

``fairaudit report`` signed any hand-edited audit JSON: a raised impact ratio, a
verdict turned into "pass", a p-value of 0.0001, 5,000 selections from a group
of a few candidates, a negative selection rate, NaN. Every rule of
:data:`fairaudit.engine.consistency.RULES` has its cases here; the issue's
hand-edits are refused by ``report`` (single and before/after) and ``summary``
before anything is written; genuine audits (fairaudit's own, and the demo's
when it exists) pass.
"""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

import fairaudit
from fairaudit.cli import main
from fairaudit.engine.consistency import RULES, check_consistency, disagreements
from fairaudit.engine.result import AuditResult
from fairaudit.errors import DataError

DEMO = Path(__file__).resolve().parents[1] / "demo_out" / "audit_before.json"
MAIN_DEMO = Path("/work/main/demo_out/audit_before.json")


@pytest.fixture(scope="module")
def genuine() -> dict:
    """A small real audit as its JSON dict: unknown categories, permutations, drivers and decomposition."""
    from toy import ToyRecommender, toy_data

    jobs, cands = toy_data(n_jobs=15, n_cand=150, seed=2)
    cands.loc[::7, "race_ethnicity"] = "unknown"
    result = fairaudit.audit(jobs, cands, ToyRecommender(), k=(10, 30), n_bootstrap=30, n_permutations=99,
                             decomposition="full", drivers="all", seed=3, created_at="2025-01-02T00:00:00+00:00")
    return json.loads(result.to_json())


def _rows(d: dict, table: str, **match) -> list[int]:
    return [i for i, r in enumerate(d["tables"][table]) if all(r.get(c) == v for c, v in match.items())]


def _row(d: dict, table: str, **match) -> dict:
    return d["tables"][table][_rows(d, table, **match)[0]]


def _rated(d: dict, **match) -> dict:
    """The first rated group of the headline k (optionally matching more columns)."""
    k0 = d["config"]["ks"][0]
    return d["tables"]["impact"][[i for i in _rows(d, "impact", k=k0, **match)
                                  if not d["tables"]["impact"][i]["excluded"]][0]]


def _other(verdict: str) -> str:
    return "pass" if verdict != "pass" else "breach, beyond chance"


def _e_finite(d):
    d["tables"]["diversity"][0]["ndkl"] = math.inf


def _e_counts(d):  # 5,000 selections from a group of a few candidates
    _rated(d)["selected"] = 5000


def _e_pool(d):
    k1 = d["config"]["ks"][1]
    _row(d, "impact", k=k1, attribute="sex", group="female")["n_pool"] += 1


def _e_selections(d):
    _rated(d)["selected"] += 1


def _e_rate(d):  # a negative selection rate with an impact ratio of 7.5
    r = _rated(d)
    r["selection_rate"], r["impact_ratio"] = -0.1, 7.5


def _e_rated(d):
    _rated(d)["excluded"] = True


def _e_impact(d):
    r = _rated(d, attribute="race_ethnicity")
    r["impact_ratio"] = 0.95 if abs(r["impact_ratio"] - 0.95) > 0.01 else 0.5


def _e_impact_nan(d):
    _rated(d, attribute="sex")["impact_ratio"] = math.nan


def _e_flag(d):
    r = _rated(d)
    r["four_fifths_flag"] = not r["four_fifths_flag"]


def _e_p_range(d):
    _rated(d)["p_value"] = 0.0001  # 99 permutations cannot give less than 0.01


def _e_p_nan(d):
    _rated(d)["p_value"] = math.nan


def _e_p_quantile(d):
    """A p-value of 0.3 for a group whose ratio is at or above its null median (p must exceed 0.5)."""
    rows = [r for r in d["tables"]["impact"] if not r["excluded"] and r["null_ir_median"] is not None
            and r["impact_ratio"] > r["null_ir_median"] + 1e-6]
    rows[0]["p_value"] = 0.3


def _e_group_verdict(d):
    r = _rated(d)
    r["verdict"] = _other(r["verdict"])


def _e_parity(d):
    d["tables"]["parity"][0]["min_impact_ratio"] += 0.1


def _e_attribute_p(d):
    d["tables"]["parity"][0]["p_value"] = 0.0001


def _e_attribute_verdict(d):
    r = d["tables"]["parity"][0]
    r["verdict"] = _other(r["verdict"])


def _e_per_job(d):
    d["tables"]["per_job"][0]["gap"] += 0.2


def _e_diversity(d):
    d["tables"]["diversity"][0]["match_rate"] = 1.0 if d["tables"]["diversity"][0]["match_rate"] < 1 else 0.5


def _e_ranking(d):
    d["tables"]["ranking"][0]["topk_share"] += 0.05


def _e_created_at(d):  # it would be published as the LL144 "date of the bias audit"
    d["provenance"]["created_at"] = "2099-01-01T00:00:00+00:00"


def _e_summary(d):  # the cover says "pass" while the tables say otherwise
    v = d["summary"]["verdict"]
    v["category"] = _other(v["category"])


def _e_summary_text(d):
    attr = next(iter(d["summary"]["verdict"]["attributes"]))
    d["summary"]["verdict"]["attributes"][attr]["text"] = "pass"


def _e_cause_split(d):  # a split whose parts do not add up to its total (an audit of sets has one; add it here)
    k0 = d["config"]["ks"][0]
    values = {"total": 0.3, "who_applied": 0.2, "identity_cues": 0.05, "job_text": 0.0, "residual": 0.0}
    d["tables"]["cause_split"] = [
        {"k": k0, "attribute": "sex", "part": p, "value": v, "share": v / 0.3, "chance_median": None,
         "chance_low": None, "chance_high": None, "p_value": None, "beyond_chance": None, "n_jobs": 15,
         "computed": True, "reason": ""} for p, v in values.items()]


#: Each rule's cases: (rule, edit, field named in the message).
CASES = [
    ("finite", _e_finite, "tables.diversity[0].ndkl"),
    ("counts", _e_counts, ".selected"),
    ("pool", _e_pool, ".n_pool"),
    ("selections", _e_selections, ".selected"),
    ("selection_rate", _e_rate, ".selection_rate"),
    ("rated", _e_rated, ".excluded"),
    ("impact_ratio", _e_impact, ".impact_ratio"),
    ("impact_ratio", _e_impact_nan, ".impact_ratio"),
    ("four_fifths_flag", _e_flag, ".four_fifths_flag"),
    ("p_value", _e_p_range, ".p_value"),
    ("p_value", _e_p_nan, ".p_value"),
    ("p_value", _e_p_quantile, ".p_value"),
    ("group_verdict", _e_group_verdict, ".verdict"),
    ("parity", _e_parity, "tables.parity[0].min_impact_ratio"),
    ("attribute_p_value", _e_attribute_p, "tables.parity[0].p_value"),
    ("attribute_verdict", _e_attribute_verdict, "tables.parity[0].verdict"),
    ("per_job", _e_per_job, "tables.per_job[0].gap"),
    ("diversity", _e_diversity, "tables.diversity[0].match_rate"),
    ("ranking", _e_ranking, "tables.ranking[0].topk_share"),
    ("created_at", _e_created_at, "provenance.created_at"),
    ("summary", _e_summary, "summary.verdict.category"),
    ("summary", _e_summary_text, ".text"),
    ("cause_split", _e_cause_split, "tables.cause_split[0].value"),
]


def _edited(genuine: dict, edit) -> AuditResult:
    d = copy.deepcopy(genuine)
    edit(d)
    return AuditResult.from_dict(json.loads(json.dumps(d)), source="edited.json")


def test_every_rule_has_cases():
    assert set(RULES) == {name for name, _, _ in CASES}


def test_a_genuine_audit_passes(genuine):
    assert list(disagreements(AuditResult.from_dict(genuine))) == []


@pytest.mark.parametrize("options", [
    {"min_share": 0.3},  # the intersection has no rated group: no ratio, no p-value, no parity
    {"min_share": 0.0, "target": "uniform"},  # a 2-candidate category is rated but not the reference
    {"n_permutations": 0},  # no verdicts
    {"scoring_median": "sample", "k": (3, 8)},
])
def test_genuine_audits_in_edge_cases_pass(options):
    from toy import ToyRecommender, toy_data

    jobs, cands = toy_data(n_jobs=6, n_cand=30, seed=1)
    cands.loc[::5, "race_ethnicity"] = "unknown"
    cands.loc[:1, "race_ethnicity"] = "aian"
    kw = {"k": (10,), "n_bootstrap": 10, "n_permutations": 39, "decomposition": "none", "drivers": "none", **options}
    result = fairaudit.audit(jobs, cands, ToyRecommender(), seed=1, **kw)
    assert list(disagreements(result)) == []  # in memory, as the review renders it
    assert list(disagreements(AuditResult.from_dict(json.loads(result.to_json())))) == []


@pytest.mark.parametrize("name, edit, field", CASES, ids=[f"{n}-{e.__name__[3:]}" for n, e, _ in CASES])
def test_each_rule_refuses_its_cases(genuine, name, edit, field):
    result = _edited(genuine, edit)
    first = next(disagreements(result))
    assert first.rule == name and field in first.path
    with pytest.raises(DataError) as err:
        check_consistency(result)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"edited.json: {first.path} is ")


def test_message_names_field_stored_and_derived(genuine):
    result = _edited(genuine, _e_impact)
    with pytest.raises(DataError, match=r"tables\.impact\[\d+\]\.impact_ratio is 0\.95, but its counts give "
                                        r"0\.\d+ \(rule 'impact_ratio'\)"):
        check_consistency(result)


@pytest.mark.skipif(not (DEMO.exists() or MAIN_DEMO.exists()), reason="the demo's outputs are not there")
def test_the_demo_audits_pass():
    folder = (DEMO if DEMO.exists() else MAIN_DEMO).parent
    for name in ("audit_before.json", "audit_after.json", "audit_from_log.json"):
        if (folder / name).exists():
            check_consistency(AuditResult.from_json(folder / name))


#: The hand-edits of the issue, as a user makes them in the file.
HAND_EDITS = [_e_impact, _e_summary, _e_p_range, _e_counts, _e_rate, _e_impact_nan, _e_group_verdict, _e_created_at]


@pytest.fixture(scope="module")
def files(genuine, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("edits")
    (d / "genuine.json").write_text(json.dumps(genuine))
    for edit in HAND_EDITS:
        e = copy.deepcopy(genuine)
        edit(e)
        (d / f"{edit.__name__}.json").write_text(json.dumps(e))  # NaN is written as NaN, as an editor may
    return d


@pytest.mark.parametrize("edit", HAND_EDITS, ids=lambda e: e.__name__[3:])
@pytest.mark.parametrize("command", ["report", "report-after", "report-before", "summary"])
def test_commands_refuse_hand_edits_before_writing(files, edit, command, tmp_path, capsys):
    edited, genuine = files / f"{edit.__name__}.json", files / "genuine.json"
    out = tmp_path / ("s.html" if command == "summary" else "r.pdf")
    args = {"report": ["report", "--audit", str(edited), "--out", str(out), "--quiet"],
            "report-after": ["report", "--audit", str(genuine), "--after", str(edited), "--out", str(out),
                             "--quiet"],
            "report-before": ["report", "--audit", str(edited), "--after", str(genuine), "--out", str(out),
                              "--quiet"],
            "summary": ["summary", "--audit", str(edited), "--out", str(out), "--distribution-date",
                        "2025-02-01"]}[command]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and any(f"{edited}: {part}." in err[0] for part in ("tables", "summary", "provenance")), err
    assert list(tmp_path.iterdir()) == []  # no PDF, no sidecar, no HTML, no JSON
