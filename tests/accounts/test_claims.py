"""Organisations are claimed, not typed (机构认领): a claimant owns nothing until approved."""

from __future__ import annotations

import io

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog, OrganizationClaim, User
from matchmaker.accounts.services import credit_code_check_digit
from tests import factories as f
from tests.factories import PASSWORD

UNI = "郑州轻工业大学"
PHONE = "13722223333"


def credit_code(body: str = "12410000415800948") -> str:
    return body + credit_code_check_digit(body)


def _register(client, *, org=UNI, email="claim@example.cn", code=None, document=True):
    data = {
        "role": "researcher",
        "org_name": org,
        "org_type": "高校",
        "region": "郑州",
        "name": "张三",
        "email": email,
        "password": "Abcdef12345",
        "password2": "Abcdef12345",
        "credit_code": code or "",
    }
    if document:
        data["document"] = (io.BytesIO(b"%PDF-1.4 licence"), "营业执照.pdf")
    return client.post("/register", data=data, content_type="multipart/form-data")


def _university(db):
    uni = f.organization("高校", UNI)
    result = f.result("食品加工废水资源化技术", org=uni, contact_phone=PHONE)
    db.session.commit()
    return uni, result


def test_claimant_cannot_patch_the_universitys_results(client, db):
    uni, result = _university(db)
    resp = _register(client, code=credit_code())
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    user = db.session.scalar(select(User).where(User.email == "claim@example.cn"))
    assert user.organization_id != uni.id
    claim = db.session.scalar(select(OrganizationClaim))
    assert claim.status == "pending" and claim.organization_id == uni.id and claim.kind == "join"
    patch = client.patch(f"/api/v1/results/{result.id}", json={"title": "被篡改的成果标题"})
    assert patch.status_code == 403
    assert PHONE not in client.get(f"/results/{result.id}").get_data(as_text=True)
    assert PHONE not in str(client.get(f"/api/v1/results/{result.id}").get_json())
    db.session.expire_all()
    assert db.session.get(type(result), result.id).title == "食品加工废水资源化技术"


def test_claim_needs_credit_code_and_document(client, db):
    _university(db)
    resp = _register(client, code="", document=False)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "统一社会信用代码" in html
    assert db.session.scalar(select(User).where(User.email == "claim@example.cn")) is None
    bad = "12410000415800948" + ("0" if credit_code().endswith("1") else "1")
    resp = _register(client, code=bad)
    assert resp.status_code == 200 and "校验位" in resp.get_data(as_text=True)


def test_admin_approves_and_then_the_account_belongs(client, db, app):
    uni, result = _university(db)
    admin = f.user("admin")
    db.session.commit()
    _register(client, code=credit_code())
    claim = db.session.scalar(select(OrganizationClaim))
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    page = admin_client.get("/claims").get_data(as_text=True)
    assert UNI in page and "营业执照.pdf" in page
    doc = admin_client.get(f"/claims/{claim.id}/document")
    assert doc.status_code == 200 and doc.data.startswith(b"%PDF")
    resp = admin_client.post("/claims", data={"claim_id": claim.id, "decision": "approve"})
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "claim@example.cn"))
    assert user.organization_id == uni.id
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "claim_approved"))
    assert (
        client.patch(f"/api/v1/results/{result.id}", json={"title": "食品加工废水资源化新技术"}).status_code
        == 200
    )


def test_stranger_cannot_approve_and_reject_needs_reason(client, db, app):
    _university(db)
    _register(client, code=credit_code())
    claim = db.session.scalar(select(OrganizationClaim))
    other = app.test_client()
    stranger = f.user("researcher")
    db.session.commit()
    other.post("/login", data={"email": stranger.email, "password": PASSWORD})
    assert other.post("/claims", data={"claim_id": claim.id, "decision": "approve"}).status_code == 403
    assert other.get(f"/claims/{claim.id}/document").status_code == 403
    db.session.expire_all()
    assert db.session.get(OrganizationClaim, claim.id).status == "pending"


def test_new_organisation_is_hidden_until_verified(client, db, app):
    resp = _register(client, org="郑州新注册科技大学", email="new@example.cn", document=False)
    assert resp.status_code == 302
    f.field("高端装备制造")
    db.session.commit()
    created = client.post(
        "/api/v1/results",
        json={
            "title": "新机构的科技成果标题",
            "description": "新机构的科技成果描述，足够长的文字。" * 2,
            "field": "高端装备制造",
        },
    )
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["internal_id"]
    anon = app.test_client()
    assert anon.get(f"/api/v1/results/{rid}").status_code == 403
    assert "新机构的科技成果标题" not in anon.get("/results").get_data(as_text=True)
    claim = db.session.scalar(select(OrganizationClaim))
    assert claim.kind == "new"
    admin = f.user("admin")
    db.session.commit()
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    admin_client.post("/claims", data={"claim_id": claim.id, "decision": "approve"})
    assert anon.get(f"/api/v1/results/{rid}").status_code == 200
