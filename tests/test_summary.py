"""The NYC LL144 public summary (`fairaudit summary`): § 5-303 elements, refusal, accessibility, a real browser.

The audits are real (``fairaudit.audit`` with BM25 on small synthetic data): one on the candidates'
self-reported categories, one on categories inferred from names, which an LL144 summary must refuse.
"""
from __future__ import annotations

import functools
import json
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import skip_or_fail

from fairaudit.cli import main
from fairaudit.errors import ConfigError, DataError
from fairaudit.report.render import environment
from fairaudit.report.summary import build_summary, render_summary, summary_problems, write_summary
from fairaudit.engine.result import AuditResult

CREATED = "2025-03-01T09:00:00+00:00"


@functools.lru_cache(maxsize=None)
def _audit(inferred: bool = False, attributes: tuple[str, ...] | None = None, blank_sex: int = 0) -> AuditResult:
    from fairaudit import audit
    from fairaudit.data.datasets import make_hiring_data
    from fairaudit.data.proxy import infer_attributes

    jobs, cands = make_hiring_data(12, 240, seed=3)
    cands.loc[cands.index[:blank_sex], "sex"] = ""  # candidates who did not report their sex
    if inferred:  # only the names are known: categories inferred from them (labelled "inferred")
        cands = infer_attributes(cands.drop(columns=["sex", "race_ethnicity"]))
    return audit(jobs, cands, recommender="bm25", k=(10, 20), n_bootstrap=0, seed=0, created_at=CREATED,
                 drivers=False, decomposition=False, use_inferred=inferred, attributes=attributes,
                 data_source="synthetic hiring data (make_hiring_data, seed 3)", progress=False)


class _Tables(HTMLParser):
    """Tables of a page: caption, header cells (with their scope) and rows; plus any external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.external: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("#", "data:")):
                self.external.append(a[key])
        if tag in ("link", "script") or (tag == "img" and not a.get("src", "").startswith("data:")):
            self.external.append(tag)
        if tag == "table":
            self.tables.append({"caption": "", "th": [], "rows": 0, "cls": a.get("class", "")})
        elif tag == "caption":
            self._in = "caption"
        elif tag == "th" and self.tables:
            self.tables[-1]["th"].append(a.get("scope"))
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"] += 1

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.tables[-1]["caption"] += data


def _parse(html: str) -> _Tables:
    p = _Tables()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("summary")
    files = write_summary(_audit(), d / "summary.html", distribution_date="2027-01-15", organization="Acme & Co")
    return {"dir": d, "files": files, "html": files.html.read_text(encoding="utf-8"),
            "json": json.loads(files.json.read_text(encoding="utf-8"))}


def test_every_section_5303_element_is_on_the_page_and_in_the_json(page):
    html, data, result = page["html"], page["json"], _audit()
    assert data["audit_date"] == "2025-03-01" and "2025-03-01" in html  # date of the audit
    assert data["distribution_date"] == "2027-01-15" and "2027-01-15" in html  # distribution date
    assert data["data_source"] == "synthetic hiring data (make_hiring_data, seed 3)" and data["data_source"] in html
    assert "Explanation of the data" in html and "240 candidate profiles" in data["data_explanation"]
    assert data["n_candidates"] == 240 and "Number of applicants or candidates assessed" in html
    assert set(data["unknown"]) == {"sex", "race_ethnicity", "sex_race"}
    assert "Number of individuals assessed in an unknown category" in html
    assert "Acme &amp; Co" in html  # escaped
    # rates and impact ratios for every category, every k, taken from the audit unchanged
    imp = result.impact
    assert {(t["k"], t["attribute"]) for t in data["tables"]} == {(k, a) for k in (10, 20)
                                                                 for a in ("sex", "race_ethnicity", "sex_race")}
    for t in data["tables"]:
        sub = imp[(imp["k"] == t["k"]) & (imp["attribute"] == t["attribute"])].set_index("group")
        assert {r["group"] for r in t["rows"]} == set(sub.index)
        for r in t["rows"]:
            assert r["candidates"] == sub.loc[r["group"], "n_pool"]
            assert r["selections"] == sub.loc[r["group"], "selected"]
            if r["rated"]:
                assert r["impact_ratio"] == pytest.approx(sub.loc[r["group"], "impact_ratio"])
                assert r["scoring_impact_ratio"] == pytest.approx(sub.loc[r["group"], "scoring_impact_ratio"])
            else:  # unknown or under 2 %: number and rate shown, no impact ratio (§ 5-301(d))
                assert r["impact_ratio"] is None and r["note"]
    excluded = [r for t in data["tables"] for r in t["rows"] if not r["rated"] and r["group"] != "unknown"]
    assert excluded and all(r["selection_rate"] is not None for r in excluded)
    # the page's meta tag names the JSON's hash
    import hashlib

    assert hashlib.sha256(page["files"].json.read_bytes()).hexdigest() in html


def test_page_is_self_contained_and_tables_are_accessible(page):
    parsed = _parse(page["html"])
    assert not parsed.external, parsed.external
    assert "<html lang=\"en\">" in page["html"] and "<main" in page["html"]
    assert len(parsed.tables) == 1 + 2 * 3  # the facts table, then sex / race / intersection for each k
    for t in parsed.tables:
        assert t["caption"].strip(), t
        assert t["th"] and all(s in ("col", "row") for s in t["th"]), t
    rates = [t for t in parsed.tables if "ll144-rates" in t["cls"]]
    assert all("col" in t["th"] and "row" in t["th"] for t in rates)


def test_same_template_environment_and_deterministic():
    result = _audit()
    s = build_summary(result, distribution_date="2027-01-15")
    assert environment().get_template("summary.html").filename.endswith("summary.html")
    assert render_summary(s) == render_summary(build_summary(result, distribution_date="2027-01-15"))


def test_unknown_category_counts_the_candidates_without_a_self_reported_category():
    s = build_summary(_audit(blank_sex=7), distribution_date="2027-01-15")
    assert s.unknown["sex"] == 7 and s.unknown["race_ethnicity"] == 0 and s.unknown["sex_race"] == 7
    sex = next(t for t in s.tables if t.attribute == "sex")
    unknown = next(r for r in sex.rows if r.group == "unknown")
    assert unknown.candidates == 7 and not unknown.rated and unknown.impact_ratio is None
    assert "Sex: 7" in render_summary(s)


def test_missing_distribution_date_is_marked_not_ready(tmp_path):
    s = build_summary(_audit())
    assert s.distribution_date is None and s.incomplete
    html = render_summary(s)
    assert "Not ready to publish" in html and "Not stated" in html


def test_inferred_categories_are_refused_with_what_is_missing(tmp_path):
    result = _audit(inferred=True)
    assert result.provenance["attribute_sources"]["sex"] == "inferred"
    problems = summary_problems(result)
    assert problems and "self-reported" in problems[0]
    with pytest.raises(DataError, match="self-reported categories: sex, race/ethnicity"):
        write_summary(result, tmp_path / "s.html")
    assert not list(tmp_path.iterdir())


def test_an_audit_of_sex_only_lacks_race_and_intersection():
    problems = summary_problems(_audit(attributes=("sex",)))
    assert any("race/ethnicity" in p and "intersection" in p for p in problems)


def test_cli_writes_both_files_and_refuses_bad_input(page, tmp_path, capsys):
    audit_json = tmp_path / "audit.json"
    _audit().to_json(audit_json)
    out = tmp_path / "out" / "summary.html"
    assert main(["summary", "--audit", str(audit_json), "--out", str(out), "--distribution-date", "2027-01-15",
                 "--org", "Acme & Co"]) == 0
    assert out.read_bytes() == page["files"].html.read_bytes()
    assert out.with_suffix(".json").read_bytes() == page["files"].json.read_bytes()
    assert "wrote" in capsys.readouterr().out
    inferred = tmp_path / "inferred.json"
    _audit(inferred=True).to_json(inferred)
    bad = tmp_path / "bad"
    cases = [(["--audit", str(inferred)], "self-reported"),
             (["--audit", str(audit_json), "--distribution-date", "15/01/2027"], "YYYY-MM-DD"),
             (["--audit", str(tmp_path / "missing.json")], "not found")]
    for args, message in cases:
        assert main(["summary", *args, "--out", str(bad / "s.html")]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not bad.exists()
    with pytest.raises(ConfigError):
        write_summary(_audit(), tmp_path / "x.json")


# --------------------------------------------------------------------------- a real browser
def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _distinct_rows(data: bytes) -> int:
    """Number of distinct scan lines of a PNG (a blank page has one)."""
    width, height = _png_size(data)
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = len(raw) // height
    return len({raw[i * stride + 1:(i + 1) * stride] for i in range(height)})


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _headless(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run",
                           f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True, text=True, timeout=120)


def test_summary_renders_in_headless_chromium(page, tmp_path):
    browser = _chromium()
    if browser is None:
        skip_or_fail("chromium", "chromium is not installed (Debian: apt-get install chromium)")
    url = page["files"].html.resolve().as_uri()
    png = tmp_path / "summary.png"
    r = _headless(browser, tmp_path, f"--screenshot={png}", "--window-size=1200,2400", url)
    assert png.is_file() and png.stat().st_size > 10_000, r.stderr[-2000:]
    data = png.read_bytes()
    assert _png_size(data) == (1200, 2400)
    assert _distinct_rows(data) > 200  # text and tables, not a blank page
    # the tables are there as the browser parsed them (its DOM, after layout)
    r = _headless(browser, tmp_path, "--dump-dom", url)
    dom = _parse(r.stdout)
    assert len([t for t in dom.tables if "ll144-rates" in t["cls"]]) == 6, r.stderr[-2000:]
    assert all(t["caption"].strip() for t in dom.tables)
    # and it prints (the print stylesheet) to a PDF of a few pages
    pdf = tmp_path / "summary.pdf"
    _headless(browser, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
