"""JSON API for listings and auctions (挂牌交易 / 竞价拍卖).

Brokers create, withdraw and close; verified enterprise users bid. Every answer that refuses
a bid says why in Chinese and names `amount_wan`; refused bids are audited as well.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchmaker.api import bp
from matchmaker.api.errors import ApiError, int_arg, json_body
from matchmaker.extensions import db
from matchmaker.trading import services
from matchmaker.trading.models import STATUSES, Auction
from matchmaker.trading.services import TradingError


def _user():
    if not current_user.is_authenticated:
        raise ApiError("请先登录", status=401)
    return current_user


def _auction(auction_id: int) -> Auction:
    auction = db.session.get(Auction, auction_id)
    if auction is None:
        raise ApiError("挂牌/竞价不存在", status=404)
    return auction


def _run(fn, *args, **kwargs):
    try:
        out = fn(*args, **kwargs)
    except TradingError as exc:
        db.session.rollback()
        raise ApiError(exc.message, exc.field, status=exc.status) from None
    db.session.commit()
    return out


@bp.get("/auctions")
def auctions_list():
    """挂牌/竞价列表 (status, mode; limit, offset)."""
    query = select(Auction).order_by(Auction.ends_at.desc(), Auction.id.desc())
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise ApiError("status 须为 active、withdrawn、sold 或 unsold", "status")
        query = query.where(Auction.status == status)
    mode = request.args.get("mode")
    if mode:
        if mode not in ("auction", "listing"):
            raise ApiError("mode 须为 auction 或 listing", "mode")
        query = query.where(Auction.mode == mode)
    limit = int_arg(request.args, "limit", 50, 1, 500)
    offset = int_arg(request.args, "offset", 0, 0, 1_000_000)
    items = db.session.scalars(query.offset(offset).limit(limit)).all()
    return jsonify({"items": [services.auction_dict(a, with_bids=False) for a in items]})


@bp.post("/auctions")
def auctions_create():
    """发起挂牌或竞价 (brokers and admins)."""
    user = _user()
    auction = _run(services.create_auction, db.session, user, json_body())
    return jsonify(services.auction_dict(auction)), 201


@bp.get("/auctions/<int:auction_id>")
def auctions_detail(auction_id: int):
    """当前价、剩余时间和出价记录（按顺序）；结束后为成交公示。"""
    viewer = current_user if current_user.is_authenticated else None
    return jsonify(services.auction_dict(_auction(auction_id), viewer=viewer))


@bp.post("/auctions/<int:auction_id>/bids")
def auctions_bid(auction_id: int):
    """出价 / 摘牌: 201 when accepted; 400/403/409 with the reason otherwise."""
    user = _user()
    data = json_body()
    amount = data.get("amount_wan")
    try:
        bid = services.place_bid(db.session, auction_id, user, amount)
        db.session.commit()
    except TradingError as exc:
        db.session.rollback()
        _audit_refusal(auction_id, user, amount, exc)
        raise ApiError(exc.message, exc.field, status=exc.status) from None
    except IntegrityError:
        # The unique constraints caught a race the lock should have prevented.
        db.session.rollback()
        exc = TradingError("该价格已被他人抢先出价，请刷新后重新出价", "amount_wan", status=409)
        _audit_refusal(auction_id, user, amount, exc)
        raise ApiError(exc.message, exc.field, status=409) from None
    auction = db.session.get(Auction, auction_id)
    body = services.auction_dict(auction, viewer=user)
    body["bid"] = {"seq": bid.seq, "amount_wan": bid.amount_wan, "at": body["bids"][bid.seq - 1]["at"]}
    return jsonify(body), 201


def _audit_refusal(auction_id: int, user, amount, exc: TradingError) -> None:
    if db.session.get(Auction, auction_id) is None:
        return
    services.audit_rejected_bid(db.session, auction_id, user, amount, exc)
    db.session.commit()


@bp.post("/auctions/<int:auction_id>/withdraw")
def auctions_withdraw(auction_id: int):
    """撤牌 (brokers; only before the first bid; `reason` required)."""
    user = _user()
    data = json_body()
    auction = _run(services.withdraw, db.session, auction_id, user, data.get("reason"))
    return jsonify(services.auction_dict(auction))


@bp.post("/auctions/<int:auction_id>/deposits")
def auctions_deposit(auction_id: int):
    """登记保证金 for an enterprise (`organization_id`)."""
    user = _user()
    data = json_body()
    try:
        org_id = int(data.get("organization_id"))
    except (TypeError, ValueError):
        raise ApiError("请填写企业编号 organization_id（整数）", "organization_id") from None
    dep = _run(services.record_deposit, db.session, _auction(auction_id), user, org_id)
    return jsonify({"id": dep.id, "auction_id": auction_id, "organization_id": dep.organization_id}), 201


@bp.post("/auctions/<int:auction_id>/close")
def auctions_close(auction_id: int):
    """成交公示 / 流拍 once the end has passed (brokers); `flask auctions close-due` does the same."""
    user = _user()
    if not services.is_broker(user):
        raise ApiError("只有技术经纪人或管理员可以结束竞价", status=403)
    auction = services.lock_auction(db.session, auction_id)
    if auction is None:
        raise ApiError("挂牌/竞价不存在", status=404)
    auction = _run(services.close_auction, db.session, auction, actor=user)
    return jsonify(services.auction_dict(auction))
