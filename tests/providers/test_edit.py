"""登记 / 编辑服务机构 on the web and in the API: who may, the one-time token, errors beside
the field, audit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from matchmaker.accounts.models import AuditLog
from matchmaker.providers.models import Provider
from tests import factories as f
from tests.factories import PASSWORD

FORM = {
    "organization": "新乡测试概念验证中心",
    "name": "新乡测试概念验证中心",
    "type": "概念验证中心",
    "description": "面向电池材料的概念验证与样品试制服务。",
    "field": "新能源",
    "other_fields": "",
    "stage_from": "3",
    "stage_to": "5",
    "capabilities": "原理样机、性能测试",
    "equipment": "手套箱\n电池测试系统",
    "region": "新乡",
    "capacity_per_year": "20",
    "lead_time_days": "60",
    "fee_min_wan": "5",
    "fee_max_wan": "30",
    "contact_name": "王老师",
    "contact_phone": "0373-1234567",
    "contact_email": "",
}


def _as(app, user):
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


@pytest.fixture
def people(db):
    f.field("新能源")
    base = f.organization("企业", "洛阳测试中试基地")
    staff = f.user("enterprise", base)
    provider = Provider(
        external_id="PVE1",
        name="洛阳测试中试基地",
        type="中试基地",
        description="新能源材料工艺放大与批次稳定性验证。",
        field=f.field("新能源"),
        stage_from=4,
        stage_to=7,
        organization=base,
        owner=staff,
    )
    db.session.add(provider)
    people = dict(broker=f.user("broker"), staff=staff, outsider=f.user("enterprise"), provider=provider)
    db.session.commit()
    return people


def _count(db) -> int:
    return db.session.scalar(select(func.count(Provider.id)))


def test_broker_registers_a_provider_once_with_the_token(app, db, people):
    c = _as(app, people["broker"])
    page = c.get("/providers/new").get_data(as_text=True)
    token = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    before = _count(db)
    resp = c.post("/providers/new", data=FORM | {"submit_token": token})
    assert resp.status_code == 302
    p = db.session.scalar(select(Provider).where(Provider.name == FORM["name"]))
    assert resp.headers["Location"].endswith(f"/providers/{p.id}")
    assert p.organization.name == FORM["organization"] and p.owner_id == people["broker"].id
    assert (p.stage_from, p.stage_to, p.region, p.status) == (3, 5, "新乡", "published")
    assert p.equipment == ["手套箱", "电池测试系统"] and p.fee_max_wan == 30
    # Back + 保存 (the same token again) finds the first record instead of a second one
    again = c.post("/providers/new", data=FORM | {"submit_token": token})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/providers/{p.id}")
    assert _count(db) == before + 1
    assert db.session.scalar(
        select(AuditLog).where(AuditLog.action == "provider_create", AuditLog.target == f"provider:{p.id}")
    )


def test_errors_show_beside_the_field_and_save_nothing(app, db, people):
    c = _as(app, people["broker"])
    before = _count(db)
    html = c.post("/providers/new", data=FORM | {"stage_from": "6"}).get_data(as_text=True)
    assert 'data-field-error="stage_to"' in html and "起始级别不能高于结束级别" in html
    html = c.post("/providers/new", data=FORM | {"organization": ""}).get_data(as_text=True)
    assert 'data-field-error="organization"' in html
    assert _count(db) == before


def test_provider_staff_edit_and_archive_outsiders_refused(app, db, people):
    p = people["provider"]
    outsider = _as(app, people["outsider"])
    assert outsider.get(f"/providers/{p.id}/edit").status_code == 403
    assert outsider.get("/providers/new").status_code == 403  # runs no provider
    assert app.test_client().get(f"/providers/{p.id}/edit").status_code == 302  # to login
    staff = _as(app, people["staff"])
    form = staff.get(f"/providers/{p.id}/edit").get_data(as_text=True)
    assert 'value="新能源" selected' in form or 'selected value="新能源"' in form
    data = FORM | {"name": "洛阳测试中试基地（扩建）", "status": "archived"}
    data.pop("organization")
    assert staff.post(f"/providers/{p.id}/edit", data=data).status_code == 302
    db.session.refresh(p)
    assert p.name.endswith("（扩建）") and p.status == "archived"
    assert p.organization.name == "洛阳测试中试基地"  # the organisation is not editable
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "provider_update"))
    # archived: gone for others, still editable by its staff
    assert outsider.get(f"/providers/{p.id}").status_code == 404
    assert staff.get(f"/providers/{p.id}").status_code == 200
    # the provider's staff may register another for their own organisation (no 所属机构 field)
    page = staff.get("/providers/new").get_data(as_text=True)
    assert 'name="organization"' not in page
    new = FORM | {"name": "洛阳测试检验中心", "type": "检验检测机构", "stage_from": "6", "stage_to": "9"}
    assert staff.post("/providers/new", data=new).status_code == 302
    made = db.session.scalar(select(Provider).where(Provider.name == "洛阳测试检验中心"))
    assert made.organization_id == p.organization_id


def test_api_create_provider(app, db, people):
    body = {k: v for k, v in FORM.items() if v} | {"stage_from": 3, "stage_to": 5, "status": "archived"}
    assert app.test_client().post("/api/v1/providers", json=body).status_code == 401
    refused = _as(app, people["outsider"]).post("/api/v1/providers", json=body)
    assert refused.status_code == 403
    broker = _as(app, people["broker"])
    bad = broker.post("/api/v1/providers", json=body | {"type": "研究院"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "type"
    resp = broker.post("/api/v1/providers", json=body | {"id": "PVE-NEW"})
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["id"] == "PVE-NEW" and out["organization"] == FORM["organization"]
    assert out["status"] == "published" and out["contact"]["name"] == "王老师"
    dup = broker.post("/api/v1/providers", json=body | {"id": "PVE-NEW"})
    assert dup.status_code == 400 and dup.get_json()["error"]["field"] == "id"
