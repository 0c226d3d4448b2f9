"""statuspage: a self-hosted, multi-tenant status page and notification service."""
from .app import create_app

__all__ = ["create_app"]
