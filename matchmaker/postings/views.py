"""Posting pages (科技成果、技术需求、专家人才): lists, details, create/edit, archive, delete.

The three kinds share one set of thin views, configured per kind; validation and
writes happen in matchmaker.postings.services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from matchmaker import jobs
from matchmaker.accounts.permissions import (
    can_edit_expert,
    can_edit_need,
    can_edit_result,
    can_see_contact,
    roles_required,
)
from matchmaker.constants import MATURITIES, REGIONS, TRL_LEVELS
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings import services
from matchmaker.postings.forms import FORMS
from matchmaker.postings.models import Field, Result
from matchmaker.postings.services import STATUS_CHOICES
from matchmaker.submissions import web as submissions
from matchmaker.webforms import save_form

bp = Blueprint("postings", __name__, url_prefix="")


@dataclass(frozen=True)
class Kind:
    name: str  # result / need / expert
    plural: str  # URL segment and list endpoint: results / needs / experts
    label: str  # 科技成果 ...
    creator_role: str  # the role that posts this kind for its own organisation
    can_edit: Callable


KINDS = {
    "result": Kind("result", "results", "科技成果", "researcher", can_edit_result),
    "need": Kind("need", "needs", "技术需求", "enterprise", can_edit_need),
    "expert": Kind("expert", "experts", "专家人才", "researcher", can_edit_expert),
}


def _active_fields():
    return db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()


def _get(kind: Kind, posting_id: int):
    obj = db.session.get(services.KINDS[kind.name], posting_id)
    if obj is None:
        abort(404)
    if not services.is_visible(current_user, obj):
        abort(403, "该成果尚未发布，仅本机构、技术经纪人和管理员可见")
    return obj


def _editable(kind: Kind, posting_id: int):
    obj = _get(kind, posting_id)
    if not kind.can_edit(current_user, obj):
        abort(403)
    return obj


def _detail_url(obj) -> str:
    kind = KINDS[obj.kind]
    return url_for(f"postings.{kind.name}_detail", **{f"{kind.name}_id": obj.id})


def list_view(kind: Kind):
    args = {
        k: request.args.get(k, "").strip() for k in ("field", "region", "maturity", "trl_min", "status", "q")
    }
    problems = []
    while True:
        try:
            filters = services.validate_filters(db.session, kind.name, args)
            break
        except DomainError as exc:  # drop the bad filter, say why, keep the rest
            if not args.get(exc.field or ""):
                raise
            problems.append(exc.message)
            args[exc.field] = ""
    page = request.args.get("page", 1, type=int) or 1
    pagination = db.paginate(
        services.list_query(kind.name, filters, current_user),
        page=max(page, 1),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    if pagination.pages and pagination.page > pagination.pages:  # a page past the end shows the last page
        pagination = db.paginate(
            services.list_query(kind.name, filters, current_user),
            page=pagination.pages,
            per_page=current_app.config["PAGE_SIZE"],
            error_out=False,
        )
    return render_template(
        "postings/list.html",
        kind=kind,
        page=pagination,
        args=args,
        problems=problems,
        fields=_active_fields(),
        regions=REGIONS,
        maturities=MATURITIES,
        trl_levels=TRL_LEVELS,
        statuses=STATUS_CHOICES[kind.name],
        can_create=current_user.is_authenticated
        and current_user.role in (kind.creator_role, "broker", "admin"),
    )


def detail_view(kind: Kind, posting_id: int):
    obj = _get(kind, posting_id)
    context = {
        "posting": obj,
        kind.name: obj,
        "kind": kind,
        "show_contact": can_see_contact(current_user, obj),
        "can_edit": kind.can_edit(current_user, obj),
    }
    if kind.name == "result":
        from matchmaker.postings.models import Expert, expert_results

        context["trl_levels"] = TRL_LEVELS

        context["experts"] = db.session.scalars(
            select(Expert).join(expert_results).where(expert_results.c.result_id == obj.id)
        ).all()
    return render_template(f"postings/{kind.name}_detail.html", **context)


def _form(kind: Kind, obj=None):
    form = FORMS[kind.name](obj=obj) if obj is not None else FORMS[kind.name]()
    fields = list(_active_fields())
    if obj is not None and obj.field is not None and obj.field not in fields:
        fields.append(obj.field)  # a field deactivated since stays selectable for its postings
    form.set_field_choices(fields)
    if obj is not None and request.method == "GET":
        _fill_lists(form, obj)
    if kind.name == "expert":
        org_id = obj.organization_id if obj is not None else current_user.organization_id
        form.results.choices = [
            (r.id, r.title)
            for r in db.session.scalars(
                select(Result).where(Result.organization_id == org_id).order_by(Result.title)
            )
        ]
    if kind.name == "need" and obj is None:
        form.status.choices = [("open", "征集中")]
    if obj is None and request.method == "GET" and not current_user.is_staff:
        form.region.data = current_user.organization.region  # most post from their own city
    if obj is not None or not current_user.is_staff:
        del form.organization  # only staff posting on someone's behalf name the organisation
    return form


def _fill_lists(form, obj) -> None:
    """Show stored lists as 、-separated text and relations by name."""
    for key in ("keywords", "patent_numbers", "research_areas"):
        if hasattr(form, key):
            getattr(form, key).data = "、".join(getattr(obj, key) or [])
    if obj.field is not None:
        form.field.data = obj.field.name
    if obj.kind == "need" and obj.deadline:
        form.deadline.data = obj.deadline.isoformat()
    if obj.kind == "result" and obj.price_wan is not None:
        form.price_wan.data = f"{obj.price_wan:g}"
    if obj.kind == "need" and obj.budget_wan is not None:
        form.budget_wan.data = f"{obj.budget_wan:g}"
    if obj.kind == "expert":
        form.results.data = [r.id for r in obj.results]


def _submitted(kind: Kind, form) -> dict:
    data = form.posting_data()
    if kind.name == "expert":
        allowed = {value for value, _ in form.results.choices}
        data["results"] = [i for i in (data.get("results") or []) if i in allowed]
    return data


def _save(kind: Kind, form, write):
    """Validate with the services; on a DomainError show it beside its field and save nothing."""
    return save_form(form, lambda: write(_submitted(kind, form)))


def new_view(kind: Kind):
    """Create, with the one-time token of matchmaker.submissions.web (防重复提交)."""
    form = _form(kind)

    def create(data):
        on_behalf = getattr(form, "organization", None)
        org = services.posting_organization(
            db.session, current_user, kind.name, on_behalf.data if on_behalf else None, data.get("region")
        )
        obj = services.create_posting(db.session, kind.name, data, organization=org, owner=current_user)
        _audit_staff_change("posting_create", obj)
        submissions.claim(_detail_url(obj))
        return obj

    obj = _save(kind, form, create)
    if obj is not None:
        flash(f"{kind.label}已保存", "success")
        return redirect(_detail_url(obj))
    return render_template("postings/form.html", form=form, kind=kind, posting=None)


def edit_view(kind: Kind, posting_id: int):
    obj = _editable(kind, posting_id)
    form = _form(kind, obj)
    saved = _save(kind, form, lambda data: services.update_posting(db.session, obj, data, partial=False))
    if saved is not None:
        _audit_staff_change("posting_edit", obj)
        db.session.commit()
        flash("修改已保存", "success")
        return redirect(_detail_url(obj))
    return render_template("postings/form.html", form=form, kind=kind, posting=obj)


def _audit_staff_change(action: str, obj) -> None:
    """Edits by someone outside the owning organisation (brokers, admins) are audited."""
    if current_user.organization_id != obj.organization_id:
        from matchmaker.accounts.services import audit

        audit(db.session, action, current_user, target=f"{obj.kind}:{obj.id}", ip=request.remote_addr)


def archive_view(kind: Kind, posting_id: int):
    obj = _editable(kind, posting_id)
    services.archive_posting(db.session, obj)
    _audit_staff_change("posting_archive", obj)
    db.session.commit()
    flash(f"{kind.label}已{'关闭' if kind.name == 'need' else '归档'}", "info")
    return redirect(_detail_url(obj))


def delete_view(kind: Kind, posting_id: int):
    obj = _editable(kind, posting_id)
    _audit_staff_change("posting_delete", obj)
    outcome = services.delete_posting(db.session, obj)
    db.session.commit()
    if outcome == "archived":
        flash(services.archived_message(obj), "warning")
        return redirect(_detail_url(obj))
    flash(f"{kind.label}已删除", "info")
    return redirect(url_for("main.mine"))


def _register(kind: Kind) -> None:
    n, base, arg = kind.name, f"/{kind.plural}", f"<int:{kind.name}_id>"
    bp.add_url_rule(base, kind.plural, lambda: list_view(kind))
    bp.add_url_rule(
        f"{base}/new",
        f"{n}_new",
        roles_required(kind.creator_role, "broker", "admin")(
            submissions.once(kind.label)(lambda: new_view(kind))
        ),
        methods=["GET", "POST"],
    )
    bp.add_url_rule(f"{base}/{arg}", f"{n}_detail", lambda **kw: detail_view(kind, kw[f"{n}_id"]))
    for action, view, methods in (
        ("edit", edit_view, ["GET", "POST"]),
        ("archive", archive_view, ["POST"]),
        ("delete", delete_view, ["POST"]),
    ):
        bp.add_url_rule(
            f"{base}/{arg}/{action}",
            f"{n}_{action}",
            roles_required("researcher", "enterprise", "broker", "admin")(
                lambda view=view, **kw: view(kind, kw[f"{n}_id"])
            ),
            methods=methods,
        )


for _kind in KINDS.values():
    _register(_kind)


# ---------------------------------------------------------------- import in the web UI (网页导入)


@bp.route("/import", methods=["GET", "POST"])
@roles_required("broker", "admin")
def import_upload():
    from matchmaker.errors import DomainError
    from matchmaker.postings import import_jobs
    from matchmaker.postings.forms import ImportForm

    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(import_jobs.MAX_BYTES + 1)
        if len(data) > import_jobs.MAX_BYTES:
            form.file.errors.append("文件超过 10 MB，请分成几个文件导入")
        else:
            try:
                job = import_jobs.create_job(db.session, current_user, upload.filename or "", data)
            except DomainError as exc:
                db.session.rollback()
                form.file.errors.append(str(exc))
            else:
                db.session.commit()
                return redirect(url_for("postings.import_job", job_id=job.id))
    return render_template("postings/import.html", form=form)


@bp.route("/import/template.xlsx")
@roles_required("broker", "admin")
def import_template():
    from flask import Response

    from matchmaker.postings.importer import xlsx_template

    return Response(
        xlsx_template(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": "attachment; filename=import-template.xlsx"},
    )


def _job(job_id: int):
    from matchmaker.postings.models import ImportJob

    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    if job.user_id != current_user.id and current_user.role != "admin":
        abort(403)
    return job


@bp.route("/import/<int:job_id>")
@roles_required("broker", "admin")
def import_job(job_id):
    return render_template("postings/import_job.html", job=_job(job_id))


@bp.route("/import/<int:job_id>/status")
@roles_required("broker", "admin")
def import_status(job_id):
    from flask import jsonify

    job = _job(job_id)
    return jsonify(
        {
            "status": job.status,
            "percent": job.percent,
            "checked": job.checked,
            "total": job.total,
            "summary": job.summary,
            "errors": job.errors[:200],
        }
    )


@bp.route("/import/<int:job_id>/run", methods=["POST"])
@roles_required("broker", "admin")
def import_run(job_id):
    from matchmaker.postings import import_jobs

    job = _job(job_id)
    try:
        import_jobs.start(db.session, job)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("postings.import_job", job_id=job.id))
    db.session.commit()
    jobs.submit(current_app._get_current_object(), "postings.import", job.id)
    return redirect(url_for("postings.import_job", job_id=job.id))
