"""The surge bench's reference: a minimal Flask app answering the captured bytes and headers from memory.

    REFERENCE_DIR=<dir with manifest.json> gunicorn -c bench/gunicorn.conf.py --chdir bench reference_app:app

It does what a perfect cache would (the body, the same headers, 304 when If-None-Match matches) and
nothing else, so its throughput is the framework's and the server's ceiling on this machine.
"""
import json
import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
_dir = Path(os.environ["REFERENCE_DIR"])
_pages = {}
for path, entry in json.loads((_dir / "manifest.json").read_text()).items():
    _pages[path] = ((_dir / entry["file"]).read_bytes(), entry["headers"])


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def captured(path):
    body, headers = _pages["/" + path]
    if request.headers.get("If-None-Match") == headers.get("ETag"):
        return Response(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return Response(body, headers=headers)
