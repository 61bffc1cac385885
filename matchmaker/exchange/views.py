"""交换伙伴页 (admins: partners, keys, sync, revocation, errors, forwarded contacts) and the
联系对接 form of an imported posting (signed-in users)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.accounts.permissions import roles_required
from matchmaker.errors import DomainError
from matchmaker.exchange import services
from matchmaker.exchange.forms import ContactForm, IssueKeyForm, PartnerActionForm, PartnerForm
from matchmaker.exchange.models import ExchangeContactRequest
from matchmaker.extensions import db
from matchmaker.webforms import save_form

bp = Blueprint("exchange", __name__, url_prefix="/exchange")


def _page(partner_form=None, key_form=None, new_key=None):
    return render_template(
        "exchange/index.html",
        partners=services.list_partners(db.session),
        counts=services.imported_counts(db.session),
        contacts=db.session.scalars(
            select(ExchangeContactRequest).order_by(ExchangeContactRequest.id.desc()).limit(50)
        ).all(),
        partner_form=partner_form or PartnerForm(prefix="p"),
        key_form=key_form or IssueKeyForm(prefix="k"),
        action_form=PartnerActionForm(),
        new_key=new_key,
    )


@bp.route("/")
@roles_required("admin")
def index():
    return _page()


@bp.post("/partners")
@roles_required("admin")
def add_partner():
    form = PartnerForm(prefix="p")
    partner = save_form(
        form,
        lambda: services.add_partner(
            db.session,
            form.code.data,
            form.base_url.data,
            form.key.data,
            name=form.name.data,
            user=current_user,
        ),
    )
    if partner is None:
        return _page(partner_form=form), 400
    flash(f"已添加伙伴 {partner.code}", "success")
    return redirect(url_for("exchange.index"))


@bp.post("/keys")
@roles_required("admin")
def issue_key():
    form = IssueKeyForm(prefix="k")
    out = save_form(
        form, lambda: services.issue_key(db.session, form.code.data, name=form.name.data, user=current_user)
    )
    if out is None:
        return _page(key_form=form), 400
    partner, key = out
    # Shown once, on this page only (not flashed into the session cookie).
    return _page(new_key=(partner.code, key))


def _action(run, message):
    form = PartnerActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        out = run(form.code.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("exchange.index"))
    db.session.commit()
    flash(message(out), "success")
    return redirect(url_for("exchange.index"))


@bp.post("/sync")
@roles_required("admin")
def sync():
    def run(code):
        partner = services._partner(db.session, code)
        return partner.code, services.sync_partner(db.session, partner, user=current_user)

    return _action(run, lambda out: f"伙伴 {out[0]}：{out[1].summary()}")


@bp.post("/revoke")
@roles_required("admin")
def revoke():
    return _action(
        lambda code: services.revoke(db.session, code, user=current_user),
        lambda n: f"已撤销，撤下导入的成果与需求 {n} 条",
    )


@bp.route("/contact/<any(result, need):kind>/<int:posting_id>", methods=["GET", "POST"])
@login_required
def contact(kind: str, posting_id: int):
    obj = db.session.get(services.KINDS[kind], posting_id)
    if obj is None or not obj.origin:
        abort(404)
    form = ContactForm()
    sent = save_form(
        form,
        lambda: services.forward_contact(
            db.session, current_user, obj, form.message.data, consent=bool(form.consent.data)
        ),
    )
    if sent is not None:
        flash("对接请求已转发给来源省份平台的技术经纪人", "success")
        return redirect(url_for(f"postings.{kind}_detail", **{f"{kind}_id": obj.id}))
    return render_template("exchange/contact.html", posting=obj, form=form)
