"""Shared fixtures: app, db, client, login helper, live server and browser.

The database is SQLite in a temporary file unless TEST_DATABASE_URL points elsewhere
(CI also runs the suite against PostgreSQL). The schema is created once per run and
every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from matchmaker import create_app
from matchmaker.extensions import db as _db

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _ensure_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql"):
        _ensure_postgres_database(url)
        return url
    return url or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create every table once; drop them at the end of the run."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": tmp_path_factory.mktemp("instance"),
        }
    )
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": tmp_path / "instance",
        "INDEX_DIR": tmp_path / "indexes",
        "WTF_CSRF_ENABLED": False,
        "TESTING": True,
        # Tests that want automatic proposals turn them on (tests/review).
        "AUTO_PROPOSE": False,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url, _schema, tmp_path):
    app = make_test_app(database_url, tmp_path)

    @app.before_request
    def _forget_cached_user():
        # The test app context outlives requests, so Flask-Login's cached g._login_user
        # would carry one client's user into another client's request.
        from flask import g

        g.pop("_login_user", None)

    with app.app_context():
        yield app
        _db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Scrypt costs ~0.2 s a user; a low-iteration PBKDF2 keeps every login check real."""
    from werkzeug import security

    from matchmaker.accounts import models

    monkeypatch.setattr(
        models,
        "generate_password_hash",
        lambda pw: security.generate_password_hash(pw, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_user(app):
    """as_user(user) -> a fresh test client signed in as that user (None: anonymous)."""
    from tests.factories import PASSWORD

    def _client(user=None):
        c = app.test_client()
        if user is not None:
            resp = c.post("/login", data={"email": user.email, "password": PASSWORD})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return c

    return _client


@pytest.fixture
def login(client):
    """login(user, password=factories.PASSWORD): sign a test client in as that user."""
    from tests.factories import PASSWORD

    def _login(user, password=PASSWORD):
        resp = client.post("/login", data={"email": user.email, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def live_server(app):
    """Serve the test app on a free local port in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright. Missing Chromium fails in CI and skips elsewhere."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium 未安装：.ci/run 应当通过 apt 安装 chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    # generous: the machine has two cores, and a page
    # action may index and rank inline (JOBS=inline) before it answers
    page.set_default_timeout(30000)
    yield page
    context.close()


@pytest.fixture
def browser_login(page):
    """browser_login(user): sign in through the login form and wait until it has landed."""
    from tests.factories import PASSWORD

    def _login(user, password=PASSWORD):
        page.context.clear_cookies()
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.locator("form [type=submit]").first.click()
        # Wait for the redirect: a later goto() would otherwise cancel the POST.
        page.wait_for_url(lambda url: "/login" not in url)

    return _login
