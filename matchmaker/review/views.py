"""Broker workspace (经纪人工作台) and the parties' "我的撮合" page. Thin: services do the work."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from matchmaker.accounts.permissions import roles_required
from matchmaker.constants import REGIONS
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Field, Need, Result
from matchmaker.review import export, services
from matchmaker.review.forms import DecisionForm, FollowUpForm, ManualMatchForm, RespondForm, StageForm
from matchmaker.review.models import REASONS, STAGES, FollowUp, Match
from matchmaker.review.services import QueueFilter
from matchmaker.security import is_db_id, safe_next

bp = Blueprint("review", __name__, url_prefix="/review")

QUEUE_PAGE = 25  # a page a broker can work through without scrolling 25,000 px
PICK_LIMIT = 10


def _filter() -> QueueFilter:
    try:
        return QueueFilter.from_args(request.args)
    except DomainError as exc:
        abort(400, exc.message)


def _filter_choices() -> dict:
    fields = db.session.scalars(
        select(Field.name).where(Field.active).order_by(Field.sort_order, Field.id)
    ).all()
    statuses = {**QueueFilter.STATUSES, **STAGES}
    return {"fields": fields, "regions": REGIONS, "statuses": statuses}


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    if exc.status == 403:
        abort(403, exc.message)
    flash(exc.message, "error")


def _back(default: str):
    return redirect(safe_next(request.form.get("next"), default))


@bp.route("/")
@roles_required("broker", "admin")
def queue():
    """审核队列: proposals in the broker's fields/regions, best score and oldest need first."""
    flt = _filter()
    page = db.paginate(
        services.queue_query(current_user, flt),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=QUEUE_PAGE,
        error_out=False,
    )
    return render_template(
        "review/queue.html",
        matches=page.items,
        page=page,
        total=page.total,
        flt=flt,
        form=DecisionForm(),
        reasons=REASONS,
        follow_ups=services.due_follow_ups(db.session, broker=current_user),
        **_filter_choices(),
    )


@bp.route("/decide", methods=["POST"])
@roles_required("broker", "admin")
def decide():
    """Accept/reject one match or a bulk selection (ids comma-separated or repeated)."""
    form = DecisionForm()
    if request.form.get("reject_reason"):  # one tap on a reason in the 不通过 menu
        form.decision.data, form.reason.data = "reject", request.form["reject_reason"]
    raw = request.form.getlist("ids") + request.form.getlist("match_id")
    ids = sorted({int(x) for part in raw for x in part.split(",") if is_db_id(x.strip())})
    if not ids:
        flash("请先选择要审核的撮合", "error")
        return _back(url_for("review.queue"))
    if not form.validate():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(url_for("review.queue"))
    done = 0
    try:
        for match_id in ids:
            match = db.session.get(Match, match_id) or abort(404)
            services.decide(
                db.session, match, current_user, form.decision.data, form.reason.data, form.note.data
            )
            done += 1
    except DomainError as exc:
        _fail(exc)
        return _back(url_for("review.queue"))
    db.session.commit()
    flash(f"已{'通过' if form.decision.data == 'accept' else '驳回'} {done} 条撮合", "success")
    return _back(url_for("review.queue"))


def _posting_by_ref(model, ref: str):
    ref = (ref or "").strip()
    cond = model.external_id == ref
    if is_db_id(ref):
        cond = or_(cond, model.id == int(ref))
    return db.session.scalar(select(model).where(cond))


@bp.route("/manual", methods=["GET", "POST"])
@roles_required("broker", "admin")
def manual():
    """手工添加: a pair the ranker missed."""
    form = ManualMatchForm(data={"need": request.args.get("need", "")} if request.method == "GET" else None)
    if form.validate_on_submit():
        need = _posting_by_ref(Need, form.need.data)
        result = _posting_by_ref(Result, form.result.data)
        if need is None:
            form.need.errors.append("找不到该需求")
        if result is None:
            form.result.errors.append("找不到该成果")
        if need and result:
            try:
                match = services.add_manual(db.session, need, result, current_user, form.note.data)
            except DomainError as exc:
                db.session.rollback()
                getattr(form, {"result_id": "result"}.get(exc.field, "note")).errors.append(exc.message)
            else:
                db.session.commit()
                flash("已添加撮合（记为推荐遗漏），请审核", "success")
                return redirect(url_for("review.detail", match_id=match.id))
    return render_template("review/manual.html", form=form)


@bp.route("/pick/<any(need, result):kind>")
@roles_required("broker", "admin")
def pick(kind):
    """Search-as-you-type for 手工添加撮合: postings whose title or external id contain q."""
    model = Need if kind == "need" else Result
    q = (request.args.get("q") or "").strip()[:100]
    if not q:
        return jsonify({"items": []})
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.session.scalars(
        select(model)
        .where(or_(model.title.ilike(like, escape="\\"), model.external_id.ilike(like, escape="\\")))
        .order_by(model.updated_at.desc())
        .limit(PICK_LIMIT)
    ).all()
    return jsonify(
        {
            "items": [
                {
                    "ref": o.external_id,
                    "title": o.title,
                    "organization": o.organization.name,
                    "status": o.status,
                }
                for o in rows
            ]
        }
    )


@bp.route("/pipeline")
@roles_required("broker", "admin")
def pipeline():
    """看板: accepted matches by stage."""
    flt = _filter()
    flt.status = request.args.get("status") or "accepted"
    matches = db.session.scalars(services.queue_query(current_user, flt).limit(1000)).all()
    columns = {
        s: [m for m in matches if m.stage == s] for s in STAGES if s not in ("proposed", "broker_review")
    }
    return render_template("review/pipeline.html", columns=columns, flt=flt, **_filter_choices())


@bp.route("/export.<fmt>")
@roles_required("broker", "admin")
def export_pipeline(fmt):
    """台账导出, filtered like the queue (default: every status)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    flt = _filter()
    flt.status = request.args.get("status") or "all"
    matches = db.session.scalars(services.queue_query(current_user, flt)).all()
    data = export.rows(current_user, matches)
    stamp = datetime.now().strftime("%Y%m%d")
    if fmt == "csv":
        body, mime = export.to_csv(data), "text/csv; charset=utf-8"
    else:
        body, mime = export.to_xlsx(data), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f"attachment; filename=pipeline-{stamp}.{fmt}"}
    )


def _viewable(match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None:
        abort(404)
    if not services.can_view(current_user, match):
        abort(403)
    return match


@bp.route("/match/<int:match_id>")
@login_required
def detail(match_id):
    match = _viewable(match_id)
    side = services.party_side(current_user, match)
    broker = services.is_broker(current_user)
    stage_form = StageForm(formdata=None)
    # 双方确认 and 对接洽谈 follow from the decision and the confirmations, not from this form.
    stage_form.to_stage.choices = [
        (s, STAGES[s])
        for s in STAGES
        if s in services.TRANSITIONS[match.stage] and s not in ("confirmation", "negotiation")
    ]
    return render_template(
        "review/detail.html",
        m=match,
        side=side,
        broker=broker,
        contacts={s: services.visible_contact(current_user, match, s) for s in ("need", "result")},
        decision_form=DecisionForm(),
        stage_form=stage_form,
        respond_form=RespondForm(),
        follow_form=FollowUpForm(),
        reasons=REASONS,
    )


@bp.route("/match/<int:match_id>/stage", methods=["POST"])
@roles_required("broker", "admin")
def stage(match_id):
    match = _viewable(match_id)
    form = StageForm()
    form.to_stage.choices = list(STAGES.items())
    if not form.validate():
        flash("；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("review.detail", match_id=match.id))
    try:
        services.advance(
            db.session,
            match,
            form.to_stage.data,
            current_user,
            form.reason.data,
            contract_type=form.contract_type.data or None,
            amount_wan=form.amount_wan.data,
            signed_on=form.signed_on.data,
            buyer=form.buyer.data,
            seller=form.seller.data,
            registration_no=form.registration_no.data,
        )
    except DomainError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(f"已推进到「{match.stage_label}」", "success")
    return redirect(url_for("review.detail", match_id=match.id))


@bp.route("/match/<int:match_id>/respond", methods=["POST"])
@login_required
def respond(match_id):
    """双方确认: the party confirms interest or declines with a reason."""
    match = _viewable(match_id)
    form = RespondForm()
    if not form.validate():
        flash("答复无效", "error")
        return _back(url_for("review.mine"))
    try:
        services.respond(db.session, match, current_user, form.answer.data == "confirm", form.reason.data)
    except DomainError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash("已确认对接意向" if form.answer.data == "confirm" else "已婉拒，对方将看到您的原因", "success")
    return _back(url_for("review.mine"))


@bp.route("/followup/<int:follow_up_id>", methods=["POST"])
@roles_required("broker", "admin")
def follow_up(follow_up_id):
    fu = db.session.get(FollowUp, follow_up_id) or abort(404)
    form = FollowUpForm()
    try:
        services.complete_follow_up(db.session, fu, current_user, form.note.data)
    except DomainError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash("已记录回访", "success")
    return _back(url_for("review.detail", match_id=fu.match_id))


@bp.route("/mine")
@login_required
def mine():
    """我的撮合: matches a broker accepted for my organisation's postings."""
    matches = services.my_matches(db.session, current_user)
    items = [(m, services.party_side(current_user, m)) for m in matches]
    return render_template(
        "review/mine.html",
        items=items,
        respond_form=RespondForm(),
        contacts={m.id: services.visible_contact(current_user, m, services.other(s)) for m, s in items},
    )


@bp.app_template_filter("stage_label")
def stage_label(value: str | None) -> str:
    return STAGES.get(value or "", value or "")
