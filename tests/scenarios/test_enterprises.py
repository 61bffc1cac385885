"""场景找企业: organisations whose open needs fit a scenario, ranked by the hybrid ranker, on
the scenario page and in the API; the publisher's own needs and closed needs are left out."""

from __future__ import annotations

from matchmaker.scenarios import services
from tests import factories as f


def test_enterprises_ranked_for_a_scenario(app, db, client):
    water = f.organization("企业", "测试水务集团")
    utility = f.organization("企业", "测试城投供水公司")
    farm = f.organization("企业", "测试花生种业公司")
    f.need(
        "供水管网漏损定位",
        "老旧供水管网漏损严重，希望用传感器定位漏点，降低产销差。",
        "智能传感",
        org=utility,
    )
    f.need("花生高油酸品种", "希望获得高油酸花生新品种，用于榨油。", "种业创新", org=farm)
    f.need("管网漏损监测（已关闭）", "供水管网漏损监测与定位。", "智能传感", org=farm, status="closed")
    f.need("本集团管网漏损", "供水管网漏损监测与定位。", "智能传感", org=water)
    scenario = services.create_scenario(
        db.session,
        {
            "title": "城市供水管网漏损智能监测场景",
            "description": "开放一个独立计量分区的供水管网，征集漏损监测与定位技术，降低产销差。",
            "field": "智能传感",
        },
        organization=water,
    )
    db.session.commit()
    from matchmaker.scenarios.ranking import _query_vec

    # the scenario is in the live index (kind "scenario"): ranking reuses its stored vector
    assert _query_vec(db.session, scenario) is not None
    body = client.get(f"/api/v1/scenarios/{scenario.external_id}/enterprises?top=5").get_json()
    names = [e["organization"] for e in body["items"]]
    assert names[0] == "测试城投供水公司"
    assert "测试水务集团" not in names  # the publisher's own needs
    needs = [n["title"] for e in body["items"] for n in e["needs"]]
    assert "管网漏损监测（已关闭）" not in needs
    top = body["items"][0]
    assert top["needs"][0]["title"] == "供水管网漏损定位" and top["needs"][0]["explanation"]["summary"]
    assert top["score"] == top["needs"][0]["score"]
    assert client.get(f"/api/v1/scenarios/{scenario.external_id}/enterprises?top=0").status_code == 400
    html = client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    section = html[html.index('data-testid="scenario-enterprises"') :]
    assert "测试城投供水公司" in section and "供水管网漏损定位" in section
