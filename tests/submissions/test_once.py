"""防重复提交: every create form carries the one-time token; the same token posted twice makes
one record, and the second response goes to the first record (parametrised per form)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.postings.models import Expert, Field, Need, Result
from tests.factories import PASSWORD

TOKEN = re.compile(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"')


def _field_id(db) -> int:
    return db.session.scalar(select(Field.id).where(Field.name == "高端装备制造"))


def _challenge(db, p):
    from matchmaker.challenges import services

    challenge = services.raise_challenge(
        db.session,
        p["enterprise"],
        p["need"],
        title="高精度主轴热误差补偿",
        type="enterprise",
        targets=["热误差 ≤ 5 μm"],
        reward_wan=100,
        deadline=date.today() + timedelta(days=30),
    )
    services.transition(db.session, challenge, "assessing", p["admin"], "论证")
    services.transition(db.session, challenge, "published", p["admin"], "张榜")
    return challenge


def _scenario(db, p):
    from matchmaker.scenarios import services

    return services.create_scenario(
        db.session,
        {
            "title": "智能工厂主轴监测场景",
            "description": "在产线上试点主轴热误差在线监测与补偿。",
            "field": "高端装备制造",
        },
        organization=p["other_enterprise"].organization,
        owner=p["other_enterprise"],
    )


def _provider(db, p):
    from matchmaker.providers.models import Provider

    provider = Provider(
        external_id="PV-once",
        name="郑州概念验证中心",
        type="概念验证中心",
        description="样机验证与中试",
        field_id=_field_id(db),
        stage_from=3,
        stage_to=7,
        organization=p["other_researcher"].organization,
    )
    db.session.add(provider)
    db.session.flush()
    return provider


def _model(path: str):
    module, name = path.rsplit(".", 1)
    import importlib

    return getattr(importlib.import_module(module), name)


# name: (role, setup(db, people) -> (form page, post url, form data), model counted)
CASES = {
    "need": (
        "enterprise",
        lambda db, p: (
            "/needs/new",
            None,
            {
                "title": "防重复的需求",
                "description": "同一张表单只应产生一条。",
                "field": "高端装备制造",
                "status": "open",
            },
        ),
        Need,
    ),
    "result": (
        "researcher",
        lambda db, p: (
            "/results/new",
            None,
            {
                "title": "防重复的成果",
                "description": "同一张表单只应产生一条。",
                "field": "高端装备制造",
                "maturity": "中试",
                "status": "published",
            },
        ),
        Result,
    ),
    "expert": (
        "researcher",
        lambda db, p: (
            "/experts/new",
            None,
            {"name": "防重复专家", "field": "高端装备制造", "status": "published"},
        ),
        Expert,
    ),
    "topic": (
        "admin",
        lambda db, p: (
            "/challenges/topics/new",
            None,
            {
                "title": "防重复题目",
                "industry_chain": "装备制造产业链",
                "field_id": _field_id(db),
                "status": "published",
            },
        ),
        "matchmaker.challenges.models.Topic",
    ),
    "question": (
        "enterprise",
        lambda db, p: (
            "/challenges/questions/new",
            None,
            {
                "title": "防重复的问题",
                "description": "主轴热变形导致尺寸漂移，希望解决。",
                "field_id": _field_id(db),
                "topic_id": 0,
            },
        ),
        Need,
    ),
    "challenge": (
        "enterprise",
        lambda db, p: (
            f"/challenges/new?need_id={p['need'].id}",
            None,
            {"title": "防重复榜单", "type": "enterprise", "targets": "热误差 ≤ 5 μm"},
        ),
        "matchmaker.challenges.models.Challenge",
    ),
    "answer": (
        "researcher",
        lambda db, p: (
            f"/challenges/{_challenge(db, p).id}/answer",
            None,
            {
                "title": "防重复方案",
                "approach": "基于热特性建模与温度场测量的主轴热误差实时补偿技术路线。",
                "milestones": f"{date.today() + timedelta(days=90)} 完成样机",
            },
        ),
        "matchmaker.challenges.models.Answer",
    ),
    "scenario": (
        "enterprise",
        lambda db, p: (
            "/scenarios/new",
            None,
            {
                "title": "防重复场景",
                "description": "在产线上试点主轴热误差在线监测与补偿。",
                "field": "高端装备制造",
            },
        ),
        "matchmaker.scenarios.models.Scenario",
    ),
    "scenario_application": (
        "enterprise",
        lambda db, p: (
            f"/scenarios/{_scenario(db, p).id}/apply",
            None,
            {"proposal": "我们有成熟的主轴热误差补偿方案，已在三家工厂应用，可试点。"},
        ),
        "matchmaker.scenarios.models.Application",
    ),
    "service_request": (
        "researcher",
        lambda db, p: (
            f"/providers/{_provider(db, p).id}/request/{p['result'].id}",
            None,
            {"message": "希望完成样机验证，三个月内。"},
        ),
        "matchmaker.providers.models.ServiceRequest",
    ),
    "auction": (
        "broker",
        lambda db, p: (
            "/trading/auctions/new",
            None,
            {
                "result_id": p["result"].id,
                "mode": "auction",
                "reserve_wan": "10",
                "increment_wan": "1",
                "ends_at": (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
                "contract_type": "transfer",
                "extend_minutes": 5,
            },
        ),
        "matchmaker.trading.models.Auction",
    ),
    "roadshow": (
        "broker",
        lambda db, p: (
            "/roadshow/",
            "/roadshow/new",
            {
                "title": "防重复路演",
                "min_interest": "0.2",
                "max_per_organization": "2",
                "conflict_weight": "0.3",
                "displacement_weight": "10",
            },
        ),
        "matchmaker.roadshow.models.Roadshow",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_token_twice_makes_one_record_and_shows_it(app, people, db, name):
    role, setup, model = CASES[name]
    model = _model(model) if isinstance(model, str) else model
    page_url, post_url, data = setup(db, people)
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": people[role].email, "password": PASSWORD}).status_code == 302
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    token = TOKEN.search(html)
    assert token, "the create form carries no one-time token"
    assert "data-once" in html
    before = db.session.scalar(select(func.count()).select_from(model))
    data = data | {"submit_token": token.group(1)}
    first = client.post(post_url or page_url, data=data)
    assert first.status_code == 302, re.findall(
        r'data-field-error="(\w+)">([^<]+)<', first.get_data(as_text=True)
    )
    second = client.post(post_url or page_url, data=data)
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    shown = client.get(second.headers["Location"])
    assert shown.status_code == 200 and "已保存过，未重复创建" in shown.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(model)) == before + 1
    # A fresh form (a new token) makes a new record.
    fresh = TOKEN.search(client.get(page_url).get_data(as_text=True)).group(1)
    assert fresh != token.group(1)


def test_a_token_never_leads_to_another_accounts_record(app, people, db):
    form = CASES["need"][1](db, people)[2]
    clients = {}
    for role in ("enterprise", "other_enterprise"):
        clients[role] = app.test_client()
        clients[role].post("/login", data={"email": people[role].email, "password": PASSWORD})
    token = TOKEN.search(clients["enterprise"].get("/needs/new").get_data(as_text=True)).group(1)
    first = clients["enterprise"].post("/needs/new", data=form | {"submit_token": token})
    assert first.status_code == 302
    copied = clients["other_enterprise"].post("/needs/new", data=form | {"submit_token": token})
    assert copied.status_code == 302 and copied.headers["Location"] != first.headers["Location"]
    assert "该表单已失效" in clients["other_enterprise"].get(copied.headers["Location"]).get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Need.id)).where(Need.title == form["title"])) == 1
