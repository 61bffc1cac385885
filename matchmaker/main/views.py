"""Home page, the personal "我的" page and the inbox."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from matchmaker.extensions import db, utcnow
from matchmaker.notifications.models import Notification
from matchmaker.postings.models import Expert, Field, Need, Result

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    fields = db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()
    result_counts = dict(
        db.session.execute(
            select(Result.field_id, func.count())
            .where(Result.status == "published")
            .group_by(Result.field_id)
        ).all()
    )
    need_counts = dict(
        db.session.execute(
            select(Need.field_id, func.count()).where(Need.status == "open").group_by(Need.field_id)
        ).all()
    )
    totals = {
        "results": sum(result_counts.values()),
        "needs": sum(need_counts.values()),
        "experts": db.session.scalar(select(func.count(Expert.id)).where(Expert.status == "published")),
    }
    rows = [(f, result_counts.get(f.id, 0), need_counts.get(f.id, 0)) for f in fields]
    return render_template("main/index.html", rows=rows, totals=totals)


@bp.route("/mine")
@login_required
def mine():
    """我的: what this user's organisation has posted, by role; staff get their work overview."""
    org_id = current_user.organization_id
    results = needs = experts = []
    if current_user.role == "researcher":
        results = db.session.scalars(
            select(Result).where(Result.organization_id == org_id).order_by(Result.updated_at.desc())
        ).all()
        experts = db.session.scalars(
            select(Expert).where(Expert.organization_id == org_id).order_by(Expert.name)
        ).all()
    if current_user.role == "enterprise":
        needs = db.session.scalars(
            select(Need).where(Need.organization_id == org_id).order_by(Need.updated_at.desc())
        ).all()
    overview = None
    if current_user.is_staff:
        overview = {
            "drafts": db.session.scalar(select(func.count(Result.id)).where(Result.status == "draft")),
            "open_needs": db.session.scalar(select(func.count(Need.id)).where(Need.status == "open")),
            "results": db.session.scalar(select(func.count(Result.id)).where(Result.status == "published")),
        }
    return render_template("main/mine.html", results=results, needs=needs, experts=experts, overview=overview)


@bp.route("/inbox")
@login_required
def inbox():
    notes = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc())
        .limit(200)
    ).all()
    return render_template("main/inbox.html", notes=notes)


@bp.route("/inbox/read", methods=["POST"])
@login_required
def inbox_read():
    for note in db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
    ):
        note.read_at = utcnow()
    db.session.commit()
    return redirect(request.referrer or url_for("main.inbox"))


@bp.route("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
