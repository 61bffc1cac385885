"""everyday use: one-time form tokens

Revision ID: everyday_1
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "everyday_1"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submit_tokens",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_submit_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_submit_tokens")),
    )
    with op.batch_alter_table("submit_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submit_tokens_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("submit_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submit_tokens_user_id"))
    op.drop_table("submit_tokens")
