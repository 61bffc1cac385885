"""对接申请: both directions, consent then messages, gated contact details, refusals, API parity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.contact import services
from matchmaker.contact.models import ContactMessage, ContactRequest
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.notifications.models import Notification
from tests import factories as f
from tests.contact.conftest import ENT_PHONE, RESULT_PHONE


def _notes(db, user, kind):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_enterprise_contacts_a_result_then_talks_after_consent(db, parties, login, client):
    p = parties
    login(p.enterprise)
    resp = client.post(f"/contact/new/result/{p.result.id}", data={"message": "希望以许可方式引进该技术"})
    assert resp.status_code == 302
    req = db.session.scalars(select(ContactRequest)).one()
    assert (req.kind, req.status, req.requester_org_id) == ("result", "pending", p.enterprise.organization_id)
    assert len(_notes(db, p.researcher, "contact_request")) == 1  # the other party's inbox

    # Before consent: the requester cannot see the result's phone, and cannot post messages.
    page = client.get(f"/contact/{req.id}").get_data(as_text=True)
    assert RESULT_PHONE not in page and "双方同意对接后显示联系方式" in page
    client.post(f"/contact/{req.id}/messages", data={"body": "在吗？"})
    assert db.session.scalars(select(ContactMessage)).all() == []
    # The requester cannot accept its own request either.
    assert client.post(f"/contact/{req.id}/accept").status_code == 403

    client.post("/logout")
    login(p.researcher)
    page = client.get(f"/contact/{req.id}").get_data(as_text=True)
    assert ENT_PHONE not in page and "同意对接" in page
    client.post(f"/contact/{req.id}/accept")
    db.session.refresh(req)
    assert req.status == "accepted" and req.decided_via == "party"
    assert ENT_PHONE in client.get(f"/contact/{req.id}").get_data(as_text=True)
    client.post(f"/contact/{req.id}/messages", data={"body": "欢迎来实验室参观"})
    assert len(_notes(db, p.enterprise, "contact_message")) == 1

    client.post("/logout")
    login(p.enterprise)
    page = client.get(f"/contact/{req.id}").get_data(as_text=True)
    assert RESULT_PHONE in page and "欢迎来实验室参观" in page
    # After consent the posting page shows the requester the contact too.
    assert 'data-testid="contact-released"' in client.get(f"/results/{p.result.id}").get_data(as_text=True)
    assert len(_notes(db, p.enterprise, "contact_accepted")) == 1
    # An outsider sees nothing of it.
    client.post("/logout")
    login(p.outsider)
    assert client.get(f"/contact/{req.id}").status_code == 403


def test_university_contacts_a_need_and_is_declined(db, parties):
    p = parties
    req = services.create_request(db.session, p.researcher, p.need, "我们有相关磨削工艺成果")
    assert req.kind == "need" and req.need_id == p.need.id
    assert _notes(db, p.enterprise, "contact_request")
    with pytest.raises(DomainError) as exc:
        services.decline(db.session, req, p.outsider, "不需要")
    assert exc.value.status == 403
    services.decline(db.session, req, p.enterprise, "已有合作单位")
    assert req.status == "declined"
    assert _notes(db, p.researcher, "contact_declined")[0].body == "已有合作单位"
    assert services.contact_details(p.researcher, req)["posting"] is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "contact.decline")) is not None
    with pytest.raises(DomainError) as exc:
        services.accept(db.session, req, p.enterprise)
    assert exc.value.status == 409


def test_broker_in_scope_brokers_the_contact(db, parties):
    p = parties
    req = services.create_request(db.session, p.enterprise, p.result, "请经纪人协助")
    assert req in services.queue(db.session, p.broker)
    services.accept(db.session, req, p.broker)
    assert req.decided_via == "broker"
    assert services.contact_details(p.enterprise, req)["posting"]["phone"] == RESULT_PHONE
    assert _notes(db, p.researcher, "contact_accepted")
    # A broker whose scope does not cover the posting cannot.
    other = f.user("broker", broker_regions=["洛阳"])
    req2 = services.create_request(db.session, p.outsider, p.result, "也想对接")
    with pytest.raises(DomainError):
        services.accept(db.session, req2, other)


def test_refusals_own_duplicate_rate_limit_role(app, db, parties, login, client):
    p = parties
    login(p.researcher)
    # Own posting: refused (403, audited centrally).
    assert client.post(f"/contact/new/result/{p.result.id}", data={"message": "x"}).status_code == 403
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "permission_denied")) is not None
    client.post("/logout")
    login(p.enterprise)
    client.post(f"/contact/new/result/{p.result.id}", data={"message": "第一次"})
    resp = client.post(
        f"/contact/new/result/{p.result.id}", data={"message": "第二次"}, follow_redirects=True
    )
    assert "请勿重复提交" in resp.get_data(as_text=True)
    assert len(db.session.scalars(select(ContactRequest)).all()) == 1
    refused = db.session.scalar(select(AuditLog).where(AuditLog.action == "contact.refused"))
    assert "请勿重复提交" in refused.detail
    # Rate limit: at most N in 24 hours.
    other = f.result("另一项成果：激光熔覆修复", org=p.result.organization)
    with pytest.raises(DomainError) as exc:
        services.create_request(db.session, p.enterprise, other, "再来一个", daily_limit=1)
    assert exc.value.status == 429 and "每天最多" in exc.value.message
    older = services.create_request(
        db.session, p.enterprise, other, "明天再来", daily_limit=1, now=utcnow() + timedelta(days=2)
    )
    assert older.id
    # Brokers do not use 我要对接; empty messages are refused with the field named.
    with pytest.raises(DomainError) as exc:
        services.create_request(db.session, p.broker, p.need, "代为联系")
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        services.create_request(db.session, p.outsider, p.result, "  ")
    assert exc.value.field == "message"


def test_posting_page_shows_button_and_hides_contact(db, parties, login, client):
    p = parties
    login(p.enterprise)
    page = client.get(f"/results/{p.result.id}").get_data(as_text=True)
    assert "我要对接" in page and RESULT_PHONE not in page
    own = client.get(f"/needs/{p.need.id}").get_data(as_text=True)
    assert "我要对接" not in own
    client.post(f"/contact/new/result/{p.result.id}", data={"message": "你好"})
    page = client.get(f"/results/{p.result.id}").get_data(as_text=True)
    assert 'data-testid="contact-existing"' in page and "待对方答复" in page
    assert RESULT_PHONE not in page


def test_api_parity(db, parties, app):
    p = parties
    ent, uni, out = app.test_client(), app.test_client(), app.test_client()
    for c, u in ((ent, p.enterprise), (uni, p.researcher), (out, p.outsider)):
        assert c.post("/login", data={"email": u.email, "password": f.PASSWORD}).status_code == 302
    url = f"/api/v1/results/{p.result.id}/contact-requests"
    assert app.test_client().post(url, json={"message": "hi"}).status_code == 401
    assert ent.post(url, json={}).get_json()["error"]["field"] == "message"
    resp = ent.post(url, json={"message": "希望合作"})
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    rid = data["id"]
    assert data["status"] == "pending" and data["contact"]["posting"] is None
    dup = ent.post(url, json={"message": "再来"})
    assert dup.status_code == 409 and "请勿重复提交" in dup.get_json()["error"]["message"]
    own = uni.post(url, json={"message": "自己"})
    assert own.status_code == 403
    msgs = f"/api/v1/contact-requests/{rid}/messages"
    early = ent.post(msgs, json={"body": "在吗"})
    assert early.status_code == 409 and early.get_json()["error"]["field"] == "body"
    assert out.get(f"/api/v1/contact-requests/{rid}").status_code == 403
    assert ent.post(f"/api/v1/contact-requests/{rid}/accept").status_code == 403
    accepted = uni.post(f"/api/v1/contact-requests/{rid}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["contact"]["requester"]["phone"] == ENT_PHONE
    assert (
        ent.get(f"/api/v1/contact-requests/{rid}").get_json()["contact"]["posting"]["phone"] == RESULT_PHONE
    )
    assert ent.post(msgs, json={"body": "下周见"}).status_code == 201
    assert [m["body"] for m in uni.get(msgs).get_json()["items"]] == ["下周见"]
    assert out.get(msgs).status_code == 403
    assert [r["id"] for r in uni.get("/api/v1/contact-requests").get_json()["items"]] == [rid]
    assert out.get("/api/v1/contact-requests").get_json()["items"] == []
    # Decline through the API on a second request (the need, from the university).
    second = uni.post(f"/api/v1/needs/{p.need.id}/contact-requests", json={"message": "我们可以解决"})
    sid = second.get_json()["id"]
    assert out.post(f"/api/v1/contact-requests/{sid}/decline", json={}).status_code == 403
    declined = ent.post(f"/api/v1/contact-requests/{sid}/decline", json={"reason": "暂不需要"})
    assert declined.get_json()["status"] == "declined"


def test_broker_queue_is_staff_only(db, parties, login, client, app):
    p = parties
    services.create_request(db.session, p.enterprise, p.result, "请联系")
    db.session.commit()
    login(p.enterprise)
    assert client.get("/contact/queue").status_code == 403
    client.post("/logout")
    login(p.broker)
    page = client.get("/contact/queue").get_data(as_text=True)
    assert "郑州精密机械有限公司" in page and "待对方答复" in page
