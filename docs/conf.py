"""Sphinx configuration of the fairaudit documentation (built by ``make docs``).

Offline by design: no intersphinx, no CDN. Math is typeset by MathJax 3 from files the
site ships (``_ext/offline_math.py``, MathJax from the ``sphinx-mathjax-offline``
package), the result-table reference from ``fairaudit.data.columns``
(``_ext/result_tables.py``), the API pages are generated
from each public module's ``__all__`` (``_ext/apipages.py``), the benchmark tables
from ``benchmarks/results/*.json`` (``_ext/benchmark_tables.py``), the compliance
guide's sample output and pictures by one run of its commands (``_ext/guide_run.py``)
and the example gallery is executed by sphinx-gallery.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
# the gallery and autodoc load the packaged models: never from a hub
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
# One torch (OpenMP) thread for the gallery's models, set before anything imports torch or numpy
# (issue 29, item 6). The rewriting example runs thousands of small matrix products (token-by-token
# generation, the fluency model, short texts embedded in small batches); each ends at a barrier of
# the thread pool, and when another process holds a core of a 2-core machine the pool waits at every
# one for its descheduled thread: there, the example's generation and fluency scoring ran over ten
# times slower with two threads than with one, and most of the example's time was that wait.
# `OMP_NUM_THREADS=2 make docs` overrides it.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from fairaudit.version import __version__  # noqa: E402

project = "fairaudit"
author = "the fairaudit developers"
copyright = "the fairaudit developers, MIT licence"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_design",
    "sphinx_gallery.gen_gallery",
    "offline_math",
    "apipages",
    "benchmark_tables",
    "bench_results",
    "result_tables",
    "guide_run",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
templates_path = ["_templates"]

# --- cross-references: every broken one is a warning, and -W makes it an error ----------------
nitpicky = True
# numpydoc turns parameter types into cross-references; types from other libraries cannot
# resolve offline (no intersphinx), so they are ignored by name, and only those.
nitpick_ignore_regex = [
    ("py:class", r"(numpy|np|pandas|pd|scipy|torch|transformers|peft|trl|sqlalchemy|pydantic|pyhanko|"
                 r"cryptography|matplotlib|datetime|pathlib|os|collections|typing|concurrent|jinja2|ray|"
                 r"sentence_transformers|bm25s|faiss|argparse|io|decimal|tomllib|enum|abc|types)(\..*)?"),
    ("py:class", r"(array-like|array_like|array|ndarray|DataFrame|Series|Path|PathLike|path-like|"
                 r"optional|default|callable|Callable|iterable|Iterable|Iterator|Sequence|Mapping|"
                 r"sequence|mapping|file|file-like|dict-like|scalar|None|Any|object|str|int|float|bool|"
                 r"bytes|dict|list|tuple|set|type|datetime|Generator|np\.random\.Generator|"
                 r"Literal|Self|T|ArrayLike|NDArray|frozenset|Exception|BaseException|"
                 r"positive|non-negative|shape|of|or|and|\{.*|.*\}|'.*'|\".*\"|[0-9.]+|\(.*|.*\))"),
    ("py:class", r".*\b(of|or|shape)\b.*"),
    ("py:obj", r"(numpy|pandas|scipy|torch|pyhanko)\..*"),
]

# --- autodoc / numpydoc ------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"          # the numpydoc "Parameters" section carries the types
autodoc_member_order = "bysource"
autodoc_mock_imports: list[str] = []
numpydoc_show_class_members = False  # members are listed by autodoc (no duplicate entries)
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False  # types as text: offline, they could link to nothing outside fairaudit
# "undocumented parameters fail": PR01 = a parameter of the signature missing from Parameters,
# PR02 = a documented parameter that does not exist; checked for the public API pages only
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = {r"\.__init__$", r"\.__call__$", r"\.__post_init__$", r"\.to_dict$",
                               r"\.model_.*", r"\.__new__$"}

# --- MyST ----------------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath", "deflist", "fieldlist"]
myst_heading_anchors = 3            # [text](page.md#a-heading) links are checked too

# --- sphinx-gallery (executed at build time on small data) ----------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples" / "gallery"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "run_stale_examples": False,     # unchanged examples are not re-run (md5 cache in auto_examples/)
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 1,
    # the execution-times pages load jQuery and DataTables from a CDN: not offline, so not written
    "write_computation_times": False,
}

# --- HTML ------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fairaudit {release}"
html_static_path = ["_static"]
html_css_files = ["fairaudit.css"]
html_theme_options = {
    "navigation_with_keys": False,
    # the top bar: Getting started, User guide, Concepts, Examples, API reference, Benchmarks;
    # errors, architecture and contributing under "More"
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
    "icon_links": [],
}
html_sidebars = {"index": [], "getting-started": [], "errors": [], "architecture": [], "contributing": [],
                 "benchmarks": []}
html_copy_source = False
html_show_sourcelink = False
suppress_warnings = ["config.cache"]  # sphinx-gallery's callables in the config are not pickled

# the theme's script logs a console error ("invalid theme mode") on a first visit without a mode
html_context = {"default_mode": "light"}
