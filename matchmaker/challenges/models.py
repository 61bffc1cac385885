"""产业立题 and 揭榜挂帅 models."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field


class Topic(db.Model):
    """产业立题: an industry-chain topic set by the department."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    industry_chain: Mapped[str] = mapped_column(String(100))  # 产业链, e.g. 超硬材料产业链
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    field_id: Mapped[Optional[int]] = mapped_column(ForeignKey("fields.id"))
    lead_department: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="published")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    field: Mapped[Optional[Field]] = relationship()
