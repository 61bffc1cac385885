"""index change log and worker state

Revision ID: live_1
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "live_1"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "index_changes",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("posting_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_index_changes")),
    )
    with op.batch_alter_table("index_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_index_changes_done"), ["done"], unique=False)
    op.create_table(
        "worker_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("cursor", SEQ, nullable=False),
        sa.Column("processed", SEQ, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_state")),
    )


def downgrade():
    op.drop_table("worker_state")
    with op.batch_alter_table("index_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_changes_done"))
    op.drop_table("index_changes")
