"""对接申请 and its message thread (对接会话)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Need, Result

STATUSES = {
    "pending": "待对方答复",
    "accepted": "已同意对接",
    "declined": "已婉拒",
    "withdrawn": "已撤回",
}


class ContactRequest(db.Model):
    """对接申请: a user asks the organisation behind a need or result to get in touch."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # need / result: the posting that was contacted
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requester_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # party: the posting's organisation answered; broker: a broker brought the two together.
    decided_via: Mapped[str | None] = mapped_column(String(10))
    decline_reason: Mapped[str | None] = mapped_column(Text)

    need: Mapped[Need | None] = relationship()
    result: Mapped[Result | None] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    requester_org: Mapped[Organization] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    messages: Mapped[list[ContactMessage]] = relationship(
        back_populates="request", order_by="ContactMessage.id", cascade="all, delete-orphan"
    )

    @property
    def posting(self):
        return self.need if self.kind == "need" else self.result

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


class ContactMessage(db.Model):
    """对接会话中的一条消息."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("contact_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ContactRequest] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()
