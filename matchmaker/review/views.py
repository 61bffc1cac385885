"""review blueprint (placeholder routes until the feature lands)."""
from flask import Blueprint, render_template

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/")
def queue():
    return render_template("errors/error.html", status=501, message="建设中"), 501
