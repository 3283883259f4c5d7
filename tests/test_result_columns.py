"""Every column an audit writes has one definition (fairaudit.data.columns), used by the schema and the docs."""
from __future__ import annotations

import pytest

from fairaudit import audit, make_hiring_data
from fairaudit.data import columns
from fairaudit.data.schema import AuditDocument


@pytest.fixture(scope="module")
def results():
    jobs, cands = make_hiring_data(24, 300, seed=0)
    common = dict(recommender="bm25", k=(10, 50), seed=0, n_bootstrap=30, n_permutations=49, progress=False,
                  drivers="all", decomposition="full")
    # lexicon drivers in one audit, occlusion in the other: together every table
    return [audit(jobs, cands, **common), audit(jobs, cands, driver_method="occlusion", **common)]


def test_every_emitted_table_and_column_is_defined(results):
    seen = {}
    for r in results:
        for name in r.tables:
            seen.setdefault(name, set()).update(r.to_frame(name).columns)
    assert set(seen) == set(columns.TABLES), "a table without definitions, or a definition of no table"
    assert columns.undefined_columns(seen) == []


def test_every_definition_is_of_an_emitted_column(results):
    # a definition of a column no audit writes any more is stale
    seen = {name: set().union(*(r.to_frame(name).columns for r in results if name in r.tables))
            for name in columns.TABLES}
    stale = [f"{t}.{c}" for t, table in columns.TABLES.items() for c in table.columns if c not in seen[t]]
    assert stale == []


def test_a_column_without_definition_is_caught():
    assert columns.undefined_columns({"impact": ["k", "brand_new"], "new_table": ["x"]}) == \
        ["impact.brand_new", "new_table.x"]
    with pytest.raises(KeyError):
        columns.column_definition("impact", "brand_new")


def test_the_json_schema_carries_the_same_definitions():
    defs = AuditDocument.model_json_schema()["$defs"]
    assert defs["ImpactRow"]["properties"]["p_value"]["description"] == \
        columns.column_definition("impact", "p_value")
    assert defs["DecompositionRow"]["properties"]["sample_k"]["description"] == \
        columns.column_definition("decomposition", "sample_k")
    rows = {"impact": "ImpactRow", "parity": "ParityRow", "diversity": "DiversityRow", "ranking": "RankingRow",
            "per_job": "PerJobRow", "drivers": "DriverRow", "occlusion": "OcclusionRow",
            "decomposition": "DecompositionRow", "cause_split": "CauseSplitRow"}
    for table, model in rows.items():  # every column the schema declares is described
        for name, prop in defs[model]["properties"].items():
            assert prop.get("description") == columns.column_definition(table, name), f"{table}.{name}"
