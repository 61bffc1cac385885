"""Fixtures for 对接申请: an enterprise, a university with a result and a need, a broker, an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import factories as f

RESULT_PHONE = "13822223333"
NEED_PHONE = "13911112222"
ENT_PHONE = "13711114444"


@dataclass
class Parties:
    enterprise: object
    researcher: object
    broker: object
    outsider: object
    result: object
    need: object


@pytest.fixture
def parties(db) -> Parties:
    ent_org = f.organization("企业", name="郑州精密机械有限公司")
    uni_org = f.organization("高校", name="郑州大学机械学院")
    enterprise = f.user("enterprise", org=ent_org, phone=ENT_PHONE, email="ent@example.cn", name="王经理")
    researcher = f.user("researcher", org=uni_org, email="uni@example.cn", name="李教授")
    broker = f.user("broker", email="broker@example.cn")
    outsider = f.user("enterprise", email="other@example.cn")
    result = f.result(
        "数控机床主轴热误差建模与实时补偿",
        org=uni_org,
        region="郑州",
        owner_id=researcher.id,
        contact_name="李教授",
        contact_phone=RESULT_PHONE,
        contact_email="li@zzu.edu.cn",
    )
    need = f.need("高精度齿轮磨削工艺改进", org=ent_org, region="郑州", contact_phone=NEED_PHONE)
    db.session.commit()
    return Parties(enterprise, researcher, broker, outsider, result, need)
