from flask import Blueprint

from .common import ApiError

bp = Blueprint("api", __name__)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return exc.response()


from . import routes  # noqa: E402,F401
from . import upstreams  # noqa: E402,F401
