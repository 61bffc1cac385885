"""Pages for application scenarios (应用场景): list, publish, detail with ranked results,
apply, the publisher's applications, the trace page and exports."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.localtime import local_str
from matchmaker.postings.models import Field, Result
from matchmaker.providers import export
from matchmaker.scenarios import services
from matchmaker.scenarios.forms import AdvanceForm, ApplyForm, ScenarioForm
from matchmaker.scenarios.models import (
    APPLICATION_STATUSES,
    NEXT_STATUSES,
    SCENARIO_STATUSES,
    Application,
    Scenario,
)
from matchmaker.scenarios.ranking import rank_enterprises_for_scenario, rank_results_for_scenario
from matchmaker.submissions import web as submissions
from matchmaker.webforms import save_form

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
log = logging.getLogger(__name__)
SCENARIO_HEADERS = [
    "编号",
    "场景名称",
    "领域",
    "发布单位",
    "城市",
    "地点",
    "预算（万元）",
    "周期",
    "场景提供",
    "状态",
    "发布时间",
]
APPLICATION_HEADERS = ["申报编号", "场景", "申报单位", "申报成果", "状态", "申报方案", "申报时间", "最近一步"]


@bp.route("/")
def index():
    page = db.paginate(
        services.list_query({}),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template("scenarios/list.html", page=page, can_publish=services.can_publish(current_user))


@bp.route("/export.<fmt>")
def export_scenarios(fmt: str):
    """The open scenarios as CSV or Excel (what the list shows; no contact details)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = [
        [
            s.external_id,
            s.title,
            s.field.name,
            s.organization.name,
            s.region or "",
            s.place or "",
            "面议" if s.budget_wan is None else f"{s.budget_wan:g}",
            f"{s.period_start or ''}–{s.period_end or ''}" if s.period_start or s.period_end else "",
            "、".join(s.offers or []),
            SCENARIO_STATUSES.get(s.status, s.status),
            local_str(s.created_at),
        ]
        for s in db.session.scalars(services.list_query({}))
    ]
    return export.response(fmt, SCENARIO_HEADERS, rows, "scenarios", "应用场景")


@bp.route("/new", methods=["GET", "POST"])
@login_required
@submissions.once("应用场景")
def new():
    if not services.can_publish(current_user):
        abort(403)
    form = ScenarioForm()
    form.field.choices = [("", "请选择领域")] + [
        (f.name, f.name)
        for f in db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order))
    ]

    def create():
        data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit", "submit_token")}
        obj = services.create_scenario(
            db.session, data, organization=current_user.organization, owner=current_user
        )
        submissions.claim(url_for("scenarios.detail", scenario_id=obj.id))
        return obj

    obj = save_form(form, create)
    if obj is not None:
        flash("应用场景已发布", "success")
        return redirect(url_for("scenarios.detail", scenario_id=obj.id))
    return render_template("scenarios/form.html", form=form)


def _scenario(scenario_id: int) -> Scenario:
    obj = db.session.get(Scenario, scenario_id)
    if obj is None:
        abort(404)
    return obj


@bp.route("/<int:scenario_id>")
def detail(scenario_id: int):
    s = _scenario(scenario_id)
    try:
        matches = rank_results_for_scenario(db.session, s, 8)
        enterprises = rank_enterprises_for_scenario(db.session, s, 5)
    except Exception:  # the page must render without the engine
        log.exception("matches for scenario %s failed", s.id)
        matches = enterprises = None
    manage = services.can_manage(current_user, s)
    apps = []
    if current_user.is_authenticated:
        stmt = select(Application).where(Application.scenario_id == s.id).order_by(Application.id)
        if not manage:
            stmt = stmt.where(Application.organization_id == current_user.organization_id)
        apps = db.session.scalars(stmt).all()
    return render_template(
        "scenarios/detail.html",
        scenario=s,
        matches=matches,
        enterprises=enterprises,
        can_manage=manage,
        show_contact=manage,
        applications=apps,
        can_apply=current_user.is_authenticated
        and s.status == "open"
        and current_user.organization_id != s.organization_id,
    )


@bp.route("/<int:scenario_id>/apply", methods=["GET", "POST"])
@login_required
@submissions.once("申报")
def apply(scenario_id: int):
    s = _scenario(scenario_id)
    form = ApplyForm()
    mine = db.session.scalars(
        select(Result).where(
            Result.organization_id == current_user.organization_id, Result.status == "published"
        )
    ).all()
    form.result.choices = [("", "不关联成果")] + [(str(r.id), r.title) for r in mine]
    if form.validate_on_submit():
        result = db.session.get(Result, int(form.result.data)) if (form.result.data or "").isdigit() else None
        try:
            app = services.apply(db.session, current_user, s, form.proposal.data, result)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "proposal", form.proposal).errors.append(exc.message)
        else:
            submissions.claim(url_for("scenarios.trace", app_id=app.id))
            db.session.commit()
            flash("申报已提交", "success")
            return redirect(url_for("scenarios.trace", app_id=app.id))
    return render_template("scenarios/apply.html", form=form, scenario=s)


def _application(app_id: int) -> Application:
    app = db.session.get(Application, app_id)
    if app is None:
        abort(404)
    if not services.can_see_application(current_user, app):
        abort(403)
    return app


@bp.route("/applications/<int:app_id>")
@login_required
def trace(app_id: int):
    app = _application(app_id)
    return render_template(
        "scenarios/trace.html",
        app=app,
        statuses=APPLICATION_STATUSES,
        next_statuses=NEXT_STATUSES[app.status] if services.can_manage(current_user, app.scenario) else (),
        form=AdvanceForm(),
    )


@bp.route(
    "/applications/<int:app_id>/<any(shortlisted, piloting, demonstration, rejected):status>",
    methods=["POST"],
)
@login_required
def advance(app_id: int, status: str):
    app = _application(app_id)
    if not services.can_manage(current_user, app.scenario):
        abort(403)
    form = AdvanceForm()
    try:
        services.advance(db.session, current_user, app, status, form.note.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(f"已更新为：{APPLICATION_STATUSES[status]}", "success")
    return redirect(url_for("scenarios.trace", app_id=app.id))


@bp.route("/<int:scenario_id>/applications.<fmt>")
@login_required
def export_applications(scenario_id: int, fmt: str):
    s = _scenario(scenario_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    if not services.can_manage(current_user, s):
        abort(403)
    apps = db.session.scalars(
        select(Application).where(Application.scenario_id == s.id).order_by(Application.id)
    )
    rows = [
        [
            a.id,
            s.title,
            a.organization.name,
            a.result.title if a.result else "",
            APPLICATION_STATUSES[a.status],
            a.proposal,
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.events[-1].at.strftime("%Y-%m-%d %H:%M") if a.events else "",
        ]
        for a in apps
    ]
    return export.response(fmt, APPLICATION_HEADERS, rows, f"scenario-{s.id}-applications", "场景申报")
