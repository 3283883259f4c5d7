"""Layout checks of a printed report: text that runs off its page or out of its table cell, and stray lines.

Walks WeasyPrint's layout boxes (``Document.pages[i]._page_box``, the boxes the PDF is
drawn from) rather than the PDF, so no external tool is needed. The page's running
header and footer (margin boxes) lie outside the content area by design and are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

#: Layout rounding (CSS px); an overflow smaller than this is invisible.
EPS = 0.5

Rect = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Problem:
    """One piece of text that is not fully shown, or a stray line."""

    page: int
    kind: str  # "page": outside the page's content area; "cell": outside its table cell; "clip": clipped; "stray"
    text: str
    detail: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.kind}: {self.text!r} ({self.detail})"


def _border_box(box: Any) -> Rect:
    return box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height()


def _padding_box(box: Any) -> Rect:
    return box.padding_box_x(), box.padding_box_y(), box.padding_width(), box.padding_height()


def _outside(inner: Rect, outer: Rect) -> str:
    """How far ``inner`` sticks out of ``outer`` ("" when it does not)."""
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    out = {"left": ox - x, "right": (x + w) - (ox + ow), "top": oy - y, "bottom": (y + h) - (oy + oh)}
    return ", ".join(f"{side} by {d:.1f}px" for side, d in out.items() if d > EPS)


def _walk(box: Any, limits: list[tuple[str, Rect]]) -> Iterator[tuple[Any, list[tuple[str, Rect]]]]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TableCellBox):
        limits = [*limits, ("cell", _border_box(box))]
    if getattr(box, "style", None) is not None and box.style["overflow"] != "visible" and \
            not isinstance(box, boxes.PageBox):
        limits = [*limits, ("clip", _padding_box(box))]
    yield box, limits
    for child in getattr(box, "children", ()):
        yield from _walk(child, limits)


def _text_boxes(page_box: Any) -> Iterator[tuple[Any, list[tuple[str, Rect]]]]:
    from weasyprint.formatting_structure import boxes

    area = (page_box.content_box_x(), page_box.content_box_y(), page_box.width, page_box.height)
    for child in page_box.children:
        if isinstance(child, boxes.MarginBox):  # running header / footer: in the page margin by design
            continue
        for box, limits in _walk(child, [("page", area)]):
            if isinstance(box, boxes.TextBox) and box.text.strip():
                yield box, limits
            elif isinstance(box, boxes.ReplacedBox):  # images (charts) must fit the page too
                yield box, limits[:1]


def overflows(document: Any) -> list[Problem]:
    """Every text box (and image) that lies outside its page's content area, its table cell or a clipping box.

    Parameters
    ----------
    document : weasyprint.Document
        From :func:`fairaudit.report.pdf.lay_out` (``HTML(...).render()``).

    Returns
    -------
    list of Problem
        Empty when everything is shown in full.
    """
    out = []
    for n, page in enumerate(document.pages, 1):
        for box, limits in _text_boxes(page._page_box):
            rect = (box.position_x, box.position_y, box.width, box.height) if hasattr(box, "text") \
                else _border_box(box)
            text = getattr(box, "text", f"<{box.element_tag}>")
            for kind, limit in limits:
                how = _outside(rect, limit)
                if how:
                    out.append(Problem(n, kind, text, how))
                    break
    return out


def stray_lines(document: Any, fill: float = 0.5) -> list[Problem]:
    """Lines of a justified paragraph, other than its last, that fill less than ``fill`` of its width.

    A justified paragraph's lines all span its width except the last; a short line inside one is a
    broken line break (such as a lone hyphenated fragment of a word).

    Parameters
    ----------
    document : weasyprint.Document
        As for :func:`overflows`.
    fill : float
        The smallest share of the paragraph's width a line must fill.

    Returns
    -------
    list of Problem
    """
    from weasyprint.formatting_structure import boxes

    out = []
    for n, page in enumerate(document.pages, 1):
        for box, _ in _walk(page._page_box, []):
            if not isinstance(box, boxes.BlockContainerBox) or box.style["text_align_all"] != "justify":
                continue
            lines = [c for c in box.children if isinstance(c, boxes.LineBox)]
            for line in lines[:-1]:
                texts = [t for t, _ in _walk(line, []) if isinstance(t, boxes.TextBox) and t.text.strip()]
                if not texts or any(t.text.endswith("\n") for t in texts):  # a forced break (<br>) ends it
                    continue
                used = max(t.position_x + t.width for t in texts) - min(t.position_x for t in texts)
                if used < fill * box.width:
                    out.append(Problem(n, "stray", "".join(t.text for t in texts),
                                       f"fills {used / box.width:.0%} of its paragraph's width"))
    return out


def problems(document: Any) -> list[Problem]:
    """:func:`overflows` and :func:`stray_lines` of ``document``."""
    return overflows(document) + stray_lines(document)
