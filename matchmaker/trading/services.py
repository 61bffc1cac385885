"""Listing and auction services (挂牌交易 / 竞价拍卖): create, bid, withdraw, close.

Plain Python, no request context; services only flush, the caller commits. Bids are
serialised in the database: `SELECT … FOR UPDATE` on the auction row on PostgreSQL, a write
lock taken at the start of the transaction on SQLite, and unique constraints on
(auction_id, seq) and (auction_id, amount_wan) as the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Need, Result
from matchmaker.trading.models import CONTRACT_TYPES, MODES, Auction, Bid, Deposit

MAX_WAN = 10_000_000
MAX_EXTEND_MINUTES = 120


def is_broker(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in ("broker", "admin")


def cents(amount) -> int:
    """Money compared in fen-of-万元 integers, so 0.1 + 0.2 never misses an increment."""
    return round(float(amount) * 100)


def _money(data: dict, name: str, label: str, *, required: bool = True, allow_zero: bool = False):
    raw = data.get(name)
    if raw is None or raw == "":
        if required:
            raise DomainError(f"请填写{label}（万元）", name)
        return None
    if isinstance(raw, bool):
        raise DomainError(f"{label}须为数字（万元）", name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise DomainError(f"{label}须为数字（万元）", name) from None
    if value != value or value < 0 or (value == 0 and not allow_zero) or value >= MAX_WAN:
        raise DomainError(f"{label}须大于 0 且小于 {MAX_WAN} 万元", name)
    if abs(value * 100 - round(value * 100)) > 1e-6:
        raise DomainError(f"{label}最多保留两位小数（万元）", name)
    return round(value, 2)


def _when(data: dict, name: str, label: str) -> datetime:
    raw = data.get(name)
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None) if raw.tzinfo is None else _to_utc(raw)
    if not raw or not isinstance(raw, str):
        raise DomainError(f"请填写{label}（ISO 8601 时间，如 2026-12-01T10:00:00Z）", name)
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(f"{label}格式不正确，应为 ISO 8601 时间，如 2026-12-01T10:00:00Z", name) from None
    return _to_utc(value) if value.tzinfo else value


def _to_utc(value: datetime) -> datetime:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


@dataclass
class AuctionInput:
    """The validated fields of a new listing or auction (shared by API, web form and CLI)."""

    result_id: int
    mode: str
    reserve_wan: float
    increment_wan: float
    starts_at: datetime
    ends_at: datetime
    extend_minutes: int
    deposit_required: bool
    contract_type: str
    session_id: int | None
    note: str | None

    @classmethod
    def parse(cls, data: dict, now: datetime | None = None) -> AuctionInput:
        now = now or utcnow()
        mode = data.get("mode") or "auction"
        if mode not in MODES:
            raise DomainError("交易方式须为 auction（竞价拍卖）或 listing（挂牌交易）", "mode")
        try:
            result_id = int(data.get("result_id"))
        except (TypeError, ValueError):
            raise DomainError("请填写科技成果编号 result_id（整数）", "result_id") from None
        label = "起拍价" if mode == "auction" else "挂牌价"
        reserve = _money(data, "reserve_wan", label)
        increment = _money(data, "increment_wan", "加价幅度", required=mode == "auction")
        if mode == "listing":
            increment = 0.0
        starts_at = _when(data, "starts_at", "开始时间") if data.get("starts_at") else now
        ends_at = _when(data, "ends_at", "结束时间")
        if ends_at <= starts_at:
            raise DomainError("结束时间须晚于开始时间", "ends_at")
        if ends_at <= now:
            raise DomainError("结束时间须晚于当前时间", "ends_at")
        raw_extend = data.get("extend_minutes", 5 if mode == "auction" else 0)
        try:
            extend = int(raw_extend)
        except (TypeError, ValueError):
            raise DomainError("延时分钟数须为整数", "extend_minutes") from None
        if isinstance(raw_extend, bool) or not 0 <= extend <= MAX_EXTEND_MINUTES:
            raise DomainError(f"延时分钟数须在 0 到 {MAX_EXTEND_MINUTES} 之间", "extend_minutes")
        contract_type = data.get("contract_type") or "transfer"
        if contract_type not in CONTRACT_TYPES:
            raise DomainError("合同类型须为 transfer（技术转让）或 license（技术许可）", "contract_type")
        session_id = data.get("session_id")
        if session_id not in (None, ""):
            try:
                session_id = int(session_id)
            except (TypeError, ValueError):
                raise DomainError("路演专场编号 session_id 须为整数", "session_id") from None
        else:
            session_id = None
        return cls(
            result_id=result_id,
            mode=mode,
            reserve_wan=reserve,
            increment_wan=increment,
            starts_at=starts_at,
            ends_at=ends_at,
            extend_minutes=extend if mode == "auction" else 0,
            deposit_required=bool(data.get("deposit_required")),
            contract_type=contract_type,
            session_id=session_id,
            note=(str(data.get("note") or "").strip() or None),
        )


def create_auction(session: Session, user: User, data: dict, now: datetime | None = None) -> Auction:
    """挂牌 / 发起竞价: a broker lists a published result for trade."""
    if not is_broker(user):
        raise DomainError("只有技术经纪人或管理员可以发起挂牌或竞价", status=403)
    form = AuctionInput.parse(data, now)
    result = session.get(Result, form.result_id)
    if result is None or result.status != "published":
        raise DomainError("科技成果不存在或未发布", "result_id", status=404 if result is None else 400)
    live = session.scalar(
        select(Auction.id).where(Auction.result_id == result.id, Auction.status == "active")
    )
    if live is not None:
        raise DomainError(f"该成果已有进行中的挂牌/竞价（编号 {live}）", "result_id", status=409)
    if form.session_id is not None:
        from matchmaker.roadshow.models import Session as RoadshowSession

        if session.get(RoadshowSession, form.session_id) is None:
            raise DomainError("路演专场不存在", "session_id", status=404)
    auction = Auction(
        result_id=result.id,
        mode=form.mode,
        reserve_wan=form.reserve_wan,
        increment_wan=form.increment_wan,
        starts_at=form.starts_at,
        ends_at=form.ends_at,
        extend_minutes=form.extend_minutes,
        deposit_required=form.deposit_required,
        contract_type=form.contract_type,
        session_id=form.session_id,
        note=form.note,
        created_by_id=user.id,
    )
    session.add(auction)
    session.flush()
    audit(
        session,
        "auction.create",
        user,
        f"auction:{auction.id}",
        f"{auction.mode_label}「{result.title}」{_price_label(auction)} {auction.reserve_wan} 万元，"
        f"加价幅度 {auction.increment_wan} 万元，{auction.starts_at:%Y-%m-%d %H:%M}—{auction.ends_at:%Y-%m-%d %H:%M} UTC，"
        f"延时 {auction.extend_minutes} 分钟",
    )
    return auction


def _price_label(auction: Auction) -> str:
    return "起拍价" if auction.mode == "auction" else "挂牌价"


def can_bid(user) -> bool:
    """Verified enterprise users (认证企业用户): an active enterprise account of a 企业 organisation."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and user.role == "enterprise"
        and user.active
        and user.organization is not None
        and user.organization.type == "企业"
    )


def lock_auction(session: Session, auction_id: int) -> Auction | None:
    """Take the auction's row lock for the rest of the transaction and read it fresh."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite locks the whole file: a no-op UPDATE opens the transaction with the write
        # lock, so the read below and the insert after it cannot interleave with another bid.
        session.execute(update(Auction).where(Auction.id == auction_id).values(bid_count=Auction.bid_count))
        return session.get(Auction, auction_id, populate_existing=True)
    return session.get(Auction, auction_id, with_for_update=True, populate_existing=True)


def minimum_bid(auction: Auction) -> float:
    """The lowest acceptable next amount: the reserve, then current price plus the increment."""
    if auction.current_wan is None:
        return float(auction.reserve_wan)
    return round(float(auction.current_wan) + float(auction.increment_wan), 2)


def phase(auction: Auction, now: datetime | None = None) -> str:
    """未开始 / 竞价中 / 待结束 while active; otherwise the stored status."""
    now = now or utcnow()
    if auction.status != "active":
        return auction.status
    if now < auction.starts_at:
        return "pending"
    if now >= auction.ends_at:
        return "due"
    return "open"


PHASES = {"pending": "未开始", "open": "竞价中", "due": "已截止，待公示"}


def place_bid(session: Session, auction_id: int, user: User, amount, now: datetime | None = None) -> Bid:
    """出价 / 摘牌. Call in a fresh transaction: it locks the auction row until the commit."""
    if not can_bid(user):
        raise DomainError("只有通过认证的企业用户可以出价", status=403)
    amount_wan = _money({"amount_wan": amount}, "amount_wan", "出价")
    auction = lock_auction(session, auction_id)
    if auction is None:
        raise DomainError("挂牌/竞价不存在", status=404)
    now = now or utcnow()
    state = phase(auction, now)
    if state == "withdrawn":
        raise DomainError("该挂牌已撤牌，不能出价", "amount_wan", status=409)
    if state in ("sold", "unsold", "due"):
        raise DomainError("竞价已结束，不能出价", "amount_wan", status=409)
    if state == "pending":
        raise DomainError(
            f"竞价尚未开始（开始时间 {auction.starts_at:%Y-%m-%d %H:%M} UTC）", "amount_wan", status=409
        )
    if auction.result.organization_id == user.organization_id:
        raise DomainError("不能对本机构的成果出价", "amount_wan", status=403)
    if auction.deposit_required and not session.scalar(
        select(Deposit.id).where(
            Deposit.auction_id == auction.id, Deposit.organization_id == user.organization_id
        )
    ):
        raise DomainError("须先缴纳保证金（由技术经纪人登记）后才能出价", "amount_wan", status=403)
    if auction.mode == "listing":
        if cents(amount_wan) != cents(auction.reserve_wan):
            raise DomainError(f"挂牌交易须按挂牌价 {auction.reserve_wan} 万元摘牌", "amount_wan")
    else:
        low = minimum_bid(auction)
        if cents(amount_wan) < cents(low):
            if auction.current_wan is None:
                msg = f"出价不能低于起拍价 {low} 万元"
            else:
                msg = f"出价须至少为 {low} 万元（当前价 {auction.current_wan} 万元 + 加价幅度 {auction.increment_wan} 万元）"
            raise DomainError(msg, "amount_wan", status=409)
    extended = False
    if auction.extend_minutes and auction.ends_at - now < timedelta(minutes=auction.extend_minutes):
        # 延时: a bid in the last N minutes moves the end to N minutes after it.
        auction.ends_at = now + timedelta(minutes=auction.extend_minutes)
        auction.extensions += 1
        extended = True
    bid = Bid(
        auction_id=auction.id,
        seq=auction.bid_count + 1,
        amount_wan=amount_wan,
        bidder_id=user.id,
        organization_id=user.organization_id,
        at=now,
        extended=extended,
    )
    session.add(bid)
    auction.bid_count = bid.seq
    auction.current_wan = amount_wan
    session.flush()
    audit(
        session,
        "auction.bid",
        user,
        f"auction:{auction.id}",
        f"第 {bid.seq} 次出价 {amount_wan} 万元（{user.organization.name}）"
        + (f"，触发延时至 {auction.ends_at:%H:%M:%S} UTC" if extended else ""),
    )
    if auction.mode == "listing":
        # 摘牌: the first taker at the listed price ends the listing.
        close_auction(session, auction, now=now)
    return bid


def audit_rejected_bid(session: Session, auction_id: int, user: User, amount, error: DomainError) -> None:
    """A refused bid is audited too (after the bid's own transaction rolled back)."""
    audit(session, "auction.bid_rejected", user, f"auction:{auction_id}", f"出价 {amount!r}：{error.message}")


def record_deposit(session: Session, auction: Auction, user: User, organization_id: int) -> Deposit:
    """登记保证金 for one enterprise."""
    if not is_broker(user):
        raise DomainError("只有技术经纪人可以登记保证金", status=403)
    from matchmaker.accounts.models import Organization

    org = session.get(Organization, organization_id)
    if org is None or org.type != "企业":
        raise DomainError("企业不存在", "organization_id", status=404)
    if session.scalar(
        select(Deposit.id).where(Deposit.auction_id == auction.id, Deposit.organization_id == org.id)
    ):
        raise DomainError("该企业的保证金已登记", "organization_id", status=409)
    dep = Deposit(auction_id=auction.id, organization_id=org.id, recorded_by_id=user.id)
    session.add(dep)
    session.flush()
    audit(session, "auction.deposit", user, f"auction:{auction.id}", f"登记保证金：{org.name}")
    return dep


def withdraw(
    session: Session, auction_id: int, user: User, reason: str | None, now: datetime | None = None
) -> Auction:
    """撤牌: only before any bid, with a reason."""
    if not is_broker(user):
        raise DomainError("只有技术经纪人或管理员可以撤牌", status=403)
    auction = lock_auction(session, auction_id)
    if auction is None:
        raise DomainError("挂牌/竞价不存在", status=404)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("撤牌须填写原因", "reason")
    if auction.status != "active":
        raise DomainError(f"该挂牌/竞价已{auction.status_label}，不能撤牌", "reason", status=409)
    if auction.bid_count:
        raise DomainError("已有出价，不能撤牌；请等待竞价结束", "reason", status=409)
    auction.status = "withdrawn"
    auction.withdrawn_reason = reason[:1000]
    auction.closed_at = now or utcnow()
    session.flush()
    audit(session, "auction.withdraw", user, f"auction:{auction.id}", f"撤牌：{reason}")
    return auction


def close_auction(
    session: Session, auction: Auction, now: datetime | None = None, actor: User | None = None
) -> Auction:
    """成交公示 or 流拍. A sale enters the broker pipeline at 签约 and schedules the 回访."""
    now = now or utcnow()
    if auction.status != "active":
        return auction
    if auction.mode == "auction" and now < auction.ends_at:
        raise DomainError("竞价尚未结束", "ends_at", status=409)
    broker = actor if is_broker(actor) else auction.created_by
    if broker is None or not is_broker(broker):
        raise DomainError("成交需由技术经纪人确认，请指定经纪人", "actor", status=409)
    auction.closed_at = now
    result = auction.result
    if not auction.bids:
        auction.status = "unsold"
        session.flush()
        audit(
            session,
            "auction.unsold",
            broker,
            f"auction:{auction.id}",
            f"流拍：无人以起拍价 {auction.reserve_wan} 万元出价",
        )
        for user in _result_users(session, result) + ([broker] if broker else []):
            notify(
                session,
                user,
                "auction",
                f"流拍：{result.title}",
                "竞价结束，无人出价。",
                f"/trading/auctions/{auction.id}",
            )
        return auction
    win = auction.bids[-1]
    auction.status = "sold"
    auction.price_wan = win.amount_wan
    session.flush()
    auction.match_id = _enter_pipeline(session, auction, win, broker, now).id
    session.flush()
    audit(
        session,
        "auction.sold",
        broker,
        f"auction:{auction.id}",
        f"成交公示：{win.organization.name} 以 {win.amount_wan} 万元竞得「{result.title}」（共 {auction.bid_count} 次出价）",
    )
    body = f"{win.organization.name} 以 {win.amount_wan} 万元成交（{auction.mode_label}，共 {auction.bid_count} 次出价）。"
    for user in {
        u.id: u for u in _result_users(session, result) + [win.bidder] + ([broker] if broker else [])
    }.values():
        notify(session, user, "auction", f"成交公示：{result.title}", body, f"/trading/auctions/{auction.id}")
    return auction


def _result_users(session: Session, result: Result) -> list[User]:
    return list(
        session.scalars(select(User).where(User.organization_id == result.organization_id, User.active))
    )


def _enter_pipeline(session: Session, auction: Auction, win: Bid, broker: User | None, now: datetime):
    """The deal enters 撮合 at 签约 through the review service, which also schedules the 回访.

    A match needs a need: the winner's purchase is recorded as its (already met) need.
    """
    from matchmaker.review import services as review
    from matchmaker.review.models import Match, StageChange

    result = auction.result
    need = Need(
        external_id=f"AUC{auction.id:06d}",
        title=f"竞得成果：{result.title}"[:200],
        description=f"通过{auction.mode_label}以 {win.amount_wan} 万元受让科技成果「{result.title}」。",
        field_id=result.field_id,
        keywords=list(result.keywords or []),
        budget_wan=win.amount_wan,
        region=win.organization.region,
        status="matched",
        organization_id=win.organization_id,
        owner_id=win.bidder_id,
    )
    session.add(need)
    session.flush()
    label = f"{auction.mode_label}成交（编号 {auction.id}）"
    match = Match(
        need_id=need.id,
        result_id=result.id,
        source="auction",
        stage="negotiation",
        score=1.0,
        components={},
        explanation={"summary": f"{label}：{win.amount_wan} 万元"},
        decision="accept",
        decided_by_id=broker.id if broker else None,
        decided_at=now,
        need_status="confirmed",
        need_by_id=win.bidder_id,
        need_at=win.at,
        result_status="confirmed",
        result_at=auction.created_at,
        released_at=now,
    )
    session.add(match)
    session.flush()
    # Bidding under the published terms is both sides' confirmation; the record says so.
    session.add(
        StageChange(
            match_id=match.id, to_stage="negotiation", user_id=broker.id if broker else None, reason=label
        )
    )
    session.flush()
    review.advance(
        session,
        match,
        "signed",
        broker,
        label,
        contract_type=auction.contract_type,
        amount_wan=win.amount_wan,
        signed_on=now.date(),
        buyer=win.organization.name,
        seller=result.organization.name,
        now=now,
    )
    return match


def due_auctions(session: Session, now: datetime | None = None) -> list[Auction]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(Auction)
            .where(Auction.status == "active", Auction.mode == "auction", Auction.ends_at <= now)
            .order_by(Auction.id)
        )
    )


def close_due_auctions(session: Session) -> str:
    """结束到期竞价: 成交公示 or 流拍 for every auction past its end. Each closing commits on
    its own, so one that cannot close (no broker to confirm) leaves the others closed; the
    worker runs this every minute (`flask auctions close-due` does the same)."""
    ids = [a.id for a in due_auctions(session)]
    session.rollback()
    done = {"sold": 0, "unsold": 0}
    failed = []
    for auction_id in ids:
        auction = lock_auction(session, auction_id)
        try:
            close_auction(session, auction)
        except DomainError as exc:
            session.rollback()
            failed.append(f"竞价 {auction_id} 未能结束：{exc.message}")
            continue
        session.commit()
        if auction.status in done:
            done[auction.status] += 1
    summary = f"已结束 {done['sold'] + done['unsold']} 场：成交 {done['sold']}，流拍 {done['unsold']}"
    return "；".join([summary, *failed])


def time_left_seconds(auction: Auction, now: datetime | None = None) -> int:
    now = now or utcnow()
    if auction.status != "active":
        return 0
    return max(0, int((auction.ends_at - now).total_seconds()))


def auction_dict(auction: Auction, now: datetime | None = None, with_bids: bool = True, viewer=None) -> dict:
    """The public record: price, time left, and the accepted bids in order (出价记录)."""
    now = now or utcnow()
    state = phase(auction, now)
    win = auction.winner_bid
    out = {
        "id": auction.id,
        "mode": auction.mode,
        "mode_label": auction.mode_label,
        "status": auction.status,
        "status_label": auction.status_label,
        "phase": state,
        "phase_label": PHASES.get(state, auction.status_label),
        "result": {
            "id": auction.result.id,
            "title": auction.result.title,
            "organization": auction.result.organization.name,
        },
        "reserve_wan": auction.reserve_wan,
        "increment_wan": auction.increment_wan,
        "current_wan": auction.current_wan,
        "minimum_bid_wan": minimum_bid(auction) if auction.status == "active" else None,
        "deposit_required": auction.deposit_required,
        "contract_type": auction.contract_type,
        "starts_at": _iso(auction.starts_at),
        "ends_at": _iso(auction.ends_at),
        "extend_minutes": auction.extend_minutes,
        "extensions": auction.extensions,
        "server_time": _iso(now),
        "time_left_seconds": time_left_seconds(auction, now),
        "bid_count": auction.bid_count,
        "session_id": auction.session_id,
        "closed_at": _iso(auction.closed_at),
        "withdrawn_reason": auction.withdrawn_reason,
        # 成交公示
        "winner": {"organization": win.organization.name, "price_wan": win.amount_wan, "bid_seq": win.seq}
        if win
        else None,
        "match_id": auction.match_id,
    }
    if with_bids:
        aliases = bidder_aliases(auction)
        mine = (
            getattr(viewer, "organization_id", None) if getattr(viewer, "is_authenticated", False) else None
        )
        out["bids"] = [bid_dict(b, aliases, mine) for b in auction.bids]
    return out


def bidder_aliases(auction: Auction) -> dict[int, str]:
    """竞买号: bidders are shown as 竞买人 1, 2, … in order of their first bid; the winner is named."""
    aliases: dict[int, str] = {}
    for b in auction.bids:
        aliases.setdefault(b.organization_id, f"竞买人 {len(aliases) + 1}")
    return aliases


def bid_dict(bid: Bid, aliases: dict[int, str], mine: int | None = None) -> dict:
    return {
        "seq": bid.seq,
        "amount_wan": bid.amount_wan,
        "bidder": aliases.get(bid.organization_id, ""),
        "mine": mine is not None and bid.organization_id == mine,
        "at": _iso(bid.at),
        "extended": bid.extended,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="milliseconds") + "Z" if value else None
