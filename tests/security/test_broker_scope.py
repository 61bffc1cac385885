"""Brokers act only inside their scope (经纪人分区负责): web and API alike, refusals audited."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.review.models import Match
from tests import factories as f

NEED_PHONE = "13911112222"


def _match(db):
    ent = f.organization("企业", "郑州精密机械有限公司", region="郑州")
    uni = f.organization("高校", "郑州大学机械学院", region="郑州")
    need = f.need("数控机床加工零件尺寸随温度漂移", org=ent, region="郑州", contact_phone=NEED_PHONE)
    result = f.result("数控机床主轴热误差建模与实时补偿", org=uni, region="郑州")
    match = Match(need_id=need.id, result_id=result.id, source="manual", stage="proposed", score=0.9)
    db.session.add(match)
    broker2 = f.user("broker", broker_regions=["洛阳", "三门峡", "平顶山"])
    broker1 = f.user("broker", broker_regions=["郑州"])
    db.session.commit()
    return match, broker1, broker2, need


def test_broker_out_of_scope_cannot_decide_by_api(as_user, db):
    match, _, broker2, _ = _match(db)
    resp = as_user(broker2).post(f"/api/v1/matches/{match.id}/decision", json={"decision": "accept"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["status"] == 403
    db.session.expire_all()
    assert db.session.get(Match, match.id).decision is None
    denied = db.session.scalars(select(AuditLog).where(AuditLog.action == "permission_denied")).all()
    assert any(e.user_id == broker2.id and "/decision" in e.target for e in denied)


def test_broker_out_of_scope_cannot_decide_on_the_web(as_user, db):
    match, _, broker2, _ = _match(db)
    resp = as_user(broker2).post("/review/decide", data={"ids": str(match.id), "decision": "accept"})
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(Match, match.id).decision is None


def test_broker_in_scope_decides(as_user, db):
    match, broker1, _, _ = _match(db)
    resp = as_user(broker1).post(f"/api/v1/matches/{match.id}/decision", json={"decision": "accept"})
    assert resp.status_code == 200, resp.get_json()


def test_out_of_scope_pages_show_no_contact(as_user, db):
    match, broker1, broker2, need = _match(db)
    assert NEED_PHONE not in as_user(broker2).get(f"/needs/{need.id}").get_data(as_text=True)
    assert NEED_PHONE in as_user(broker1).get(f"/needs/{need.id}").get_data(as_text=True)
    api = as_user(broker2).get(f"/api/v1/needs/{need.id}").get_json()
    assert NEED_PHONE not in str(api)
