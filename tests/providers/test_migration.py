"""The chain migration maps the existing maturity onto readiness levels."""

from __future__ import annotations

from datetime import datetime

from flask_migrate import upgrade
from sqlalchemy import text

from matchmaker import create_app
from matchmaker.extensions import db
from tests.test_migrations import empty_database_url  # noqa: F401  (fixture)


def test_existing_maturity_becomes_trl(empty_database_url, tmp_path):  # noqa: F811
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "t",
            "INSTANCE_PATH": tmp_path / "instance",
            "INDEX_DIR": tmp_path / "idx",
        }
    )
    with app.app_context():
        upgrade(revision="0001")
        now = datetime(2026, 1, 1)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO fields (id, name, related, sort_order, active) VALUES (1, '新能源', '[]', 0, true)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO organizations (id, name, type, created_at) VALUES (1, '某大学', '高校', :t)"
                ),
                {"t": now},
            )
            for i, maturity in enumerate(["实验室阶段", "小试", "中试", "产业化", None], 1):
                conn.execute(
                    text(
                        "INSERT INTO results (id, external_id, title, description, field_id, keywords, maturity,"
                        " patent_numbers, transfer_modes, status, organization_id, created_at, updated_at)"
                        " VALUES (:i, :e, '标题', '描述', 1, '[]', :m, '[]', '[]', 'published', 1, :t, :t)"
                    ),
                    {"i": i, "e": f"R{i}", "m": maturity, "t": now},
                )
        upgrade(revision="chain_1")
        with db.engine.connect() as conn:
            got = dict(conn.execute(text("SELECT external_id, trl FROM results")).all())
        assert got == {"R1": 3, "R2": 4, "R3": 6, "R4": 9, "R5": None}
        db.engine.dispose()
