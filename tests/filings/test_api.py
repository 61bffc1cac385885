"""POST /api/v1/registrations: a missing field answers 400 naming it; list, detail, decision."""

from __future__ import annotations

from tests import factories as f


def test_post_with_a_missing_field_names_it(db, researcher, login, client, complete):
    db.session.commit()
    login(researcher)
    body = complete()
    del body["project_no"]
    resp = client.post("/api/v1/registrations", json=body)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["field"] == "project_no" and "项目编号" in err["message"]

    body = complete(trl=None, acceptance_date="")
    del body["completers"]
    err = client.post("/api/v1/registrations", json=body).get_json()["error"]
    assert err["field"] == "completers"
    assert "完成人" in err["message"] and "技术就绪度" in err["message"] and "项目验收日期" in err["message"]

    err = client.post("/api/v1/registrations", json=complete(category="应用研究")).get_json()["error"]
    assert err["field"] == "category"
    bad = complete(patents=[{"number": "ZL1", "status": "有效"}])
    assert client.post("/api/v1/registrations", json=bad).get_json()["error"]["field"] == "patents"


def test_create_list_detail_and_decide(db, researcher, admin, as_client, complete):
    other = f.user("researcher", org=f.organization("高校"))
    db.session.commit()
    res = as_client(researcher)
    resp = res.post("/api/v1/registrations", json=complete())
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["status"] == "submitted" and item["organization"] == "郑州测试大学" and item["missing"] == []
    draft = res.post("/api/v1/registrations", json={"title": "只写了名称的草稿", "draft": True}).get_json()
    assert draft["status"] == "draft" and "summary" in draft["missing"]

    listed = res.get("/api/v1/registrations").get_json()
    assert listed["total"] == 2
    assert as_client(other).get("/api/v1/registrations").get_json()["total"] == 0
    assert as_client(other).get(f"/api/v1/registrations/{item['id']}").status_code == 403
    assert res.get("/api/v1/registrations?status=nope").get_json()["error"]["field"] == "status"

    url = f"/api/v1/registrations/{item['id']}/decision"
    assert res.post(url, json={"decision": "accept"}).status_code == 403
    adm = as_client(admin)
    err = adm.post(url, json={"decision": "return"}).get_json()["error"]
    assert err["field"] == "reason"
    out = adm.post(url, json={"decision": "return", "reason": "缺少验收证书编号"}).get_json()
    assert out["status"] == "returned" and out["return_reason"] == "缺少验收证书编号"
    resp = res.patch(
        f"/api/v1/registrations/{item['id']}", json={"project_no": "241111110102", "draft": False}
    )
    assert resp.get_json()["status"] == "submitted"
    assert adm.get("/api/v1/registrations").get_json()["total"] == 2


def test_refusals_and_admin_on_behalf(db, admin, as_client, complete):
    enterprise = f.user("enterprise")
    db.session.commit()
    assert as_client(None).post("/api/v1/registrations", json=complete()).status_code == 401
    assert as_client(None).get("/api/v1/registrations").status_code == 401
    assert as_client(enterprise).post("/api/v1/registrations", json=complete()).status_code == 403
    assert as_client(enterprise).get("/api/v1/registrations").status_code == 403
    adm = as_client(admin)
    err = adm.post("/api/v1/registrations", json=complete()).get_json()["error"]
    assert err["field"] == "organization"
    resp = adm.post("/api/v1/registrations", json=complete(organization="河南农业测试大学"))
    assert resp.status_code == 201 and resp.get_json()["organization"] == "河南农业测试大学"


def test_openapi_documents_the_schema(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/registrations"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/FilingIn")
    props = spec["components"]["schemas"]["FilingIn"]["properties"]
    assert {"programme", "project_no", "completers", "patents", "acceptance_date"} <= set(props)
    assert "/api/v1/registrations/{filing_id}/decision" in spec["paths"]
