"""Issue 19, item 3: printing a report fetches nothing but data: URIs and the package's own templates."""
from __future__ import annotations

import base64
import http.server
import io
import threading
import warnings

import pytest

pytest.importorskip("weasyprint")

from fairaudit.errors import FairauditWarning  # noqa: E402
from fairaudit.report.fetch import allowed, templates_dir  # noqa: E402
from fairaudit.report.pdf import html_to_pdf  # noqa: E402

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"><text x="5" y="40" font-size="30">'
       'SECRETSVG</text></svg>')
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def server():
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", hits
    httpd.shutdown()


def _text_and_images(pdf: bytes) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() or "" for p in reader.pages)
    images = sum(len(p.images) for p in reader.pages)
    return text, images


def test_raw_html_cannot_fetch_http_or_embed_a_local_file(tmp_path, server):
    url, hits = server
    svg = tmp_path / "secret.svg"
    svg.write_text(SVG, encoding="utf-8")
    html = (f'<html><body><p>visible</p><img src="{url}/pixel.png"><img src="{svg.as_uri()}">'
            f'<div style="background: url({url}/bg.png)">x</div></body></html>')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdf = html_to_pdf(html)
    assert hits == []  # no request reached the server
    text, images = _text_and_images(pdf)
    assert "visible" in text and "SECRETSVG" not in text and images == 0
    msgs = [str(w.message) for w in caught if issubclass(w.category, FairauditWarning)]
    assert len(msgs) == 1 and "3 external resource(s)" in msgs[0] and "secret.svg" in msgs[0]


def test_the_unsafe_default_would_have_fetched_them(tmp_path, server):
    """The check above can fail: WeasyPrint's own fetcher loads both resources."""
    import weasyprint

    url, hits = server
    svg = tmp_path / "secret.svg"
    svg.write_text(SVG, encoding="utf-8")
    html = f'<html><body><img src="{url}/pixel.png"><img src="{svg.as_uri()}"></body></html>'
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert hits == ["/pixel.png"]
    assert "SECRETSVG" in _text_and_images(pdf)[0]


def test_data_uris_and_templates_still_load():
    data = "data:image/png;base64," + base64.b64encode(PNG).decode()
    pdf = html_to_pdf(f'<html><body><img src="{data}" style="width:20px"></body></html>')
    assert _text_and_images(pdf)[1] == 1
    assert allowed((templates_dir() / "style.css").as_uri())
    assert not allowed((templates_dir() / ".." / "__init__.py").as_uri())
    assert not allowed("file:///etc/passwd") and not allowed("https://example.com/x.css")
    assert not allowed("file://evil.example/" + str(templates_dir() / "style.css"))


def test_symlink_out_of_the_templates_is_refused(tmp_path):
    outside = tmp_path / "x.css"
    outside.write_text("p{}")
    link = tmp_path / "link.css"
    link.symlink_to(outside)
    assert not allowed(link.as_uri())
