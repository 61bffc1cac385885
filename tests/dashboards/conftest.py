"""A small hand-countable world for the dashboard tests (数据看板).

Times are whole days from BASE (today 00:00 UTC), so every duration is an exact number of days.

need  field  city  age  status  matches (days after publication)
n1    装备   郑州  200  open    m1: +2 created, accepted by bz, contacts +10, negotiation, signed +40 (100 万元), registered
n2    装备   洛阳  150  open    m2: +5 created, accepted by bl, contacts +120, negotiation; m2b: +7 proposed
n3    材料   郑州  100  open    m3: +1.5 created, rejected by bz
n4    材料   洛阳   60  open    —
n5    装备   郑州   10  open    m5: +0.5 created
n6    装备   郑州  120  closed  —
n7    材料   郑州   95  open    m7: +3 created, accepted by bz (awaiting confirmation)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.providers.models import Provider, ServiceRequest
from matchmaker.review.models import Contract, Match, StageChange
from matchmaker.scenarios.models import Application, Scenario
from matchmaker.trading.investors import Interest, Investor
from tests import factories as f

BASE = datetime.combine(date.today(), time())
EQUIP, MATERIAL = "高端装备制造", "新材料"


@dataclass
class World:
    needs: dict
    matches: dict
    brokers: dict
    centres: dict
    fields: dict
    admin: object
    enterprise: object


def _at(need, days: float) -> datetime:
    return need.created_at + timedelta(days=days)


@pytest.fixture
def world(app) -> World:
    centre_z = f.organization("技术转移机构", "国家技术转移郑州中心", "郑州")
    centre_l = f.organization("技术转移机构", "国家技术转移郑州中心洛阳分中心", "洛阳")
    centre_x = f.organization("技术转移机构", "国家技术转移郑州中心新乡分中心", "新乡")
    bz, bl, bx = f.user("broker", centre_z), f.user("broker", centre_l), f.user("broker", centre_x)
    admin, enterprise = f.user("admin"), f.user("enterprise")
    result = f.result()
    specs = {
        "n1": (EQUIP, "郑州", 200, "open"),
        "n2": (EQUIP, "洛阳", 150, "open"),
        "n3": (MATERIAL, "郑州", 100, "open"),
        "n4": (MATERIAL, "洛阳", 60, "open"),
        "n5": (EQUIP, "郑州", 10, "open"),
        "n6": (EQUIP, "郑州", 120, "closed"),
        "n7": (MATERIAL, "郑州", 95, "open"),
    }
    needs = {}
    for key, (field, city, age, status) in specs.items():
        needs[key] = f.need(
            title=f"测试需求{key}",
            field_name=field,
            region=city,
            status=status,
            created_at=BASE - timedelta(days=age),
        )

    def match(key, need, created, stage="proposed", broker=None, decision=None, released=None, history=()):
        m = Match(
            need_id=need.id,
            result_id=result.id,
            stage=stage,
            created_at=_at(need, created),
            decision=decision,
            decided_by_id=broker.id if broker else None,
            decided_at=_at(need, created + 1) if decision else None,
            released_at=_at(need, released) if released is not None else None,
        )
        db.session.add(m)
        db.session.flush()
        prev = "proposed"
        for to_stage, day in history:
            db.session.add(StageChange(match_id=m.id, from_stage=prev, to_stage=to_stage, at=_at(need, day)))
            prev = to_stage
        matches[key] = m
        return m

    matches = {}
    n = needs
    m1 = match(
        "m1",
        n["n1"],
        2,
        "registered",
        bz,
        "accept",
        10,
        [("confirmation", 3), ("negotiation", 10), ("signed", 40), ("registered", 50)],
    )
    db.session.add(
        Contract(
            match_id=m1.id,
            contract_type="transfer",
            amount_wan=100,
            buyer="甲",
            seller="乙",
            signed_on=_at(n["n1"], 40).date(),
            registration_no="豫登2026-001",
            registered_on=_at(n["n1"], 50).date(),
        )
    )
    match("m2", n["n2"], 5, "negotiation", bl, "accept", 120, [("confirmation", 6), ("negotiation", 120)])
    match("m2b", n["n2"], 7)
    match("m3", n["n3"], 1.5, "closed", bz, "reject", None, [("closed", 2.5)])
    match("m5", n["n5"], 0.5)
    match("m7", n["n7"], 3, "confirmation", bz, "accept", None, [("confirmation", 4)])

    # Activity: one scenario with two applications, one service request, one investor interest.
    org = enterprise.organization
    scenario = Scenario(
        external_id="SC-T1",
        title="测试场景",
        description="场景",
        field_id=n["n1"].field_id,
        region="郑州",
        organization_id=org.id,
    )
    db.session.add(scenario)
    db.session.flush()
    for status in ("applied", "shortlisted"):
        db.session.add(
            Application(scenario_id=scenario.id, organization_id=org.id, proposal="方案", status=status)
        )
    provider = Provider(
        external_id="PV-T1",
        name="测试检测中心",
        type="检验检测机构",
        description="检测",
        field_id=n["n1"].field_id,
        stage_from=4,
        stage_to=7,
        region="洛阳",
        organization_id=org.id,
    )
    db.session.add(provider)
    db.session.flush()
    db.session.add(ServiceRequest(provider_id=provider.id, result_id=result.id, message="请检测"))
    investor = Investor(name="测试基金", organization_id=org.id, fund_type="vc")
    db.session.add(investor)
    db.session.flush()
    db.session.add(Interest(investor_id=investor.id, result_id=result.id))
    db.session.commit()
    fields = {EQUIP: n["n1"].field_id, MATERIAL: n["n3"].field_id}
    return World(
        needs,
        matches,
        {"bz": bz, "bl": bl, "bx": bx},
        {"z": centre_z, "l": centre_l, "x": centre_x},
        fields,
        admin,
        enterprise,
    )
