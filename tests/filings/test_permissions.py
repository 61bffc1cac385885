"""Who may file, see and review: researchers for their unit, admins review, others refused."""

from __future__ import annotations

from matchmaker.filings import services
from tests import factories as f


def test_pages_refuse_other_roles(db, researcher, admin, as_client, complete):
    filing = services.create_filing(db.session, researcher, complete(), submit=True)
    outsider = f.user("researcher")
    enterprise, broker = f.user("enterprise"), f.user("broker")
    db.session.commit()
    for user in (enterprise, broker):
        c = as_client(user)
        for url in (
            "/filings/",
            "/filings/new",
            f"/filings/{filing.id}",
            "/filings/import",
            "/filings/overdue",
        ):
            assert c.get(url).status_code == 403, (user.role, url)
        assert c.post(f"/filings/{filing.id}/decide", data={"decision": "accept"}).status_code == 403
    c = as_client(outsider)
    assert c.get(f"/filings/{filing.id}").status_code == 403
    assert c.post(f"/filings/{filing.id}/edit", data={"title": "别人的"}).status_code == 403
    assert "高效低耗" not in c.get("/filings/").get_data(as_text=True)
    res = as_client(researcher)
    assert res.post(f"/filings/{filing.id}/decide", data={"decision": "accept"}).status_code == 403
    assert res.get("/filings/export.json").status_code == 403
    assert as_client(admin).get("/filings/new").status_code == 403  # admins review, units file
    assert as_client(None).get("/filings/").status_code == 302


def test_web_form_names_missing_fields_and_keeps_drafts(db, researcher, as_client, complete):
    complete()  # the field exists
    db.session.commit()
    c = as_client(researcher)
    resp = c.post("/filings/new", data={"title": "只有名称的成果", "submit": "提交登记"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "登记信息不完整，缺少：成果简介、科技计划类别、项目编号、完成人" in page
    resp = c.post("/filings/new", data={"title": "只有名称的成果", "save": "保存草稿"})
    assert resp.status_code == 302
    detail = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "草稿" in detail and "提交前还需填写：成果简介" in detail
