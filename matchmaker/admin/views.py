"""Admin pages (平台管理): key figures, users, the field taxonomy and the audit log.

Admins only. Every change goes through matchmaker.admin.services, which audits it.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from matchmaker.accounts.models import User
from matchmaker.accounts.permissions import roles_required
from matchmaker.accounts.services import locked_emails
from matchmaker.admin import services
from matchmaker.admin.forms import BrokerScopeForm, CreateUserForm, FieldForm
from matchmaker.constants import ROLES
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Field
from matchmaker.webforms import save_form

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_filter(services.audit_action_label, "audit_label")
bp.add_app_template_filter(services.audit_detail_label, "audit_detail")
bp.add_app_template_filter(services.audit_who, "audit_who")


@bp.before_request
@roles_required("admin")
def _admins_only():
    """Every page here is for admins; others get 403 (anonymous users the login page)."""


def _submit(form, action, message, endpoint: str):
    """Run an admin service on a valid POST: commit, flash and redirect, or show its error
    beside the field and save nothing. Returns None when the form should be shown again."""
    obj = save_form(form, action)
    if obj is None:
        return None
    flash(message(obj), "success")
    return redirect(url_for(endpoint))


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/")
def index():
    return render_template("admin/index.html", figures=services.key_figures(db.session))


# ---------------------------------------------------------------- users


@bp.route("/users")
def users():
    role = request.args.get("role", "")
    q = request.args.get("q", "").strip()
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    if q:
        stmt = stmt.where(
            or_(
                func.lower(User.email).contains(q.lower(), autoescape=True),
                User.name.contains(q, autoescape=True),
            )
        )
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    locked = locked_emails(
        db.session,
        [u.email for u in page.items],
        max_failed=current_app.config["MAX_FAILED_LOGINS"],
        lockout=current_app.config["LOCKOUT"],
    )
    return render_template("admin/users.html", page=page, role=role, q=q, locked=locked)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = CreateUserForm()
    done = _submit(
        form,
        lambda: services.create_user(
            db.session,
            current_user,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            password=form.password.data,
            org_name=form.org_name.data,
            org_type=form.org_type.data,
            region=form.region.data,
        ),
        lambda user: f"已创建{ROLES[user.role]}账号 {user.email}",
        "admin.users",
    )
    return done or render_template("admin/form.html", form=form, title="创建账号")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_active(user_id: int):
    user = _get_user(user_id)
    try:
        services.set_active(db.session, current_user, user, request.form.get("active") == "1")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("admin.users"))
    db.session.commit()
    flash(f"{user.email} 已{'启用' if user.active else '停用'}", "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def user_unlock(user_id: int):
    user = _get_user(user_id)
    services.unlock(db.session, current_user, user)
    db.session.commit()
    flash(f"{user.email} 已解锁", "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/scope", methods=["GET", "POST"])
def user_scope(user_id: int):
    user = _get_user(user_id)
    if user.role != "broker":
        abort(404)
    form = BrokerScopeForm(obj=user)
    form.broker_fields.choices = [
        (n, n)
        for n in db.session.scalars(
            select(Field.name).where(Field.active).order_by(Field.sort_order, Field.id)
        )
    ]
    done = _submit(
        form,
        lambda: services.set_broker_scope(
            db.session, current_user, user, form.broker_fields.data or [], form.broker_regions.data or []
        ),
        lambda _: f"已更新 {user.name} 的负责领域和地区",
        "admin.users",
    )
    return done or render_template(
        "admin/form.html",
        form=form,
        title=f"{user.name} 的负责领域和地区",
        hint="不勾选表示负责全部领域或全部地区。",
    )


# ---------------------------------------------------------------- taxonomy


def _field_form(obj: Field | None = None) -> FieldForm:
    form = FieldForm(obj=obj)
    names = db.session.scalars(select(Field.name).order_by(Field.sort_order, Field.id)).all()
    form.related.choices = [(n, n) for n in names if obj is None or n != obj.name]
    return form


@bp.route("/fields", methods=["GET", "POST"])
def fields():
    form = _field_form()
    done = _submit(
        form,
        lambda: services.add_field(
            db.session, current_user, form.name.data, form.description.data, form.related.data or []
        ),
        lambda obj: f"已添加领域“{obj.name}”",
        "admin.fields",
    )
    if done:
        return done
    rows = db.session.scalars(select(Field).order_by(Field.sort_order, Field.id)).all()
    return render_template("admin/fields.html", rows=rows, form=form)


@bp.route("/fields/<int:field_id>", methods=["GET", "POST"])
def field_edit(field_id: int):
    obj = db.session.get(Field, field_id) or abort(404)
    form = _field_form(obj)
    done = _submit(
        form,
        lambda: services.update_field(
            db.session,
            current_user,
            obj,
            name=form.name.data,
            description=form.description.data,
            related=form.related.data or [],
            active=form.active.data,
        ),
        lambda obj: f"已保存领域“{obj.name}”",
        "admin.fields",
    )
    return done or render_template(
        "admin/form.html",
        form=form,
        title=f"编辑领域：{obj.name}",
        hint="停用的领域不再出现在发布表单和筛选中，已有的成果和需求保持不变。",
    )


# ---------------------------------------------------------------- audit log


def _date_arg(name: str, problems: list[str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"日期“{raw}”格式应为 YYYY-MM-DD，已忽略")
        return None


@bp.route("/audit")
def audit_log():
    problems: list[str] = []
    since, until = _date_arg("since", problems), _date_arg("until", problems)
    args = {k: request.args.get(k, "").strip() for k in ("action", "user", "target", "since", "until")}
    stmt = services.audit_query(
        action=args["action"] or None,
        user_email=args["user"] or None,
        target=args["target"] or None,
        since=since,
        until=until,
    )
    page = db.paginate(
        stmt,
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"] * 5,
        error_out=False,
    )
    return render_template(
        "admin/audit.html",
        page=page,
        args=args,
        problems=problems,
        actions=services.audit_actions(db.session),
        targets={e.id: services.audit_target_label(db.session, e.target) for e in page.items},
    )
