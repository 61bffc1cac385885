"""One-time form tokens (防重复提交): a create form's token, once used, points at its record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db, utcnow


class SubmitToken(db.Model):
    """A used create-form token and the page of the record it made (提交令牌)."""

    __tablename__ = "submit_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
