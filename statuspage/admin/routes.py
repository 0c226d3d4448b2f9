from flask import redirect

from . import bp


@bp.get("/")
def index():
    return redirect("/")
