"""Fixtures for the broker workspace: two parties, a broker and a proposed match."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from matchmaker.review.models import Match
from matchmaker.review.services import propose
from tests import factories as f

NEED_PHONE = "13911112222"
RESULT_PHONE = "13822223333"
NEED_USER_PHONE = "13711114444"
RESULT_USER_PHONE = "13611115555"


@dataclass
class Deal:
    broker: object
    enterprise: object
    researcher: object
    outsider: object
    need: object
    result: object
    match: Match


@pytest.fixture
def deal(db) -> Deal:
    """An enterprise need and a university result the ranker proposes for it."""
    ent_org = f.organization("企业", name="郑州精密机械有限公司")
    uni_org = f.organization("高校", name="郑州大学机械学院")
    enterprise = f.user("enterprise", org=ent_org, phone=NEED_USER_PHONE, email="ent@example.cn")
    researcher = f.user("researcher", org=uni_org, phone=RESULT_USER_PHONE, email="uni@example.cn")
    broker = f.user("broker", email="broker@example.cn")
    outsider = f.user("enterprise")
    need = f.need(
        "数控机床加工零件尺寸随温度漂移",
        org=ent_org,
        region="郑州",
        owner_id=enterprise.id,
        contact_name="王工",
        contact_phone=NEED_PHONE,
        contact_email="wang@jingmi.cn",
        keywords=["数控机床", "热误差", "补偿"],
    )
    result = f.result(
        "数控机床主轴热误差建模与实时补偿",
        org=uni_org,
        owner_id=researcher.id,
        contact_name="李教授",
        contact_phone=RESULT_PHONE,
        contact_email="li@zzu.edu.cn",
        keywords=["数控机床", "热误差", "补偿"],
    )
    f.result("玉米耐旱新品种选育", field_name="种业创新", contact_phone="13500000001")
    propose(db.session, top=5)
    db.session.commit()
    match = db.session.query(Match).filter_by(need_id=need.id, result_id=result.id).one()
    return Deal(broker, enterprise, researcher, outsider, need, result, match)
