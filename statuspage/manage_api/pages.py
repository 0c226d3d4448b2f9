"""/v1/pages: the site is one page; its profile comes from the configuration."""
from __future__ import annotations

from flask import jsonify

from ..services.page_profile import check_page_changes, page_id
from . import route
from . import serializers as ser
from .common import body, require_role, wrapped


@route("/pages", ["GET"])
@require_role("viewer")
def pages_list():
    return jsonify([ser.page(page_id())])


@route("/pages/<page_id>", ["GET"])
@require_role("viewer")
def page_get():
    return jsonify(ser.page(page_id()))


@route("/pages/<page_id>", ["PATCH", "PUT"])
@require_role("admin")
def page_update():
    """Branding, CSS and subscription switches are accepted and left as they are (see the README's table);
    name, time zone and URL may be restated but are changed in the server's configuration."""
    check_page_changes(wrapped(body(), "page"))
    return jsonify(ser.page(page_id()))
