"""The embed script on a customer's page inserts the status widget; the badge renders as an image."""
from __future__ import annotations

from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from statuspage.extensions import db
from tests.factories import gen_component, gen_incident

pytestmark = pytest.mark.browser


@contextmanager
def customer_site(html: str):
    """A one-page site on 127.0.0.1:<ephemeral port> serving `html`."""
    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/help"
    finally:
        server.shutdown()
        server.server_close()


def test_embed_script_shows_the_live_status_on_another_site(app, live_server, new_page):
    gen_component("Payments", status="partial_outage")
    gen_incident("Card payments delayed", impact="major", name_translations={"zh_Hans": "银行卡支付延迟"})
    db.session.commit()
    page = new_page(width=800, height=600)
    # A customer's page: another origin (its own loopback port), as in their CMS.
    host = f"""<!doctype html><html lang="en"><head><title>Acme help</title></head><body><main>
        <h1>Help centre</h1>
        <script src="{live_server('/static/js/embed.js')}" data-lang="zh_Hans" data-title="Acme status"></script>
        <img id="badge" alt="status" src="{live_server('/badge.svg?lang=en')}">
        </main></body></html>"""
    with customer_site(host) as url:
        page.goto(url)
        frame_element = page.wait_for_selector("iframe[title='Acme status']")
        assert frame_element.get_attribute("src") == live_server("/embed?lang=zh_Hans")
        frame = frame_element.content_frame()
        frame.wait_for_selector(".embed-status")
        assert "部分系统中断" in frame.locator(".embed-status").inner_text()
        assert frame.get_by_role("link", name="银行卡支付延迟").get_attribute("target") == "_blank"
        assert page.evaluate("document.getElementById('badge').naturalWidth") > 100
