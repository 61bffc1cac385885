"""Two real installations for the exchange tests (沿黄交换): A on SQLite, B on PostgreSQL, each
with its own database and index folder, each served by werkzeug on its own port.

B's database is EXCHANGE_B_DATABASE_URL (default mm_exchange_b on the local PostgreSQL); when
no PostgreSQL answers, B falls back to a second SQLite file so the tests still run.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from matchmaker.extensions import db
from tests.conftest import _empty_tables, _ensure_postgres_database, make_test_app

# The SQLite and PostgreSQL runs of the suite may run at once (CI): each gets its own B.
_RUN = "pg" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"
PG_URL = os.environ.get(
    "EXCHANGE_B_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/mm_exchange_b_{_RUN}"
)


def _postgres_ok(url: str) -> bool:
    try:
        _ensure_postgres_database(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@dataclass
class Installation:
    name: str
    app: object
    url: str
    server: object = None

    @contextlib.contextmanager
    def ctx(self):
        """This installation's app context (its own db.session)."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def _serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def installations(tmp_path_factory):
    root = tmp_path_factory.mktemp("exchange")
    url_b = PG_URL if _postgres_ok(PG_URL) else f"sqlite:///{root / 'b.db'}"
    out = {}
    for name, url in (("A", f"sqlite:///{root / 'a.db'}"), ("B", url_b)):
        app = make_test_app(url, root / name)
        with app.app_context():
            db.drop_all()
            db.create_all()
        server = _serve(app)
        out[name] = Installation(name, app, f"http://127.0.0.1:{server.server_port}", server)
    yield out
    for inst in out.values():
        inst.server.shutdown()
        with inst.app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


@pytest.fixture
def pair(installations):
    yield installations["A"], installations["B"]
    for inst in installations.values():
        with inst.app.app_context():
            db.session.remove()
            _empty_tables()


@pytest.fixture
def linked(pair):
    """A and B partners both ways: each issued a key to the other and added the other."""
    from matchmaker.exchange import services

    a, b = pair
    with b.ctx() as s:
        _, key_for_a = services.issue_key(s, "A", name="甲省平台")
        s.commit()
    with a.ctx() as s:
        services.add_partner(s, "B", b.url, key_for_a, name="乙省平台")
        _, key_for_b = services.issue_key(s, "B", name="乙省平台")
        s.commit()
    with b.ctx() as s:
        services.add_partner(s, "A", a.url, key_for_b, name="甲省平台")
        s.commit()
    return a, b
