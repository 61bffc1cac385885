"""matching blueprint (placeholder routes until the feature lands)."""
from flask import Blueprint, render_template

bp = Blueprint("matching", __name__, url_prefix="/matching")


@bp.route("/")
def search():
    return render_template("errors/error.html", status=501, message="建设中"), 501
