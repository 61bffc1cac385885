"""Pages of 成果登记汇交: file, submit, review, overdue list, import and 汇交 export."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.filings import exchange, services
from matchmaker.filings.forms import DecisionForm, FilingForm, ImportForm
from matchmaker.filings.models import FILING_STATUSES, ResultFiling
from matchmaker.localtime import local_today
from matchmaker.postings.models import Field, Result

bp = Blueprint("filings", __name__, url_prefix="/filings")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORM_KEYS = [k for k in services.LABELS if k != "organization"]


def _require_filer() -> None:
    if not (services.can_file(current_user) or services.can_review(current_user)):
        abort(403, "只有高校、科研院所的科研人员和管理员可以使用成果登记")


def _require_admin() -> None:
    if not services.can_review(current_user):
        abort(403, "只有管理员可以审核成果登记")


def _filing(filing_id: int) -> ResultFiling:
    filing = db.session.get(ResultFiling, filing_id)
    if filing is None:
        abort(404)
    if not services.can_view(current_user, filing):
        abort(403, "只能查看本单位的成果登记")
    return filing


def _form(filing: ResultFiling | None = None) -> FilingForm:
    form = FilingForm()
    fields = db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()
    form.field.choices = [("", "请选择")] + [(f.name, f.name) for f in fields]
    org_id = filing.organization_id if filing else current_user.organization_id
    results = db.session.scalars(
        select(Result)
        .where(Result.organization_id == org_id, Result.status == "published")
        .order_by(Result.title)
    ).all()
    form.result.choices = [("", "不关联，通过后新建")] + [(r.external_id, r.title) for r in results]
    if filing is not None and request.method == "GET":
        form.title.data, form.summary.data = filing.title, filing.summary
        form.keywords.data = "、".join(filing.keywords or [])
        form.programme.data, form.project_no.data = filing.programme or "", filing.project_no
        form.project_name.data = filing.project_name
        form.completers.data = "、".join(filing.completers or [])
        form.category.data = filing.category or ""
        form.field.data = filing.field.name if filing.field else ""
        form.trl.data = str(filing.trl or "")
        form.patents.data = "\n".join(f"{p['number']}:{p['status']}" for p in filing.patents or [])
        form.transfer_intention.data = filing.transfer_intention or ""
        form.acceptance_date.data = filing.acceptance_date.isoformat() if filing.acceptance_date else ""
        form.result.data = filing.result.external_id if filing.result else ""
    return form


def _save(form: FilingForm, filing: ResultFiling | None):
    """Validate through the service (one check for web, API and import); errors land on fields."""
    data = {k: getattr(form, k).data for k in FORM_KEYS}
    submit = bool(form.submit.data)
    try:
        if filing is None:
            filing = services.create_filing(db.session, current_user, data, submit=submit)
        else:
            services.update_filing(db.session, filing, current_user, data, submit=submit)
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field or "", None)
        if target is not None and hasattr(target, "errors") and exc.field in FORM_KEYS:
            target.errors = [*target.errors, exc.message]
        flash(exc.message, "danger")
        return None
    db.session.commit()
    flash("登记已提交，等待省科技厅审核" if submit else "草稿已保存", "success")
    return redirect(url_for("filings.detail", filing_id=filing.id))


@bp.route("/")
@login_required
def index():
    _require_filer()
    status = request.args.get("status", "")
    stmt = services.visible_query(current_user)
    if status in FILING_STATUSES:
        stmt = stmt.where(ResultFiling.status == status)
    page = db.paginate(
        stmt,
        page=max(request.args.get("page", 1, type=int) or 1, 1),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "filings/list.html",
        page=page,
        status=status,
        statuses=FILING_STATUSES,
        is_admin=services.can_review(current_user),
        can_create=current_user.role == "researcher",
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if current_user.role != "researcher":
        abort(403, "成果登记由承担单位的科研人员填报；管理员可通过 Excel 代为导入")
    form = _form()
    if form.validate_on_submit():
        resp = _save(form, None)
        if resp is not None:
            return resp
    return render_template("filings/form.html", form=form, filing=None)


@bp.route("/<int:filing_id>")
@login_required
def detail(filing_id: int):
    filing = _filing(filing_id)
    days = current_app.config["FILING_DEADLINE_DAYS"]
    deadline = services.deadline_of(filing, days)
    return render_template(
        "filings/detail.html",
        filing=filing,
        missing=[services.LABELS[k] for k in services.missing_fields(filing)],
        deadline=deadline,
        overdue=bool(deadline and filing.editable and deadline < local_today()),
        can_edit=services.can_edit(current_user, filing) and current_user.role == "researcher",
        can_review=services.can_review(current_user) and filing.status == "submitted",
        decision_form=DecisionForm(),
    )


@bp.route("/<int:filing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(filing_id: int):
    filing = _filing(filing_id)
    if not services.can_edit(current_user, filing) or current_user.role != "researcher":
        abort(403, "只能修改本单位草稿或被退回的登记")
    form = _form(filing)
    if form.validate_on_submit():
        resp = _save(form, filing)
        if resp is not None:
            return resp
    return render_template("filings/form.html", form=form, filing=filing)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_view():
    _require_filer()
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            errors = ["请选择要导入的 Excel 文件"]
        else:
            try:
                rows = exchange.read_workbook(upload.read())
                created = exchange.import_filings(db.session, current_user, rows)
            except DomainError as exc:
                db.session.rollback()
                errors = exc.extra.get("errors", [exc.message])
            else:
                db.session.commit()
                flash(f"已导入并提交 {len(created)} 项成果登记", "success")
                return redirect(url_for("filings.index"))
    return render_template("filings/import.html", form=form, errors=errors)


@bp.route("/import/template.xlsx")
@login_required
def template():
    _require_filer()
    return _download(exchange.template_bytes(), XLSX, "result-filings-template.xlsx")


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        content, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


# ---------------------------------------------------------------- admin (省科技厅)


@bp.route("/<int:filing_id>/decide", methods=["POST"])
@login_required
def admin_decide(filing_id: int):
    _require_admin()
    filing = _filing(filing_id)
    form = DecisionForm()
    decision = request.form.get("decision", "")
    try:
        services.decide(db.session, filing, current_user, decision, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        if filing.status == "accepted":
            flash(f"已登记，登记号 {filing.registration_no}", "success")
        else:
            flash("已退回，并通知登记人", "success")
    return redirect(url_for("filings.detail", filing_id=filing.id))


@bp.route("/overdue")
@login_required
def admin_overdue():
    _require_admin()
    days = current_app.config["FILING_DEADLINE_DAYS"]
    today = local_today()
    rows = db.session.scalars(services.overdue_query(days, today)).all()
    late = {f.id: (today - services.deadline_of(f, days)).days for f in rows}
    return render_template("filings/overdue.html", rows=rows, late=late, days=days)


def _period() -> tuple[date | None, date | None]:
    out = []
    for key in ("start", "end"):
        raw = request.args.get(key, "").strip()
        try:
            out.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            abort(400, f"{'开始' if key == 'start' else '结束'}日期格式应为 YYYY-MM-DD")
    return out[0], out[1]


@bp.route("/export.<any(xlsx, json, xml):fmt>")
@login_required
def admin_export(fmt: str):
    """汇交: the registrations of a period (by registration date) as Excel, JSON or XML."""
    _require_admin()
    start, end = _period()
    filings = db.session.scalars(services.period_query(start, end)).all()
    name = f"result-filings-{start or 'all'}-{end or 'all'}"
    if fmt == "xlsx":
        return _download(exchange.workbook_bytes(filings), XLSX, f"{name}.xlsx")
    if fmt == "json":
        return _download(exchange.json_bytes(filings, start, end), "application/json", f"{name}.json")
    return _download(exchange.xml_bytes(filings, start, end), "application/xml", f"{name}.xml")
