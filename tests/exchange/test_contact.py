"""联系对接 for an imported posting goes back, signed, to its origin; contact details only with consent."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.exchange import services
from matchmaker.exchange.models import ExchangeContactRequest
from matchmaker.notifications.models import Notification
from matchmaker.postings.models import Result
from tests import factories as f


def test_contact_request_reaches_origin_brokers_with_consent_only(linked):
    a, b = linked
    with b.ctx() as s:
        f.result("黄河鲤鱼工厂化循环水养殖技术", field_name="现代农业")
        f.user("admin", email="admin-b@example.cn")
        s.commit()
    with a.ctx() as s:
        f.field("现代农业")
        f.user("enterprise", email="buyer@example.cn", phone="13700000001")
        services.sync_all(s)
        s.commit()
        imported_id = s.scalar(select(Result.id).where(Result.origin == "B"))
    client = a.app.test_client()
    client.post("/login", data={"email": "buyer@example.cn", "password": f.PASSWORD})
    page = client.get(f"/results/{imported_id}").get_data(as_text=True)
    assert "来自交换伙伴" in page and f"/exchange/contact/result/{imported_id}" in page
    url = f"/exchange/contact/result/{imported_id}"
    assert client.get(url).status_code == 200
    resp = client.post(url, data={"message": "我司有意引进该养殖技术，请联系"})
    assert resp.status_code == 302
    resp = client.post(url, data={"message": "第二次：同意提供联系方式", "consent": "y"})
    assert resp.status_code == 302
    with b.ctx() as s:
        rows = s.scalars(select(ExchangeContactRequest).order_by(ExchangeContactRequest.id)).all()
        assert [(r.requester_email, r.requester_phone) for r in rows] == [
            (None, None),
            ("buyer@example.cn", "13700000001"),
        ]
        assert s.scalar(select(Notification.title).where(Notification.kind == "exchange_contact")).startswith(
            "甲省平台"
        )
