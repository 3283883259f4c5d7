"""Packaged Jinja2 templates and stylesheet of the fairaudit PDF reports.

``reports/templates``: ``base.html`` (document shell, print CSS),
``audit.html`` (the audit sections), ``_comparison.html`` (rewrites and
before/after parts), ``_macros.html`` (tables) and ``style.css``.
Loaded by :mod:`fairaudit.report.render` through ``jinja2.PackageLoader``.
"""
