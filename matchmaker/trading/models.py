"""挂牌 / 竞价 (Auction), 出价 (Bid) and 保证金 (Deposit).

Every accepted bid gets the next sequence number of its auction. Both (auction_id, seq) and
(auction_id, amount_wan) are unique, so two concurrent writers can never both win at the same
amount even if the row lock were bypassed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Result

MODES = {"auction": "竞价拍卖", "listing": "挂牌交易"}
# status is what the broker or the close function decided; the phase (未开始/竞价中/待结束)
# follows from the clock and is computed, never stored.
STATUSES = {"active": "进行中", "withdrawn": "已撤牌", "sold": "已成交", "unsold": "流拍"}
CONTRACT_TYPES = {"transfer": "技术转让", "license": "技术许可"}


class Auction(db.Model):
    """挂牌交易 / 竞价拍卖 of one result, optionally attached to a roadshow session (路演 + 拍卖)."""

    __tablename__ = "auctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10), default="auction")
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    contract_type: Mapped[str] = mapped_column(String(20), default="transfer")
    # 起拍价 (auction) or 挂牌价 (listing), in 万元.
    reserve_wan: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    increment_wan: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False), default=0)
    deposit_required: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    extend_minutes: Mapped[int] = mapped_column(default=0)
    extensions: Mapped[int] = mapped_column(default=0)
    # Written only under the auction's row lock.
    bid_count: Mapped[int] = mapped_column(default=0)
    current_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("roadshow_sessions.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # 成交公示 / 流拍 / 撤牌
    closed_at: Mapped[datetime | None]
    price_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))

    result: Mapped[Result] = relationship()
    created_by: Mapped[User | None] = relationship()
    bids: Mapped[list[Bid]] = relationship(
        back_populates="auction", order_by="Bid.seq", cascade="all, delete-orphan"
    )

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)

    @property
    def winner_bid(self) -> Bid | None:
        """The highest bid wins; it is also the last accepted one."""
        return self.bids[-1] if self.status == "sold" and self.bids else None

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class Bid(db.Model):
    """出价: an accepted bid (摘牌 for a listing), timestamped by the server."""

    __tablename__ = "bids"
    __table_args__ = (
        UniqueConstraint("auction_id", "seq", name="uq_bids_auction_seq"),
        UniqueConstraint("auction_id", "amount_wan", name="uq_bids_auction_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    amount_wan: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    bidder_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    extended: Mapped[bool] = mapped_column(default=False)

    auction: Mapped[Auction] = relationship(back_populates="bids")
    bidder: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()


class Deposit(db.Model):
    """保证金: recorded by a broker; required before bidding when the auction asks for one."""

    __tablename__ = "auction_deposits"
    __table_args__ = (UniqueConstraint("auction_id", "organization_id", name="uq_auction_deposits_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("auctions.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()
