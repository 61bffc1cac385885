"""JSON API under /api/v1/. Each feature adds its routes in its own module here."""
from flask import Blueprint

from matchmaker.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API takes JSON bodies; browsers cannot send those cross-site without a CORS
# preflight, and session cookies are SameSite=Lax, so form CSRF tokens are not needed.
csrf.exempt(bp)

from matchmaker.api import errors  # noqa: E402,F401  (registers handlers on bp)
