"""Drafts never leak through search or match lists (草稿不外泄), on the API and the pages."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from tests import factories as f

SECRET = "量子隧穿钙钛矿叠层"


def _draft_via_api(as_user, researcher) -> dict:
    resp = as_user(researcher).post(
        "/api/v1/results",
        json={
            "title": f"{SECRET}太阳能电池封装工艺",
            "description": f"{SECRET}电池的低温封装工艺，数控机床热误差补偿配套，尚未公开。",
            "field": "高端装备制造",
            "keywords": [SECRET, "热误差"],
            "status": "draft",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "draft"
    return body


def _setup(db):
    uni = f.organization("高校", "郑州草稿大学")
    researcher = f.user("researcher", org=uni)
    f.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"])
    need = f.need("数控机床热误差导致尺寸漂移", keywords=["热误差", SECRET])
    enterprise = f.user("enterprise")
    db.session.commit()
    return researcher, enterprise, need


def _leaks(body) -> bool:
    text = str(body)
    return SECRET in text


def test_api_draft_never_in_search_or_need_matches(as_user, db):
    researcher, enterprise, need = _setup(db)
    draft = _draft_via_api(as_user, researcher)
    for viewer in (None, enterprise):
        c = as_user(viewer)
        search = c.get(f"/api/v1/search?q={SECRET}&kind=result")
        assert search.status_code == 200
        assert draft["internal_id"] not in [it["id"] for it in search.get_json()["items"]]
        assert not any(SECRET in str(it) for it in search.get_json()["items"])
        matches = c.get(f"/api/v1/needs/{need.id}/matches?top=50")
        assert matches.status_code == 200
        assert draft["internal_id"] not in [it["id"] for it in matches.get_json()["items"]]
        own = c.get(f"/api/v1/results/{draft['internal_id']}/matches")
        assert own.status_code == 403
        assert not _leaks(own.get_json())


def test_api_draft_refusal_is_audited(as_user, db):
    researcher, enterprise, _ = _setup(db)
    draft = _draft_via_api(as_user, researcher)
    as_user(enterprise).get(f"/api/v1/results/{draft['internal_id']}/matches")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "permission_denied"))
    assert entry is not None and entry.user_id == enterprise.id
    assert f"/api/v1/results/{draft['internal_id']}/matches" in entry.target


def test_owner_still_reads_its_draft_matches(as_user, db):
    researcher, _, _ = _setup(db)
    draft = _draft_via_api(as_user, researcher)
    resp = as_user(researcher).get(f"/api/v1/results/{draft['internal_id']}/matches")
    assert resp.status_code == 200
    assert resp.get_json()["source"]["id"] == draft["internal_id"]


def test_web_search_hides_draft(as_user, db):
    researcher, enterprise, _ = _setup(db)
    _draft_via_api(as_user, researcher)
    for viewer in (None, enterprise):
        html = as_user(viewer).get(f"/matching/?q={SECRET}&kind=result").get_data(as_text=True)
        assert "太阳能电池封装工艺" not in html
