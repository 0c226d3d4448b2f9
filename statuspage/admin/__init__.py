"""The operators' side: /admin. Every view names the least role it needs."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import (auth, catalog, dashboard, incidents, maintenance, people, playbooks, records,  # noqa: E402,F401
               integrations, labels, response, subscribers, upstreams)
