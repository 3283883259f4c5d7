"""Packaged Jinja2 templates and stylesheet of the fairaudit PDF reports.

Installed as ``fairaudit.reports`` (the repository keeps the folder at the top).
``templates/``: ``base.html`` (the page: metadata, stylesheet, page header and
footer, and the ``extra_sections`` block), ``audit.html`` (the audit's
sections), ``_comparison.html`` (rewrites and before/after parts),
``review.html`` (the periodic review's section), ``summary.html`` (the NYC LL144
public summary page, also extending ``base.html``), ``_macros.html`` (tables) and
``style.css``. Loaded by :func:`fairaudit.report.render.environment`, the one
Jinja environment of every report.
"""
