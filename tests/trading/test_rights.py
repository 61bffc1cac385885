"""Rights (赋权): ownership modes, shares summing to 100%, filters, export and audit."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from tests import factories as f


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
    return client


def test_personal_ownership_shares_must_sum_to_100(app, db, market):
    office = _client(app, market.seller)  # the result's own university
    url = f"/api/v1/results/{market.result.id}/rights"
    bad = {
        "ownership_mode": "personal",
        "inventor_shares": [{"name": "张三", "share_pct": 60}, {"name": "李四", "share_pct": 30}],
    }
    resp = office.put(url, json=bad)
    assert resp.status_code == 400
    err = resp.get_json()["error"]
    assert err["field"] == "inventor_shares" and "合计须为 100%，现为 90%" in err["message"]
    good = {
        "ownership_mode": "personal",
        "inventor_shares": [
            {"name": "张三", "share_pct": 33.33},
            {"name": "李四", "share_pct": 33.33},
            {"name": "王五", "share_pct": 33.34},
        ],
        "separately_managed": True,
        "carrier_company": "郑州金刚石科技有限公司",
    }
    resp = office.put(url, json=good)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["ownership_label"] == "赋权个人所有"
    resp = office.put(url, json={"ownership_mode": "long_term_use"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "use_term_years"
    assert office.put(url, json={"ownership_mode": "long_term_use", "use_term_years": 10}).status_code == 200
    assert app.test_client().get(url).get_json()["use_term_years"] == 10
    # Other organisations may not change it.
    assert _client(app, market.bidders[0]).put(url, json={"ownership_mode": "unit"}).status_code == 403
    # Every change is audited with before and after.
    entries = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "rights.change").order_by(AuditLog.id)
    ).all()
    assert len(entries) == 2
    second = json.loads(entries[1].detail)
    assert (
        second["before"]["ownership_mode"] == "personal"
        and second["after"]["ownership_mode"] == "long_term_use"
    )


def test_brokers_filter_and_export(app, db, market):
    other = f.result("盐碱地小麦耐逆品种选育", field_name="种业创新")
    db.session.commit()
    broker = _client(app, market.broker)
    broker.put(
        f"/api/v1/results/{market.result.id}/rights",
        json={"ownership_mode": "unit", "separately_managed": True, "carrier_company": "郑大产业化公司"},
    )
    broker.put(
        f"/api/v1/results/{other.id}/rights",
        json={"ownership_mode": "personal", "inventor_shares": [{"name": "赵六", "share_pct": 100}]},
    )
    items = broker.get("/api/v1/rights?separately_managed=1").get_json()["items"]
    assert [i["result_id"] for i in items] == [market.result.id]
    items = broker.get("/api/v1/rights?mode=personal").get_json()["items"]
    assert [i["result_id"] for i in items] == [other.id]
    assert broker.get("/api/v1/rights?mode=x").status_code == 400
    assert _client(app, market.bidders[0]).get("/api/v1/rights").status_code == 403
    page = broker.get("/trading/rights?mode=personal").get_data(as_text=True)
    assert "赵六 100%" in page and market.result.title not in page
    wb = load_workbook(io.BytesIO(broker.get("/trading/rights?format=xlsx").data))
    rows = list(wb.active.values)
    assert rows[0][3] == "权属方式" and {r[1] for r in rows[1:]} == {market.result.title, other.title}
    assert [r[7] for r in rows[1:] if r[1] == market.result.title] == ["郑大产业化公司"]
