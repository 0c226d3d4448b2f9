"""Embedded runner (placeholder until the delivery engine lands)."""
from __future__ import annotations


def start_embedded_worker(app) -> None:
    return None


def drain_outbox() -> dict:
    return {}


def run_forever() -> None:
    raise SystemExit("the delivery worker is not built yet")
