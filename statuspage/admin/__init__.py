"""The operators' side: /admin. Every view names the least role it needs."""
import importlib

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import auth, catalog, dashboard, incidents, maintenance, people, playbooks, records  # noqa: E402,F401

# Pages other parts of the product add to this blueprint, when they are installed.
for _name in ("upstreams",):
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_name}":
            raise
