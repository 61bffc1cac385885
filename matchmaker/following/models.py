"""收藏, 订阅 (saved searches) and the alerts sent for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field

FREQUENCIES = {"instant": "即时提醒", "weekly": "每周摘要"}
KIND_LABELS = {"need": "技术需求", "result": "科技成果"}


class Favourite(db.Model):
    """收藏: a user keeps a need or result at hand."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "kind", "posting_id", name="uq_favourite"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    posting_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(db.Model):
    """订阅 / 保存的检索: field, region and keywords; alerts instantly or in a weekly digest."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kinds: Mapped[list] = mapped_column(JSON, default=list)  # ["need", "result"]
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    region: Mapped[str | None] = mapped_column(String(20))
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    frequency: Mapped[str] = mapped_column(String(10), default="instant")
    high_matches: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_digest_week: Mapped[str | None] = mapped_column(String(10))  # ISO week, e.g. 2026-W49

    user: Mapped[User] = relationship()
    field: Mapped[Field | None] = relationship()

    @property
    def frequency_label(self) -> str:
        return FREQUENCIES.get(self.frequency, self.frequency)


class Alert(db.Model):
    """One thing a subscription found: a new posting or a new high match. Instant alerts are
    sent when found; weekly ones wait for the digest, which stamps `sent_at` and `digest_week`."""

    __tablename__ = "subscription_alerts"
    __table_args__ = (
        UniqueConstraint("subscription_id", "reason", "kind", "posting_id", name="uq_subscription_alert"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(10))  # posting / match
    kind: Mapped[str] = mapped_column(String(10))
    posting_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    digest_week: Mapped[str | None] = mapped_column(String(10))

    subscription: Mapped[Subscription] = relationship()
