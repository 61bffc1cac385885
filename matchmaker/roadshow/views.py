"""roadshow blueprint (placeholder routes until the feature lands)."""
from flask import Blueprint, render_template

bp = Blueprint("roadshow", __name__, url_prefix="/roadshow")


@bp.route("/")
def index():
    return render_template("errors/error.html", status=501, message="建设中"), 501
