"""statuspage: a self-hosted, multi-tenant status page and notification service.

`from statuspage import create_app` loads the factory (statuspage/app.py) on
first use, so importing one module of the package (a model, a channel)
imports that module and what it needs, not the whole application.
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app  # deferred: the factory imports every layer; load it only when asked for

        return create_app
    raise AttributeError(f"module 'statuspage' has no attribute {name!r}")
