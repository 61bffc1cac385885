"""Postings JSON API: paging, filters, JSON 400 naming the field, 401/403/404, writes."""

import pytest
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.postings.models import Need, Result
from tests import factories

NEED = {
    "title": "接口发布的技术需求",
    "description": "通过接口发布的一条技术需求，描述足够长。",
    "field": "人工智能",
    "keywords": ["视觉检测"],
    "budget_wan": 15,
    "deadline": "2027-03-01",
    "contact": {"name": "王工", "phone": "13800009999"},
}


def test_list_pages_and_totals(client, people, db):
    for i in range(5):
        factories.need(title=f"接口分页需求{i}", field_name="新能源", region="洛阳")
    db.session.commit()
    body = client.get("/api/v1/needs?field=新能源&per_page=2&page=3").get_json()
    assert (body["total"], body["pages"], body["page"], body["per_page"]) == (5, 3, 3, 2)
    assert len(body["items"]) == 1
    assert client.get("/api/v1/needs?region=洛阳").get_json()["total"] == 5
    assert client.get("/api/v1/needs?q=接口分页需求3").get_json()["items"][0]["title"] == "接口分页需求3"


def test_result_filters(client, people, db):
    factories.result(title="中试阶段的成果", field_name="新能源", maturity="中试")
    factories.result(title="产业化阶段的成果", field_name="新能源", maturity="产业化")
    factories.result(title="归档的成果", field_name="新能源", status="archived")
    db.session.commit()

    def titles(q):
        return [i["title"] for i in client.get("/api/v1/results" + q).get_json()["items"]]

    assert titles("?field=新能源&maturity=产业化") == ["产业化阶段的成果"]
    assert titles("?field=新能源&status=archived") == ["归档的成果"]
    assert len(titles("?field=新能源&status=all")) == 3


@pytest.mark.parametrize(
    "query,field",
    [
        ("per_page=abc", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("page=-1", "page"),
        ("field=不存在", "field"),
        ("region=北京", "region"),
        ("maturity=量产", "maturity"),
        ("status=deleted", "status"),
        ("q=" + "长" * 101, "q"),
    ],
)
def test_bad_parameters_are_json_400_naming_the_field(client, people, query, field):
    resp = client.get("/api/v1/results?" + query)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == field and error["status"] == 400 and error["message"]


def test_maturity_filter_is_for_results_only(client, people):
    resp = client.get("/api/v1/needs?maturity=中试")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "maturity"


def test_get_by_internal_or_external_id(client, people):
    result = people["result"]
    by_id = client.get(f"/api/v1/results/{result.id}").get_json()
    by_ext = client.get(f"/api/v1/results/{result.external_id}").get_json()
    assert by_id == by_ext and by_id["internal_id"] == result.id and by_id["id"] == result.external_id
    assert client.get(f"/api/v1/experts/{people['expert'].external_id}").get_json()["name"] == "张教授"
    resp = client.get("/api/v1/needs/NO-SUCH-ID")
    assert resp.status_code == 404 and resp.get_json()["error"]["status"] == 404


def test_contact_follows_the_page_gating(client, login, people):
    url = f"/api/v1/needs/{people['need'].id}"
    assert "contact" not in client.get(url).get_json()
    login(people["other_enterprise"])
    assert "contact" not in client.get(url).get_json()
    login(people["broker"])
    assert client.get(url).get_json()["contact"]["phone"] == "13912345678"
    items = client.get("/api/v1/needs").get_json()["items"]
    assert all("contact" in i for i in items)


def test_anonymous_writes_are_401(client, people):
    assert client.post("/api/v1/needs", json=NEED).status_code == 401
    assert client.patch(f"/api/v1/needs/{people['need'].id}", json={"budget_wan": 1}).status_code == 401
    resp = client.delete(f"/api/v1/results/{people['result'].id}")
    assert resp.status_code == 401 and resp.get_json()["error"]["message"] == "请先登录"


def test_create_update_delete_need(client, login, people, db):
    login(people["enterprise"])
    resp = client.post("/api/v1/needs", json={**NEED, "id": "EXT-API-1"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["id"] == "EXT-API-1" and body["contact"]["phone"] == "13800009999"
    need = db.session.get(Need, body["internal_id"])
    assert need.organization_id == people["enterprise"].organization_id and need.region == "郑州"
    resp = client.patch("/api/v1/needs/EXT-API-1", json={"budget_wan": 30, "status": "matched"})
    assert resp.status_code == 200 and resp.get_json()["budget_wan"] == 30
    assert resp.get_json()["status"] == "matched"
    resp = client.put("/api/v1/needs/EXT-API-1", json={"budget_wan": 40})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "title"
    assert client.delete("/api/v1/needs/EXT-API-1").status_code == 204
    assert client.get("/api/v1/needs/EXT-API-1").status_code == 404


@pytest.mark.parametrize(
    "body,field",
    [
        ({**NEED, "budget_wan": -1}, "budget_wan"),
        ({**NEED, "budget_wan": "很多"}, "budget_wan"),
        ({**NEED, "deadline": "2027/03/01"}, "deadline"),
        ({**NEED, "field": "未知"}, "field"),
        ({**NEED, "title": None}, "title"),
        ({**NEED, "keywords": [1, 2]}, "keywords"),
        ({**NEED, "contact": "13800009999"}, "contact"),
        ({**NEED, "contact": {"email": "bad"}}, "contact_email"),
        ({**NEED, "status": "gone"}, "status"),
    ],
)
def test_invalid_bodies_are_json_400_and_save_nothing(client, login, people, db, body, field):
    login(people["enterprise"])
    before = db.session.scalars(select(Need.id)).all()
    resp = client.post("/api/v1/needs", json=body)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == field
    assert db.session.scalars(select(Need.id)).all() == before


def test_body_must_be_a_json_object(client, login, people):
    login(people["enterprise"])
    resp = client.post("/api/v1/needs", data="not json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "body"


def test_duplicate_external_id_is_400(client, login, people):
    login(people["enterprise"])
    resp = client.post("/api/v1/needs", json={**NEED, "id": people["need"].external_id})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "id"


@pytest.mark.parametrize(
    "who,method,url_kind",
    [
        ("researcher", "post", "needs"),
        ("enterprise", "post", "results"),
        ("other_enterprise", "patch", "needs"),
        ("researcher", "patch", "needs"),
        ("other_researcher", "patch", "results"),
        ("enterprise", "delete", "results"),
        ("other_enterprise", "delete", "needs"),
    ],
)
def test_forbidden_writes_are_403_and_audited(client, login, people, db, who, method, url_kind):
    login(people[who])
    target = people["need"] if url_kind == "needs" else people["result"]
    url = f"/api/v1/{url_kind}" if method == "post" else f"/api/v1/{url_kind}/{target.id}"
    resp = getattr(client, method)(url, json={"budget_wan": 1, "price_wan": 1})
    assert resp.status_code == 403 and resp.get_json()["error"]["status"] == 403
    assert db.session.scalar(
        select(AuditLog).where(AuditLog.action == "permission_denied", AuditLog.user_id == people[who].id)
    )


def test_broker_may_edit_any_result(client, login, people, db):
    login(people["broker"])
    resp = client.patch(f"/api/v1/results/{people['result'].external_id}", json={"price_wan": 66})
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Result, people["result"].id).price_wan == 66


def test_draft_results_are_hidden_from_strangers(client, login, people, db):
    draft = factories.result(title="接口草稿", org=people["result"].organization, status="draft")
    db.session.commit()
    assert client.get(f"/api/v1/results/{draft.id}").status_code == 403
    assert client.get("/api/v1/results?status=draft").get_json()["total"] == 0
    login(people["colleague"])
    assert client.get(f"/api/v1/results/{draft.id}").status_code == 200
    assert client.get("/api/v1/results?status=draft").get_json()["total"] == 1


def test_fields_endpoint(client, fields):
    items = client.get("/api/v1/fields").get_json()["items"]
    assert len(items) == 16 and items[0]["name"] == "种业创新" and items[0]["related"]


def test_broker_posts_a_need_on_behalf_of_an_enterprise(client, login, people, db):
    login(people["broker"])
    resp = client.post("/api/v1/needs", json=NEED)
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "organization"
    resp = client.post("/api/v1/needs", json={**NEED, "organization": "电话登记的企业", "region": "许昌"})
    assert resp.status_code == 201
    assert resp.get_json()["organization"] == "电话登记的企业" and resp.get_json()["region"] == "许昌"
