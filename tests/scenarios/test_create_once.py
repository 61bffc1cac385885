"""发布应用场景 carries the shared one-time token: the same form twice makes one scenario, and a
service error shows beside its field with nothing saved."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from matchmaker.scenarios.models import Scenario
from tests import factories as f
from tests.factories import PASSWORD

FORM = {
    "title": "矿山装备远程运维试点",
    "description": "在洛阳矿山装备生产线开放振动与温度数据，试点故障预测与远程运维方案。",
    "field": "智能制造",
}


def test_the_same_form_twice_publishes_one_scenario(app, db):
    f.field("智能制造")
    user = f.user("enterprise")
    db.session.commit()
    c = app.test_client()
    c.post("/login", data={"email": user.email, "password": PASSWORD})
    html = c.get("/scenarios/new").get_data(as_text=True)
    token = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    bad = c.post("/scenarios/new", data=FORM | {"budget_wan": "很多", "submit_token": token})
    assert bad.status_code == 200 and 'data-field-error="budget_wan"' in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Scenario.id))) == 0
    first = c.post("/scenarios/new", data=FORM | {"submit_token": token})
    again = c.post("/scenarios/new", data=FORM | {"submit_token": token})
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count(Scenario.id))) == 1
