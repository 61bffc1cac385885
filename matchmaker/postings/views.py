"""postings blueprint (placeholder routes until the feature lands)."""
from flask import Blueprint, render_template

bp = Blueprint("postings", __name__, url_prefix="")


@bp.route("/results")
def results():
    return render_template("errors/error.html", status=501, message="建设中"), 501


@bp.route("/results/new")
def result_new():
    return results()


@bp.route("/results/<int:result_id>")
def result_detail(result_id):
    return results()


@bp.route("/needs")
def needs():
    return results()


@bp.route("/needs/new")
def need_new():
    return results()


@bp.route("/needs/<int:need_id>")
def need_detail(need_id):
    return results()


@bp.route("/experts")
def experts():
    return results()
