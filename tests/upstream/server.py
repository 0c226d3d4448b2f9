"""A loopback HTTP server that plays a provider's status site: ETags, redirects, stalls, gzip."""
from __future__ import annotations

import gzip
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    location: str | None = None
    delay: float = 0.0
    gzip: bool = False
    etag: bool = True
    drip: float = 0.0  # seconds between 100-byte pieces of the body: a server that never quite stalls
    last_modified: str | None = "Sat, 21 Nov 2026 10:00:00 GMT"
    hits: list = field(default_factory=list)


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.bytes_sent: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def set(self, path: str, body: bytes | str = b"", **kw) -> Route:
        if isinstance(body, str):
            body = body.encode("utf-8")
        old = self.routes.get(path)
        route = Route(body=body, hits=old.hits if old else [], **kw)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> list[int]:
        """The status code answered to each request on `path`."""
        route = self.routes.get(path)
        return [status for status, _headers in route.hits] if route else []

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(handler.path.split("?")[0])
        if route is None:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if route.delay:
            time.sleep(route.delay)
        tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
        if route.location:
            route.hits.append((route.status, dict(handler.headers)))
            handler.send_response(route.status)
            handler.send_header("Location", route.location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if route.etag and handler.headers.get("If-None-Match") == tag:
            route.hits.append((304, dict(handler.headers)))
            handler.send_response(304)
            handler.send_header("ETag", tag)
            handler.end_headers()
            return
        body = gzip.compress(route.body) if route.gzip else route.body
        route.hits.append((route.status, dict(handler.headers)))
        handler.send_response(route.status)
        handler.send_header("Content-Type", route.content_type)
        if route.etag:
            handler.send_header("ETag", tag)
        if route.last_modified:
            handler.send_header("Last-Modified", route.last_modified)
        if route.gzip:
            handler.send_header("Content-Encoding", "gzip")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        sent = 0
        piece = 100 if route.drip else 65536
        try:
            for i in range(0, len(body), piece):
                handler.wfile.write(body[i:i + piece])
                handler.wfile.flush()
                sent += len(body[i:i + piece])
                if route.drip:
                    time.sleep(route.drip)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        self.bytes_sent[handler.path] = self.bytes_sent.get(handler.path, 0) + sent

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
