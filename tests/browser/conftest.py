"""Real-browser fixtures: the app on a loopback port, Debian's Chromium driven by Playwright.

One Chromium per session; each test gets a fresh browser context (cookies,
viewport, locale) and its own live server bound to an ephemeral port,
serving the same test database as the `app` fixture (SQLite or PostgreSQL).
Pages run under the app's real CSP; a CSP violation fails the test.
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SKIP_REASON = (f"######## {CHROMIUM} NOT FOUND: BROWSER TESTS SKIPPED. "
               "Install Debian's chromium (`apt-get install chromium`; .ci/run does this) ########")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def pytest_terminal_summary(terminalreporter):
    if not os.path.exists(CHROMIUM):
        terminalreporter.write_line(SKIP_REASON, red=True, bold=True)


@pytest.fixture
def app_config():
    # The browser posts real forms: keep CSRF protection on, as in production.
    return {"WTF_CSRF_ENABLED": True}


@dataclass
class LiveServer:
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture
def live_server(app):
    """The test app served by werkzeug on 127.0.0.1:<ephemeral port>."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Links in emails, SMS and feeds must lead back to this server.
    app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(width=1280, height=800, locale="en-US", bypass_csp=False) -> a page in a fresh context.

    Console errors mentioning the Content Security Policy are collected in
    `page.csp_errors`; the fixture fails the test if any were seen.
    """
    contexts = []
    pages = []

    def make(width: int = 1280, height: int = 800, locale: str = "en-US", bypass_csp: bool = False,
             timezone_id: str | None = None):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      bypass_csp=bypass_csp, timezone_id=timezone_id)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.csp_errors = []
        page.on("console", lambda msg: page.csp_errors.append(msg.text)
                if msg.type == "error" and "Content Security Policy" in msg.text else None)
        pages.append(page)
        return page

    yield make
    errors = [e for p in pages for e in p.csp_errors]
    for context in contexts:
        context.close()
    assert not errors, f"the page broke its own Content Security Policy: {errors}"


@pytest.fixture
def axe():
    """axe(page) -> violations; axe.serious(violations) -> the serious and critical ones."""
    run_axe.serious = serious
    return run_axe


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.x A/AA (+ best-practice) violations on the current page.

    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's CSP does not govern,
        # so the page keeps its real policy while it is checked.
        page.evaluate(_axe_source())
    # resultTypes: only violations are reported in full, which makes axe several times faster.
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                           AXE_TAGS)
    assert result["passes"], "axe checked nothing: is the page empty?"
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"]][:5], "count": len(v["nodes"])}
            for v in result["violations"]]


@functools.lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def sign_in(page, url, email: str = "ops@example.com", password: str = PASSWORD) -> None:
    """Sign in through the admin login form; `url` turns a path into the live server's address."""
    page.goto(url("/admin/login?lang=en"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: "/login" not in address)
