"""dashboards: indexes for the dashboard aggregates (数据看板)

Revision ID: dashboards_1
Revises: trading_1
Create Date: 2026-12-02 17:30:00

"""

from alembic import op

revision = "dashboards_1"
down_revision = "trading_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("ix_needs_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_needs_region", ["region"], unique=False)
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_decided_by_id", ["decided_by_id"], unique=False)
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
        batch_op.drop_index("ix_matches_decided_by_id")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("ix_needs_region")
        batch_op.drop_index("ix_needs_created_at")
