"""附件 services: sniff the type from the content, store under a generated name, list, delete.

Plain Python (no request context); the caller commits. Files and rows stay consistent:

* Upload writes the bytes to a temporary name in the upload directory, fsyncs, then renames
  them (atomic) to the generated final name, and only then flushes the row; the request commits
  after. A crash before the commit leaves at most an orphan file with no row (harmless, and
  `flask attachments sweep` removes it); a crash after the commit finds the file already in
  place. So no committed row ever points at a missing file. Had we committed first and written
  after, a crash in between would leave a row pointing at nothing. A rollback (validation
  error, IntegrityError, exception) removes the file at once (session hook below).
* Delete (of an attachment, or of its posting through the ORM cascade) removes the file only
  after the commit: a rollback keeps both the row and the file.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from matchmaker.attachments.models import Attachment
from matchmaker.errors import DomainError


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extension: str
    label: str


TYPES = {
    "pdf": FileType("pdf", "application/pdf", ".pdf", "PDF"),
    "png": FileType("png", "image/png", ".png", "PNG 图片"),
    "jpeg": FileType("jpeg", "image/jpeg", ".jpg", "JPEG 图片"),
    "docx": FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
        "Word 文档",
    ),
    "xlsx": FileType(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel 表格"
    ),
    "pptx": FileType(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
        "PowerPoint 演示文稿",
    ),
}
# Office Open XML: the main part that must exist and the content type [Content_Types].xml
# must declare for it (a macro-enabled .docm/.xlsm declares another type and is refused).
OFFICE_PARTS = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}
ACCEPTED = "PDF、PNG/JPEG 图片、Word（docx）、Excel（xlsx）、PowerPoint（pptx）"
MAX_CONTENT_TYPES_XML = 1024 * 1024


def sniff(data: bytes) -> FileType | None:
    """The file's type read from its content (magic bytes), never from its name."""
    if data.startswith(b"%PDF-"):
        return TYPES["pdf"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if data.startswith(b"PK\x03\x04"):
        return _office_type(data)
    return None


def _office_type(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            info = z.getinfo("[Content_Types].xml") if "[Content_Types].xml" in names else None
            if info is None or info.file_size > MAX_CONTENT_TYPES_XML:
                return None
            declared = z.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError):
        return None
    for name, (part, content_type) in OFFICE_PARTS.items():
        if part in names and content_type in declared:
            return TYPES[name]
    return None


def safe_filename(name: str | None, file_type: FileType) -> str:
    """The user's file name reduced to something safe to show and to put in a header: no path,
    no control or quote characters, bounded, with the extension of the sniffed type."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:100].strip(" .") or "附件"
    return stem + file_type.extension


def upload_dir(base) -> Path:
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(base, att: Attachment) -> Path:
    return Path(base) / att.stored_name


def add_attachment(
    session: Session,
    posting,
    user,
    filename: str | None,
    data: bytes,
    *,
    base_dir,
    max_bytes: int,
    max_count: int,
    patent_certificate: bool = False,
) -> Attachment:
    """上传附件: check count, size and type (by content), write the file, add the row (flush)."""
    if posting.kind not in ("need", "result"):
        raise DomainError("只有技术需求和科技成果可以上传附件", "posting")
    if len(posting.attachments) >= max_count:
        raise DomainError(f"每条最多上传 {max_count} 个附件，请先删除不需要的附件", "file")
    if not data:
        raise DomainError("请选择要上传的文件（文件不能为空）", "file")
    if len(data) > max_bytes:
        raise DomainError(f"文件超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传", "file")
    file_type = sniff(data)
    if file_type is None:
        raise DomainError(f"不支持该文件类型（按文件内容识别）。可上传：{ACCEPTED}", "file")
    stored = secrets.token_hex(16) + file_type.extension
    directory = upload_dir(base_dir)
    tmp = directory / f".tmp-{stored}"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, directory / stored)
    att = Attachment(
        stored_name=stored,
        original_name=safe_filename(filename, file_type),
        file_type=file_type.name,
        content_type=file_type.content_type,
        size=len(data),
        patent_certificate=bool(patent_certificate),
        uploaded_by_id=getattr(user, "id", None),
    )
    if posting.kind == "need":
        att.need = posting
    else:
        att.result = posting
    session.add(att)
    _pending(session, "written").append((att, directory / stored))
    session.flush()
    _audit(session, "attachment_upload", user, posting, att)
    return att


def delete_attachment(session: Session, att: Attachment, user) -> None:
    """删除附件: the row now, the file after the commit."""
    posting = att.posting
    _audit(session, "attachment_delete", user, posting, att)
    session.delete(att)
    session.flush()


def set_patent_certificate(session: Session, att: Attachment, user, value: bool) -> None:
    att.patent_certificate = bool(value)
    _audit(session, "attachment_mark" if value else "attachment_unmark", user, att.posting, att)
    session.flush()


def _audit(session, action, user, posting, att) -> None:
    from matchmaker.accounts.services import audit

    audit(
        session,
        action,
        user,
        target=f"{posting.kind}:{posting.id}",
        detail=f"附件 {att.original_name}（{att.size} 字节{'，专利证书' if att.patent_certificate else ''}）",
    )


def to_dict(att: Attachment, url: str) -> dict:
    return {
        "id": att.id,
        "filename": att.original_name,
        "type": att.file_type,
        "content_type": att.content_type,
        "size": att.size,
        "patent_certificate": att.patent_certificate,
        "created_at": att.created_at.isoformat(timespec="seconds"),
        "url": url,
    }


def orphans(session: Session, base_dir) -> list[Path]:
    """Files in the upload directory with no row (left by a crash before a commit)."""
    from sqlalchemy import select

    directory = Path(base_dir)
    if not directory.is_dir():
        return []
    known = set(session.scalars(select(Attachment.stored_name)))
    return [p for p in directory.iterdir() if p.is_file() and p.name not in known]


# --------------------------------------------------------------- file follow-up on commit/rollback


def _pending(session: Session, key: str) -> list:
    return session.info.setdefault(f"attachments_{key}", [])


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


@event.listens_for(Session, "after_flush")
def _track_deletes(session, flush_context):
    for obj in session.deleted:
        if isinstance(obj, Attachment) and obj.stored_name:
            _pending(session, "deleted").append(obj)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    from flask import current_app, has_app_context

    for att, path in session.info.pop("attachments_written", []):
        if inspect(att).transient:  # its savepoint was rolled back: the row never committed
            _unlink(path)
    deleted = session.info.pop("attachments_deleted", [])
    if deleted and has_app_context():
        base = current_app.config["UPLOAD_DIR"]
        for att in deleted:
            if inspect(att).was_deleted:  # not restored by a rolled-back savepoint
                _unlink(file_path(base, att))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    for _att, path in session.info.pop("attachments_written", []):
        _unlink(path)
    session.info.pop("attachments_deleted", None)
