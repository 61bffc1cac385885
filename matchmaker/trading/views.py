"""挂牌交易 / 竞价拍卖 pages: list, live auction room, new listing, Excel export."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.accounts.permissions import roles_required
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Result
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


@bp.app_template_global("rights_editable")
def rights_editable(result) -> bool:
    """Whether the signed-in user may edit this result's rights (赋权), for the result page."""
    from matchmaker.trading.rights import can_edit_rights

    return can_edit_rights(current_user, result)


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
    from matchmaker.trading.forms import InterestStageForm

    return render_template(
        "trading/investors.html",
        funds=funds,
        interests=interests,
        stages=INTEREST_STAGES,
        stage_form=InterestStageForm,
    )


@bp.route("/investor/profile", methods=["GET", "POST"])
@roles_required("investor")
def investor_profile():
    """投资机构画像 (the investor's own, twin of POST/PUT /api/v1/investors), its interests and
    the interest pipeline; a new interest in a result is recorded here too."""
    from matchmaker.trading.forms import InterestForm, InterestStageForm, InvestorForm
    from matchmaker.trading.investors import (
        INTEREST_STAGES,
        Interest,
        Investor,
        record_interest,
        save_investor,
    )

    inv = db.session.scalar(select(Investor).where(Investor.user_id == current_user.id).order_by(Investor.id))
    form = InvestorForm(prefix="p")
    if request.method == "GET" and inv is not None:
        form.fill(inv)
    interest_form = InterestForm(prefix="i")
    if form.submit.data:
        saved = save_form(form, lambda: save_investor(db.session, current_user, form.data_for_service(), inv))
        if saved is not None:
            flash("投资机构画像已保存", "success")
            return redirect(url_for("trading.investor_profile"))
    elif inv is not None and interest_form.submit.data:

        def record():
            result = db.session.get(Result, interest_form.result_id.data)
            if result is None or result.status != "published":
                raise DomainError("科技成果不存在或未发布", "result_id", status=404)
            return record_interest(db.session, current_user, inv, result, note=interest_form.note.data)

        if save_form(interest_form, record) is not None:
            flash("已登记投资意向", "success")
            return redirect(url_for("trading.investor_profile"))
    interests = (
        db.session.scalars(
            select(Interest).where(Interest.investor_id == inv.id).order_by(Interest.updated_at.desc())
        ).all()
        if inv
        else []
    )
    return render_template(
        "trading/investor_profile.html",
        investor=inv,
        form=form,
        interest_form=interest_form,
        interests=interests,
        stage_form=InterestStageForm,
        stage_labels=INTEREST_STAGES,
    )


@bp.post("/interests/<int:interest_id>/stage")
@roles_required("investor", "broker", "admin")
def interest_stage(interest_id: int):
    """推进投资意向 (page twin of POST /api/v1/interests/<id>/stage); refusals are 403."""
    from matchmaker.trading.forms import InterestStageForm
    from matchmaker.trading.investors import INTEREST_STAGES, Interest, move_interest

    interest = db.session.get(Interest, interest_id)
    if interest is None:
        abort(404)
    if not (services.is_broker(current_user) or interest.investor.user_id == current_user.id):
        abort(403)
    form = InterestStageForm(prefix=f"s{interest.id}")
    moved = save_form(
        form,
        lambda: move_interest(
            db.session,
            current_user,
            interest,
            form.to_stage.data,
            amount_wan=form.amount_wan.data,
            share_pct=form.share_pct.data,
            note=form.note.data,
        ),
    )
    if moved is not None:
        flash(f"已推进到「{INTEREST_STAGES[moved.stage]}」", "success")
    else:
        errors = [e for f in form for e in f.errors] + list(form.form_errors)
        flash("；".join(errors) or "请检查填写的内容", "danger")
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/trading/") else url_for("trading.investors"))


@bp.route("/results/<int:result_id>/rights", methods=["GET", "POST"])
@login_required
def result_rights(result_id: int):
    """成果权属（赋权）表单: the result's own organisation or a broker; twin of
    PUT /api/v1/results/<id>/rights. Every change is audited with before/after."""
    from matchmaker.trading.forms import RightsForm
    from matchmaker.trading.rights import Rights, can_edit_rights, set_rights

    result = db.session.get(Result, result_id)
    if result is None:
        abort(404)
    if not can_edit_rights(current_user, result):
        abort(403)
    rights = db.session.scalar(select(Rights).where(Rights.result_id == result.id))
    form = RightsForm()
    if request.method == "GET" and rights is not None:
        form.fill(rights)
    if save_form(form, lambda: set_rights(db.session, current_user, result, form.data_for_service())):
        flash("权属信息已保存", "success")
        return redirect(url_for("trading.result_rights", result_id=result.id))
    return render_template("trading/result_rights.html", result=result, rights=rights, form=form)
