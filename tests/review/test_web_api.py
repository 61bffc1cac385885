"""Views, API and exports: permissions and no contact leak before both sides confirm."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.review.models import Match
from tests.review.conftest import NEED_PHONE, NEED_USER_PHONE, RESULT_PHONE, RESULT_USER_PHONE

SECRETS = (NEED_PHONE, RESULT_PHONE, NEED_USER_PHONE, RESULT_USER_PHONE)


def _xlsx_text(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    return "\n".join(str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None)


def _everything(client, match_id) -> str:
    """Every page, API answer and export of the workspace this client can fetch, as text."""
    parts = []
    for url in (
        "/review/",
        "/review/?status=all",
        "/review/pipeline",
        "/review/mine",
        f"/review/match/{match_id}",
        "/api/v1/review/queue?status=all",
        f"/api/v1/matches/{match_id}",
        "/api/v1/my/matches",
        "/review/export.csv",
        "/inbox",
    ):
        parts.append(client.get(url).get_data(as_text=True))
    xlsx = client.get("/review/export.xlsx")
    if xlsx.status_code == 200:
        parts.append(_xlsx_text(xlsx.data))
    return "\n".join(parts)


def _other_side_secrets(user_side):
    return (RESULT_PHONE, RESULT_USER_PHONE) if user_side == "need" else (NEED_PHONE, NEED_USER_PHONE)


def test_only_brokers_reach_the_queue_and_review(deal, as_user):
    for user in (deal.enterprise, deal.researcher):
        c = as_user(user)
        assert c.get("/review/").status_code == 403
        assert c.get("/review/export.csv").status_code == 403
        assert c.get("/api/v1/review/queue").status_code == 403
        assert (
            c.post("/review/decide", data={"match_id": deal.match.id, "decision": "accept"}).status_code
            == 403
        )
        r = c.post(f"/api/v1/matches/{deal.match.id}/decision", json={"decision": "accept"})
        assert r.status_code == 403 and r.json["error"]["message"]
    assert deal.match.decision is None
    c = as_user(deal.broker)
    page = c.get("/review/")
    assert page.status_code == 200 and deal.need.title in page.get_data(as_text=True)
    assert c.get("/api/v1/review/queue").json["total"] >= 1


def test_parties_cannot_see_unaccepted_matches(deal, as_user):
    c = as_user(deal.enterprise)
    assert c.get(f"/review/match/{deal.match.id}").status_code == 403
    assert c.get(f"/api/v1/matches/{deal.match.id}").status_code == 404
    assert c.get("/api/v1/my/matches").json["items"] == []


def test_no_contact_leak_until_both_confirm(deal, as_user, db):
    broker, ent, uni, outsider = (
        as_user(u) for u in (deal.broker, deal.enterprise, deal.researcher, deal.outsider)
    )
    mid = deal.match.id
    # Before acceptance: nobody sees the other side in the workspace (brokers included).
    text = _everything(broker, mid)
    assert not any(s in text for s in SECRETS)

    r = broker.post("/review/decide", data={"match_id": mid, "decision": "accept", "note": "方向一致"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, mid).stage == "confirmation"

    for client, side in ((ent, "need"), (uni, "result")):
        text = _everything(client, mid)
        assert not any(s in text for s in _other_side_secrets(side)), side
        assert "双方确认对接意向后可见" in client.get("/review/mine").get_data(as_text=True)
    assert not any(s in _everything(broker, mid) for s in SECRETS)
    assert not any(s in _everything(outsider, mid) for s in SECRETS)

    # One side confirms (through the API): still nothing.
    r = ent.post(f"/api/v1/matches/{mid}/confirmation", json={"confirm": True})
    assert r.status_code == 200 and r.json["contacts"]["result"] is None
    assert not any(s in _everything(ent, mid) for s in _other_side_secrets("need"))
    assert not any(s in _everything(broker, mid) for s in SECRETS)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "contact_release")) is None

    # The other confirms through the page: contacts appear for both, and the release is audited.
    r = uni.post(f"/review/match/{mid}/respond", data={"answer": "confirm"})
    assert r.status_code == 302
    assert RESULT_PHONE in ent.get("/review/mine").get_data(as_text=True)
    assert NEED_PHONE in uni.get(f"/review/match/{mid}").get_data(as_text=True)
    assert ent.get(f"/api/v1/matches/{mid}").json["contacts"]["result"]["phone"] == RESULT_PHONE
    assert NEED_PHONE in broker.get("/review/export.csv").get_data(as_text=True)
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "contact_release")).all()) == 2
    # An outsider still sees nothing.
    assert not any(s in _everything(outsider, mid) for s in SECRETS)


def test_decline_reason_shown_to_other_side(deal, as_user):
    broker, ent, uni = (as_user(u) for u in (deal.broker, deal.enterprise, deal.researcher))
    broker.post(f"/api/v1/matches/{deal.match.id}/decision", json={"decision": "accept"})
    r = uni.post(f"/api/v1/matches/{deal.match.id}/confirmation", json={"confirm": False})
    assert r.status_code == 400 and r.json["error"]["field"] == "reason"
    r = uni.post(
        f"/api/v1/matches/{deal.match.id}/confirmation",
        json={"confirm": False, "reason": "专利已独占许可他人"},
    )
    assert r.status_code == 200 and r.json["stage"] == "closed"
    page = ent.get("/review/mine").get_data(as_text=True)
    assert "专利已独占许可他人" in page and RESULT_PHONE not in page


def test_queue_ui_bulk_reject_and_one_tap_reason(deal, as_user, db):
    from tests import factories as f

    second = f.result(
        "数控机床热误差在线补偿系统",
        keywords=["数控机床", "热误差", "补偿"],
        description="针对数控机床加工零件尺寸随温度漂移，在线测温并实时补偿热误差。",
    )
    db.session.commit()  # the index follows committed postings
    from matchmaker.review.services import propose

    propose(db.session, [deal.need.id])
    db.session.commit()
    other = db.session.scalar(select(Match).where(Match.result_id == second.id))
    broker = as_user(deal.broker)
    # A reason tapped in the 不通过 menu rejects in one request.
    r = broker.post("/review/decide", data={"match_id": other.id, "reject_reason": "existing"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, other.id).decision == "reject"
    assert db.session.get(Match, other.id).reason_code == "existing"
    # Bulk reject without a reason: nothing changes, a Chinese error is shown.
    r = broker.post(
        "/review/decide", data={"ids": [str(deal.match.id)], "decision": "reject"}, follow_redirects=True
    )
    assert "不通过须选择理由" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Match, deal.match.id).decision is None


def test_api_validation_errors_name_the_field(deal, as_user):
    broker = as_user(deal.broker)
    r = broker.post(f"/api/v1/matches/{deal.match.id}/decision", json={"decision": "maybe"})
    assert r.status_code == 400 and r.json["error"]["field"] == "decision"
    r = broker.post(f"/api/v1/matches/{deal.match.id}/stage", json={"to_stage": "signed"})
    assert r.status_code == 409 and "不能从「推荐」直接进入「签约」" in r.json["error"]["message"]
    r = broker.get("/api/v1/review/queue?status=bogus")
    assert r.status_code == 400 and r.json["error"]["field"] == "status"
    r = broker.post("/api/v1/matches", json={"need_id": deal.need.external_id, "result_id": "NOPE"})
    assert r.status_code == 404 and r.json["error"]["field"] == "result_id"
    r = broker.post("/api/v1/matches/decisions", json={"ids": [deal.match.id], "decision": "reject"})
    assert r.status_code == 400 and r.json["error"]["field"] == "reason"


def test_manual_add_through_ui(deal, as_user, db):
    from tests import factories as f

    extra = f.result("主轴温升监测传感器", field_name="智能传感", external_id="SR900")
    db.session.commit()
    broker = as_user(deal.broker)
    r = broker.post(
        "/review/manual", data={"need": deal.need.external_id, "result": "SR900", "note": "排序遗漏"}
    )
    assert r.status_code == 302
    m = db.session.scalar(select(Match).where(Match.result_id == extra.id))
    assert m.source == "manual"
    r = broker.post("/review/manual", data={"need": deal.need.external_id, "result": "SR900"})
    assert "已在推荐列表" in r.get_data(as_text=True)


def test_signing_through_ui_and_exports(deal, as_user, db):
    broker, ent, uni = (as_user(u) for u in (deal.broker, deal.enterprise, deal.researcher))
    mid = deal.match.id
    broker.post("/review/decide", data={"match_id": mid, "decision": "accept"})
    ent.post(f"/review/match/{mid}/respond", data={"answer": "confirm"})
    uni.post(f"/review/match/{mid}/respond", data={"answer": "confirm"})
    r = broker.post(
        f"/review/match/{mid}/stage",
        data={"to_stage": "signed", "contract_type": "license", "amount_wan": "85.5"},
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert "85.5 万元" in page and "技术许可" in page
    csv_text = broker.get("/review/export.csv?status=signed").get_data(as_text=True)
    assert "85.5" in csv_text and deal.need.title in csv_text
    xlsx = broker.get("/review/export.xlsx?field=高端装备制造")
    assert xlsx.status_code == 200 and "85.5" in _xlsx_text(xlsx.data)
    assert deal.need.title not in broker.get("/review/export.csv?field=种业创新").get_data(as_text=True)
    kanban = broker.get("/review/pipeline").get_data(as_text=True)
    assert deal.need.title in kanban


def test_queue_and_export_speak_chinese(deal, as_user, db):
    """Score components and the match source are labelled in Chinese; shared terms are not repeated."""
    deal.match.explanation = {
        "summary": "语义相似度高（0.92）；共同关键词：热误差、补偿。",
        "shared_terms": ["热误差", "补偿"],
    }
    deal.match.components = {"dense": 0.92, "bm25": 11.7}
    db.session.commit()
    c = as_user(deal.broker)
    page = c.get("/review/").get_data(as_text=True)
    # components sit in a details toggle on one (cosine) scale: raw BM25 stays out
    assert "语义 0.920" in page and "关键词 11.70" not in page and ">dense " not in page
    assert "补偿。：" not in page and "热误差、补偿" in page
    detail = c.get(f"/review/match/{deal.match.id}").get_data(as_text=True)
    assert "补偿。：" not in detail and ">dense<" not in detail
    csv_text = c.get("/review/export.csv").get_data(as_text=True)
    assert "系统推荐" in csv_text and ",ranker," not in csv_text
