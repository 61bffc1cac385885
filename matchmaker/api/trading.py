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
from matchmaker.api.errors import api_user, int_arg, json_body, write
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.trading import services
from matchmaker.trading.models import STATUSES, Auction


def _auction(auction_id: int) -> Auction:
    auction = db.session.get(Auction, auction_id)
    if auction is None:
        raise DomainError("挂牌/竞价不存在", status=404)
    return auction


@bp.get("/auctions")
def auctions_list():
    """挂牌/竞价列表 (status, mode; limit, offset)."""
    query = select(Auction).order_by(Auction.ends_at.desc(), Auction.id.desc())
    status = request.args.get("status")
    if status:
        if status not in STATUSES:
            raise DomainError("status 须为 active、withdrawn、sold 或 unsold", "status")
        query = query.where(Auction.status == status)
    mode = request.args.get("mode")
    if mode:
        if mode not in ("auction", "listing"):
            raise DomainError("mode 须为 auction 或 listing", "mode")
        query = query.where(Auction.mode == mode)
    limit = int_arg(request.args, "limit", 50, 1, 500)
    offset = int_arg(request.args, "offset", 0, 0, 1_000_000)
    items = db.session.scalars(query.offset(offset).limit(limit)).all()
    return jsonify({"items": [services.auction_dict(a, with_bids=False) for a in items]})


@bp.post("/auctions")
def auctions_create():
    """发起挂牌或竞价 (brokers and admins)."""
    user = api_user()
    auction = write(lambda: services.create_auction(db.session, user, json_body()))
    return jsonify(services.auction_dict(auction)), 201


@bp.get("/auctions/<int:auction_id>")
def auctions_detail(auction_id: int):
    """当前价、剩余时间和出价记录（按顺序）；结束后为成交公示。"""
    viewer = current_user if current_user.is_authenticated else None
    return jsonify(services.auction_dict(_auction(auction_id), viewer=viewer))


@bp.post("/auctions/<int:auction_id>/bids")
def auctions_bid(auction_id: int):
    """出价 / 摘牌: 201 when accepted; 400/403/409 with the reason otherwise."""
    user = api_user()
    data = json_body()
    amount = data.get("amount_wan")
    try:
        bid = services.place_bid(db.session, auction_id, user, amount)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _audit_refusal(auction_id, user, amount, exc)
        raise
    except IntegrityError:
        # The unique constraints caught a race the lock should have prevented.
        db.session.rollback()
        exc = DomainError("该价格已被他人抢先出价，请刷新后重新出价", "amount_wan", status=409)
        _audit_refusal(auction_id, user, amount, exc)
        raise exc from None
    auction = db.session.get(Auction, auction_id)
    body = services.auction_dict(auction, viewer=user)
    body["bid"] = {"seq": bid.seq, "amount_wan": bid.amount_wan, "at": body["bids"][bid.seq - 1]["at"]}
    return jsonify(body), 201


def _audit_refusal(auction_id: int, user, amount, exc: DomainError) -> None:
    if db.session.get(Auction, auction_id) is None:
        return
    services.audit_rejected_bid(db.session, auction_id, user, amount, exc)
    db.session.commit()


@bp.post("/auctions/<int:auction_id>/withdraw")
def auctions_withdraw(auction_id: int):
    """撤牌 (brokers; only before the first bid; `reason` required)."""
    user = api_user()
    data = json_body()
    auction = write(lambda: services.withdraw(db.session, auction_id, user, data.get("reason")))
    return jsonify(services.auction_dict(auction))


@bp.post("/auctions/<int:auction_id>/deposits")
def auctions_deposit(auction_id: int):
    """登记保证金 for an enterprise (`organization_id`)."""
    user = api_user()
    data = json_body()
    try:
        org_id = int(data.get("organization_id"))
    except (TypeError, ValueError):
        raise DomainError("请填写企业编号 organization_id（整数）", "organization_id") from None
    dep = write(lambda: services.record_deposit(db.session, _auction(auction_id), user, org_id))
    return jsonify({"id": dep.id, "auction_id": auction_id, "organization_id": dep.organization_id}), 201


@bp.post("/auctions/<int:auction_id>/close")
def auctions_close(auction_id: int):
    """成交公示 / 流拍 once the end has passed (brokers); `flask auctions close-due` does the same."""
    user = api_user()
    if not services.is_broker(user):
        raise DomainError("只有技术经纪人或管理员可以结束竞价", status=403)
    auction = services.lock_auction(db.session, auction_id)
    if auction is None:
        raise DomainError("挂牌/竞价不存在", status=404)
    auction = write(lambda: services.close_auction(db.session, auction, actor=user))
    return jsonify(services.auction_dict(auction))


# ---------------------------------------------------------------- investors / 投资机构


def _investor(investor_id: int):
    from matchmaker.trading.investors import Investor

    inv = db.session.get(Investor, investor_id)
    if inv is None:
        raise DomainError("投资机构不存在", status=404)
    return inv


@bp.get("/investors")
def investors_list():
    """投资机构列表 (fund_type)."""
    from matchmaker.trading.investors import FUND_TYPES, Investor, investor_dict

    query = select(Investor).order_by(Investor.id)
    fund_type = request.args.get("fund_type")
    if fund_type:
        if fund_type not in FUND_TYPES:
            raise DomainError("fund_type 须为 angel、vc、pe 或 guidance", "fund_type")
        query = query.where(Investor.fund_type == fund_type)
    return jsonify({"items": [investor_dict(i) for i in db.session.scalars(query)]})


@bp.post("/investors")
def investors_create():
    """登记投资机构画像 (investor users for themselves; brokers on behalf of one)."""
    from matchmaker.trading.investors import investor_dict, save_investor

    inv = write(lambda: save_investor(db.session, api_user(), json_body()))
    return jsonify(investor_dict(inv)), 201


@bp.put("/investors/<int:investor_id>")
def investors_update(investor_id: int):
    from matchmaker.trading.investors import investor_dict, save_investor

    inv = write(lambda: save_investor(db.session, api_user(), json_body(), _investor(investor_id)))
    return jsonify(investor_dict(inv))


@bp.get("/results/<int:result_id>/investors")
def result_investors(result_id: int):
    """为成果推荐投资机构: ranked with explanations (brokers, admins, the result's organisation)."""
    from matchmaker.postings.models import Result
    from matchmaker.trading.investors import investor_dict, rank_investors_for_result, result_trl

    user = api_user()
    result = db.session.get(Result, result_id)
    if result is None or (result.status != "published" and not services.is_broker(user)):
        raise DomainError("科技成果不存在", status=404)
    if not (
        services.is_broker(user) or user.organization_id == result.organization_id or user.role == "investor"
    ):
        raise DomainError("只有技术经纪人、成果方或投资机构可以查看投资机构推荐", status=403)
    top = int_arg(request.args, "top", 10, 1, 100)
    ranked = rank_investors_for_result(db.session, result, top=top)
    return jsonify(
        {
            "result_id": result.id,
            "trl": result_trl(result),
            "items": [
                {
                    "investor": investor_dict(r.investor),
                    "score": round(r.score, 4),
                    "components": {k: round(v, 4) for k, v in r.components.items()},
                    "explanation": r.explanation,
                }
                for r in ranked
            ],
        }
    )


@bp.get("/interests")
def interests_list():
    """投资意向看板 (brokers see all; an investor sees its own)."""
    from matchmaker.trading.investors import INTEREST_STAGES, Interest, Investor, interest_dict

    user = api_user()
    query = select(Interest).order_by(Interest.updated_at.desc(), Interest.id.desc())
    if not services.is_broker(user):
        if user.role != "investor":
            raise DomainError("只有技术经纪人或投资机构可以查看投资意向", status=403)
        query = query.join(Investor).where(Investor.user_id == user.id)
    stage = request.args.get("stage")
    if stage:
        if stage not in INTEREST_STAGES:
            raise DomainError("stage 须为 intent、meeting、diligence、invested 或 dropped", "stage")
        query = query.where(Interest.stage == stage)
    return jsonify({"items": [interest_dict(i) for i in db.session.scalars(query)]})


@bp.post("/investors/<int:investor_id>/interests")
def interests_create(investor_id: int):
    """登记投资意向 (`result_id`, optional `talk_id` and `note`)."""
    from matchmaker.postings.models import Result
    from matchmaker.trading.investors import interest_dict, record_interest

    user = api_user()
    data = json_body()
    try:
        result = db.session.get(Result, int(data.get("result_id")))
    except (TypeError, ValueError):
        raise DomainError("请填写科技成果编号 result_id（整数）", "result_id") from None
    if result is None:
        raise DomainError("科技成果不存在", "result_id", status=404)
    talk_id = data.get("talk_id")
    interest = write(
        lambda: record_interest(db.session, user, _investor(investor_id), result, talk_id, data.get("note"))
    )
    return jsonify(interest_dict(interest)), 201


@bp.post("/interests/<int:interest_id>/stage")
def interests_move(interest_id: int):
    """约谈 / 尽调 / 投资 (`amount_wan`, `share_pct`) / 放弃 (`note`)."""
    from matchmaker.trading.investors import Interest, interest_dict, move_interest

    user = api_user()
    interest = db.session.get(Interest, interest_id)
    if interest is None:
        raise DomainError("投资意向不存在", status=404)
    data = json_body()
    interest = write(
        lambda: move_interest(
            db.session,
            user,
            interest,
            data.get("to_stage"),
            amount_wan=data.get("amount_wan"),
            share_pct=data.get("share_pct"),
            note=data.get("note"),
        )
    )
    return jsonify(interest_dict(interest))


# ---------------------------------------------------------------- rights / 赋权


def _flag(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("0", "1", "true", "false"):
        raise DomainError(f"参数 {name} 须为 1 或 0", name)
    return raw in ("1", "true")


@bp.get("/results/<int:result_id>/rights")
def result_rights(result_id: int):
    """成果权属 (anyone who may see the result)."""
    from matchmaker.postings.models import Result
    from matchmaker.trading.rights import Rights, rights_dict

    result = db.session.get(Result, result_id)
    if result is None:
        raise DomainError("科技成果不存在", status=404)
    rights = db.session.scalar(select(Rights).where(Rights.result_id == result_id))
    return jsonify(rights_dict(rights) if rights else {"result_id": result_id, "ownership_mode": None})


@bp.put("/results/<int:result_id>/rights")
def result_rights_set(result_id: int):
    """登记/修改赋权: ownership_mode, inventor_shares, use_term_years, separately_managed, carrier_company."""
    from matchmaker.postings.models import Result
    from matchmaker.trading.rights import rights_dict, set_rights

    user = api_user()
    result = db.session.get(Result, result_id)
    if result is None:
        raise DomainError("科技成果不存在", status=404)
    rights = write(lambda: set_rights(db.session, user, result, json_body()))
    return jsonify(rights_dict(rights))


@bp.get("/rights")
def rights_list():
    """权属筛选 for brokers (mode, separately_managed, has_carrier)."""
    from matchmaker.trading.rights import rights_dict, rights_query

    user = api_user()
    if not services.is_broker(user):
        raise DomainError("只有技术经纪人或管理员可以查看权属台账", status=403)
    query = rights_query(request.args.get("mode"), _flag("separately_managed"), _flag("has_carrier"))
    return jsonify({"items": [rights_dict(r) for r in db.session.scalars(query)]})


# ---------------------------------------------------------------- 拨投结合


@bp.get("/projects/<int:project_id>/conversions")
def project_conversions(project_id: int):
    """拨投结合条款与转股记录 of a grant project."""
    from matchmaker.trading.conversions import Conversion, conversion_dict

    api_user()
    rows = db.session.scalars(
        select(Conversion).where(Conversion.project_id == project_id).order_by(Conversion.id)
    )
    return jsonify({"items": [conversion_dict(c) for c in rows]})


@bp.post("/projects/<int:project_id>/conversions")
def project_conversions_add(project_id: int):
    """约定条款: `milestone_id`, `fund_name`, `amount_wan`, `share_pct` (brokers/admins)."""
    from matchmaker.challenges.models import Project
    from matchmaker.trading.conversions import add_clause, conversion_dict

    user = api_user()
    project = db.session.get(Project, project_id)
    if project is None:
        raise DomainError("立项项目不存在", status=404)
    clause = write(lambda: add_clause(db.session, user, project, json_body()))
    return jsonify(conversion_dict(clause)), 201


@bp.get("/conversions/totals")
def conversions_totals():
    """按基金、按产业立题的拨投结合合计 (admins and brokers)."""
    from matchmaker.trading.conversions import totals

    if not services.is_broker(api_user()):
        raise DomainError("只有技术经纪人或管理员可以查看拨投结合合计", status=403)
    return jsonify(totals(db.session))
