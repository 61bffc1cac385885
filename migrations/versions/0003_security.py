"""security: organisation claims and verification, session revocation, personal access tokens

Revision ID: security_1
Revises: live_1
"""

import sqlalchemy as sa
from alembic import op

revision = "security_1"
down_revision = "live_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_code", sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column("verified", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=20), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "organization_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("document_name", sa.String(length=200), nullable=True),
        sa.Column("document_path", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_organization_claims_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_claims_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_organization_claims_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_claims")),
    )
    with op.batch_alter_table("organization_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_claims_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organization_claims_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_organization_claims_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("organization_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_claims_user_id"))
        batch_op.drop_index(batch_op.f("ix_organization_claims_status"))
        batch_op.drop_index(batch_op.f("ix_organization_claims_organization_id"))
    op.drop_table("organization_claims")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("verified")
        batch_op.drop_column("credit_code")
