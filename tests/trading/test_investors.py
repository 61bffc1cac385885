"""Investors (投资机构): profiles, ranking for a result, and the interest pipeline."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from tests import factories as f


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
    return client


def _investor(client, **kw):
    body = {"fund_type": "vc", "trl_min": 4, "trl_max": 7, "regions": ["郑州"], "fields": ["超硬材料"]}
    body.update(kw)
    resp = client.post("/api/v1/investors", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_investors_ranked_for_a_result_with_explanations(app, db, market):
    fund = f.user("investor", org=f.organization("投资机构", name="中原科创风投"))
    angel = f.user("investor", org=f.organization("投资机构", name="郑州天使基金"))
    db.session.commit()
    broker = _client(app, market.broker)
    fitting = _investor(
        _client(app, fund),
        thesis="专注超硬材料、金刚石线锯与精密切割工艺的产业化项目，中试阶段优先",
    )
    early = _investor(
        _client(app, angel),
        fund_type="angel",
        trl_min=1,
        trl_max=3,
        fields=["生物医药"],
        regions=[],
        thesis="投资创新药物早期研发与基因治疗平台",
    )
    resp = broker.get(f"/api/v1/results/{market.result.id}/investors")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["trl"] == 6  # 中试 reads as TRL 6 until the result carries its own level
    ids = [item["investor"]["id"] for item in body["items"]]
    assert ids == [fitting["id"], early["id"]]
    top = body["items"][0]["explanation"]
    assert "金刚石" in "".join(top["shared_terms"]) or "超硬材料" in top["shared_terms"]
    assert "TRL 6 在投资阶段 4–7 内" in top["summary"]
    assert "不在投资阶段" in body["items"][1]["explanation"]["summary"]
    assert body["items"][0]["score"] > body["items"][1]["score"]
    # Enterprises outside the deal may not see the list.
    assert (
        _client(app, market.bidders[0]).get(f"/api/v1/results/{market.result.id}/investors").status_code
        == 403
    )


def test_investor_profile_validation(app, db, market):
    fund = f.user("investor", org=f.organization("投资机构", name="豫资引导基金"))
    db.session.commit()
    client = _client(app, fund)
    for body, field in (
        ({"fund_type": "hedge"}, "fund_type"),
        ({"fund_type": "pe", "trl_min": 0}, "trl_min"),
        ({"fund_type": "pe", "trl_min": 8, "trl_max": 3}, "trl_min"),
        ({"fund_type": "pe", "ticket_min_wan": 500, "ticket_max_wan": 100}, "ticket_min_wan"),
        ({"fund_type": "pe", "regions": ["上海"]}, "regions"),
    ):
        resp = client.post("/api/v1/investors", json=body)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == field, body
    assert (
        _client(app, market.bidders[0]).post("/api/v1/investors", json={"fund_type": "vc"}).status_code == 403
    )
    made = _investor(client, fund_type="guidance")
    assert made["fund_type_label"] == "政府引导基金" and made["name"] == "豫资引导基金"


def test_interest_moves_through_the_pipeline_with_dates_and_amounts(app, db, market):
    fund = f.user("investor", org=f.organization("投资机构", name="中原科创风投"))
    db.session.commit()
    client = _client(app, fund)
    inv = _investor(client)
    resp = client.post(f"/api/v1/investors/{inv['id']}/interests", json={"result_id": market.result.id})
    assert resp.status_code == 201
    interest = resp.get_json()
    assert interest["stage_label"] == "意向"
    url = f"/api/v1/interests/{interest['id']}/stage"
    resp = client.post(url, json={"to_stage": "invested"})
    assert resp.status_code == 409 and "可进入：约谈、放弃" in resp.get_json()["error"]["message"]
    assert client.post(url, json={"to_stage": "meeting"}).status_code == 200
    assert client.post(url, json={"to_stage": "diligence"}).status_code == 200
    resp = client.post(url, json={"to_stage": "invested", "amount_wan": 500})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "share_pct"
    resp = client.post(url, json={"to_stage": "invested", "amount_wan": 500, "share_pct": 12.5})
    body = resp.get_json()
    assert body["stage_label"] == "投资" and body["amount_wan"] == 500 and body["share_pct"] == 12.5
    assert [h["stage"] for h in body["history"]] == ["intent", "meeting", "diligence", "invested"]
    assert all(h["at"] for h in body["history"])
    board = _client(app, market.broker).get("/api/v1/interests?stage=invested").get_json()
    assert [i["id"] for i in board["items"]] == [interest["id"]]
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "investor.interest")).all()) == 4


def test_broker_board_and_export(app, db, market):
    import io

    from openpyxl import load_workbook

    fund = f.user("investor", org=f.organization("投资机构", name="中原科创风投"))
    db.session.commit()
    client = _client(app, fund)
    inv = _investor(client, ticket_min_wan=100, ticket_max_wan=2000)
    interest = client.post(
        f"/api/v1/investors/{inv['id']}/interests", json={"result_id": market.result.id}
    ).get_json()
    client.post(f"/api/v1/interests/{interest['id']}/stage", json={"to_stage": "meeting"})
    assert client.get("/trading/investors").status_code == 403
    broker = _client(app, market.broker)
    page = broker.get("/trading/investors?stage=meeting").get_data(as_text=True)
    assert "中原科创风投" in page and market.result.title in page and "约谈" in page
    assert market.result.title not in broker.get("/trading/investors?stage=invested").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(broker.get("/trading/investors?format=xlsx").data))
    assert list(wb["投资机构"].values)[1][1:4] == ("中原科创风投", "中原科创风投", "风险投资（VC）")
    assert list(wb["投资意向"].values)[1][3] == "约谈"
