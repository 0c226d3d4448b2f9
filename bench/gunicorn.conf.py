"""Recommended gunicorn settings for statuspage (the surge bench serves the app and its reference with them).

    gunicorn -c bench/gunicorn.conf.py wsgi:app

One process per core, a few threads each: a cache hit is CPU-bound Python (the GIL), so processes give
the throughput; threads keep slow clients and the odd database wait from blocking a process. Override
with WEB_CONCURRENCY, GUNICORN_THREADS and GUNICORN_BIND.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# Readers keep their connection open between refreshes; 200 at once is the surge the bench loads with.
worker_connections = 1000
keepalive = 5
backlog = 2048
timeout = 30
graceful_timeout = 30
accesslog = None
errorlog = "-"
loglevel = "warning"
