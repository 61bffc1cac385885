"""Service requests (服务申请): 申请 → 受理 → 完成/退回, raising the level, permissions, audit, export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from matchmaker.accounts.models import AuditLog
from matchmaker.providers.models import Provider
from tests import factories as f


@pytest.fixture
def chain(app, db):
    lab = f.organization("高校", "郑州测试大学")
    base = f.organization("企业", "洛阳测试中试基地")
    researcher = f.user("researcher", lab)
    staff = f.user("enterprise", base)
    other = f.user("researcher")
    result = f.result("金刚石铜复合热沉材料制备", field_name="超硬材料", org=lab, maturity="小试")
    provider = Provider(
        external_id="PVT1",
        name="洛阳测试中试基地",
        type="中试基地",
        description="超硬材料工艺放大与批次稳定性验证。",
        field=f.field("超硬材料"),
        stage_from=4,
        stage_to=7,
        organization=base,
        owner=staff,
        contact_phone="0379-12345678",
    )
    late = Provider(
        external_id="PVT2",
        name="测试检验中心",
        type="检验检测机构",
        description="产业化阶段的型式试验。",
        field=f.field("超硬材料"),
        stage_from=7,
        stage_to=9,
        organization=base,
    )
    db.session.add_all([provider, late])
    db.session.commit()
    return dict(researcher=researcher, staff=staff, other=other, result=result, provider=provider, late=late)


def _as(app, user):
    from tests.factories import PASSWORD

    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


def test_request_accept_complete_and_raise_trl(app, db, chain):
    owner, base = _as(app, chain["researcher"]), _as(app, chain["staff"])
    assert chain["result"].trl == 4  # 小试 → 4
    # contact gated until the request is accepted
    assert "contact" not in owner.get("/api/v1/providers/PVT1").get_json()
    resp = owner.post(
        "/api/v1/service-requests",
        json={
            "result": chain["result"].external_id,
            "provider": "PVT1",
            "message": "希望完成百克级样品放大与热导率测试",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    req_id = resp.get_json()["id"]
    # the result owner cannot accept its own request; an outsider cannot see it
    assert owner.post(f"/api/v1/service-requests/{req_id}/accept").status_code == 403
    assert _as(app, chain["other"]).get(f"/api/v1/service-requests/{req_id}").status_code == 403
    # raising before completion is refused, naming the field
    early = owner.post(
        f"/api/v1/service-requests/{req_id}/raise-trl", json={"trl": 6, "trl_evidence": "中试报告"}
    )
    assert early.status_code == 400 and early.get_json()["error"]["field"] == "status"
    assert base.post(f"/api/v1/service-requests/{req_id}/accept", json={"reply": "已排期"}).status_code == 200
    assert owner.get("/api/v1/providers/PVT1").get_json()["contact"]["phone"] == "0379-12345678"
    done = base.post(f"/api/v1/service-requests/{req_id}/complete", json={"reply": "完成放大"}).get_json()
    assert done["status"] == "completed"
    too_far = owner.post(
        f"/api/v1/service-requests/{req_id}/raise-trl", json={"trl": 9, "trl_evidence": "第三方检测报告"}
    )
    assert too_far.status_code == 400 and too_far.get_json()["error"]["field"] == "trl"
    ok = owner.post(
        f"/api/v1/service-requests/{req_id}/raise-trl",
        json={"trl": 6, "trl_evidence": "中试总结报告 2026-01"},
    ).get_json()
    assert ok["result_trl"] == 6 and ok["trl_after"] == 6
    db.session.expire_all()
    assert chain["result"].maturity == "中试" and "中试总结报告" in chain["result"].trl_evidence
    actions = {a.action for a in db.session.query(AuditLog)}
    assert {
        "service_request_submit",
        "service_request_accept",
        "service_request_complete",
        "result_trl_raise",
    } <= actions
    # the provider's inbox got the request
    from matchmaker.notifications.models import Notification

    assert db.session.query(Notification).filter_by(user_id=chain["staff"].id).count() == 1


def test_request_to_a_provider_outside_the_stage_is_refused(app, chain):
    owner = _as(app, chain["researcher"])
    resp = owner.post(
        "/api/v1/service-requests",
        json={"result": chain["result"].external_id, "provider": "PVT2", "message": "希望进行型式试验与检测"},
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "provider"


def test_return_needs_a_reason_and_pages_work(app, db, chain):
    owner, base = _as(app, chain["researcher"]), _as(app, chain["staff"])
    page = owner.get(f"/providers/{chain['provider'].id}/request/{chain['result'].id}")
    assert page.status_code == 200 and "申请服务" in page.get_data(as_text=True)
    resp = owner.post(
        f"/providers/{chain['provider'].id}/request/{chain['result'].id}",
        data={"message": "希望完成百克级样品放大验证"},
    )
    assert resp.status_code == 302
    req_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    base.post(f"/providers/requests/{req_id}/return", data={"reply": ""})
    assert "已申请" in base.get(f"/providers/requests/{req_id}").get_data(as_text=True)
    base.post(f"/providers/requests/{req_id}/return", data={"reply": "样品尚不具备放大条件"})
    assert "已退回" in owner.get(f"/providers/requests/{req_id}").get_data(as_text=True)
    csv = owner.get("/providers/requests/export.csv").get_data(as_text=True)
    assert "样品尚不具备放大条件" in csv and "已退回" in csv
    xlsx = owner.get("/providers/requests/export.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert ws.cell(row=2, column=2).value == "已退回"
    assert (
        _as(app, chain["other"]).get("/providers/requests/export.csv").get_data(as_text=True).count("\n") == 1
    )
