"""Issue 29, item 1: one definition per quantity, and no page calls a two-way interval BCa.

Reads the Markdown sources of the site (``docs/``, without the build and the gallery's
output), the README and the report templates, no build needed. A page *defines* a quantity when its display
math sets the quantity equal to a formula; every other page must link to the defining
page instead (two formulas drift: NDKL's unknown-prefix rule once differed between
``concepts/metrics.md`` and ``concepts/ranking-metrics.md``). Selection rates and impact
ratios get a two-way (jobs x candidates) percentile bootstrap
(:mod:`fairaudit.metrics.twoway`), so a clause that names one of them must not say BCa.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: quantity -> (pattern of its defining formula in display math, the one page that defines it)
DEFINITIONS = {
    "NDKL": (r"\\mathrm\{NDKL\}\S*\s*=", "docs/concepts/ranking-metrics.md"),
    "skew@k": (r"\\mathrm\{skew@k\}\S*\s*=", "docs/concepts/ranking-metrics.md"),
    "exposure": (r"(?<![\w^*])E_g\s*=", "docs/concepts/ranking-metrics.md"),
    "two-way resampled selection rate": (r"SR\^\*_g\s*=", "docs/concepts/significance.md"),
}
#: figures whose interval is the two-way percentile bootstrap, not BCa
TWO_WAY = ("selection rate", "impact ratio")


def _pages() -> dict[str, str]:
    skip = {"_build", "auto_examples", "generated"}
    files = [p for p in DOCS.rglob("*.md") if not skip & set(p.relative_to(DOCS).parts)]
    files.append(ROOT / "README.md")
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted(files)}


def _display_math(text: str) -> list[str]:
    """The ``$$ ... $$`` blocks and ``{math}`` fences of a MyST page."""
    blocks = re.findall(r"\$\$(.+?)\$\$", text, flags=re.S)
    blocks += re.findall(r"```\{math\}(.+?)```", text, flags=re.S)
    return blocks


def defining_pages(pages: dict[str, str], pattern: str) -> list[str]:
    """The pages whose display math matches a quantity's defining pattern."""
    return [name for name, text in pages.items()
            if any(re.search(pattern, block) for block in _display_math(text))]


def bca_claims(pages: dict[str, str]) -> list[str]:
    """Clauses (split at sentence ends, semicolons and table cells) that call a two-way interval BCa."""
    out = []
    for name, text in pages.items():
        for clause in re.split(r"[.;|\n]\s", text):
            low = clause.lower()
            if "bca" in low and any(q in low for q in TWO_WAY):
                out.append(f"{name}: {clause.strip()[:120]}")
    return out


@pytest.mark.parametrize("quantity", sorted(DEFINITIONS))
def test_each_quantity_has_one_defining_page(quantity):
    pattern, page = DEFINITIONS[quantity]
    found = defining_pages(_pages(), pattern)
    assert found == [page], (f"{quantity} must be defined on {page} only (other pages link there); "
                             f"defined on {found}")


def test_no_page_calls_a_two_way_interval_bca():
    # the report's methodology and footnote too (the PDF says it as well)
    templates = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted((ROOT / "reports" / "templates").glob("*.html"))}
    claims = bca_claims({**_pages(), **templates})
    assert not claims, "two-way (percentile) intervals described as BCa:\n" + "\n".join(claims)


def test_the_checks_find_a_second_definition_and_a_wrong_bca():
    # the checks can fail: the old concepts/metrics.md wording of NDKL, and a BCa impact ratio
    pages = {"a.md": "$$\\mathrm{NDKL}_j = \\frac{1}{Z}\\sum_{i=1}^{k} w_i D_{KL}$$",
             "b.md": "text\n$$\n\\mathrm{NDKL}_j = \\frac{1}{Z_j} \\sum w_i\n$$\n",
             "c.md": "Impact ratios come with 95 % BCa intervals over jobs."}
    assert defining_pages(pages, DEFINITIONS["NDKL"][0]) == ["a.md", "b.md"]
    assert bca_claims(pages) == ["c.md: Impact ratios come with 95 % BCa intervals over jobs."]
    assert bca_claims({"d.md": "selection rates: two-way; parity, NDKL: BCa over jobs"}) == []
