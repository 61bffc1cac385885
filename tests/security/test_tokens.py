"""Personal access tokens (个人访问令牌): created in 设置, hashed, scoped, expiring, revocable."""

from __future__ import annotations

import re

from sqlalchemy import select

from matchmaker.accounts.models import ApiToken
from tests import factories as f


def _create(c, scopes="read", days=30):
    resp = c.post("/settings/tokens", data={"name": "ERP 对接", "scopes": scopes, "days": days})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return re.search(r"(mm_[A-Za-z0-9_-]+)", resp.get_data(as_text=True)).group(1)


def test_token_reads_and_scopes_writes(as_user, app, db):
    user = f.user("researcher")
    f.field("高端装备制造")
    db.session.commit()
    web = as_user(user)
    read_token = _create(web)
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash != read_token and read_token not in row.token_hash  # stored hashed
    program = app.test_client()
    bearer = {"Authorization": f"Bearer {read_token}"}
    assert program.get("/api/v1/my/matches", headers=bearer).status_code == 200
    assert program.get("/api/v1/my/matches").status_code == 401
    posting = {
        "title": "令牌提交的科技成果",
        "description": "令牌提交的科技成果描述文字。" * 3,
        "field": "高端装备制造",
    }
    assert program.post("/api/v1/results", json=posting, headers=bearer).status_code == 403
    write_token = _create(web, scopes="read write")
    resp = program.post("/api/v1/results", json=posting, headers={"Authorization": f"Bearer {write_token}"})
    assert resp.status_code == 201, resp.get_json()
    # A later request without the header is anonymous again.
    assert program.get("/api/v1/my/matches").status_code == 401


def test_revoked_and_bogus_tokens_are_refused(as_user, app, db):
    user = f.user("enterprise")
    db.session.commit()
    web = as_user(user)
    token = _create(web)
    program = app.test_client()
    row = db.session.scalar(select(ApiToken))
    assert web.post(f"/settings/tokens/{row.id}/revoke").status_code == 302
    resp = program.get("/api/v1/my/matches", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.get_json()["error"]["field"] == "Authorization"
    assert program.get("/api/v1/my/matches", headers={"Authorization": "Bearer mm_bogus"}).status_code == 401


def test_someone_elses_token_cannot_be_revoked(as_user, db):
    owner, other = f.user("enterprise"), f.user("enterprise")
    db.session.commit()
    _create(as_user(owner))
    row = db.session.scalar(select(ApiToken))
    assert as_user(other).post(f"/settings/tokens/{row.id}/revoke").status_code == 403
