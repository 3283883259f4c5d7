"""Issue 25, item 3: every printed report fits its pages.

Each output (single audit, before/after, periodic review, LL144 summary) is laid out by
WeasyPrint exactly as it is printed (:func:`fairaudit.report.pdf.lay_out`), and every text
box must lie inside its page's content area, its table cell and any box that clips it
(:mod:`layout`); no justified paragraph may hold a stray short line. The checks are shown
to fail on a table that is too wide, a word clipped in its cell, and the comparison laid
out as one table per section as it was before.
"""
from __future__ import annotations

import functools

import pytest

pytest.importorskip("weasyprint")

from layout import overflows, problems, stray_lines  # noqa: E402
from test_report_render import audits  # noqa: E402

from fairaudit.report import render_report  # noqa: E402
from fairaudit.report import sections as sec  # noqa: E402
from fairaudit.report.format import fmt_delta  # noqa: E402
from fairaudit.report.pdf import lay_out  # noqa: E402
from fairaudit.report.tables import Col, build_table, delta_cell  # noqa: E402


@functools.lru_cache(maxsize=1)
def review_html() -> str:
    """The HTML of a real periodic review (second period, with breaches, trend charts and history)."""
    import tempfile
    from pathlib import Path

    import fairaudit.report.pdf as pdf
    from fairaudit.cli import main
    from test_review_run import write_config

    caught: list[str] = []
    mp = pytest.MonkeyPatch()
    mp.setattr(pdf, "html_to_pdf", lambda html: caught.append(html) or b"%PDF-1.7 test\n")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = write_config(Path(tmp), floor=0.99)  # a floor no group reaches: the breach list is printed
            for period in ("2026-Q3", "2026-Q4"):
                assert main(["review", "--config", str(cfg), "--period", period, "-q"]) == 3
    finally:
        mp.undo()
    return caught[-1]


def _summary_html() -> str:
    from fairaudit.report.summary import build_summary, render_summary

    before, _, _ = audits()
    return render_summary(build_summary(before, distribution_date="2025-04-01", organization="Example Corp"),
                          json_name="summary.json", json_sha256="0" * 64)


def _split_html() -> str:
    """An audit of a log with the three-way cause split: its table holds the longest reasons."""
    import fairaudit
    from test_cause_split import CANDS, CASES, OPTS, _jobs, _sets

    fn, text, seg = CASES["job_text"]
    live = fairaudit.audit(_jobs(text), CANDS, recommender=fn, candidate_sets=_sets(seg), **OPTS)
    log = live.rankings.to_frame(CANDS["candidate_id"].tolist())
    return render_report(fairaudit.audit_log(log, CANDS[["candidate_id", "sex"]], **OPTS))


OUTPUTS = {
    "single audit": lambda: render_report(audits()[0]),
    "before/after": lambda: render_report(*audits()),
    "before/after, Letter": lambda: render_report(*audits(), page_size="Letter"),  # wider, but shorter
    "periodic review": review_html,
    "LL144 summary (printed)": _summary_html,
    "log audit with the cause split": _split_html,
}


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_every_output_fits_its_pages(name):
    document = lay_out(OUTPUTS[name]())
    assert len(document.pages) >= 1
    found = problems(document)
    assert not found, f"{name}: {len(found)} layout problem(s), first: " + "; ".join(map(str, found[:5]))


# ------------------------------------------------------------------ the checks can fail
PAGE = "<style>@page { size: A4; margin: 20mm }</style>"


def test_a_too_wide_table_fails_the_check():
    def table(n: int) -> str:
        return "<table><tr>" + "".join(f"<td>{1000000 + i:,}</td>" for i in range(n)) + "</tr></table>"

    found = overflows(lay_out(PAGE + table(30)))  # 30 unbreakable numbers: about twice the page's width
    assert found and {p.kind for p in found} == {"page"} and found[0].page == 1
    assert "right by" in found[0].detail
    assert overflows(lay_out(PAGE + table(5))) == []


def test_a_word_clipped_in_its_cell_fails_the_check():
    table = ('<table style="table-layout: fixed; width: 60mm"><tr>'
             '<td style="width: 15mm; overflow: hidden">{}</td><td>next</td></tr></table>')
    clipped = overflows(lay_out(PAGE + table.format("Supercalifragilisticexpialidocious")))
    assert [(p.kind, p.text) for p in clipped] == [("cell", "Supercalifragilisticexpialidocious")]
    assert overflows(lay_out(PAGE + table.format("short"))) == []


def test_a_stray_line_fails_the_check():
    # the first line holds one short word: the unbreakable run after it does not fit beside it
    run = "<span style='white-space: nowrap'>" + " ".join(["unbreakable"] * 9) + "</span>"
    para = f"<p style='text-align: justify; width: 120mm'>a {run} and some closing words to end.</p>"
    found = stray_lines(lay_out(PAGE + para))
    assert [p.kind for p in found] == ["stray"] and found[0].text.strip() == "a"
    assert stray_lines(lay_out(PAGE + "<p style='text-align: justify; width: 120mm'>" + "word " * 60 + "</p>")) == []


def test_the_comparison_in_one_table_per_section_runs_off_the_page(monkeypatch):
    """The layout before issue 25: every compared column of a section side by side."""
    def one_table(before, after, keys, cols, *, caption="", note="", row_class=None):
        return [build_table(before, after, keys, cols, caption=caption, note=note, row_class=row_class)]

    monkeypatch.setattr(sec, "build_tables", one_table)
    found = overflows(lay_out(render_report(*audits())))
    assert {p.kind for p in found} == {"page"}
    assert any(p.text.strip() in ("Verdict", "Match rate", "NDKL") for p in found)


# ------------------------------------------------------------------ the comparison keeps every column
def _labels(tables: list[dict]) -> list[str]:
    return list(dict.fromkeys(h["label"] for t in tables for h in t["header"]))


@pytest.mark.parametrize("builder", ["headline_tables", "parity_tables", "diversity_tables"])
def test_comparison_tables_show_every_column_of_the_single_audit(builder):
    before, after, _ = audits()
    single = getattr(sec, builder)(before, None)
    compared = getattr(sec, builder)(before, after)
    assert len(single) == 1 and len(compared) > 1  # split by metric family
    assert _labels(compared) == _labels(single)
    assert all(t["caption"].startswith(single[0]["caption"] + ": ") for t in compared)


@pytest.mark.parametrize("builder", ["impact_sections", "ranking_sections"])
def test_comparison_sections_show_every_column_of_the_single_audit(builder):
    before, after, _ = audits()
    for one, two in zip(getattr(sec, builder)(before, None), getattr(sec, builder)(before, after), strict=True):
        assert len(one["tables"]) == 1 and len(two["tables"]) > 1
        assert _labels(two["tables"]) == _labels(one["tables"])
    impact = sec.impact_sections(before, after)[0]["tables"]
    labels = _labels(impact)
    for label in ("Selections", "Scoring rate", "p (family-wise)", "Verdict"):  # the LL144 columns
        assert label in labels


# ------------------------------------------------------------------ zero changes
def test_a_change_that_rounds_to_zero_has_no_sign():
    assert fmt_delta(0.0021, 0.0020) == "0.000"  # was "−0.000"
    assert fmt_delta(0.5, 0.5, "pct") == "0.0 pp"  # was "±0.0 pp"
    assert fmt_delta(0.0025, 0.00249, "rate") == "0.00 pp"  # was "−0.00 pp"
    assert fmt_delta(3, 3, "int") == "0" and fmt_delta(-15.3, -15.31, "score") == "0.0"
    assert fmt_delta(0.70, 0.82) == "+0.120" and fmt_delta(0.5, 0.45, "pct") == "\u22125.0 pp"
    assert fmt_delta(0.1, 0.1001, "ratio4") == "+0.0001"
    assert fmt_delta("pass", "pass", "text") == "no change"
    assert fmt_delta("pass", "breach, beyond chance", "text") == "changed"
    assert fmt_delta(None, "pass", "text") == "—"


def test_a_change_shown_as_zero_is_not_coloured():
    col = Col("impact_ratio", "Impact ratio")
    assert delta_cell(col, {"impact_ratio": 0.8002}, {"impact_ratio": 0.8})["cls"] == "num delta"
    assert delta_cell(col, {"impact_ratio": 0.8}, {"impact_ratio": 0.75})["cls"] == "num delta worse"


def test_rendered_comparison_has_no_signed_zero():
    html = render_report(*audits())
    for bad in ("\u22120.000<", "±", "\u22120.00 pp", "+0.000<", "+0.00 pp"):
        assert bad not in html


def test_review_section_is_checked():
    """The review output of the parametrised check holds the review's own section (not only the audit's)."""
    html = review_html()
    assert '<section class="review" id="review">' in html and "Review history" in html
    assert "threshold breach" in html
