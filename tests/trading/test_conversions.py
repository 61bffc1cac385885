"""拨投结合: a clause on a grant project converts when its milestone passes acceptance;
the trace page shows it and the admin dashboard totals it per fund and per programme."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.challenges import services as challenges
from tests import factories as f
from tests.challenges.conftest import answer, raise_and_publish, world  # noqa: F401  (fixture)

SCORES = {"advancement": 80, "feasibility": 80, "team": 80, "economic": 80}


def _project(db, world):  # noqa: F811
    c = raise_and_publish(db, world, reward_wan=300)
    a1 = answer(db, world.researcher, c)
    answer(db, f.user("researcher", org=f.organization("高校", "第二大学")), c, title="第二方案")
    challenges.transition(db.session, c, "reviewing", world.admin)
    for r in challenges.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5):
        challenges.submit_review(db.session, r, r.expert.user, SCORES)
    project = challenges.award_project(db.session, c, a1, world.admin, funding_wan=250)
    db.session.commit()
    return project


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
    return client


def test_milestone_acceptance_converts_the_grant(app, db, world):  # noqa: F811
    project = _project(db, world)
    first, second = project.milestones
    admin = _client(app, world.admin)
    url = f"/api/v1/projects/{project.id}/conversions"
    resp = admin.post(
        url,
        json={
            "milestone_id": first.id,
            "fund_name": "河南省新兴产业投资引导基金",
            "amount_wan": 300,
            "share_pct": 5,
        },
    )
    assert (
        resp.status_code == 400 and resp.get_json()["error"]["field"] == "amount_wan"
    )  # more than the grant
    resp = admin.post(
        url,
        json={
            "milestone_id": first.id,
            "fund_name": "河南省新兴产业投资引导基金",
            "amount_wan": 100,
            "share_pct": 5,
        },
    )
    assert resp.status_code == 201 and resp.get_json()["status"] == "pending"
    resp = admin.post(
        url, json={"milestone_id": first.id, "fund_name": "另一基金", "amount_wan": 10, "share_pct": 1}
    )
    assert resp.status_code == 409
    assert (
        _client(app, world.enterprise)
        .post(url, json={"milestone_id": second.id, "fund_name": "x", "amount_wan": 1, "share_pct": 1})
        .status_code
        == 403
    )

    # A failed acceptance converts nothing; a pass does.
    challenges.accept_milestone(db.session, first, world.admin, False, "生长速率未达标")
    db.session.commit()
    assert admin.get(url).get_json()["items"][0]["status"] == "pending"
    first.status = "pending"
    challenges.accept_milestone(db.session, first, world.admin, True, "生长速率达到 22 μm/h")
    db.session.commit()
    item = admin.get(url).get_json()["items"][0]
    assert item["status"] == "converted" and item["converted_at"] and item["share_pct"] == 5
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "conversion.converted")) is not None

    trace = admin.get(f"/challenges/topics/{world.topic.id}/trace").get_data(as_text=True)
    assert "拨投结合：100 万元转为河南省新兴产业投资引导基金持股 5%（已转股）" in trace
    totals = admin.get("/api/v1/conversions/totals").get_json()
    assert totals["per_fund"]["河南省新兴产业投资引导基金"] == {
        "converted_wan": 100,
        "pending_wan": 0,
        "count": 1,
    }
    assert totals["per_programme"][world.topic.title]["converted_wan"] == 100
    dashboard = admin.get("/admin/").get_data(as_text=True)
    assert 'data-testid="conversion-totals"' in dashboard and "河南省新兴产业投资引导基金" in dashboard
