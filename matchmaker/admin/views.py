"""admin blueprint (placeholder routes until the feature lands)."""
from flask import Blueprint, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():
    return render_template("errors/error.html", status=501, message="建设中"), 501
