"""Fixtures for the security regression tests: a client signed in as any user."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD


@pytest.fixture
def as_user(app):
    """as_user(user) -> a fresh test client signed in as that user (None: anonymous)."""

    def _client(user=None):
        c = app.test_client()
        if user is not None:
            resp = c.post("/login", data={"email": user.email, "password": PASSWORD})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return c

    return _client
