"""Login, logout, registration and personal settings."""

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import or_, select

from matchmaker.accounts.forms import ClaimDecisionForm, LoginForm, RegisterForm, SettingsForm, TokenForm
from matchmaker.accounts.models import ApiToken, OrganizationClaim
from matchmaker.accounts.services import (
    audit,
    authenticate,
    can_decide_claim,
    create_token,
    decide_claim,
    register,
    revoke_token,
)
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.security import is_db_id, revoke_sessions, safe_next, start_session

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("main.mine"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        outcome = authenticate(
            db.session,
            form.email.data,
            form.password.data,
            max_failed=current_app.config["MAX_FAILED_LOGINS"],
            lockout=current_app.config["LOCKOUT"],
            ip=request.remote_addr,
        )
        db.session.commit()
        if outcome.user:
            start_session(outcome.user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(outcome.error)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit(db.session, "logout", current_user, ip=request.remote_addr)
    revoke_sessions(current_user)  # a copied cookie stops working too
    db.session.commit()
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register_view():
    form = RegisterForm()
    if form.validate_on_submit():
        upload = form.document.data
        try:
            user = register(
                db.session,
                org_name=form.org_name.data,
                org_type=form.org_type.data,
                region=form.region.data,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                role=form.role.data,
                phone=form.phone.data,
                credit_code=form.credit_code.data,
                document_name=getattr(upload, "filename", None),
                document=upload.read() if upload else None,
                document_dir=Path(current_app.instance_path) / "claims",
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            db.session.commit()
            start_session(user)
            flash("注册成功。机构认领/认证申请已提交，审核通过前您的账号不代表该机构。", "success")
            return redirect(url_for("main.mine"))
    return render_template("accounts/register.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm(obj=current_user)
    if form.validate_on_submit():
        current_user.phone = form.phone.data or None
        current_user.digest = form.digest.data
        db.session.commit()
        flash("设置已保存", "success")
        return redirect(url_for("accounts.settings"))
    return _settings_page(form, TokenForm(formdata=None))


def _settings_page(form, token_form, new_token: str | None = None):
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template(
        "accounts/settings.html", form=form, token_form=token_form, tokens=tokens, new_token=new_token
    )


@bp.route("/settings/tokens", methods=["POST"])
@login_required
def token_create():
    """Create a personal access token; shown once on this page, never stored in clear."""
    token_form = TokenForm()
    if token_form.validate_on_submit():
        try:
            _, token = create_token(
                db.session, current_user, token_form.name.data, token_form.scopes.data, token_form.days.data
            )
        except DomainError as exc:
            db.session.rollback()
            getattr(token_form, exc.field, token_form.name).errors.append(exc.message)
        else:
            db.session.commit()
            return _settings_page(
                SettingsForm(obj=current_user, formdata=None), TokenForm(formdata=None), token
            )
    return _settings_page(SettingsForm(obj=current_user, formdata=None), token_form), 400


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def token_revoke(token_id):
    row = db.session.get(ApiToken, token_id) or abort(404)
    try:
        revoke_token(db.session, row, current_user)
    except DomainError:
        abort(403)
    db.session.commit()
    flash("令牌已撤销", "success")
    return redirect(url_for("accounts.settings"))


def _claims_for(user):
    """Claims this user may decide or has made (认领申请)."""
    stmt = select(OrganizationClaim).order_by(
        OrganizationClaim.status != "pending", OrganizationClaim.id.desc()
    )
    if user.role != "admin":
        stmt = stmt.where(
            or_(
                OrganizationClaim.user_id == user.id,
                (OrganizationClaim.organization_id == user.organization_id)
                & (OrganizationClaim.kind == "join"),
            )
        )
    return db.session.scalars(stmt.limit(500)).all()


@bp.route("/claims", methods=["GET", "POST"])
@login_required
def claims():
    """机构认领审核: admins see every claim, an organisation's members the claims to join it."""
    form = ClaimDecisionForm()
    if request.method == "POST":
        raw = form.claim_id.data or ""
        claim = db.session.get(OrganizationClaim, int(raw)) if is_db_id(raw) else None
        if claim is None:
            abort(404)
        if not can_decide_claim(current_user, claim):
            abort(403)
        try:
            decide_claim(db.session, claim, current_user, form.decision.data == "approve", form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                abort(403)
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("已审核该认领申请", "success")
        return redirect(url_for("accounts.claims"))
    items = _claims_for(current_user)
    return render_template(
        "accounts/claims.html",
        claims=items,
        form=form,
        can_decide={c.id: can_decide_claim(current_user, c) for c in items},
    )


@bp.route("/claims/<int:claim_id>/document")
@login_required
def claim_document(claim_id):
    """The uploaded licence or letter, only for those who decide the claim and its author."""
    claim = db.session.get(OrganizationClaim, claim_id) or abort(404)
    if not (can_decide_claim(current_user, claim) or claim.user_id == current_user.id):
        abort(403)
    if not claim.document_path or not Path(claim.document_path).is_file():
        abort(404)
    return send_file(claim.document_path, as_attachment=True, download_name=claim.document_name or "document")
