"""Attachment (附件) of a 技术需求 or 科技成果; the file itself lives under UPLOAD_DIR."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Need, Result


class Attachment(db.Model):
    """One uploaded file. `stored_name` is generated (never the user's name); the original
    name is kept only to offer it back, sanitised, in Content-Disposition."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    file_type: Mapped[str] = mapped_column(String(10))  # pdf png jpeg docx xlsx pptx
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    patent_certificate: Mapped[bool] = mapped_column(default=False)  # 专利证书
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Deleting a posting deletes its attachment rows (ORM cascade, so the files are removed
    # after the commit by the session hooks in services.py).
    need: Mapped[Need | None] = relationship(
        Need, backref=backref("attachments", cascade="all, delete-orphan", order_by="Attachment.id")
    )
    result: Mapped[Result | None] = relationship(
        Result, backref=backref("attachments", cascade="all, delete-orphan", order_by="Attachment.id")
    )

    @property
    def posting(self):
        return self.need if self.need_id is not None or self.need is not None else self.result

    @property
    def inline_ok(self) -> bool:
        """Images and PDF may be shown in the browser; Office files are always downloaded."""
        return self.file_type in ("png", "jpeg", "pdf")
