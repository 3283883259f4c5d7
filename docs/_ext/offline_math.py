"""Render math offline: LaTeX → SVG with matplotlib's mathtext, inlined as data URIs.

The default HTML math renderer (MathJax) loads a script from a CDN, which an offline
build cannot ship and an offline reader cannot load. mathtext covers the subset the
concept pages use (fractions, sums, sub/superscripts, Greek, ``\\log``, ``\\mathrm``).
A formula mathtext cannot parse is a build warning (an error under ``-W``).
"""
from __future__ import annotations

import base64
import functools
import html
import io
import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def latex_to_svg(latex: str, fontsize: float) -> str:
    """The SVG text of one formula (glyphs as paths, so the page needs no font).

    Parameters
    ----------
    latex : str
        A formula in mathtext's subset of LaTeX, without the ``$`` delimiters.
    fontsize : float
        Font size in points.
    """
    import matplotlib
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "mathtext.fontset": "dejavuserif",
                                "svg.hashsalt": "fairaudit"}):
        mathtext.math_to_image(f"${latex}$", buf, prop=FontProperties(size=fontsize), format="svg")
    return buf.getvalue().decode("utf-8")


# LaTeX commands mathtext lacks, spelled the way it knows them
_ALIASES = [(re.compile(r"\\[td]frac\s*(\d)\s*(\d)"), r"\\frac{\1}{\2}"), (re.compile(r"\\[td]frac"), r"\\frac"),
            (re.compile(r"\\le(?![a-zA-Z])"), r"\\leq"), (re.compile(r"\\ge(?![a-zA-Z])"), r"\\geq"),
            (re.compile(r"\\[lr]vert(?![a-zA-Z])"), "|")]


def normalise(latex: str) -> str:
    """One line of LaTeX in mathtext's dialect (``\\le`` → ``\\leq``, ``\\tfrac12`` → ``\\frac{1}{2}``).

    Parameters
    ----------
    latex : str
        The formula as written.
    """
    latex = " ".join(latex.split())
    for pattern, repl in _ALIASES:
        latex = pattern.sub(repl, latex)
    return latex


def _img(self, node: nodes.Node, latex: str, display: bool) -> str:
    latex = normalise(latex)
    try:
        svg = latex_to_svg(latex, 13.0 if display else 11.0)
    except Exception as exc:  # mathtext's parse errors are ValueError, but be sure to report any
        logger.warning("formula not rendered (%s): %s", " ".join(str(exc).split()), latex, location=node)
        return f'<code class="math">{html.escape(latex)}</code>'
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    cls = "math-display" if display else "math-inline"
    return f'<img class="{cls}" alt="{html.escape(latex, quote=True)}" src="{uri}"/>'


def visit_math(self, node: nodes.Node) -> None:
    self.body.append(_img(self, node, node.astext(), False))
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.Node) -> None:
    # one image per line (mathtext has no multi-line environments)
    lines = [ln for ln in node.astext().replace("\\\\", "\n").splitlines() if ln.strip()]
    body = "<br/>".join(_img(self, node, ln, True) for ln in lines)
    self.body.append(f'<div class="math-block">{body}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathtext", (visit_math, None), (visit_displaymath, None))
    app.config.html_math_renderer = "mathtext"
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
