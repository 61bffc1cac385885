"""看板事实表 and indexes the dashboards read by.

`NeedFact` is one row per need that has matches: how far its matches went (first match, an
accepted one, first exchange of contacts, the stages reached in the stage history, first signed
contract). It is derived from the records only and kept in step with them in the same
transaction (matchmaker.dashboards.facts, on every flush that touches a need's matches, stage
changes or contracts); `flask --app matchmaker dashboards rebuild` recomputes it from scratch (after
a bulk load that bypassed the ORM). With it the funnel, durations and efficiency aggregate 100,000
rows instead of 1,000,000 (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.accounts.models import User
from matchmaker.extensions import db
from matchmaker.postings.models import Need
from matchmaker.review.models import Match, StageChange


class NeedFact(db.Model):
    """需求撮合进展: one need's matches summarised (derived; never edited by hand)."""

    __tablename__ = "dashboard_need_facts"

    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)
    matches: Mapped[int] = mapped_column(default=0)
    first_match_at: Mapped[datetime | None]
    accepted: Mapped[int] = mapped_column(default=0)  # 1 when a broker accepted one of its matches
    first_contact_at: Mapped[datetime | None]  # first released_at (contacts exchanged)
    negotiation: Mapped[int] = mapped_column(default=0)  # 1 when the stage history shows 对接洽谈
    signed: Mapped[int] = mapped_column(default=0)
    registered: Mapped[int] = mapped_column(default=0)
    first_signed_on: Mapped[date | None]


# Period filters and the "open for N days" cut.
ix_needs_created_at = Index("ix_needs_created_at", Need.__table__.c.created_at)
ix_needs_region = Index("ix_needs_region", Need.__table__.c.region)
# Per-broker performance groups matches by who decided them (covering: no table visit).
ix_matches_decided_by = Index(
    "ix_matches_decided_by",
    Match.__table__.c.decided_by_id,
    Match.__table__.c.need_id,
    Match.__table__.c.decision,
    Match.__table__.c.released_at,
)
# Funnel steps from the stage history: which matches ever reached a stage.
ix_stage_changes_to_stage_match = Index(
    "ix_stage_changes_to_stage_match", StageChange.__table__.c.to_stage, StageChange.__table__.c.match_id
)
ix_users_role = Index("ix_users_role", User.__table__.c.role)
