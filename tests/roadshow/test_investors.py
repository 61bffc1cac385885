"""Investors in roadshow demand: funds whose profile fits a talk are counted in its demand
(weighted, explained), weighed by the scheduler like enterprises, invited on release and
listed per session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.notifications.models import Notification
from matchmaker.roadshow import services
from matchmaker.roadshow.models import CandidateInterest
from matchmaker.trading.investors import save_investor
from tests import factories


@pytest.fixture
def funds(world):
    fitting_user = factories.user(
        "investor", org=factories.organization("投资机构", name="中原金刚石产业基金")
    )
    other_user = factories.user("investor", org=factories.organization("投资机构", name="郑州生物医药天使"))
    fitting = save_investor(
        db.session,
        fitting_user,
        {
            "fund_type": "vc",
            "fields": ["超硬材料"],
            "trl_min": 4,
            "trl_max": 8,
            "thesis": "金刚石线锯、金刚石切割与超硬材料工具的中试和产业化项目",
        },
    )
    other = save_investor(
        db.session,
        other_user,
        {
            "fund_type": "angel",
            "fields": ["生物医药"],
            "trl_min": 1,
            "trl_max": 3,
            "thesis": "创新药物早期研发与基因治疗平台",
        },
    )
    db.session.commit()
    return {"fitting": fitting, "other": other, "fitting_user": fitting_user, "other_user": other_user}


def test_investor_interest_is_part_of_the_demand_and_explained(world, funds):
    roadshow = world["roadshow"]
    services.compute_interest(db.session, roadshow)
    db.session.commit()
    rows = db.session.scalars(
        select(CandidateInterest).where(CandidateInterest.investor_id.is_not(None))
    ).all()
    assert rows, "the fitting fund is interested in at least one talk"
    assert {r.investor_id for r in rows} == {funds["fitting"].id}  # stage 1–3 vs TRL 6: never invited
    saw = next(r for r in rows if r.candidate.result.title == "金刚石线锯高效切割技术")
    assert saw.need_id is None and saw.organization_id == funds["fitting"].organization_id
    exp = saw.explanation
    assert exp["kind"] == "investor" and exp["weight"] == services.INVESTOR_WEIGHT
    assert saw.score == pytest.approx(exp["ranking_score"] * services.INVESTOR_WEIGHT, abs=1e-4)
    assert "中原金刚石产业基金" in exp["summary"] and "TRL 6 在投资阶段 4–8 内" in exp["summary"]
    for cand in roadshow.candidates:  # demand = enterprises' need scores + investors' weighted scores
        assert cand.demand == pytest.approx(sum(i.score for i in cand.interests))
    cand = saw.candidate
    enterprise_only = sum(i.score for i in cand.interests if i.need_id is not None)
    assert cand.demand == pytest.approx(enterprise_only + saw.score) and cand.demand > enterprise_only
    # The scheduler weighs it: the investor is one of the talk's interested organisations.
    instance = services.build_instance(roadshow)
    assert {
        "enterprise": str(saw.organization_id),
        "candidate": str(cand.id),
        "score": saw.score,
    } in instance["interest"]


def test_published_sessions_invite_and_list_their_investors(app, world, funds, login):
    roadshow, session = world["roadshow"], world["session"]
    version = services.queue_solve(db.session, roadshow, world["broker"], 5)
    services.run_solve(db.session, version)
    summary = services.publish(db.session, version, world["broker"])
    db.session.commit()
    assert summary["investors"] == 1
    inbox = db.session.scalars(
        select(Notification).where(Notification.user_id == funds["fitting_user"].id)
    ).all()
    assert any("路演邀请" in n.title for n in inbox)
    assert not db.session.scalars(
        select(Notification).where(
            Notification.user_id == funds["other_user"].id, Notification.kind == "roadshow"
        )
    ).all()

    invited = services.session_investors(db.session, session)
    assert [e["investor"].id for e in invited] == [funds["fitting"].id]
    client = login(world["broker"])
    body = client.get(f"/api/v1/roadshows/sessions/{session.id}/investors").get_json()
    assert [i["investor"] for i in body["items"]] == ["中原金刚石产业基金"]
    assert body["items"][0]["talks"][0]["explanation"]["kind"] == "investor"
    edition = client.get(f"/roadshow/{roadshow.id}").get_data(as_text=True)
    assert "1 家投资机构" in edition
    page = client.get(f"/roadshow/sessions/{session.id}").get_data(as_text=True)
    assert "受邀投资机构（1）" in page and "中原金刚石产业基金" in page

    # The invited fund sees its agenda with the reason, and may take a seat.
    fund = funds["fitting_user"]
    client = app.test_client()
    assert (
        client.post("/login", data={"email": fund.email, "password": factories.PASSWORD}).status_code == 302
    )
    agenda = client.get(f"/roadshow/{roadshow.id}/agenda").get_data(as_text=True)
    assert "投资机构「中原金刚石产业基金」" in agenda
    api = client.get(f"/api/v1/roadshows/{roadshow.id}/agenda").get_json()["items"]
    assert api and all(i["investor_id"] == funds["fitting"].id and i["need_id"] is None for i in api)
    assert client.post(f"/api/v1/roadshows/sessions/{session.id}/registrations").status_code == 201
    assert client.get(f"/api/v1/roadshows/sessions/{session.id}/investors").status_code == 403
