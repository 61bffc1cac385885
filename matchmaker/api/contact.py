"""JSON API for 对接申请, 收藏 and 订阅 (the same services as the pages).

POST /api/v1/<needs|results>/<ref>/contact-requests, GET /contact-requests[/<id>],
POST /contact-requests/<id>/accept|decline, GET|POST /contact-requests/<id>/messages,
GET|POST /favourites, DELETE /favourites/<kind>/<id>, GET|POST /subscriptions, DELETE /subscriptions/<id>.
"""

from __future__ import annotations

from typing import Literal

from flask import current_app, jsonify
from flask_login import current_user
from pydantic import Field

from matchmaker.api import bp
from matchmaker.api.errors import api_user
from matchmaker.api.schemas import _In, accepts, body
from matchmaker.contact import services as contact
from matchmaker.contact.models import ContactRequest
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.following import services as following
from matchmaker.following.models import Subscription
from matchmaker.postings import services as postings


class ContactRequestIn(_In):
    message: str = Field(max_length=1000, description="对接留言")


class DeclineIn(_In):
    reason: str | None = Field(None, max_length=500)


class MessageIn(_In):
    body: str = Field(max_length=1000)


class FavouriteIn(_In):
    kind: Literal["need", "result"]
    id: int


class SubscriptionIn(_In):
    name: str | None = Field(None, max_length=100)
    kinds: list[Literal["need", "result"]] | None = None
    field: str | int | None = Field(None, description="领域名称或 id")
    region: str | None = Field(None, max_length=20)
    keywords: list[str] | str | None = None
    frequency: Literal["instant", "weekly"] | None = None
    high_matches: bool | None = None


def _fail(exc, target: str):
    db.session.rollback()
    if isinstance(exc, DomainError):
        contact.record_refusal(db.session, current_user, target, exc)
        db.session.commit()
    return DomainError(exc.message, exc.field, status=exc.status)


def _request(request_id: int) -> ContactRequest:
    api_user()
    req = db.session.get(ContactRequest, request_id)
    if req is None or req.posting is None:
        raise DomainError(f"对接申请 {request_id} 不存在", status=404)
    if not contact.can_view(current_user, req):
        raise DomainError("只有对接双方和负责的技术经纪人可以查看该对接申请", status=403)
    return req


@bp.post("/<any(needs, results):plural>/<ref>/contact-requests")
@accepts(ContactRequestIn)
def create_contact_request(plural: str, ref: str):
    kind = plural[:-1]
    post = postings.find_posting(db.session, kind, ref)
    if post is None or not postings.is_visible(current_user, post):
        raise DomainError(f"{contact.KINDS[kind]} {ref} 不存在", status=404)
    try:
        req = contact.create_request(
            db.session,
            current_user,
            post,
            body().get("message"),
            daily_limit=current_app.config.get("CONTACT_DAILY_LIMIT", contact.DAILY_LIMIT),
        )
    except DomainError as exc:
        raise _fail(exc, f"{kind}:{post.id}") from None
    db.session.commit()
    return jsonify(contact.to_dict(req, current_user)), 201


@bp.get("/contact-requests")
def list_contact_requests():
    api_user()
    rows = db.session.scalars(contact.mine_query(current_user).limit(200)).all()
    return jsonify({"items": [contact.to_dict(r, current_user) for r in rows if r.posting is not None]})


@bp.get("/contact-requests/<int:request_id>")
def get_contact_request(request_id: int):
    req = _request(request_id)
    return jsonify(contact.to_dict(req, current_user))


@bp.post("/contact-requests/<int:request_id>/accept")
def accept_contact_request(request_id: int):
    req = _request(request_id)
    try:
        contact.accept(db.session, req, current_user)
    except DomainError as exc:
        raise _fail(exc, f"contact:{req.id}") from None
    db.session.commit()
    return jsonify(contact.to_dict(req, current_user))


@bp.post("/contact-requests/<int:request_id>/decline")
@accepts(DeclineIn)
def decline_contact_request(request_id: int):
    req = _request(request_id)
    try:
        contact.decline(db.session, req, current_user, body().get("reason"))
    except DomainError as exc:
        raise _fail(exc, f"contact:{req.id}") from None
    db.session.commit()
    return jsonify(contact.to_dict(req, current_user))


@bp.get("/contact-requests/<int:request_id>/messages")
def list_contact_messages(request_id: int):
    req = _request(request_id)
    return jsonify({"items": [contact.message_dict(m) for m in req.messages]})


@bp.post("/contact-requests/<int:request_id>/messages")
@accepts(MessageIn)
def post_contact_message(request_id: int):
    req = _request(request_id)
    try:
        msg = contact.post_message(db.session, req, current_user, body().get("body"))
    except DomainError as exc:
        raise _fail(exc, f"contact:{req.id}") from None
    db.session.commit()
    return jsonify(contact.message_dict(msg)), 201


# ---------------------------------------------------------------- 收藏


@bp.get("/favourites")
def list_favourites():
    api_user()
    items = following.favourites(db.session, current_user)
    return jsonify({"items": [{"kind": post.kind, "id": post.id, "title": post.title} for _, post in items]})


@bp.post("/favourites")
@accepts(FavouriteIn)
def add_favourite():
    data = body()
    try:
        following.add_favourite(db.session, current_user, data["kind"], int(data["id"]))
    except DomainError as exc:
        raise _fail(exc, "favourite") from None
    db.session.commit()
    return jsonify({"kind": data["kind"], "id": int(data["id"]), "favourite": True}), 201


@bp.delete("/favourites/<any(need, result):kind>/<int:posting_id>")
def remove_favourite(kind: str, posting_id: int):
    api_user()
    removed = following.remove_favourite(db.session, current_user, kind, posting_id)
    db.session.commit()
    return jsonify({"kind": kind, "id": posting_id, "removed": removed})


# ---------------------------------------------------------------- 订阅


@bp.get("/subscriptions")
def list_subscriptions():
    api_user()
    return jsonify(
        {"items": [following.sub_dict(s) for s in following.subscriptions(db.session, current_user)]}
    )


@bp.post("/subscriptions")
@accepts(SubscriptionIn)
def create_subscription():
    data = {k: v for k, v in body().items() if v is not None}
    try:
        sub = following.create_subscription(db.session, current_user, data)
    except DomainError as exc:
        raise _fail(exc, "subscription") from None
    db.session.commit()
    return jsonify(following.sub_dict(sub)), 201


@bp.delete("/subscriptions/<int:sub_id>")
def delete_subscription(sub_id: int):
    api_user()
    sub = db.session.get(Subscription, sub_id)
    if sub is None:
        raise DomainError(f"订阅 {sub_id} 不存在", status=404)
    if sub.user_id != current_user.id:
        raise DomainError("只能退订自己的订阅", status=403)
    following.unsubscribe(db.session, sub, current_user)
    db.session.commit()
    return jsonify(following.sub_dict(sub))
