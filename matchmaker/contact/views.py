"""对接申请 pages: 我要对接 from a posting, my requests, the thread, the broker's list. Thin."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from matchmaker.accounts.permissions import roles_required
from matchmaker.contact import services
from matchmaker.contact.models import ContactRequest
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings import services as postings

bp = Blueprint("contact", __name__, url_prefix="/contact")


@bp.app_context_processor
def _contact_helpers():
    def contact_state(post):
        """For the posting page: may this user press 我要对接, and any open request already made."""
        if post is None or post.kind not in services.KINDS or not current_user.is_authenticated:
            return {"show": False, "existing": None}
        existing = services.existing_for(db.session, current_user, post)
        details = services.contact_details(current_user, existing) if existing is not None else {}
        return {
            "show": services.may_request(current_user, post),
            "existing": existing,
            "posting_contact": details.get("posting") if existing is not None and existing.accepted else None,
        }

    return {"contact_state": contact_state}


def _request(request_id: int) -> ContactRequest:
    req = db.session.get(ContactRequest, request_id)
    if req is None or req.posting is None:
        abort(404)
    if not services.can_view(current_user, req):
        abort(403, "只有对接双方和负责的技术经纪人可以查看该对接申请")
    return req


def _fail(exc: DomainError, target: str) -> None:
    db.session.rollback()
    if exc.status == 403:
        abort(403, exc.message)
    services.record_refusal(db.session, current_user, target, exc)
    db.session.commit()
    flash(exc.message, "error")


@bp.route("/new/<any(need, result):kind>/<int:posting_id>", methods=["POST"])
@login_required
def create(kind, posting_id):
    post = postings.find_posting(db.session, kind, posting_id)
    if post is None:
        abort(404)
    back = f"/{kind}s/{post.id}"
    try:
        req = services.create_request(
            db.session,
            current_user,
            post,
            request.form.get("message"),
            daily_limit=current_app.config.get("CONTACT_DAILY_LIMIT", services.DAILY_LIMIT),
        )
    except DomainError as exc:
        _fail(exc, f"{kind}:{post.id}")
        return redirect(back)
    db.session.commit()
    flash("对接申请已发送，对方同意后即可在平台内沟通", "success")
    return redirect(url_for("contact.thread", request_id=req.id))


@bp.route("/")
@login_required
def mine():
    page = db.paginate(
        services.mine_query(current_user),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template("contact/mine.html", page=page, services=services)


@bp.route("/<int:request_id>")
@login_required
def thread(request_id):
    req = _request(request_id)
    return render_template(
        "contact/thread.html",
        req=req,
        contact=services.contact_details(current_user, req),
        can_answer=req.status == "pending" and services.can_answer(current_user, req),
        can_decline=req.status == "pending" and services.posting_side(current_user, req),
        can_post=req.accepted and services.is_party(current_user, req),
        mine_requested=services.requester_side(current_user, req),
    )


@bp.route("/<int:request_id>/messages", methods=["POST"])
@login_required
def message(request_id):
    req = _request(request_id)
    try:
        services.post_message(db.session, req, current_user, request.form.get("body"))
    except DomainError as exc:
        _fail(exc, f"contact:{req.id}")
    else:
        db.session.commit()
    return redirect(url_for("contact.thread", request_id=req.id) + "#messages")


@bp.route("/<int:request_id>/accept", methods=["POST"])
@login_required
def accept(request_id):
    req = _request(request_id)
    try:
        services.accept(db.session, req, current_user)
    except DomainError as exc:
        _fail(exc, f"contact:{req.id}")
    else:
        db.session.commit()
        flash("已同意对接，双方现在可以在会话中沟通", "success")
    return redirect(url_for("contact.thread", request_id=req.id))


@bp.route("/<int:request_id>/decline", methods=["POST"])
@login_required
def decline(request_id):
    req = _request(request_id)
    try:
        services.decline(db.session, req, current_user, request.form.get("reason"))
    except DomainError as exc:
        _fail(exc, f"contact:{req.id}")
    else:
        db.session.commit()
        flash("已婉拒该对接申请", "success")
    return redirect(url_for("contact.thread", request_id=req.id))


@bp.route("/queue")
@roles_required("broker", "admin")
def queue():
    """经纪人工作台 · 对接申请: what parties asked each other, within the broker's scope."""
    return render_template("contact/queue.html", requests=services.queue(db.session, current_user))
