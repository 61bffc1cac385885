"""撮合 (Match) and the deal pipeline."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Expert, Need, Result

# 对接阶段, in pipeline order, then the closed state.
STAGES = {
    "proposed": "推荐",
    "broker_review": "经纪人审核",
    "confirmation": "双方确认",
    "negotiation": "对接洽谈",
    "signed": "签约",
    "registered": "登记",
    "closed": "已关闭",
}


class Match(db.Model):
    """撮合 / 匹配: a need–result (or need–expert) pair with score, explanation and stage."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[Optional[int]] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[Optional[int]] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    # ranker, manual (a broker's addition: a ranking miss), roadshow (an intent), challenge
    source: Mapped[str] = mapped_column(String(20), default="ranker")
    stage: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    note: Mapped[Optional[str]] = mapped_column(Text)

    need: Mapped[Need] = relationship()
    result: Mapped[Optional[Result]] = relationship()
    expert: Mapped[Optional[Expert]] = relationship()
