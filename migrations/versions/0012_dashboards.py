"""dashboards: indexes for the dashboard aggregates (数据看板)

Revision ID: dashboards_1
Revises: attachments_1

The derived table dashboard_need_facts is filled from the existing records on upgrade
(the same aggregate as matchmaker.dashboards.facts.facts_select).
Create Date: 2026-12-02 17:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "dashboards_1"
down_revision = "attachments_1"
branch_labels = None
depends_on = None


FILL = """
INSERT INTO dashboard_need_facts (need_id, matches, first_match_at, accepted, first_contact_at,
                                  negotiation, signed, registered, first_signed_on)
SELECT b.need_id, b.matches, b.first_match_at, b.accepted, b.first_contact_at,
       COALESCE(s.negotiation, 0), COALESCE(s.signed, 0), COALESCE(s.registered, 0), c.first_signed_on
FROM (SELECT need_id, count(*) AS matches, min(created_at) AS first_match_at,
             max(CASE WHEN decision = 'accept' THEN 1 ELSE 0 END) AS accepted,
             min(released_at) AS first_contact_at
      FROM matches GROUP BY need_id) AS b
JOIN needs ON needs.id = b.need_id
LEFT JOIN (SELECT m.need_id,
                  max(CASE WHEN sc.to_stage = 'negotiation' THEN 1 ELSE 0 END) AS negotiation,
                  max(CASE WHEN sc.to_stage = 'signed' THEN 1 ELSE 0 END) AS signed,
                  max(CASE WHEN sc.to_stage = 'registered' THEN 1 ELSE 0 END) AS registered
           FROM matches m JOIN stage_changes sc ON sc.match_id = m.id
           WHERE sc.to_stage IN ('negotiation', 'signed', 'registered')
           GROUP BY m.need_id) AS s ON s.need_id = b.need_id
LEFT JOIN (SELECT m.need_id, min(ct.signed_on) AS first_signed_on
           FROM matches m JOIN contracts ct ON ct.match_id = m.id
           GROUP BY m.need_id) AS c ON c.need_id = b.need_id
"""


def upgrade():
    op.create_table(
        "dashboard_need_facts",
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("first_match_at", sa.DateTime(), nullable=True),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("first_contact_at", sa.DateTime(), nullable=True),
        sa.Column("negotiation", sa.Integer(), nullable=False),
        sa.Column("signed", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("first_signed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["need_id"], ["needs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("need_id"),
    )
    op.execute(FILL)
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_needs_region", ["region"], unique=False)
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_matches_decided_by", ["decided_by_id", "need_id", "decision", "released_at"], unique=False
        )
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.create_index("ix_stage_changes_to_stage_match", ["to_stage", "match_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_role", ["role"], unique=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_role")
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_changes_to_stage_match")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_decided_by")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_region")
        batch_op.drop_index("ix_needs_created_at")
    op.drop_table("dashboard_need_facts")
