"""The built documentation site (``make docs`` → docs/_build/html) opens cleanly and links hold.

- three pages (the index, a guide page, an API page) open in headless Chromium, driven over
  the DevTools protocol, without a console error, an uncaught exception or a failed load;
- every formula of the concept pages is typeset by the MathJax the site ships, none as an error;
- every relative link, image, script and stylesheet of every built page points to a file that
  exists, and every ``#anchor`` to an id on its page (Sphinx's own checks cover the sources;
  this covers what the theme and the gallery add).

Both skip when the site has not been built, except under ``FAIRAUDIT_REQUIRE_DOCS=1``, which
``.ci/run`` sets after building it, so CI never skips them.
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import skip_or_fail

SITE = Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
PAGES = ("index.html", "guide/compliance-pdf.html", "api/generated/fairaudit.audit.html")


def _site() -> Path:
    if not (SITE / "index.html").is_file():
        if os.environ.get("FAIRAUDIT_REQUIRE_DOCS") == "1":
            pytest.fail(f"the documentation was not built ({SITE}); run make docs")
        pytest.skip("the documentation is not built (make docs)")
    return SITE


# ----------------------------------------------------------------------------- Chromium over a pipe
class DevTools:
    """A headless Chromium driven over ``--remote-debugging-pipe`` (no extra package)."""

    def __init__(self, browser: str, profile: Path):
        # the browser reads commands on fd 3 and writes replies on fd 4: our stdin/stdout pipes
        self.proc = subprocess.Popen(
            ["bash", "-c", 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null', browser, "--headless",
             "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            reply = self.read(deadline - time.monotonic())
            if reply is None:
                raise TimeoutError(f"no reply to {method}")
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def read(self, timeout: float) -> dict | None:
        fd = self.proc.stdout.fileno()
        while b"\0" not in self.buf:
            ready, _, _ = select.select([fd], [], [], max(timeout, 0))
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_for(self, method: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                return True
            msg = self.read(deadline - time.monotonic())
            if msg is None:
                return False
            self.events.append(msg)
        return False

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (msg := self.read(deadline - time.monotonic())) is not None:
            self.events.append(msg)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def console_problems(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads among DevTools events."""
    out = []
    for e in events:
        p = e.get("params", {})
        if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif e.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
        elif e.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
    return out


def open_page(browser: str, profile: Path, url: str) -> tuple[list[str], str]:
    """Open ``url``; return its console problems and the text of its <title>."""
    tools = DevTools(browser, profile)
    try:
        targets = tools.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = tools.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            tools.send(f"{domain}.enable", session=session)
        tools.send("Page.navigate", {"url": url}, session=session)
        assert tools.wait_for("Page.loadEventFired", 90), f"{url} did not finish loading"
        tools.drain(1.5)  # scripts that run after the load event
        title = tools.send("Runtime.evaluate", {"expression": "document.title", "returnByValue": True},
                           session=session)["result"].get("value", "")
        return console_problems([e for e in tools.events if e.get("sessionId") == session]), title
    finally:
        tools.close()


def test_console_problems_are_detected(tmp_path):
    # the detector itself: a page with a console.error, an exception and a missing script
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        skip_or_fail("chromium", "chromium is not installed (Debian: apt-get install chromium)")
    bad = tmp_path / "bad.html"
    bad.write_text('<html><head><title>bad</title><script src="missing.js"></script></head><body>'
                   '<script>console.error("boom"); undefined_function();</script></body></html>')
    problems, title = open_page(browser, tmp_path / "profile", bad.as_uri())
    assert title == "bad"
    text = "\n".join(problems)
    assert "boom" in text and "undefined_function" in text and "missing.js" in text, problems


@pytest.mark.parametrize("page", PAGES)
def test_built_page_opens_without_console_errors(page, tmp_path):
    site = _site()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("FAIRAUDIT_REQUIRE_DOCS") == "1":
            pytest.fail("chromium is not installed")
        skip_or_fail("chromium", "chromium is not installed (Debian: apt-get install chromium)")
    path = site / page
    assert path.is_file(), f"{page} is not in the built site"
    problems, title = open_page(browser, tmp_path / "profile", path.as_uri())
    assert problems == [], problems
    assert "fairaudit" in title


# ----------------------------------------------------------------------------- internal links
class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "img", "script", "link", "source"):
                self.links.append(a[key])


def _pages(site: Path) -> list[Path]:
    # _static/ holds the theme's own templates (Jinja source, not pages)
    return [p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts]


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def test_internal_links_and_anchors_resolve():
    site = _site()
    pages = {p: _parse(p) for p in _pages(site)}
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.exists():
                broken.append(f"{page.relative_to(site)}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html" and target in pages \
                    and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{page.relative_to(site)}: {link} (no such anchor)")
    assert not broken, "\n".join(broken[:30])
    assert len(pages) > 50  # the site, not a stub: guide, concepts, API pages, gallery


def test_site_has_no_external_assets():
    # offline: no page loads a script, stylesheet or image from the network
    site = _site()
    remote = []
    for page in _pages(site):
        parsed = _parse(page)
        text = page.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r'<(script|link|img)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text):
            if m.group(1) != "link" or 'rel="stylesheet"' in m.group(0) or "preload" in m.group(0):
                remote.append(f"{page.relative_to(site)}: {m.group(2)}")
        assert parsed.links is not None
    assert not remote, "\n".join(remote[:20])


# ----------------------------------------------------------------------------- maths (MathJax shipped with the site)
MATH_PAGES = ("concepts/metrics.html", "concepts/ranking-metrics.html", "concepts/significance.html")
_TYPESET = ("(window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(() => "
            "[document.querySelectorAll('div.math, span.math').length,"
            " document.querySelectorAll('mjx-container').length,"
            " document.querySelectorAll('mjx-merror, [data-mjx-error]').length])")


@pytest.mark.parametrize("page", MATH_PAGES)
def test_every_formula_is_typeset_offline(page, tmp_path):
    # the site's own MathJax (docs/_ext/offline_math.py) typesets every formula, none as an error
    site = _site()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        skip_or_fail("chromium", "chromium is not installed (Debian: apt-get install chromium)")
    assert (site / "_static" / "mathjax" / "tex-svg.js").is_file()
    text = (site / page).read_text(encoding="utf-8")
    assert "_static/mathjax/tex-svg.js" in text and "cdn" not in text.lower()
    tools = DevTools(browser, tmp_path / "profile")
    try:
        target = next(t for t in tools.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        session = tools.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        tools.send("Page.enable", session=session)
        tools.send("Page.navigate", {"url": (site / page).as_uri()}, session=session)
        assert tools.wait_for("Page.loadEventFired", 90)
        formulas, typeset, errors = tools.send("Runtime.evaluate", {"expression": _TYPESET, "awaitPromise": True,
                                                                    "returnByValue": True},
                                               session=session)["result"]["value"]
    finally:
        tools.close()
    assert formulas > 0 and typeset == formulas and errors == 0, (formulas, typeset, errors)
