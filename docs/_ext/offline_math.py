"""Math typeset by MathJax 3 in the reader's browser, from files shipped with the site (no CDN).

The MathJax files come from a PyPI package, ``sphinx-mathjax-offline`` (MathJax 3.2.2,
in the ``docs`` extra). This extension points ``sphinx.ext.mathjax`` at the SVG
build of MathJax (``tex-svg.js``: glyphs drawn as paths, so no web fonts to load,
which browsers refuse from ``file://`` pages) and copies it, with the TeX extensions
it loads on demand, into ``_static/mathjax`` of the built site. Sphinx adds the
script only to pages that have math.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

PACKAGE = "sphinx-mathjax-offline"   # the distribution's import name has a hyphen
SCRIPT = "tex-svg.js"
#: What tex-svg.js may load later (TeX packages by \require or autoload, the menu, assistive MathML).
ON_DEMAND = ("input", "ui", "a11y", "sre", "adaptors")


def mathjax_source() -> Path:
    """The folder of MathJax files inside the installed package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(f"the docs need the package {PACKAGE} (pip install -e '.[docs]'): it ships MathJax")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    if not (folder / SCRIPT).is_file():
        raise ExtensionError(f"{PACKAGE} has no {SCRIPT} under {folder}")
    return folder


def _configure(app, config) -> None:
    mathjax_source()  # fail at the start of the build, not after it
    config.mathjax_path = f"mathjax/{SCRIPT}"


def _copy(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    src, dest = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / SCRIPT, dest / SCRIPT)
    for name in ON_DEMAND:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, dirs_exist_ok=True)


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _configure)
    app.connect("build-finished", _copy)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
