"""money: investors in roadshow demand (roadshow_interests.investor_id, need_id nullable)

Revision ID: money_1
Revises: exchange_1

"""

import sqlalchemy as sa
from alembic import op

revision = "money_1"
down_revision = "exchange_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roadshow_interests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("investor_id", sa.Integer(), nullable=True))
        batch_op.alter_column("need_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_roadshow_interests_investor_id_investors"),
            "investors",
            ["investor_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    op.execute("DELETE FROM roadshow_interests WHERE need_id IS NULL")
    with op.batch_alter_table("roadshow_interests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_roadshow_interests_investor_id_investors"), type_="foreignkey"
        )
        batch_op.alter_column("need_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("investor_id")
