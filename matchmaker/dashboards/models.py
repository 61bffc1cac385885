"""Indexes the dashboards read by (数据看板索引). No tables of their own: every figure comes from the
records of other areas; these indexes keep the GROUP BY queries under 300 ms at 100,000 postings
and 1,000,000 match and event rows (docs/BENCHMARKS.md)."""

from __future__ import annotations

from sqlalchemy import Index

from matchmaker.accounts.models import User
from matchmaker.postings.models import Need
from matchmaker.review.models import Match, StageChange

# Period filters and the "open for N days" cut.
ix_needs_created_at = Index("ix_needs_created_at", Need.__table__.c.created_at)
ix_needs_region = Index("ix_needs_region", Need.__table__.c.region)
# Per-broker performance groups matches by who decided them.
ix_matches_decided_by_id = Index("ix_matches_decided_by_id", Match.__table__.c.decided_by_id)
# Funnel steps from the stage history: which matches ever reached a stage.
ix_stage_changes_to_stage_match = Index(
    "ix_stage_changes_to_stage_match", StageChange.__table__.c.to_stage, StageChange.__table__.c.match_id
)
ix_users_role = Index("ix_users_role", User.__table__.c.role)
