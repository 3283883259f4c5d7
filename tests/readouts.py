"""Read the verdicts back from what a person reads: the terminal, the PDF's text and the LL144 summary page.

Each reader returns the same shapes, keyed by the audit's own codes, so that a test can
compare the three outputs with one another (issue 27: they must read consistently):

* ``attributes``: ``{(attribute, k): {"verdict", "p", "min_ir"}}`` (a figure a view does not
  show is absent);
* ``groups``: ``{(attribute, k, group): {"verdict", "p", "ir"}}``;
* ``text``: the output's text, whitespace collapsed (and words the PDF hyphenated at a line
  end joined), for sentences that must appear word for word.

Numbers stay strings as printed ("0.010", "—"): the outputs must agree at their own rounding.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable

from fairaudit.engine.display import _SHORT
from fairaudit.engine.verdicts import REFERENCE, VERDICTS
from fairaudit.report.format import attribute_label, group_label

#: Every verdict word, longest first (so "breach, beyond chance" wins over a shorter prefix).
WORDS = sorted((*VERDICTS, REFERENCE), key=len, reverse=True)
_V = "|".join(re.escape(w) for w in WORDS)
_NUM = r"\d\.\d{3}|—"


def flat(text: str) -> str:
    """Whitespace collapsed; a word hyphenated at a line end ("top-\\nk") joined again."""
    return " ".join(re.sub(r"(?<=\w)-\n(?=\w)", "-", text).split())


def terminal(printed: str, groups: dict[str, list[str]]) -> dict[str, Any]:
    """The headline table (every k) and the verdict lines (headline k, every listed group) of ``print_summary``."""
    attrs, rows = {}, {}
    inverse = {short: word for word, short in _SHORT.items()}
    for m in re.finditer(r"│\s*(\d+) │ (\w+)\s*│\s*(\S+) │\s*(?:yes|no) │ (.+?)\s*│\s*(\S+) │", printed):
        attrs[(m.group(2), int(m.group(1)))] = {"verdict": inverse.get(m.group(4), m.group(4)), "p": m.group(5),
                                                "min_ir": m.group(3)}
    text = flat(printed)
    head = re.search(r"Verdicts at k=(\d+) \(", text)
    if head:
        k = int(head.group(1))
        end = min([i for i in (text.find(" Identity-blind check", head.end()), text.find(" Cause of the", head.end()),
                               text.find(" Drivers (", head.end())) if i >= 0] or [len(text)])
        block = text[head.end():end]
        names = "|".join(re.escape(a) for a in sorted(groups, key=len, reverse=True))
        parts = re.split(rf"(?:^| )({names}): (?=(?:{_V}))", block)
        for attr, body in zip(parts[1::2], parts[2::2]):
            m = re.match(rf"({_V})(?: \(.*?\))?, p = ({_NUM}) \(lowest impact ratio ({_NUM});", body)
            if m:
                attrs.setdefault((attr, k), {}).update(verdict_line=m.group(1), p_line=m.group(2),
                                                       min_ir_line=m.group(3))
            labels = "|".join(re.escape(g) for g in sorted(groups[attr], key=len, reverse=True))
            for g in re.finditer(rf"(?<= )({labels}): ({_V})(?:, impact ratio ({_NUM}), p ({_NUM}))?", body):
                rows[(attr, k, g.group(1))] = {"verdict": g.group(2), "ir": g.group(3), "p": g.group(4)}
    return {"attributes": attrs, "groups": rows, "text": text}


def pdf(text: str, groups: dict[str, list[str]], ks: Iterable[int]) -> dict[str, Any]:
    """The "before" columns of the PDF's parity tables (every k) and LL144 group tables (every k and group)."""
    text = flat(text)
    attrs, rows = {}, {}
    for attr in groups:
        label = re.escape(attribute_label(attr))
        for k in ks:
            m = re.search(rf"(?<!\S){k} {label} ({_V}) (?:{_V}) (?:no change|changed|—) ({_NUM}) ", text)
            if m:
                attrs[(attr, k)] = {"verdict": m.group(1), "p": m.group(2)}
            m = re.search(rf"(?<!\S){k} {label} ({_NUM}) (?:{_NUM}) \S+ (?:Pass|Fail|—) ", text)
            if m:
                attrs.setdefault((attr, k), {})["min_ir"] = m.group(1)
            start = text.find(f"{attribute_label(attr)}, top-{k} Selection rates and impact ratios")
            if start < 0:
                continue
            end = text.find("Unknown category:", start)
            section = text[start:end if end > 0 else len(text)]
            chance = section[section.find("Four-fifths rule and chance level"):]
            for g in groups[attr]:
                lab = re.escape(group_label(g))
                m = re.search(rf"(?<!· ){lab} [\d,]+ \S+ (?:OK|Below 4/5) (?:OK|Below 4/5) (?:no change|changed) "
                              rf"({_NUM}) (?:{_NUM}) (?:[−+]?\d\.\d{{3}}|—) ({_V})", chance)
                if not m:
                    continue
                rows[(attr, k, g)] = {"verdict": m.group(2), "p": m.group(1)}
                ir = re.search(rf"(?<!· ){lab} [\d,]+ \S+ [\d,]+ [\d,]+ [−+]?\d+ .*?(?:[−+]?\d+\.\d\d pp|—) ({_NUM}) ",
                               section)
                if ir:
                    rows[(attr, k, g)]["ir"] = ir.group(1)
    return {"attributes": attrs, "groups": rows, "text": text}


def _cell_text(fragment: str) -> str:
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def summary_page(page: str, groups: dict[str, list[str]]) -> dict[str, Any]:
    """The LL144 summary page's tables (every k): each category's impact ratio, p-value and verdict.

    Read with regular expressions on the page's own markup (``reports/templates/summary.html``):
    a ``section#rates-k<k>`` per cut-off, in it a ``table.ll144-rates`` per attribute (its caption
    names the attribute) and the attribute's ``p.verdict-line``.
    """
    by_label = {attribute_label(a): a for a in groups}
    attrs, rows = {}, {}
    for sec in re.finditer(r'<section id="rates-k(\d+)"(.*?)</section>', page, re.S):
        k, body = int(sec.group(1)), sec.group(2)
        for line in re.finditer(r'<p class="verdict-line">(.*?)</p>', body, re.S):
            m = re.match(rf"(.+), lowest impact ratio: ({_V})(?: \(.*?\))?, p = ({_NUM})\.", _cell_text(line.group(1)))
            if m and m.group(1) in by_label:
                attrs[(by_label[m.group(1)], k)] = {"verdict": m.group(2), "p": m.group(3)}
        for table in re.finditer(r'<table class="data ll144-rates">(.*?)</table>', body, re.S):
            cap = re.search(r"<caption>(.*?)</caption>", table.group(1), re.S)
            caption = _cell_text(cap.group(1)) if cap else ""
            attr = next((a for lab, a in by_label.items() if caption.startswith(f"{lab}:")), None)
            if attr is None:
                continue
            labels = {group_label(g): g for g in groups[attr]}
            irs = []
            for tr in re.finditer(r'<tr[^>]*><th scope="row">(.*?)</th>(.*?)</tr>', table.group(1), re.S):
                name = _cell_text(re.sub(r'<span class="ci">.*?</span>', "", tr.group(1), flags=re.S))
                cells = [_cell_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr.group(2), re.S)]
                if name not in labels or len(cells) < 8 or cells[7] not in WORDS:
                    continue
                rows[(attr, k, labels[name])] = {"verdict": cells[7], "p": cells[6], "ir": cells[3]}
                irs.append(cells[3])
            if irs and (attr, k) in attrs:
                attrs[(attr, k)]["min_ir"] = min(irs, key=lambda v: float(v) if v != "—" else 9.0)
    return {"attributes": attrs, "groups": rows, "text": _cell_text(re.sub(r"<style.*?</style>", "", page, flags=re.S))}
