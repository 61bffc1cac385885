"""Login, logout, registration and personal settings."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from matchmaker.accounts.forms import LoginForm, RegisterForm, SettingsForm
from matchmaker.accounts.services import AccountError, audit, authenticate, register
from matchmaker.extensions import db
from matchmaker.security import safe_next

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
            login_user(outcome.user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(outcome.error)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit(db.session, "logout", current_user, ip=request.remote_addr)
    db.session.commit()
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register_view():
    form = RegisterForm()
    if form.validate_on_submit():
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
            )
        except AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash("注册成功，欢迎使用技术转移撮合平台", "success")
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
    return render_template("accounts/settings.html", form=form)
