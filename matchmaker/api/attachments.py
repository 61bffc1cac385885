"""JSON API for 附件: /api/v1/<needs|results>/<ref>/attachments (list, upload, download, delete).

Same services and rules as the pages: downloads follow the posting's visibility, writes need
an editor of the posting; upload is multipart/form-data (`file`, optional `patent_certificate`).
"""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_login import current_user

from matchmaker.accounts import policy
from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden
from matchmaker.api.postings import _kind, _load
from matchmaker.attachments import services
from matchmaker.attachments.models import Attachment
from matchmaker.attachments.views import download_response
from matchmaker.errors import DomainError
from matchmaker.extensions import db

BASE = "/<any(needs, results):plural>/<ref>/attachments"


def _editable(plural: str, ref: str):
    api_user()
    obj = _load(_kind(plural), ref)
    if not policy.can(current_user, "edit", obj):
        raise forbidden("只有该条目的编辑者可以管理附件")
    return obj


def _attachment(obj, attachment_id: int) -> Attachment:
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.posting is not obj:
        raise DomainError(f"附件 {attachment_id} 不存在", status=404)
    return att


def _dict(obj, att: Attachment) -> dict:
    url = url_for("api.download_attachment", plural=f"{obj.kind}s", ref=obj.id, attachment_id=att.id)
    return services.to_dict(att, url)


@bp.get(BASE)
def list_attachments(plural: str, ref: str):
    """附件列表"""
    obj = _load(_kind(plural), ref)
    return jsonify({"items": [_dict(obj, a) for a in obj.attachments]})


@bp.post(BASE)
def upload_attachment(plural: str, ref: str):
    """上传附件 (multipart/form-data: file, patent_certificate)"""
    obj = _editable(plural, ref)
    upload = request.files.get("file")
    if upload is None:
        raise DomainError("请以 multipart/form-data 上传文件，字段名 file", "file")
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    flag = (request.form.get("patent_certificate") or "").lower() in ("1", "true", "yes", "on")
    try:
        att = services.add_attachment(
            db.session,
            obj,
            current_user,
            upload.filename,
            upload.read(max_bytes + 1),
            base_dir=current_app.config["UPLOAD_DIR"],
            max_bytes=max_bytes,
            max_count=current_app.config["ATTACHMENT_MAX_COUNT"],
            patent_certificate=flag,
        )
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_dict(obj, att)), 201


upload_attachment.openapi_request = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": services.ACCEPTED},
                "patent_certificate": {"type": "boolean", "description": "专利证书"},
            },
        }
    }
}


@bp.get(f"{BASE}/<int:attachment_id>")
def download_attachment(plural: str, ref: str, attachment_id: int):
    """下载附件 (always as a download, X-Content-Type-Options: nosniff)"""
    obj = _load(_kind(plural), ref)
    return download_response(_attachment(obj, attachment_id))


download_attachment.openapi_response = {
    t.content_type: {"schema": {"type": "string", "format": "binary"}} for t in services.TYPES.values()
}


@bp.delete(f"{BASE}/<int:attachment_id>")
def delete_attachment(plural: str, ref: str, attachment_id: int):
    """删除附件"""
    obj = _editable(plural, ref)
    services.delete_attachment(db.session, _attachment(obj, attachment_id), current_user)
    db.session.commit()
    return "", 204
