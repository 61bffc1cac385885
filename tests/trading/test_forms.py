"""Page twins of the investor and rights APIs: the investor's own profile, the interest pipeline
意向 → 约谈 → 尽调 → 投资 / 放弃 from the page, and a result's rights (赋权) form."""

from __future__ import annotations

import json

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.trading.investors import Interest, Investor
from matchmaker.trading.rights import Rights
from tests import factories as f


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
    return client


PROFILE = {
    "p-fund_type": "vc",
    "p-fields": "超硬材料、新材料",
    "p-trl_min": "4",
    "p-trl_max": "7",
    "p-ticket_min_wan": "100",
    "p-ticket_max_wan": "2000",
    "p-regions": ["郑州", "洛阳"],
    "p-thesis": "超硬材料产业化",
    "p-submit": "保存画像",
}


def test_investor_profile_and_pipeline_from_the_page(app, db, market):
    fund = f.user("investor", org=f.organization("投资机构", name="中原科创风投"))
    db.session.commit()
    client = _client(app, fund)
    assert "保存画像后可登记投资意向" in client.get("/trading/investor/profile").get_data(as_text=True)
    # The service's check is shown beside its field, nothing saved.
    page = client.post("/trading/investor/profile", data=PROFILE | {"p-trl_min": "8"}).get_data(as_text=True)
    assert 'data-field-error="p-trl_min"' in page and "最低技术就绪度不能高于最高技术就绪度" in page
    assert db.session.scalar(select(Investor)) is None
    assert client.post("/trading/investor/profile", data=PROFILE).status_code == 302
    inv = db.session.scalar(select(Investor))
    assert (inv.name, inv.fields, inv.trl_min, inv.regions) == (
        "中原科创风投",
        ["超硬材料", "新材料"],
        4,
        ["郑州", "洛阳"],
    )
    assert inv.user_id == fund.id and inv.ticket_max_wan == 2000
    page = client.get("/trading/investor/profile").get_data(as_text=True)
    assert 'value="超硬材料、新材料"' in page  # filled from the saved profile
    # Edit keeps one profile.
    assert client.post("/trading/investor/profile", data=PROFILE | {"p-fund_type": "pe"}).status_code == 302
    assert [i.fund_type for i in db.session.scalars(select(Investor))] == ["pe"]

    # 意向 on a result, then the pipeline with dates and amounts.
    resp = client.post(
        "/trading/investor/profile", data={"i-result_id": market.result.id, "i-submit": "登记意向"}
    )
    assert resp.status_code == 302
    interest = db.session.scalar(select(Interest))
    url = f"/trading/interests/{interest.id}/stage"
    prefix = f"s{interest.id}-"
    resp = client.post(url, data={prefix + "to_stage": "invested", "next": "/trading/investor/profile"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/trading/investor/profile")
    page = client.get("/trading/investor/profile").get_data(as_text=True)
    assert "不能从「意向」进入「投资」" in page
    for stage in ("meeting", "diligence"):
        client.post(url, data={prefix + "to_stage": stage})
    client.post(
        url,
        data={prefix + "to_stage": "invested", prefix + "amount_wan": "500", prefix + "share_pct": "12.5"},
    )
    db.session.refresh(interest)
    assert (interest.stage, interest.amount_wan, interest.share_pct) == ("invested", 500, 12.5)
    assert [h["stage"] for h in interest.history] == ["intent", "meeting", "diligence", "invested"]
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "investor.interest")).all()) == 4
    page = client.get("/trading/investor/profile").get_data(as_text=True)
    assert "500 万元 · 12.5%" in page and f'data-testid="stage-form-{interest.id}"' not in page

    # Others may not move it; brokers move it from their board.
    other = f.user("investor", org=f.organization("投资机构"))
    db.session.commit()
    assert _client(app, other).post(url, data={prefix + "to_stage": "dropped"}).status_code == 403
    assert _client(app, market.bidders[0]).get("/trading/investor/profile").status_code == 403


def test_broker_drops_an_interest_from_the_board(app, db, market):
    fund = f.user("investor", org=f.organization("投资机构", name="豫资引导基金"))
    db.session.commit()
    _client(app, fund).post("/trading/investor/profile", data=PROFILE | {"p-fund_type": "guidance"})
    inv = db.session.scalar(select(Investor))
    broker = _client(app, market.broker)
    resp = broker.post(
        f"/api/v1/investors/{inv.id}/interests", json={"result_id": market.result.id}
    ).get_json()
    board = broker.get("/trading/investors").get_data(as_text=True)
    assert f'data-testid="stage-form-{resp["id"]}"' in board
    prefix = f"s{resp['id']}-"
    broker.post(f"/trading/interests/{resp['id']}/stage", data={prefix + "to_stage": "dropped"})
    assert "放弃须填写原因" in broker.get("/trading/investors").get_data(as_text=True)
    broker.post(
        f"/trading/interests/{resp['id']}/stage",
        data={prefix + "to_stage": "dropped", prefix + "note": "估值分歧"},
    )
    interest = db.session.get(Interest, resp["id"])
    db.session.refresh(interest)
    assert interest.stage == "dropped" and interest.history[-1]["note"] == "估值分歧"


def test_rights_form_checks_shares_and_audits_every_change(app, db, market):
    office = _client(app, market.seller)
    url = f"/trading/results/{market.result.id}/rights"
    assert 'data-testid="rights-link"' in office.get(f"/results/{market.result.id}").get_data(as_text=True)
    assert office.get(url).status_code == 200
    page = office.post(
        url, data={"ownership_mode": "personal", "inventor_shares": "张三 60\n李四 30"}
    ).get_data(as_text=True)
    assert 'data-field-error="inventor_shares"' in page and "合计须为 100%，现为 90%" in page
    page = office.post(
        url, data={"ownership_mode": "personal", "inventor_shares": "张三 六十\n李四 40"}
    ).get_data(as_text=True)
    assert "「张三」的份额须为数字" in page
    assert db.session.scalar(select(Rights)) is None
    resp = office.post(
        url,
        data={
            "ownership_mode": "personal",
            "inventor_shares": "张三 60%\n李四：40",
            "separately_managed": "y",
            "carrier_company": "郑州金刚石科技有限公司",
        },
    )
    assert resp.status_code == 302
    rights = db.session.scalar(select(Rights))
    assert rights.inventor_shares == [
        {"name": "张三", "share_pct": 60.0},
        {"name": "李四", "share_pct": 40.0},
    ]
    assert rights.separately_managed and rights.carrier_company == "郑州金刚石科技有限公司"
    page = office.get(url).get_data(as_text=True)
    assert "张三 60\n李四 40" in page and "当前：赋权个人所有 · 单列管理" in page
    assert office.post(url, data={"ownership_mode": "long_term_use"}).status_code == 200  # term missing
    assert (
        office.post(url, data={"ownership_mode": "long_term_use", "use_term_years": "10"}).status_code == 302
    )
    db.session.refresh(rights)
    assert (rights.ownership_mode, rights.use_term_years, rights.inventor_shares) == ("long_term_use", 10, [])
    changes = db.session.scalars(select(AuditLog).where(AuditLog.action == "rights.change")).all()
    last = json.loads(changes[-1].detail)
    assert len(changes) == 2 and last["before"]["ownership_mode"] == "personal"
    assert last["after"]["use_term_years"] == 10 and not last["after"]["separately_managed"]
    # Another university's staff and enterprises may not touch it.
    stranger = f.user("researcher", org=f.organization("高校"))
    db.session.commit()
    assert _client(app, stranger).get(url).status_code == 403
    assert _client(app, market.bidders[0]).post(url, data={"ownership_mode": "unit"}).status_code == 403
