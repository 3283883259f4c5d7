"""One report pipeline: audit, before/after and review reports share one function, templates and CSS."""
from __future__ import annotations

import re

import pytest

from fairaudit.report import ReportSection, render_report
from test_report_render import audits


def _head(html: str) -> str:
    """The document head without the values that name this report (title, audit id, hashes)."""
    head = re.search(r"<head>.*</head>", html, re.S).group(0)
    return re.sub(r"<title>.*?</title>|content=\"[^\"]*\"", "", head)


@pytest.fixture(scope="module")
def html_of_review(tmp_path_factory) -> str:
    """The HTML a real periodic review renders, caught before it is printed to PDF."""
    import fairaudit.report.pdf as pdf
    from fairaudit.review.config import load_config
    from fairaudit.review.run import run_review
    from test_review_run import write_config

    caught: list[str] = []
    mp = pytest.MonkeyPatch()
    mp.setattr(pdf, "html_to_pdf", lambda html: caught.append(html) or b"%PDF-1.7 test\n")
    try:
        run_review(load_config(write_config(tmp_path_factory.mktemp("review"))))
    finally:
        mp.undo()
    (html,) = caught
    return html


def test_review_and_audit_reports_share_the_page(html_of_review):
    before, after, rewrites = audits()
    audit_html = render_report(before)
    comparison = render_report(before, after, rewrites)
    # one <head>: the same stylesheet, with the same running header, footer and page numbers
    assert _head(html_of_review) == _head(audit_html) == _head(comparison)
    style = re.search(r"<style>(.*?)</style>", audit_html, re.S).group(1)
    for rule in ("@top-left", "@top-right", "@bottom-left", "counter(pages)", "section.review"):
        assert rule in style
    for html in (audit_html, html_of_review):
        assert html.count("<style>") == 1 and html.count("<body>") == 1 and html.count("</html>") == 1
        # the same cover (its title and run id feed the page header) and the same appendix
        assert 'class="doc-title"' in html and 'class="mono run-id"' in html
        assert 'id="sec-appendix"' in html and "fairaudit verify report.pdf" in html
    # the review adds its section after the audit's, inside the same body
    assert '<section class="review" id="review">' not in audit_html
    body = html_of_review[html_of_review.index("<body>"):]
    assert body.index('id="sec-appendix"') < body.index('<section class="review" id="review">') < body.index("</body>")
    assert "Trends across periods" in body and "Review history" in body


def test_extra_sections_come_through_the_base_template():
    before, _, _ = audits()
    data = {"title": "Quarterly review", "period": "2026-Q1", "version": 1, "status": "pass",
            "created_at": "2026-01-01T00:00:00+00:00", "config_hash": "c" * 64, "input_hashes": {"jobs": "j" * 64},
            "data_source": "files", "recommender": "bm25", "thresholds": {"evaluated stage": "before"},
            "breaches": [], "summary": [], "metric_labels": {}, "charts": [], "previous_period": None,
            "regressions": [], "n_compared": 0, "tolerance": 0.02, "history": []}
    html = render_report(before, extra_sections=[ReportSection("review.html", data)])
    assert "Quarterly review &mdash; 2026-Q1" in html and "All review thresholds are met." in html
    assert _head(html) == _head(render_report(before))
