"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic migrations agree on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no time zone, so we store UTC everywhere."""
    return datetime.now(UTC).replace(tzinfo=None)


SQLITE_BUSY_MS = 30000


def sqlite_for_several_processes(dbapi_connection, connection_record) -> None:
    """SQLite shared by gunicorn workers, the worker and the CLI: WAL lets readers run beside
    the one writer, and a busy timeout makes a second writer wait instead of failing."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
