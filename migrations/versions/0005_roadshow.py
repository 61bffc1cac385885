"""roadshow: solve progress kept in the database

Revision ID: roadshow_1
Revises: everyday_1
"""

import sqlalchemy as sa
from alembic import op

revision = "roadshow_1"
down_revision = "everyday_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roadshow_schedule_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("progress_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("roadshow_schedule_versions", schema=None) as batch_op:
        batch_op.drop_column("progress_at")
        batch_op.drop_column("progress")
