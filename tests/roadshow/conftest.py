"""Roadshow fixtures: a small edition with results, needs, enterprises and a broker."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.roadshow import services
from matchmaker.roadshow.models import Roadshow, Session
from tests import factories

TOPICS = [
    ("金刚石线锯高效切割技术", "金刚石线锯切割硅片，降低损耗，提高切割效率"),
    ("聚晶金刚石复合片制备", "聚晶金刚石复合片用于钻头，提高耐磨性和抗冲击性"),
    ("立方氮化硼砂轮精密磨削", "立方氮化硼砂轮磨削淬硬钢，提高表面质量"),
    ("人造金刚石大单晶生长", "高温高压法生长人造金刚石大单晶，用于散热片"),
]


@pytest.fixture
def world(app):
    """Edition with one 2-room chain session, four candidates and three interested enterprises."""
    broker = factories.user("broker")
    researchers, results = [], []
    for title, desc in TOPICS:
        r = factories.user("researcher")
        researchers.append(r)
        results.append(
            factories.result(
                title=title, description=desc, field_name="超硬材料", org=r.organization, owner=r
            )
        )
    enterprises = []
    for i, (title, desc) in enumerate(TOPICS[:3]):
        e = factories.user("enterprise")
        enterprises.append(e)
        factories.need(
            title=f"需要{title}",
            description=f"我们需要{desc}的方案",
            field_name="超硬材料",
            org=e.organization,
        )
    roadshow = Roadshow(title="第一期龙子湖科创路演", min_interest=0.1, created_by_id=broker.id)
    db.session.add(roadshow)
    session = Session(
        roadshow=roadshow,
        kind="chain",
        title="超硬材料产业链群专场",
        field=factories.field("超硬材料"),
        city="郑州",
        venue="龙子湖智慧岛",
        date=date.today() + timedelta(days=10),
        start_time=time(9, 0),
        end_time=time(10, 0),
        slot_minutes=10,
        rooms=[{"id": "A厅", "capacity": 2}, {"id": "B厅", "capacity": 1}],
    )
    db.session.add(session)
    db.session.flush()
    candidates = [services.nominate(db.session, roadshow, r, broker, minutes=20) for r in results]
    db.session.commit()
    return {
        "broker": broker,
        "researchers": researchers,
        "results": results,
        "enterprises": enterprises,
        "roadshow": roadshow,
        "session": session,
        "candidates": candidates,
    }


@pytest.fixture
def planned(world):
    """The edition solved synchronously and published."""
    roadshow = world["roadshow"]
    version = services.queue_solve(db.session, roadshow, world["broker"], 5)
    services.run_solve(db.session, version)
    services.publish(db.session, version, world["broker"])
    db.session.commit()
    world["version"] = version
    return world
