"""收藏与订阅 pages, and the one-click unsubscribe link from alert emails. Thin."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.constants import REGIONS
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.following import services
from matchmaker.following.forms import SubscriptionForm
from matchmaker.following.models import Subscription
from matchmaker.postings.models import Field
from matchmaker.security import safe_next

bp = Blueprint("following", __name__, url_prefix="/following")


@bp.app_context_processor
def _following_helpers():
    def is_favourite(post) -> bool:
        if post is None or post.kind not in services.MODELS or not current_user.is_authenticated:
            return False
        return services.is_favourite(db.session, current_user, post.kind, post.id)

    return {"is_favourite": is_favourite}


@bp.route("/favourite/<any(need, result):kind>/<int:posting_id>", methods=["POST"])
@login_required
def toggle_favourite(kind, posting_id):
    back = safe_next(request.form.get("next"), f"/{kind}s/{posting_id}")
    try:
        if request.form.get("action") == "remove":
            services.remove_favourite(db.session, current_user, kind, posting_id)
            flash("已取消收藏", "success")
        else:
            services.add_favourite(db.session, current_user, kind, posting_id)
            flash("已收藏，可在“我的收藏”中查看", "success")
    except DomainError as exc:
        db.session.rollback()
        abort(exc.status, exc.message)
    db.session.commit()
    return redirect(back)


@bp.route("/favourites")
@login_required
def favourites():
    return render_template("following/favourites.html", items=services.favourites(db.session, current_user))


def _form() -> SubscriptionForm:
    form = SubscriptionForm()
    fields = db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()
    form.field.choices = [("", "不限")] + [(str(f.id), f.name) for f in fields]
    form.region.choices = [("", "不限")] + [(r, r) for r in REGIONS]
    return form


@bp.route("/subscriptions", methods=["GET", "POST"])
@login_required
def subscriptions():
    form = _form()
    if form.validate_on_submit():
        try:
            services.create_subscription(
                db.session, current_user, {k: v for k, v in form.data.items() if k != "csrf_token"}
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name", form.name).errors.append(exc.message)
        else:
            db.session.commit()
            flash("订阅已保存，有新的匹配信息时会提醒您", "success")
            return redirect(url_for("following.subscriptions"))
    return render_template(
        "following/subscriptions.html", form=form, subs=services.subscriptions(db.session, current_user)
    )


@bp.route("/subscriptions/<int:sub_id>/unsubscribe", methods=["POST"])
@login_required
def unsubscribe(sub_id):
    sub = db.session.get(Subscription, sub_id)
    if sub is None:
        abort(404)
    if sub.user_id != current_user.id:
        abort(403, "只能退订自己的订阅")
    services.unsubscribe(db.session, sub, current_user)
    db.session.commit()
    flash(f"已退订「{sub.name}」", "success")
    return redirect(url_for("following.subscriptions"))


@bp.route("/unsubscribe/<token>")
def unsubscribe_token(token):
    """一键退订 from an alert email: the signed token is the permission; no login needed."""
    sub = services.subscription_from_token(db.session, current_app.config["SECRET_KEY"], token[:500])
    if sub is None:
        return render_template("following/unsubscribed.html", sub=None), 400
    services.unsubscribe(db.session, sub, None, via="token")
    db.session.commit()
    return render_template("following/unsubscribed.html", sub=sub)
