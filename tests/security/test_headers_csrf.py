"""API writes refuse cross-site requests; headers and cookie flags (安全响应头)."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.config import Config
from tests import factories as f


def _researcher_client(as_user, db):
    user = f.user("researcher")
    f.field("高端装备制造")
    db.session.commit()
    return as_user(user)


def test_form_encoded_api_write_is_refused(as_user, db):
    c = _researcher_client(as_user, db)
    resp = c.post("/api/v1/results", data={"title": "跨站表单提交的成果"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"
    resp = c.post("/api/v1/results", data="{}", content_type="text/plain")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"


def test_foreign_origin_is_refused_and_audited(as_user, db):
    c = _researcher_client(as_user, db)
    resp = c.post("/api/v1/results", json={"title": "x"}, headers={"Origin": "http://evil.example"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["field"] == "Origin"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "permission_denied"))


def test_same_origin_json_write_passes(as_user, db):
    c = _researcher_client(as_user, db)
    resp = c.post(
        "/api/v1/results",
        json={
            "title": "同源提交的科技成果",
            "description": "同源提交的科技成果描述文字。" * 3,
            "field": "高端装备制造",
        },
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 201, resp.get_json()


def test_headers(client):
    resp = client.get("/")
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers
    https = client.get("/", base_url="https://localhost")
    assert "max-age=" in https.headers["Strict-Transport-Security"]


def test_secure_cookie_on_by_default_outside_development(monkeypatch, tmp_path):
    monkeypatch.delenv("MATCHMAKER_SECURE_COOKIES", raising=False)
    monkeypatch.delenv("MATCHMAKER_ENV", raising=False)
    assert Config(instance_path=tmp_path, SECRET_KEY="x").SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("MATCHMAKER_ENV", "development")
    assert Config(instance_path=tmp_path, SECRET_KEY="x").SESSION_COOKIE_SECURE is False
