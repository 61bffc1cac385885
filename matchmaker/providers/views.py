"""Pages for providers (科技服务机构), the 下一步 panel and service requests (服务申请)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.constants import REGIONS, TRL_LEVELS
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Field, Result
from matchmaker.providers import export, services
from matchmaker.providers.forms import DecideForm, ProviderForm, RaiseTrlForm, RequestForm
from matchmaker.providers.models import PROVIDER_TYPES, REQUEST_STATUSES, Provider, ServiceRequest
from matchmaker.providers.ranking import rank_providers_for_result
from matchmaker.submissions import web as submissions
from matchmaker.webforms import save_form

bp = Blueprint("providers", __name__, url_prefix="/providers")
log = logging.getLogger(__name__)


@bp.app_template_global()
def next_steps(result, top: int = 5):
    """The 下一步 panel's providers, or None when ranking is unavailable."""
    try:
        return rank_providers_for_result(db.session, result, top)
    except Exception:  # the page must still render without the engine
        log.exception("next steps for result %s failed", result.id)
        return None


@bp.route("/")
def index():
    args = {k: request.args.get(k, "").strip() for k in ("type", "field", "region", "trl", "q")}
    problems = []
    while True:
        try:
            filters = services.validate_filters(db.session, args)
            break
        except DomainError as exc:
            problems.append(exc.message)
            args[exc.field or "q"] = ""
    page = db.paginate(
        services.list_query(filters),
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    fields = db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()
    return render_template(
        "providers/list.html",
        page=page,
        args=args,
        problems=problems,
        types=PROVIDER_TYPES,
        fields=fields,
        regions=REGIONS,
        trl_levels=TRL_LEVELS,
        can_create=services.can_create_provider(db.session, current_user),
    )


@bp.route("/export.<fmt>")
def export_providers(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    providers = db.session.scalars(services.list_query({})).all()
    return export.response(
        fmt, export.PROVIDER_HEADERS, export.provider_rows(providers), "providers", "科技服务机构"
    )


def _provider(provider_id: int) -> Provider:
    obj = db.session.get(Provider, provider_id)
    if obj is None or (obj.status != "published" and not services.can_manage_provider(current_user, obj)):
        abort(404)
    return obj


@bp.route("/<int:provider_id>")
def detail(provider_id: int):
    p = _provider(provider_id)
    mine = []
    if current_user.is_authenticated:
        mine = db.session.scalars(
            select(Result)
            .where(Result.organization_id == current_user.organization_id, Result.status == "published")
            .order_by(Result.title)
        ).all()
    return render_template(
        "providers/detail.html",
        provider=p,
        show_contact=services.can_see_provider_contact(current_user, p),
        can_manage=services.can_manage_provider(current_user, p),
        my_results=[r for r in mine if p.serves(r.trl)],
        trl_levels=TRL_LEVELS,
    )


def _provider_form(obj: Provider | None = None) -> ProviderForm:
    form = ProviderForm(obj=obj) if obj is not None else ProviderForm()
    fields = list(db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)))
    if obj is not None and obj.field not in fields:
        fields.append(obj.field)  # a field deactivated since stays selectable
    form.field.choices = [("", "请选择领域")] + [(f.name, f.name) for f in fields]
    if request.method == "GET":
        if obj is not None:  # stored lists and relations as text
            form.field.data = obj.field.name
            for key in ("other_fields", "capabilities", "equipment"):
                getattr(form, key).data = "、".join(getattr(obj, key) or [])
            for key in ("stage_from", "stage_to"):
                getattr(form, key).data = str(getattr(obj, key))
            for key in ("capacity_per_year", "lead_time_days"):
                value = getattr(obj, key)
                getattr(form, key).data = "" if value is None else str(value)
            for key in ("fee_min_wan", "fee_max_wan"):
                value = getattr(obj, key)
                getattr(form, key).data = "" if value is None else f"{value:g}"
        elif not current_user.is_staff:
            form.region.data = current_user.organization.region
    if obj is None:
        del form.status  # a new provider is published
    if obj is not None or not current_user.is_staff:
        del form.organization  # only staff registering on someone's behalf name the organisation
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
@submissions.once("服务机构")
def new_provider():
    if not services.can_create_provider(db.session, current_user):
        abort(403)
    form = _provider_form()

    def create():
        on_behalf = getattr(form, "organization", None)
        org = services.provider_organization(
            db.session, current_user, on_behalf.data if on_behalf else None, form.region.data
        )
        obj = services.create_provider(
            db.session, form.provider_data(), organization=org, owner=current_user, actor=current_user
        )
        submissions.claim(url_for("providers.detail", provider_id=obj.id))
        return obj

    obj = save_form(form, create)
    if obj is not None:
        flash("服务机构已登记", "success")
        return redirect(url_for("providers.detail", provider_id=obj.id))
    return render_template("providers/form.html", form=form, provider=None)


@bp.route("/<int:provider_id>/edit", methods=["GET", "POST"])
@login_required
def edit_provider(provider_id: int):
    obj = _provider(provider_id)
    if not services.can_manage_provider(current_user, obj):
        abort(403)
    form = _provider_form(obj)
    saved = save_form(
        form, lambda: services.update_provider(db.session, obj, form.provider_data(), actor=current_user)
    )
    if saved is not None:
        flash("修改已保存", "success")
        return redirect(url_for("providers.detail", provider_id=obj.id))
    return render_template("providers/form.html", form=form, provider=obj)


@bp.route("/<int:provider_id>/request/<int:result_id>", methods=["GET", "POST"])
@login_required
@submissions.once("服务申请")
def new_request(provider_id: int, result_id: int):
    p = _provider(provider_id)
    result = db.session.get(Result, result_id)
    if result is None:
        abort(404)
    if not services.can_request(current_user, result):
        abort(403)
    form = RequestForm()
    if form.validate_on_submit():
        try:
            req = services.submit_request(db.session, current_user, p, result, form.message.data)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.message).errors.append(exc.message)
        else:
            submissions.claim(url_for("providers.request_detail", req_id=req.id))
            db.session.commit()
            flash("申请已提交，等待机构受理", "success")
            return redirect(url_for("providers.request_detail", req_id=req.id))
    return render_template("providers/request_form.html", form=form, provider=p, result=result)


@bp.route("/requests")
@login_required
def requests():
    status = request.args.get("status", "")
    stmt = services.requests_for(db.session, current_user)
    if status in REQUEST_STATUSES:
        stmt = stmt.where(ServiceRequest.status == status)
    rows = db.session.scalars(stmt).all()
    return render_template("providers/requests.html", rows=rows, status=status, statuses=REQUEST_STATUSES)


@bp.route("/requests/export.<fmt>")
@login_required
def export_requests(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = db.session.scalars(services.requests_for(db.session, current_user)).all()
    return export.response(
        fmt, export.REQUEST_HEADERS, export.request_rows(rows), "service-requests", "服务申请"
    )


def _request(req_id: int) -> ServiceRequest:
    req = db.session.get(ServiceRequest, req_id)
    if req is None:
        abort(404)
    if not (
        services.can_manage_provider(current_user, req.provider)
        or services.can_request(current_user, req.result)
    ):
        abort(403)
    return req


@bp.route("/requests/<int:req_id>")
@login_required
def request_detail(req_id: int):
    req = _request(req_id)
    raise_form = RaiseTrlForm()
    raise_form.trl.choices = [c for c in raise_form.trl.choices if int(c[0]) > (req.result.trl or 0)]
    return render_template(
        "providers/request_detail.html",
        req=req,
        can_manage=services.can_manage_provider(current_user, req.provider),
        can_raise=services.can_request(current_user, req.result)
        and req.status == "completed"
        and not req.trl_after,
        decide_form=DecideForm(),
        raise_form=raise_form,
        trl_levels=TRL_LEVELS,
    )


@bp.route("/requests/<int:req_id>/<any(accept, return, complete):action>", methods=["POST"])
@login_required
def decide(req_id: int, action: str):
    req = _request(req_id)
    if not services.can_manage_provider(current_user, req.provider):
        abort(403)
    form = DecideForm()
    try:
        services.decide_request(db.session, current_user, req, action, form.reply.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(f"已{services.ACTION_LABELS[action]}", "success")
    return redirect(url_for("providers.request_detail", req_id=req.id))


@bp.route("/requests/<int:req_id>/raise-trl", methods=["POST"])
@login_required
def raise_trl(req_id: int):
    req = _request(req_id)
    if not services.can_request(current_user, req.result):
        abort(403)
    form = RaiseTrlForm()
    try:
        services.raise_trl(db.session, current_user, req, form.trl.data, form.trl_evidence.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(f"技术就绪度已提升到 TRL {req.result.trl}", "success")
    return redirect(url_for("providers.request_detail", req_id=req.id))
