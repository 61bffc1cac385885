"""The partner page (交换伙伴) for admins: issue a key, add a partner, sync now, see item errors."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.exchange import services
from matchmaker.exchange.models import Partner
from tests import factories as f


def test_admin_adds_partner_syncs_and_sees_errors(pair):
    a, b = pair
    with b.ctx() as s:
        f.result("黄河滩区光伏治沙一体化技术", field_name="新能源")  # unknown to A: reported
        f.result("引黄灌区智能配水调度系统", field_name="现代农业")
        _, key = services.issue_key(s, "A")
        s.commit()
    with a.ctx() as s:
        f.field("现代农业")
        f.user("admin", email="admin-a@example.cn")
        f.user("broker", email="broker-a@example.cn")
        s.commit()
    broker = a.app.test_client()
    broker.post("/login", data={"email": "broker-a@example.cn", "password": f.PASSWORD})
    assert broker.get("/exchange/").status_code == 403
    client = a.app.test_client()
    client.post("/login", data={"email": "admin-a@example.cn", "password": f.PASSWORD})
    resp = client.post("/exchange/partners", data={"p-code": "B", "p-base_url": "gopher://x", "p-key": key})
    assert resp.status_code == 400 and "http://" in resp.get_data(as_text=True)
    resp = client.post(
        "/exchange/partners", data={"p-code": "B", "p-name": "乙省平台", "p-base_url": b.url, "p-key": key}
    )
    assert resp.status_code == 302
    resp = client.post("/exchange/sync", data={"code": "B"}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "新增 1 条" in page and "1 条未导入的条目" in page and "领域“新能源”" in page
    resp = client.post("/exchange/keys", data={"k-code": "B"})
    assert resp.status_code == 200
    with a.ctx() as s:
        partner = s.scalar(select(Partner).where(Partner.code == "B"))
        assert f"{partner.inbound_key_id}.{partner.inbound_secret}" in resp.get_data(as_text=True)
