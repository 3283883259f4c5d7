"""Report rendering: HTML content, determinism, charts, word diffs, PDF pages.

The audits here are real (``fairaudit.audit`` with BM25 on a small synthetic
data set); the "after" audit re-measures the same candidates with the jobs'
gender-coded words neutralised by the lexicon, as the rewriting step would.
Other report test files import :func:`audits` and :func:`unsigned_pdf` from here.
"""
from __future__ import annotations

import difflib
import functools
import hashlib
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import skip_or_fail
from hypothesis import given, settings
from hypothesis import strategies as st

from fairaudit.errors import ReportError
from fairaudit.report import charts, html_to_pdf, render_report, sidecar_bytes, word_diff
from fairaudit.report.format import fmt, fmt_delta, group_label
from fairaudit.engine.result import AuditResult

CREATED = "2025-03-01T09:00:00+00:00"


@functools.lru_cache(maxsize=1)
def audits() -> tuple[AuditResult, AuditResult, pd.DataFrame]:
    """(before, after, rewrites) from a real small audit; cached per test process."""
    from fairaudit import audit
    from fairaudit.data.datasets import make_hiring_data
    from fairaudit.text.lexicon import neutralize_text

    jobs, cands = make_hiring_data(24, 240, seed=3)
    kw = dict(recommender="bm25", k=(10, 20), n_bootstrap=60, seed=0, created_at=CREATED,
              data_source="synthetic hiring data (make_hiring_data, seed 3)", period="2025-Q1")
    before = audit(jobs, cands, **kw)
    rewritten = jobs.assign(text=[neutralize_text(t) for t in jobs["text"]])
    after = audit(rewritten, cands, drivers=False, decomposition=False, **kw)
    k = before.config.effective_gap_k
    gb = before.per_job.query("k == @k and attribute == 'sex'").set_index("job_id")["gap"]
    ga = after.per_job.query("k == @k and attribute == 'sex'").set_index("job_id")["gap"]
    changed = jobs[jobs["text"] != rewritten["text"]]
    rewrites = pd.DataFrame({
        "job_id": changed["job_id"].to_numpy(),
        "original": changed["text"].to_numpy(),
        "rewrite": rewritten.loc[changed.index, "text"].to_numpy(),
        "gap_before": gb.loc[changed["job_id"]].to_numpy(),
        "gap_after": ga.loc[changed["job_id"]].to_numpy(),
        # a stand-in for the rewriting module's meaning score: character similarity
        "meaning_score": [difflib.SequenceMatcher(a=a, b=b).ratio() for a, b in
                          zip(changed["text"], rewritten.loc[changed.index, "text"])],
    })
    rewrites["accepted"] = rewrites["gap_after"] <= rewrites["gap_before"]
    # round-trip through JSON, as `fairaudit report --audit file.json` does
    before = AuditResult.from_dict(json.loads(before.to_json()))
    after = AuditResult.from_dict(json.loads(after.to_json()))
    return before, after, rewrites


@functools.lru_cache(maxsize=1)
def unsigned_pdf() -> bytes:
    before, after, rewrites = audits()
    return html_to_pdf(render_report(before, after, rewrites))


@pytest.fixture(scope="module")
def data():
    return audits()


# ------------------------------------------------------------------ formatting
def test_fmt_and_delta():
    assert fmt(0.7421) == "0.742"
    assert fmt(float("nan")) == "—" and fmt(None) == "—"
    assert fmt(0.5333, "pct") == "53.3%"
    assert fmt(-14.93, "score") == "\u221214.9"
    assert fmt(True, "pass") == "Pass" and fmt(False, "met") == "Not met"
    assert fmt_delta(0.70, 0.82) == "+0.120"
    assert fmt_delta(0.5, 0.45, "pct") == "\u22125.0 pp"
    assert fmt_delta(True, False, "flag") == "resolved"
    assert fmt_delta(None, 0.3) == "—"
    assert group_label("female|black") == "Female · Black or African American"


# ------------------------------------------------------------------ HTML
def test_html_holds_the_audits_numbers(data):
    before, _, _ = data
    html = render_report(before)
    v = before.verdict()
    assert before.provenance["audit_id"] in html
    assert fmt(v["min_impact_ratio"]) in html
    assert fmt(v["match_rate"], "pct") in html
    assert ("Fail" if not v["four_fifths_pass"] else "Pass") in html
    imp = before.impact
    row = imp[(imp["k"] == 10) & (imp["attribute"] == "sex") & (imp["group"] == "female")].iloc[0]
    assert fmt(row["selection_rate"], "rate") in html and fmt(row["impact_ratio"]) in html
    for ref in ("29 CFR § 1607.4(D)", "6 RCNY", "2501.07324", "Gaucher", "Geyik", "(BCa)", "Efron"):
        assert ref in html
    for h in (before.provenance["jobs_sha256"], before.provenance["candidates_sha256"],
              before.provenance["config_sha256"]):
        assert h in html
    assert "2025-Q1" in html and "Table" not in html[:200]  # period on the cover


def test_cover_card_states_the_k_of_its_match_rate(data):
    """Issue 11, item 4: the match rate on the cover is the headline k's, and so is the k it names."""
    before, _, _ = data
    html = render_report(before)
    k0, gap_k = before.config.ks[0], before.config.effective_gap_k
    assert k0 != gap_k
    v = before.verdict()
    div = before.diversity.set_index(["k", "attribute"])
    assert v["match_rate"] == div.loc[(k0, "sex"), "match_rate"]
    card = re.search(r'Diversity-match goal</div>.*?</td>', html, re.S).group(0)
    assert f"top-{k0} sex mix" in card and f"top-{gap_k} " not in card
    assert f"<strong>{fmt(v['match_rate'], 'pct')}</strong>" in card
    # the appendix prints the effective gap_k, never a raw None
    assert ">None<" not in html and f"{gap_k} (default: the largest k)" in html


def test_report_shows_warnings_and_marks_row_order_jobs(data):
    """Items 9 and 12 in the report: the audit's warnings on the summary page, tied jobs marked †."""
    before, _, _ = data
    d = json.loads(before.to_json())
    k = before.config.effective_gap_k
    worst = max((r for r in d["tables"]["per_job"] if r["k"] == k and r["attribute"] == "sex"),
                key=lambda r: r["gap"])
    worst["order_decided"] = k
    d["summary"]["warnings"] = ["attribute 'sex_race' skipped: a test warning"]
    html = render_report(AuditResult.from_dict(d))
    assert "attribute &#39;sex_race&#39; skipped: a test warning" in html
    assert f"{worst['title']} †" in html and "decided by row order" in html


def test_html_is_deterministic_and_records_sidecar_hash(data):
    before, after, rewrites = data
    a = render_report(before, after, rewrites)
    b = render_report(before, after, rewrites)
    assert a == b
    digest = hashlib.sha256(sidecar_bytes(before, after, rewrites)).hexdigest()
    assert f'name="fairaudit-sidecar-sha256" content="{digest}"' in a
    letter = render_report(before, page_size="letter")
    assert "size: Letter" in letter and "size: A4" in render_report(before)


def test_comparison_shows_before_after_change_and_diffs(data):
    before, after, rewrites = data
    html = render_report(before, after, rewrites)
    assert html.count(">Before</th>") >= 5 and html.count(">Change</th>") >= 5
    assert "<del>" in html and "<ins>" in html
    first = rewrites.assign(r=rewrites.gap_before - rewrites.gap_after).sort_values(
        ["accepted", "r"], ascending=[False, False]).iloc[0]
    assert first["job_id"] in html
    va = after.verdict()
    assert fmt(va["min_impact_ratio"]) in html and fmt(va["match_rate"], "pct") in html


def test_comparison_lists_each_watched_attributes_gap(data):
    """Rewrites carrying gap_before_<attribute> columns (the rewriter watches every attribute) render per attribute."""
    before, after, rewrites = data
    rw = rewrites.assign(gap_before_race_ethnicity=0.25, gap_after_race_ethnicity=0.125)
    html = render_report(before, after, rw)
    assert "race_ethnicity " + fmt(0.25) + " → " + fmt(0.125) in html


def test_html_escapes_user_text(data):
    before, _, rewrites = data
    evil = rewrites.copy()
    evil.loc[evil.index[0], "rewrite"] = "<script>alert(1)</script> & co"
    html = render_report(before, rewrites=evil)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_missing_optional_tables_and_keys(data):
    before, _, _ = data
    d = json.loads(before.to_json())
    for name in ("drivers", "decomposition", "ranking"):
        d["tables"][name] = []
    # a sparse summary (older files); what it keeps must still be what the tables give (engine.consistency)
    d["summary"] = {"verdict": {"four_fifths_pass": d["summary"]["verdict"]["four_fifths_pass"]}}
    d["provenance"] = {"audit_id": "x1"}
    html = render_report(AuditResult.from_dict(d))
    assert "x1" in html and "not stated" in html


def test_bad_inputs_raise_report_error(data):
    before, _, rewrites = data
    with pytest.raises(ReportError, match="page size"):
        render_report(before, page_size="A3")
    with pytest.raises(ReportError, match="missing column"):
        render_report(before, rewrites=rewrites.drop(columns=["meaning_score"]))
    with pytest.raises(ReportError, match="AuditResult"):
        render_report({"not": "a result"})


# ------------------------------------------------------------------ charts
def test_charts_are_deterministic_svg(data):
    before, after, _ = data
    a = charts.impact_ratio_chart(before.impact, after.impact, k=10)
    b = charts.impact_ratio_chart(before.impact, after.impact, k=10)
    assert a == b and a.lstrip().startswith("<?xml") and "<svg" in a
    assert "dc:date" not in a
    s = charts.selection_rate_chart(before.impact, k=10)
    assert "<svg" in s and s == charts.selection_rate_chart(before.impact, k=10)
    g = charts.gap_distribution_chart(before.per_job, after.per_job, k=20, tolerance=0.1)
    assert "<svg" in g
    assert charts.selection_rate_chart(before.impact.iloc[0:0], k=10) == ""


# ------------------------------------------------------------------ word diff
def test_word_diff_marks_changes():
    segs = word_diff("We need an aggressive, competitive leader.", "We need a collaborative leader.")
    ops = [(s.op, s.text.strip()) for s in segs]
    assert ("delete", "an aggressive, competitive") in ops
    assert ("insert", "a collaborative") in ops
    assert ops[0] == ("equal", "We need")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab cd,.\n")), max_size=40),
       st.text(alphabet=st.sampled_from(list("ab cd,.\n")), max_size=40))
def test_word_diff_rebuilds_the_rewrite(a, b):
    segs = word_diff(a, b)
    assert "".join(s.text for s in segs if s.op != "delete") == b
    norm = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    assert norm("".join(s.text for s in segs if s.op != "insert")) == norm(a)


# ------------------------------------------------------------------ PDF pages
def test_pdf_first_page_is_not_blank_and_has_the_numbers(tmp_path, data):
    if shutil.which("pdftoppm") is None:
        skip_or_fail("poppler", "pdftoppm (apt package poppler-utils) is not installed")
    from PIL import Image
    from pypdf import PdfReader

    before, after, _ = data
    pdf = unsigned_pdf()
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    png = next(tmp_path.glob("p*.png"))
    pixels = np.asarray(Image.open(png).convert("L"), dtype=float)
    assert pixels.std() > 10, "page 1 is blank"
    assert (pixels < 128).mean() > 0.01  # some dark ink: text, not just a tinted background

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 8
    page1 = reader.pages[0].extract_text()
    assert before.provenance["audit_id"] in page1
    assert fmt(after.verdict()["min_impact_ratio"]) in page1
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert fmt(before.verdict()["min_impact_ratio"]) in flat
    assert "Methodology" in flat and "Appendix" in flat and "Page 2 of" in flat
    meta = reader.metadata
    assert meta["/fairauditsidecarsha256"] == hashlib.sha256(sidecar_bytes(*data)).hexdigest()
