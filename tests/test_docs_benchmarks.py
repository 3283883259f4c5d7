"""The benchmark pages render whatever keys a results file has (docs/_ext/benchmark_tables.py).

Other work changes the JSON files under benchmarks/results/ while the docs stay: a new, a
missing or an oddly shaped key must change the tables, never break the build.
"""
from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")  # the docs extra (make docs installs it; .ci/run builds the docs first)

ROOT = Path(__file__).resolve().parents[1]


def _ext():
    spec = importlib.util.spec_from_file_location("fairaudit_docs_benchmarks",
                                                  ROOT / "docs" / "_ext" / "benchmark_tables.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


B = _ext()


def _text(nodes_) -> str:
    return "\n".join(n.astext() for n in nodes_)


ODD = {
    "benchmark": "new_bench", "n": 3, "ratio": 0.123456789, "tiny": 1e-9, "nan": math.nan, "ok": True,
    "missing": None, "empty_dict": {}, "empty_list": [], "scalars": list(range(20)),
    "records": [{"a": 1, "b": "x"}, {"b": "y", "c": [1, 2]}, {"a": {"deep": {"deeper": 1}}}],
    "mixed": [1, {"a": 2}, [3]],
    "by_stage": {"load": {"seconds": 1.5}, "run": {"seconds": 2.0, "texts": 10}},
    "nested": {"level1": {"level2": {"level3": {"level4": {"level5": {"x": 1}}}}}},
    "long": "w" * 500,
}


def test_any_json_shape_renders():
    out = B.render_dict(ODD, "")
    text = _text(out)
    for expected in ("new_bench", "0.1235", "1.000e-09", "nan", "yes", "—", "load", "run", "level1"):
        assert expected in text, expected
    assert "…" in text  # long values are cut, not dropped
    assert B.render_value([], "empty") and B.render_value("just a string", "s")


def test_every_results_file_renders():
    files = sorted((ROOT / "benchmarks" / "results").glob("*.json"))
    assert files
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        assert B.render_dict(data, "") if isinstance(data, dict) else B.render_value(data, f.stem)


def test_machine_found_where_the_file_keeps_it():
    assert B.machine_of({"machine": {"cpu": "x"}}) == {"cpu": "x"}
    assert B.machine_of({"meta": {"machine": "linux", "cpus": 2}}) == {"machine": "linux", "cpus": 2}
    assert B.machine_of({"setup": {"platform": "x86_64"}, "python": "3.11"}) == {"python": "3.11",
                                                                                  "platform": "x86_64"}
    assert B.machine_of({"n": 1}) is None


def test_a_plot_of_missing_keys_says_so(tmp_path):
    png = tmp_path / "p.png"
    assert "no key" in B.bar_plot({"a": 1}, "seconds_median", png, "t")
    assert "no numbers" in B.bar_plot({"s": {"x": "text"}}, "s", png, "t")
    assert "no key" in B.line_plot({"a": 1}, "runs n seconds backend", png, "t")
    assert "needs PATH X Y" in B.line_plot({"a": 1}, "runs", png, "t")
    assert not png.exists()
    assert B.bar_plot({"s": {"a": {"seconds": 1.0}, "b": {"seconds": 2.0}}}, "s:seconds", png, "t") is None
    assert png.stat().st_size > 1000


# ----------------------------------------------------------------------------- the results page (bench_results)
def _results_ext():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # bench_results imports benchmark_tables by name
    try:
        spec = importlib.util.spec_from_file_location("fairaudit_docs_bench_results",
                                                      ROOT / "docs" / "_ext" / "bench_results.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))


R = _results_ext()
PAGE = ROOT / "docs" / "benchmarks.md"


def test_lookup_paths_indices_and_record_selectors():
    data = {"runs": [{"k": 10, "s": 1.5}, {"k": 50, "s": {"v": 2}}], "t": {"met": True}}
    assert R.lookup(data, "runs.0.s") == 1.5
    assert R.lookup(data, "runs[k=50].s.v") == 2
    assert R.value(data, "t.met") == "yes" and R.value(data, "runs.0.s", ".2f") == "1.50"
    assert R.value(data, "runs[k=99].s") == R.MISSING and R.value(data, "nope") == R.MISSING
    assert R.substitute("{runs.0.s|.0%} of {t.met}", data) == "150% of yes"


def test_every_number_on_the_benchmarks_page_resolves():
    # the page never shows "n/a" for a key its results file lacks: fix the page with the results
    refs = R.references(PAGE.read_text(encoding="utf-8"))
    assert len(refs) > 60
    missing = []
    for name, path in refs:
        data = json.loads((ROOT / "benchmarks" / "results" / name).read_text(encoding="utf-8"))
        try:
            R.lookup(data, path)
        except KeyError:
            missing.append(f"{name}: {path}")
    assert missing == []


def test_a_page_reference_to_a_missing_key_is_caught():
    refs = R.references("x {bench}`audit_bench.json:no.such\\|.1f` y\n```{bench-table} a.json\nh\n{z.q|.2f}\n```\n")
    assert refs == [("audit_bench.json", "no.such"), ("a.json", "z.q")]


def test_plots_draw_or_say_why(tmp_path):
    png = tmp_path / "p.png"
    data = {"cells": [{"k": 10, "r": 0.5, "d": {"rate": 0.2}, "g": 0.01},
                      {"k": 10, "r": 0.9, "d": {"rate": 0.1}, "g": 0.01}]}
    opts = {"kind": "line", "rows": "cells", "where": "k=10", "x": "r", "y": "d.rate", "hue": "g", "hline": "0.8"}
    assert R.draw(data, opts, png) is None and png.stat().st_size > 1000
    assert "No plot" in R.draw(data, {**opts, "rows": "gone"}, tmp_path / "q.png")


def test_every_cell_of_the_pages_record_tables_resolves():
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\{bench-records\} (\S+)\n(.*?)^```", text, re.S | re.M)
    assert blocks
    empty = []
    for name, body in blocks:
        opts = dict(re.findall(r"^:(\w+): (.*)$", body, re.M))
        data = json.loads((ROOT / "benchmarks" / "results" / name).read_text(encoding="utf-8"))
        records = R._records(data, opts["rows"], opts.get("where", ""))
        assert records, f"{name}: no records under {opts['rows']}"
        for field, label, spec in R._columns(opts["columns"]):
            if any(R.value(r, field, spec) == R.MISSING for _, r in records):
                empty.append(f"{name} {opts['rows']}: {field} ({label})")
    assert empty == []


def test_column_specs_keep_commas_in_labels_and_formats():
    assert R._columns("a=x, b.c=breach, beyond chance|.1%, n=jobs|,, d=in [3 %, 7 %]") == [
        ("a", "x", None), ("b.c", "breach, beyond chance", ".1%"), ("n", "jobs", ","), ("d", "in [3 %, 7 %]", None)]
