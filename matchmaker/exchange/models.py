"""沿黄省份成果交换: partners, the nonces they used, and contact requests forwarded to us.

A `Partner` is another installation of this platform. One row serves both directions:
`inbound_*` is the key we issued to it (it signs its requests to our feed with it), and
`outbound_*` is the key it issued to us (we sign our requests to its feed). The HMAC needs
the secret itself on both ends, so it is stored; it is shown once, when issued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db, utcnow

CursorType = BigInteger().with_variant(Integer(), "sqlite")


class Partner(db.Model):
    """交换伙伴: another province's installation (代码 such as 山东 or B)."""

    __tablename__ = "exchange_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str | None] = mapped_column(String(300))
    # The key we issued to the partner (it reads our feed with it).
    inbound_key_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    inbound_secret: Mapped[str | None] = mapped_column(String(100))
    # The key the partner issued to us (we read its feed with it).
    outbound_key_id: Mapped[str | None] = mapped_column(String(32))
    outbound_secret: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]
    # The partner's feed cursor we have reached (同步游标); only moves after a batch landed.
    cursor: Mapped[int] = mapped_column(CursorType, default=0)
    last_sync_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_summary: Mapped[str | None] = mapped_column(Text)
    # Feed items that could not be imported: [{"at", "kind", "id", "field", "message"}], newest last.
    item_errors: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ExchangeNonce(db.Model):
    """A nonce a partner used within the timestamp window (防重放)."""

    __tablename__ = "exchange_nonces"
    __table_args__ = (UniqueConstraint("partner_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_partners.id", ondelete="CASCADE"), index=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ExchangeContactRequest(db.Model):
    """对接请求: a partner's user asked to be put in touch about one of our postings. Goes to
    the brokers' inbox; the requester's contact details are here only if they consented."""

    __tablename__ = "exchange_contact_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_partners.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    posting_id: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    requester_name: Mapped[str | None] = mapped_column(String(100))
    requester_organization: Mapped[str | None] = mapped_column(String(200))
    requester_phone: Mapped[str | None] = mapped_column(String(40))
    requester_email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="new")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()
