"""收藏、订阅与提醒 services. Plain Python over a session; services only flush.

A subscription (保存的检索) names kinds, a field, a region and keywords. New postings that fit
it, and new high matches on such postings, become `Alert`s: instant ones are sent at once
(inbox + email), weekly ones wait for `send_digests` (one message per subscription per week).
Every alert email carries a signed one-click unsubscribe link (itsdangerous), usable without login.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.accounts import policy
from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.constants import REGIONS
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.following.models import FREQUENCIES, KIND_LABELS, Alert, Favourite, Subscription
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Field, Need, Result
from matchmaker.postings.services import split_list

MODELS = {"need": Need, "result": Result}
MAX_SUBSCRIPTIONS = 20
NEW_WINDOW = timedelta(days=7)  # a posting counts as new for alerts this long after it was created
HIGH_MATCH = 0.7  # default for FOLLOW_HIGH_MATCH: a proposal at or above this score is a high match
SALT = "matchmaker.following.unsubscribe"


# ---------------------------------------------------------------- 收藏


def posting(session: Session, kind: str, posting_id: int):
    model = MODELS.get(kind)
    return session.get(model, posting_id) if model is not None else None


def is_favourite(session: Session, user, kind: str, posting_id: int) -> bool:
    if not policy.signed_in(user):
        return False
    return (
        session.scalar(
            select(Favourite.id).where(
                Favourite.user_id == user.id, Favourite.kind == kind, Favourite.posting_id == posting_id
            )
        )
        is not None
    )


def add_favourite(session: Session, user: User, kind: str, posting_id: int) -> Favourite:
    """收藏 a need or result the user may see. Idempotent: a second call returns the same row."""
    post = posting(session, kind, posting_id)
    if post is None:
        raise DomainError("只能收藏技术需求或科技成果", "id", status=404)
    if not policy.can_view(user, post):
        raise DomainError("无权查看该信息，不能收藏", "id", status=403)
    fav = session.scalar(
        select(Favourite).where(
            Favourite.user_id == user.id, Favourite.kind == kind, Favourite.posting_id == posting_id
        )
    )
    if fav is None:
        fav = Favourite(user_id=user.id, kind=kind, posting_id=posting_id)
        session.add(fav)
        session.flush()
    return fav


def remove_favourite(session: Session, user: User, kind: str, posting_id: int) -> bool:
    fav = session.scalar(
        select(Favourite).where(
            Favourite.user_id == user.id, Favourite.kind == kind, Favourite.posting_id == posting_id
        )
    )
    if fav is None:
        return False
    session.delete(fav)
    session.flush()
    return True


def favourites(session: Session, user: User) -> list[tuple[Favourite, object]]:
    """The user's favourites with their postings, newest first; deleted or hidden ones are left out."""
    out = []
    for fav in session.scalars(
        select(Favourite)
        .where(Favourite.user_id == user.id)
        .order_by(Favourite.created_at.desc(), Favourite.id.desc())
    ):
        post = posting(session, fav.kind, fav.posting_id)
        if post is not None and policy.can_view(user, post):
            out.append((fav, post))
    return out


# ---------------------------------------------------------------- 订阅


def validate_subscription(session: Session, data: dict) -> dict:
    """One validation for the page, the API and tests: returns clean values or raises DomainError."""
    kinds = data.get("kinds") or ["need", "result"]
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not kinds or any(k not in KIND_LABELS for k in kinds):
        raise DomainError("订阅类型须为技术需求(need)或科技成果(result)", "kinds")
    field = None
    raw_field = data.get("field")
    if raw_field not in (None, ""):
        if isinstance(raw_field, int) or (isinstance(raw_field, str) and raw_field.isdigit()):
            field = session.get(Field, int(raw_field))
        elif isinstance(raw_field, str):
            field = session.scalar(select(Field).where(Field.name == raw_field.strip()))
        if field is None or not field.active:
            raise DomainError("领域不存在", "field")
    region = (data.get("region") or "").strip() or None
    if region is not None and region not in REGIONS:
        raise DomainError(f"地区“{region[:10]}”不在可选范围内", "region")
    try:
        keywords = split_list(data.get("keywords"), "keywords", "关键词", max_items=10, max_len=20)
    except DomainError as exc:
        raise DomainError(exc.message, "keywords") from None
    if field is None and region is None and not keywords:
        raise DomainError("请至少选择领域、地区或填写一个关键词", "keywords")
    frequency = data.get("frequency") or "instant"
    if frequency not in FREQUENCIES:
        raise DomainError("提醒方式须为即时提醒(instant)或每周摘要(weekly)", "frequency")
    name = (data.get("name") or "").strip()
    if len(name) > 100:
        raise DomainError("订阅名称不超过 100 字", "name")
    if not name:
        name = " · ".join(filter(None, [field.name if field else None, region, "、".join(keywords)]))[:100]
    return {
        "name": name,
        "kinds": [k for k in ("need", "result") if k in kinds],
        "field_id": field.id if field else None,
        "region": region,
        "keywords": keywords,
        "frequency": frequency,
        "high_matches": bool(data.get("high_matches", True)),
    }


def create_subscription(session: Session, user: User, data: dict) -> Subscription:
    clean = validate_subscription(session, data)
    count = session.scalar(
        select(func.count(Subscription.id)).where(
            Subscription.user_id == user.id, Subscription.active.is_(True)
        )
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise DomainError(f"每人最多保留 {MAX_SUBSCRIPTIONS} 个订阅，请先退订不需要的", "name", status=409)
    sub = Subscription(user_id=user.id, active=True, **clean)
    session.add(sub)
    session.flush()
    audit(session, "following.subscribe", user, target=f"subscription:{sub.id}", detail=sub.name)
    return sub


def subscriptions(session: Session, user: User) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.user_id == user.id, Subscription.active.is_(True))
            .order_by(Subscription.id.desc())
        )
    )


def unsubscribe(session: Session, sub: Subscription, user: User | None = None, via: str = "page") -> None:
    """退订: the subscription stops; pending weekly alerts are dropped with it. Idempotent."""
    if not sub.active:
        return
    sub.active = False
    session.flush()
    audit(
        session,
        "following.unsubscribe",
        user,
        target=f"subscription:{sub.id}",
        detail="邮件一键退订" if via == "token" else "页面退订",
    )


def unsubscribe_token(secret_key: str, sub: Subscription) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps({"s": sub.id, "u": sub.user_id})


def subscription_from_token(session: Session, secret_key: str, token: str) -> Subscription | None:
    """The subscription a signed token names, or None when the token is invalid or tampered with."""
    try:
        data = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    sub = session.get(Subscription, data.get("s")) if isinstance(data.get("s"), int) else None
    if sub is None or sub.user_id != data.get("u"):
        return None
    return sub


# ---------------------------------------------------------------- matching a posting


def fits(sub: Subscription, post) -> bool:
    """Whether a posting falls under a subscription: kind, field, region, then any keyword."""
    if post.kind not in (sub.kinds or []):
        return False
    if sub.field_id is not None and post.field_id != sub.field_id:
        return False
    if sub.region and post.region != sub.region:
        return False
    if sub.keywords:
        text = " ".join([post.title or "", post.description or "", " ".join(post.keywords or [])]).lower()
        if not any(k.lower() in text for k in sub.keywords):
            return False
    return True


def _unsubscribe_footer(config: dict, sub: Subscription) -> str:
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    token = unsubscribe_token(config["SECRET_KEY"], sub)
    return f"\n\n不想再收到此订阅「{sub.name}」的提醒？一键退订：{base}/following/unsubscribe/{token}"


def _record(
    session: Session, config: dict, sub: Subscription, reason: str, post, title: str, now: datetime
) -> bool:
    exists = session.scalar(
        select(Alert.id).where(
            Alert.subscription_id == sub.id,
            Alert.reason == reason,
            Alert.kind == post.kind,
            Alert.posting_id == post.id,
        )
    )
    if exists is not None:
        return False  # a replayed batch or an edit: one alert per posting and reason
    alert = Alert(
        subscription_id=sub.id,
        reason=reason,
        kind=post.kind,
        posting_id=post.id,
        title=title[:300],
        link=f"/{post.kind}s/{post.id}",
        created_at=now,
    )
    session.add(alert)
    if sub.frequency == "instant":
        alert.sent_at = now
        notify(
            session,
            sub.user,
            "subscription",
            title[:200],
            f"来自您的订阅「{sub.name}」。",
            alert.link,
            email_footer=_unsubscribe_footer(config, sub),
        )
    session.flush()
    return True


def alert_new_postings(
    session: Session, config: dict, kind: str, ids: list[int], now: datetime | None = None
) -> int:
    """New postings of one kind: an alert for every active subscription they fit. Returns alerts made."""
    now = now or utcnow()
    model = MODELS[kind]
    subs = [
        s
        for s in session.scalars(select(Subscription).where(Subscription.active.is_(True)))
        if kind in (s.kinds or [])
    ]
    if not subs or not ids:
        return 0
    made = 0
    for post in session.scalars(select(model).where(model.id.in_(ids))):
        if post.created_at is None or post.created_at < now - NEW_WINDOW:
            continue  # an old posting edited: not new
        for sub in subs:
            user = sub.user
            if not user.active or policy.is_member(user, post.organization_id):
                continue
            if not policy.can_list(user, post) or not fits(sub, post):
                continue
            made += _record(
                session, config, sub, "posting", post, f"新{KIND_LABELS[kind]}：{post.title}", now
            )
    return made


def alert_high_matches(session: Session, config: dict, pairs, now: datetime | None = None) -> int:
    """New proposals scoring at least FOLLOW_HIGH_MATCH: subscribers to either posting hear of it."""
    from matchmaker.review.models import Match

    now = now or utcnow()
    threshold = float(config.get("FOLLOW_HIGH_MATCH", HIGH_MATCH))
    subs = list(
        session.scalars(
            select(Subscription).where(Subscription.active.is_(True), Subscription.high_matches.is_(True))
        )
    )
    if not subs:
        return 0
    made = 0
    for need_id, result_id in pairs:
        match = session.scalar(select(Match).where(Match.need_id == need_id, Match.result_id == result_id))
        if match is None or match.score < threshold:
            continue
        need, result = match.need, match.result
        for sub in subs:
            user = sub.user
            for post, other in ((need, result), (result, need)):
                if post is None or other is None or not fits(sub, post):
                    continue
                if not user.active or not (policy.can_list(user, post) and policy.can_list(user, other)):
                    continue
                title = f"高匹配：{KIND_LABELS[post.kind]}「{post.title}」与「{other.title}」"
                made += _record(session, config, sub, "match", post, title, now)
    return made


# ---------------------------------------------------------------- 每周摘要


def iso_week(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def send_digests_job(session: Session) -> str:
    """The worker's weekly run (Monday 08:30 北京时间) of `send_digests`."""
    from flask import current_app

    return f"已发送 {send_digests(session, current_app.config)} 份订阅周报"


def send_digests(session: Session, config: dict, now: datetime | None = None) -> int:
    """每周摘要: one message per weekly subscription with unsent alerts. Idempotent per ISO week:
    a subscription already digested this week is skipped. Returns the digests sent."""
    now = now or utcnow()
    week = iso_week(now)
    sent = 0
    for sub in session.scalars(
        select(Subscription)
        .where(Subscription.active.is_(True), Subscription.frequency == "weekly")
        .order_by(Subscription.id)
    ):
        if sub.last_digest_week == week:
            continue
        alerts = list(
            session.scalars(
                select(Alert)
                .where(Alert.subscription_id == sub.id, Alert.sent_at.is_(None))
                .order_by(Alert.id)
            )
        )
        sub.last_digest_week = week
        if not alerts:
            continue
        lines = [f"· {a.title}（{a.link}）" for a in alerts[:50]]
        if len(alerts) > 50:
            lines.append(f"……另有 {len(alerts) - 50} 条")
        notify(
            session,
            sub.user,
            "subscription_digest",
            f"订阅「{sub.name}」本周有 {len(alerts)} 条新信息",
            "\n".join(lines),
            "/following/subscriptions",
            email_footer=_unsubscribe_footer(config, sub),
        )
        for a in alerts:
            a.sent_at, a.digest_week = now, week
        sent += 1
    session.flush()
    return sent


def sub_dict(sub: Subscription) -> dict:
    return {
        "id": sub.id,
        "name": sub.name,
        "kinds": sub.kinds,
        "field": sub.field.name if sub.field else None,
        "region": sub.region,
        "keywords": sub.keywords,
        "frequency": sub.frequency,
        "high_matches": sub.high_matches,
        "active": sub.active,
    }
