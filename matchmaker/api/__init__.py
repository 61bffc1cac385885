"""JSON API under /api/v1/. Each feature adds its routes in its own module here."""

from flask import Blueprint

from matchmaker.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API takes JSON bodies; browsers cannot send those cross-site without a CORS
# preflight, and session cookies are SameSite=Lax, so form CSRF tokens are not needed.
csrf.exempt(bp)

# Each module registers its routes on bp.
from matchmaker.api import (  # noqa: E402
    attachments,  # noqa: E402,F401
    challenges,  # noqa: E402,F401
    contact,  # noqa: E402,F401
    dashboards,  # noqa: E402,F401
    errors,  # noqa: E402,F401
    exchange,  # noqa: E402,F401
    filings,  # noqa: E402,F401
    matching,  # noqa: E402,F401
    openapi,  # noqa: E402,F401
    postings,  # noqa: E402,F401
    providers,  # noqa: E402,F401
    review,  # noqa: E402,F401
    roadshow,  # noqa: E402,F401
    scenarios,  # noqa: E402,F401
    trading,  # noqa: E402,F401
)
