"""The only resources a report may load while it is printed: ``data:`` URIs and the package's own templates.

WeasyPrint's default URL fetcher loads whatever an ``<img>``, ``<link>``,
``url()`` or ``<object>`` names: an ``http://`` tracking pixel, a ``file://``
SVG from the reader's disk. Jinja's autoescaping keeps user text out of the
markup today; this fetcher makes the renderer safe by itself, whatever HTML it
is given (:func:`fairaudit.report.pdf.html_to_pdf`):

* ``data:`` URIs (the charts are inline SVG data URIs) are decoded as usual;
* ``file:`` URLs are served only when their real path lies inside the
  installed ``fairaudit.reports/templates`` folder (stylesheet, fonts, images);
* everything else (``http``, ``https``, ``ftp``, other files, symbolic links
  out of the templates folder) is refused: the resource is left out of the
  PDF and its URL recorded, so the caller can warn.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

__all__ = ["allowed", "safe_fetcher", "templates_dir"]


def templates_dir() -> Path:
    """The real path of the installed report templates folder."""
    from .render import TEMPLATE_PACKAGE

    return Path(os.path.realpath(str(resources.files(TEMPLATE_PACKAGE) / "templates")))


def allowed(url: str) -> bool:
    """True for a ``data:`` URI or a ``file:`` URL whose real path lies inside :func:`templates_dir`."""
    parts = urlsplit(str(url))
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    real = Path(os.path.realpath(url2pathname(unquote(parts.path))))
    return real.is_file() and templates_dir() in real.parents


def safe_fetcher(refused: list[str] | None = None) -> Any:
    """A WeasyPrint ``url_fetcher`` that serves :func:`allowed` URLs only.

    Refused URLs are appended to ``refused`` (when given) and raise, which
    WeasyPrint treats as a missing resource. Works with WeasyPrint's
    ``URLFetcher`` class (65 and later) and with the older fetcher functions.
    """
    import weasyprint

    log = refused if refused is not None else []

    def check(url: str) -> None:
        if not allowed(url):
            log.append(str(url)[:200])
            raise ValueError(f"fairaudit reports load no external resource: {str(url)[:200]}")

    base = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)
    if base is not None:
        class SafeFetcher(base):  # type: ignore[misc, valid-type]
            def fetch(self, url, headers=None):
                check(url)
                return super().fetch(url, headers)

        return SafeFetcher(allow_redirects=False)

    def fetch(url: str) -> Any:  # WeasyPrint < 65: a function returning a dict
        check(url)
        return weasyprint.default_url_fetcher(url)

    return fetch
