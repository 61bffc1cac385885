"""附件 pages: upload, download, mark as 专利证书 and delete, from a posting's detail/edit page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user

from matchmaker.accounts import policy
from matchmaker.attachments import services
from matchmaker.attachments.models import Attachment
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings import services as postings
from matchmaker.security import safe_next

bp = Blueprint("attachments", __name__, url_prefix="")

PLURALS = {"needs": "need", "results": "result"}
BASE = "/<any(needs, results):plural>/<int:posting_id>/attachments"


def load_posting(plural: str, posting_id: int):
    obj = db.session.get(postings.KINDS[PLURALS[plural]], posting_id)
    if obj is None:
        abort(404)
    if not policy.can(current_user, "view", obj):
        abort(403, "无权查看该条目的附件")
    return obj


def load_attachment(posting, attachment_id: int) -> Attachment:
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.posting is not posting:
        abort(404)
    return att


def editable(plural: str, posting_id: int):
    if not current_user.is_authenticated:
        from matchmaker.extensions import login_manager

        abort(login_manager.unauthorized())
    obj = load_posting(plural, posting_id)
    if not policy.can(current_user, "edit", obj):
        abort(403, "只有该条目的编辑者可以管理附件")
    return obj


def detail_url(obj) -> str:
    return url_for(f"postings.{obj.kind}_detail", **{f"{obj.kind}_id": obj.id})


def download_response(att: Attachment):
    """The stored file with a safe type and name: always a download, never sniffed or run."""
    path = services.file_path(current_app.config["UPLOAD_DIR"], att)
    if not path.is_file():
        abort(404)
    resp = send_file(
        path, mimetype=att.content_type, as_attachment=True, download_name=att.original_name, max_age=0
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post(BASE)
def upload(plural: str, posting_id: int):
    obj = editable(plural, posting_id)
    back = safe_next(request.form.get("next"), detail_url(obj))
    upload = request.files.get("file")
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = upload.read(max_bytes + 1) if upload else b""
    try:
        att = services.add_attachment(
            db.session,
            obj,
            current_user,
            upload.filename if upload else None,
            data,
            base_dir=current_app.config["UPLOAD_DIR"],
            max_bytes=max_bytes,
            max_count=current_app.config["ATTACHMENT_MAX_COUNT"],
            patent_certificate=request.form.get("patent_certificate") == "1",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    flash(f"附件“{att.original_name}”已上传", "success")
    return redirect(back)


@bp.get(f"{BASE}/<int:attachment_id>")
def download(plural: str, posting_id: int, attachment_id: int):
    obj = load_posting(plural, posting_id)
    return download_response(load_attachment(obj, attachment_id))


@bp.post(f"{BASE}/<int:attachment_id>/delete")
def delete(plural: str, posting_id: int, attachment_id: int):
    obj = editable(plural, posting_id)
    att = load_attachment(obj, attachment_id)
    name = att.original_name
    services.delete_attachment(db.session, att, current_user)
    db.session.commit()
    flash(f"附件“{name}”已删除", "info")
    return redirect(safe_next(request.form.get("next"), detail_url(obj)))


@bp.post(f"{BASE}/<int:attachment_id>/patent")
def mark_patent(plural: str, posting_id: int, attachment_id: int):
    obj = editable(plural, posting_id)
    att = load_attachment(obj, attachment_id)
    value = request.form.get("patent_certificate") == "1"
    services.set_patent_certificate(db.session, att, current_user, value)
    db.session.commit()
    flash("已标记为专利证书" if value else "已取消专利证书标记", "info")
    return redirect(safe_next(request.form.get("next"), detail_url(obj)))


@bp.app_template_global()
def attachment_url(att: Attachment) -> str:
    posting = att.posting
    return url_for(
        "attachments.download", plural=f"{posting.kind}s", posting_id=posting.id, attachment_id=att.id
    )


@bp.app_template_global()
def attachment_limits() -> dict:
    return {
        "max_mb": current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
        "max_count": current_app.config["ATTACHMENT_MAX_COUNT"],
        "accepted": services.ACCEPTED,
    }
