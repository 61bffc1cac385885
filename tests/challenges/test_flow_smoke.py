"""End-to-end through the services and pages, as the lead's "Checked by" describes."""

from matchmaker.challenges import services
from matchmaker.challenges.models import Project
from tests import factories as f
from tests.challenges.conftest import answer, raise_and_publish


def test_pages_render_through_the_flow(db, world, client, login):
    challenge = raise_and_publish(db, world)
    a1 = answer(db, world.researcher, challenge)
    services.transition(db.session, challenge, "reviewing", world.admin, "截止")
    reviews = services.assign_reviewers(db.session, challenge, world.admin, per_answer=2, max_load=3)
    for r in reviews:
        services.submit_review(
            db.session, r, r.expert.user, {"advancement": 90, "feasibility": 80, "team": 85, "economic": 70}
        )
    project = services.award_project(db.session, challenge, a1, world.admin, funding_wan=250)
    db.session.commit()
    login(world.admin)
    for url in [
        "/challenges/",
        f"/challenges/topics/{world.topic.id}",
        f"/challenges/topics/{world.topic.id}/trace",
        f"/challenges/{challenge.id}",
        f"/challenges/answers/{a1.id}",
        f"/challenges/projects/{project.id}",
        "/challenges/stats",
        "/challenges/topics/new",
        "/challenges/topics/suggest",
        f"/challenges/new?need_id={world.need.id}",
        "/challenges/questions/new",
        "/challenges/reviews",
    ]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:2000])
    resp = client.get(f"/challenges/topics/{world.topic.id}/trace.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert db.session.get(Project, project.id).milestones


def test_enterprise_raises_its_question_through_the_pages(db, world, client, login):
    db.session.commit()
    login(world.enterprise)
    html = client.get("/challenges/").get_data(as_text=True)
    assert f"/challenges/new?need_id={world.need.id}" in html
    resp = client.post(
        "/challenges/questions/new",
        data={
            "title": "合成压机温控不稳",
            "description": "六面顶压机合成时温度波动大，金刚石晶形差。",
            "field_id": str(world.need.field_id),
            "topic_id": str(world.topic.id),
            "keywords": "压机，温控",
        },
    )
    assert resp.status_code == 302
    from matchmaker.postings.models import Need

    need = db.session.query(Need).filter_by(title="合成压机温控不稳").one()
    assert need.topic_id == world.topic.id and need.keywords == ["压机", "温控"]
    assert need.organization_id == world.enterprise.organization_id
    resp = client.post(
        f"/challenges/new?need_id={need.id}",
        data={
            "title": "温控榜",
            "type": "common",
            "targets": "温度波动 ≤ 2 ℃\n",
            "reward_wan": "100",
            "min_units": "2",
        },
    )
    assert resp.status_code == 200 and "不少于 3 家单位" in resp.get_data(as_text=True)
    resp = client.post(
        f"/challenges/new?need_id={need.id}",
        data={"title": "温控榜", "type": "common", "targets": "温度波动 ≤ 2 ℃\n", "reward_wan": "100"},
    )
    assert resp.status_code == 302
    from matchmaker.challenges.models import Challenge

    c = db.session.query(Challenge).filter_by(title="温控榜").one()
    assert c.status == "collecting" and c.min_units == 3 and c.topic_id == world.topic.id
    # Another enterprise cannot raise this question.
    other = f.user("enterprise")
    db.session.commit()
    client.post("/logout")
    login(other)
    assert client.get(f"/challenges/new?need_id={need.id}").status_code == 403


def test_public_sees_published_lists_only(db, world, client):
    from matchmaker.challenges import services as s

    draft = s.raise_challenge(db.session, world.enterprise, world.need, title="草稿榜", targets=["x"])
    db.session.commit()
    html = client.get("/challenges/").get_data(as_text=True)
    assert "草稿榜" not in html
    assert client.get(f"/challenges/{draft.id}").status_code == 404
