"""Fixtures for trading: a broker, a university result and verified enterprise bidders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from matchmaker.extensions import utcnow
from tests import factories as f


@dataclass
class Market:
    broker: object
    seller: object
    result: object
    bidders: list = field(default_factory=list)


@pytest.fixture
def market(db) -> Market:
    uni = f.organization("高校", name="郑州大学材料学院")
    seller = f.user("researcher", org=uni, email="seller@example.cn")
    broker = f.user("broker", email="broker@example.cn")
    result = f.result("超硬材料金刚石线锯低损耗切割工艺", field_name="超硬材料", org=uni)
    bidders = [
        f.user("enterprise", org=f.organization("企业", name=f"竞买企业{i}"), email=f"bidder{i}@example.cn")
        for i in range(2)
    ]
    db.session.commit()
    return Market(broker=broker, seller=seller, result=result, bidders=bidders)


def auction_body(result_id: int, **kw) -> dict:
    now = utcnow()
    body = {
        "result_id": result_id,
        "reserve_wan": 100,
        "increment_wan": 5,
        "starts_at": (now - timedelta(minutes=1)).isoformat() + "Z",
        "ends_at": (now + timedelta(hours=1)).isoformat() + "Z",
        "extend_minutes": 5,
    }
    body.update(kw)
    return body
