"""对接申请 services: ask, answer (the other party, or a broker), talk. Plain Python; flush only.

One validation for the web page and the API: both call these functions and turn
`DomainError` into a flash or a JSON error naming the field.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from matchmaker.accounts import policy
from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.contact.models import ContactMessage, ContactRequest
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.notifications.services import notify

KINDS = {"need": "技术需求", "result": "科技成果"}
REQUESTER_ROLES = ("enterprise", "researcher")  # 企业用户与高校/院所用户
DAILY_LIMIT = 10  # default for CONTACT_DAILY_LIMIT: requests one user may send in 24 hours
MESSAGE_MAX = 1000
OPEN = ("pending", "accepted")


def link(req: ContactRequest) -> str:
    return f"/contact/{req.id}"


def posting_link(post) -> str:
    return f"/{post.kind}s/{post.id}"


# ---------------------------------------------------------------- who is who


def requester_side(user, req: ContactRequest) -> bool:
    return policy.is_member(user, req.requester_org_id)


def posting_side(user, req: ContactRequest) -> bool:
    post = req.posting
    return post is not None and policy.is_member(user, post.organization_id)


def is_party(user, req: ContactRequest) -> bool:
    return requester_side(user, req) or posting_side(user, req)


def can_view(user, req: ContactRequest) -> bool:
    """The two parties, admins, and brokers whose scope covers the posting."""
    if is_party(user, req):
        return True
    return policy.is_staff(user) and req.posting is not None and policy.in_scope(user, req.posting)


def can_answer(user, req: ContactRequest) -> bool:
    """Accept or decline: the posting's organisation; a broker in scope may also accept (撮合)."""
    return posting_side(user, req) or (
        policy.is_staff(user) and req.posting is not None and policy.in_scope(user, req.posting)
    )


def _requester_contact(req: ContactRequest) -> dict:
    u = req.requester
    return {
        "organization": req.requester_org.name,
        "name": u.name,
        "phone": getattr(u, "phone", None),
        "email": u.email,
    }


def _posting_contact(req: ContactRequest) -> dict:
    post, owner = req.posting, req.posting.owner
    return {
        "organization": post.organization.name if post.organization else "",
        "name": post.contact_name or (owner.name if owner else None),
        "phone": post.contact_phone or (getattr(owner, "phone", None) if owner else None),
        "email": post.contact_email or (owner.email if owner else None),
    }


def contact_details(user, req: ContactRequest) -> dict:
    """Each side's contact details as this user may see them (None = hidden).

    Own side always. The other side only after consent (已同意对接). Staff keep the existing
    gating for the posting (policy.can_see_contact) and see the requester after consent."""
    out: dict = {"requester": None, "posting": None}
    if req.posting is None:
        return out
    if requester_side(user, req) or (req.accepted and can_view(user, req)):
        out["requester"] = _requester_contact(req)
    if (
        posting_side(user, req)
        or (req.accepted and is_party(user, req))
        or policy.can_see_contact(user, req.posting)
    ):
        out["posting"] = _posting_contact(req)
    return out


def org_users(session: Session, organization_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.organization_id == organization_id, User.active.is_(True))
        ).all()
    )


# ---------------------------------------------------------------- ask / 我要对接


def existing_for(session: Session, user, post) -> ContactRequest | None:
    """The open request of this user's organisation on this posting, if any."""
    if not policy.signed_in(user) or post is None:
        return None
    column = ContactRequest.need_id if post.kind == "need" else ContactRequest.result_id
    return session.scalar(
        select(ContactRequest)
        .where(
            column == post.id,
            ContactRequest.requester_org_id == user.organization_id,
            ContactRequest.status.in_(OPEN),
        )
        .order_by(ContactRequest.id.desc())
        .limit(1)
    )


def may_request(user, post) -> bool:
    """Whether to show 我要对接 at all (the service still checks everything)."""
    return (
        policy.signed_in(user)
        and user.role in REQUESTER_ROLES
        and post is not None
        and post.kind in KINDS
        and not policy.is_member(user, post.organization_id)
        and policy.can_list(user, post)
    )


def create_request(
    session: Session,
    user: User,
    post,
    message: str | None,
    *,
    daily_limit: int = DAILY_LIMIT,
    now: datetime | None = None,
) -> ContactRequest:
    """我要对接: record the request, tell the posting's organisation. Refusals raise DomainError."""
    now = now or utcnow()
    if not policy.signed_in(user) or user.role not in REQUESTER_ROLES:
        raise DomainError("只有企业用户和高校、科研院所用户可以发起对接", status=403)
    if post is None or post.kind not in KINDS:
        raise DomainError("只能对接技术需求或科技成果", "posting", status=404)
    noun = KINDS[post.kind]
    if policy.is_member(user, post.organization_id):
        raise DomainError(f"这是本机构发布的{noun}，不能向自己发起对接", "posting", status=403)
    if not policy.can_list(user, post):
        raise DomainError(f"该{noun}当前不接受对接（未发布、已关闭或已归档）", "posting", status=409)
    text = (message or "").strip()
    if not text:
        raise DomainError("请简单说明对接意向（例如合作方式、需要解决的问题）", "message")
    if len(text) > MESSAGE_MAX:
        raise DomainError(f"留言不超过 {MESSAGE_MAX} 字（当前 {len(text)} 字）", "message")
    existing = existing_for(session, user, post)
    if existing is not None:
        if existing.status == "pending":
            raise DomainError(
                f"您所在机构已对该{noun}提交过对接申请，正在等待对方答复，请勿重复提交", "posting", status=409
            )
        raise DomainError(
            f"对方已同意与您所在机构对接该{noun}，请直接在对接会话中沟通", "posting", status=409
        )
    since = now - timedelta(days=1)
    sent = session.scalar(
        select(func.count(ContactRequest.id)).where(
            ContactRequest.requester_id == user.id, ContactRequest.created_at >= since
        )
    )
    if daily_limit and (sent or 0) >= daily_limit:
        raise DomainError(f"每人每天最多发起 {daily_limit} 个对接申请，请明天再试", "posting", status=429)
    req = ContactRequest(
        kind=post.kind,
        need_id=post.id if post.kind == "need" else None,
        result_id=post.id if post.kind == "result" else None,
        requester_id=user.id,
        requester_org_id=user.organization_id,
        message=text,
        status="pending",
        created_at=now,
    )
    session.add(req)
    session.flush()
    audit(session, "contact.request", user, target=f"{post.kind}:{post.id}", detail=f"对接申请 #{req.id}")
    for member in org_users(session, post.organization_id):
        notify(
            session,
            member,
            "contact_request",
            f"{user.organization.name}希望对接您的{noun}「{post.title}」",
            text,
            link(req),
        )
    return req


def record_refusal(session: Session, user, target: str, exc: DomainError) -> None:
    """Audit a refused request (403s are audited centrally by the error handlers)."""
    if exc.status == 403:
        return
    audit(
        session,
        "contact.refused",
        user if policy.signed_in(user) else None,
        target=target,
        detail=exc.message,
    )


# ---------------------------------------------------------------- answer / 同意或婉拒


def _pending(req: ContactRequest) -> None:
    if req.status != "pending":
        raise DomainError(f"该对接申请{req.status_label}，不能再次答复", "status", status=409)


def accept(session: Session, req: ContactRequest, user: User, now: datetime | None = None) -> ContactRequest:
    """同意对接 by the posting's organisation, or 经纪人撮合 by a broker in scope."""
    if not can_answer(user, req):
        raise DomainError("只有发布方或负责该领域/地区的技术经纪人可以同意对接", status=403)
    _pending(req)
    via = "party" if posting_side(user, req) else "broker"
    req.status, req.decided_at, req.decided_by_id, req.decided_via = "accepted", now or utcnow(), user.id, via
    session.flush()
    audit(
        session,
        "contact.accept",
        user,
        target=f"contact:{req.id}",
        detail="经纪人撮合" if via == "broker" else "发布方同意",
    )
    post = req.posting
    who = "技术经纪人已为您促成对接" if via == "broker" else f"{post.organization.name}已同意对接"
    for member in org_users(session, req.requester_org_id):
        notify(
            session,
            member,
            "contact_accepted",
            f"{who}：「{post.title}」",
            "现在可以在对接会话中沟通并查看联系方式。",
            link(req),
        )
    if via == "broker":
        for member in org_users(session, post.organization_id):
            notify(
                session,
                member,
                "contact_accepted",
                f"技术经纪人已促成与{req.requester_org.name}的对接：「{post.title}」",
                "现在可以在对接会话中沟通并查看联系方式。",
                link(req),
            )
    return req


def decline(
    session: Session, req: ContactRequest, user: User, reason: str | None = None, now: datetime | None = None
) -> ContactRequest:
    """婉拒: only the posting's organisation; the requester is told, with the reason if given."""
    if not posting_side(user, req):
        raise DomainError("只有发布方可以婉拒对接申请", status=403)
    _pending(req)
    reason = (reason or "").strip() or None
    if reason and len(reason) > 500:
        raise DomainError("婉拒原因不超过 500 字", "reason")
    req.status, req.decided_at, req.decided_by_id, req.decided_via = (
        "declined",
        now or utcnow(),
        user.id,
        "party",
    )
    req.decline_reason = reason
    session.flush()
    audit(session, "contact.decline", user, target=f"contact:{req.id}", detail=reason)
    for member in org_users(session, req.requester_org_id):
        notify(
            session,
            member,
            "contact_declined",
            f"对方婉拒了对接申请：「{req.posting.title}」",
            reason or "对方暂不考虑对接。您可以继续浏览其他成果与需求。",
            link(req),
        )
    return req


# ---------------------------------------------------------------- talk / 对接会话


def post_message(
    session: Session, req: ContactRequest, user: User, body: str | None, now: datetime | None = None
) -> ContactMessage:
    """A message in the thread: parties only, and only after consent. The other side is notified."""
    if not is_party(user, req):
        raise DomainError("只有对接双方可以在会话中发言", status=403)
    if not req.accepted:
        raise DomainError("对方同意对接后才能发送消息", "body", status=409)
    text = (body or "").strip()
    if not text:
        raise DomainError("消息不能为空", "body")
    if len(text) > MESSAGE_MAX:
        raise DomainError(f"消息不超过 {MESSAGE_MAX} 字（当前 {len(text)} 字）", "body")
    msg = ContactMessage(request_id=req.id, author_id=user.id, body=text, created_at=now or utcnow())
    session.add(msg)
    session.flush()
    other_org = req.posting.organization_id if requester_side(user, req) else req.requester_org_id
    for member in org_users(session, other_org):
        notify(
            session,
            member,
            "contact_message",
            f"对接会话有新消息：「{req.posting.title}」",
            text[:200],
            link(req),
        )
    return msg


# ---------------------------------------------------------------- lists


def mine_query(user):
    """Requests this user's organisation sent or received, newest first."""
    from matchmaker.postings.models import Need, Result

    org = user.organization_id
    return (
        select(ContactRequest)
        .outerjoin(Need, ContactRequest.need_id == Need.id)
        .outerjoin(Result, ContactRequest.result_id == Result.id)
        .where(
            or_(
                ContactRequest.requester_org_id == org,
                Need.organization_id == org,
                Result.organization_id == org,
            )
        )
        .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
    )


def queue(session: Session, user, limit: int = 200) -> list[ContactRequest]:
    """经纪人工作台 · 对接申请: pending requests first, within the broker's scope."""
    rows = session.scalars(
        select(ContactRequest)
        .order_by((ContactRequest.status != "pending"), ContactRequest.created_at.desc())
        .limit(limit * 3)
    ).all()
    return [r for r in rows if r.posting is not None and policy.in_scope(user, r.posting)][:limit]


def to_dict(req: ContactRequest, user) -> dict:
    post = req.posting
    return {
        "id": req.id,
        "kind": req.kind,
        "posting_id": post.id if post else None,
        "posting_title": post.title if post else None,
        "requester_organization": req.requester_org.name,
        "message": req.message,
        "status": req.status,
        "status_label": req.status_label,
        "decided_via": req.decided_via,
        "decline_reason": req.decline_reason,
        "created_at": req.created_at.isoformat() + "Z",
        "decided_at": req.decided_at.isoformat() + "Z" if req.decided_at else None,
        "contact": contact_details(user, req),
    }


def message_dict(msg: ContactMessage) -> dict:
    return {
        "id": msg.id,
        "author": msg.author.name,
        "organization": msg.author.organization.name if msg.author.organization else None,
        "body": msg.body,
        "created_at": msg.created_at.isoformat() + "Z",
    }
