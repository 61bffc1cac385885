"""挂牌交易 / 竞价拍卖 pages: list, live auction room, new listing, Excel export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from matchmaker.accounts.permissions import roles_required
from matchmaker.extensions import db
from matchmaker.submissions import web as submissions
from matchmaker.trading import export, services
from matchmaker.trading.forms import AuctionForm
from matchmaker.trading.models import MODES, STATUSES, Auction
from matchmaker.webforms import save_form

bp = Blueprint("trading", __name__, url_prefix="/trading")


@bp.app_template_filter("wan_num")
def wan_num(value) -> str:
    """万元 without trailing zeros, as the live view's JavaScript shows them (100, 112.5)."""
    if value is None:
        return "—"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _filtered():
    query = select(Auction).order_by(Auction.ends_at.desc(), Auction.id.desc())
    status, mode = request.args.get("status"), request.args.get("mode")
    if status in STATUSES:
        query = query.where(Auction.status == status)
    if mode in MODES:
        query = query.where(Auction.mode == mode)
    return query


@bp.app_template_global("grant_conversion")
def grant_conversion(milestone):
    """拨投结合 clause of a milestone, for the trace page (None when there is none)."""
    from matchmaker.trading.conversions import Conversion

    return db.session.scalar(select(Conversion).where(Conversion.milestone_id == milestone.id))


@bp.app_template_global("grant_conversion_totals")
def grant_conversion_totals():
    from matchmaker.trading.conversions import totals

    return totals(db.session)


@bp.get("/auctions")
def auctions():
    items = db.session.scalars(_filtered().limit(200)).all()
    return render_template(
        "trading/list.html",
        auctions=items,
        statuses=STATUSES,
        modes=MODES,
        phase=services.phase,
        phases=services.PHASES,
        is_broker=services.is_broker(current_user),
    )


@bp.get("/auctions/<int:auction_id>")
def auction(auction_id: int):
    item = db.session.get(Auction, auction_id)
    if item is None:
        abort(404)
    return render_template(
        "trading/auction.html",
        auction=item,
        state=services.auction_dict(item, viewer=current_user),
        can_bid=services.can_bid(current_user),
        is_broker=services.is_broker(current_user),
    )


@bp.route("/auctions/new", methods=["GET", "POST"])
@roles_required("broker", "admin")
@submissions.once("拍卖/挂牌")
def new():
    form = AuctionForm()
    if request.method == "GET" and request.args.get("result_id", "").isdigit():
        form.result_id.data = int(request.args["result_id"])

    def create():
        auction = services.create_auction(db.session, current_user, form.data_for_service())
        submissions.claim(url_for("trading.auction", auction_id=auction.id))
        return auction

    created = save_form(form, create)
    if created is not None:
        return redirect(url_for("trading.auction", auction_id=created.id))
    return render_template("trading/new.html", form=form)


@bp.get("/auctions/export.xlsx")
@roles_required("broker", "admin")
def export_xlsx():
    items = db.session.scalars(_filtered()).all()
    return Response(
        export.workbook(items),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=auctions.xlsx"},
    )


@bp.get("/rights")
@roles_required("broker", "admin")
def rights():
    """成果权属台账 for brokers, filterable, with its Excel export."""
    from matchmaker.trading.rights import OWNERSHIP_MODES, rights_query, workbook

    mode = request.args.get("mode") if request.args.get("mode") in OWNERSHIP_MODES else None
    flag = {"1": True, "0": False}.get(request.args.get("separately_managed", ""))
    rows = db.session.scalars(rights_query(mode, flag)).all()
    if request.args.get("format") == "xlsx":
        return Response(
            workbook(rows),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": "attachment; filename=rights.xlsx"},
        )
    return render_template("trading/rights.html", rows=rows, modes=OWNERSHIP_MODES)


@bp.get("/investors")
@roles_required("broker", "admin")
def investors():
    """投资机构与投资意向看板 for brokers, with its Excel export."""
    from matchmaker.trading.investors import INTEREST_STAGES, Interest, Investor, workbook

    stage = request.args.get("stage") if request.args.get("stage") in INTEREST_STAGES else None
    query = select(Interest).order_by(Interest.updated_at.desc(), Interest.id.desc())
    if stage:
        query = query.where(Interest.stage == stage)
    interests = db.session.scalars(query).all()
    funds = db.session.scalars(select(Investor).order_by(Investor.id)).all()
    if request.args.get("format") == "xlsx":
        return Response(
            workbook(funds, interests),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": "attachment; filename=investors.xlsx"},
        )
    return render_template("trading/investors.html", funds=funds, interests=interests, stages=INTEREST_STAGES)
