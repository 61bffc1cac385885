"""应用场景: publish, list, matches, apply, shortlist → pilot → 示范产品 with a trace, permissions, export."""

from __future__ import annotations

import pytest

from matchmaker.accounts.models import AuditLog
from tests import factories as f
from tests.factories import PASSWORD


def _as(app, user):
    c = app.test_client()
    assert c.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return c


@pytest.fixture
def parties(app, db):
    water = f.organization("企业", "测试水务集团")
    firm = f.organization("企业", "测试传感科技有限公司")
    publisher = f.user("enterprise", water)
    applicant = f.user("enterprise", firm)
    outsider = f.user("enterprise")
    meter = f.result(
        "NB-IoT超低功耗智能水表与漏损分析平台",
        "智能水表夜间最小流量分析与管网漏损定位，分区计量，产销差降低。",
        field_name="智能传感",
        org=firm,
        maturity="产业化",
    )
    f.result("高油酸花生新品种选育", "花生高油酸性状分子标记筛选与品种选育。", field_name="种业创新")
    f.field("智能传感")
    db.session.commit()
    return dict(publisher=publisher, applicant=applicant, outsider=outsider, meter=meter)


SCENARIO = {
    "title": "城市供水管网漏损智能监测场景",
    "description": "开放一个独立计量分区的供水管网，征集漏损监测与定位技术，降低产销差。",
    "field": "智能传感",
    "keywords": ["漏损监测", "管网"],
    "place": "金水区DMA分区",
    "budget_wan": 300,
    "period_start": "2026-03-01",
    "period_end": "2026-12-31",
    "offers": ["试验场地", "数据开放", "采购意向"],
    "requirements": "定位误差小于3米",
    "contact": {"name": "钱工", "phone": "0371-66668888"},
}


def test_scenario_flow_api(app, db, parties):
    pub, firm, out = (_as(app, parties[k]) for k in ("publisher", "applicant", "outsider"))
    bad = pub.post("/api/v1/scenarios", json=SCENARIO | {"offers": ["免费午餐"]})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "offers"
    bad = pub.post("/api/v1/scenarios", json=SCENARIO | {"period_end": "2025-01-01"})
    assert bad.get_json()["error"]["field"] == "period_end"
    s = pub.post("/api/v1/scenarios", json=SCENARIO).get_json()
    listed = app.test_client().get("/api/v1/scenarios").get_json()
    assert [i["id"] for i in listed["items"]] == [s["id"]] and "contact" not in listed["items"][0]
    matches = app.test_client().get(f"/api/v1/scenarios/{s['id']}/matches").get_json()["items"]
    assert matches[0]["title"].startswith("NB-IoT") and matches[0]["explanation"]["summary"]
    assert matches[0]["trl"] == 9

    short = firm.post(f"/api/v1/scenarios/{s['id']}/applications", json={"proposal": "太短"})
    assert short.status_code == 400 and short.get_json()["error"]["field"] == "proposal"
    own = pub.post(f"/api/v1/scenarios/{s['id']}/applications", json={"proposal": "本机构自己申报" * 5})
    assert own.status_code == 400
    app_ = firm.post(
        f"/api/v1/scenarios/{s['id']}/applications",
        json={
            "proposal": "部署200台NB-IoT水表与夜间最小流量分析，三个月内定位漏点。",
            "result": parties["meter"].external_id,
        },
    ).get_json()
    aid = app_["id"]
    assert out.get(f"/api/v1/scenario-applications/{aid}").status_code == 403
    assert firm.post(f"/api/v1/scenario-applications/{aid}/shortlisted").status_code == 403
    jump = pub.post(f"/api/v1/scenario-applications/{aid}/demonstration", json={"note": "跳步"})
    assert jump.status_code == 400 and jump.get_json()["error"]["field"] == "status"
    pub.post(f"/api/v1/scenario-applications/{aid}/shortlisted")
    pub.post(f"/api/v1/scenario-applications/{aid}/piloting", json={"note": "6月起试点"})
    done = pub.post(
        f"/api/v1/scenario-applications/{aid}/demonstration", json={"note": "漏损率下降4个百分点"}
    ).get_json()
    assert done["status"] == "demonstration"
    assert [t["status"] for t in done["trace"]] == ["applied", "shortlisted", "piloting", "demonstration"]
    page = firm.get(f"/scenarios/applications/{aid}").get_data(as_text=True)
    assert "示范产品" in page and "漏损率下降4个百分点" in page
    csv = pub.get(f"/scenarios/{s['internal_id']}/applications.csv").get_data(as_text=True)
    assert "测试传感科技有限公司" in csv and "示范产品" in csv
    assert firm.get(f"/scenarios/{s['internal_id']}/applications.csv").status_code == 403
    actions = {a.action for a in db.session.query(AuditLog)}
    assert {
        "scenario_create",
        "scenario_applied",
        "scenario_shortlisted",
        "scenario_demonstration",
    } <= actions


def test_scenario_pages(app, db, parties):
    pub = _as(app, parties["publisher"])
    resp = pub.post(
        "/scenarios/new",
        data={k: v for k, v in SCENARIO.items() if k != "contact"} | {"keywords": "漏损监测、管网"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    listing = app.test_client().get("/scenarios/").get_data(as_text=True)
    assert "城市供水管网漏损智能监测场景" in listing
    detail = app.test_client().get(resp.headers["Location"]).get_data(as_text=True)
    assert "推荐科技成果" in detail and "NB-IoT" in detail
