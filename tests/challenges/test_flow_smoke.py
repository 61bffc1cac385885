"""End-to-end through the services and pages, as the lead's "Checked by" describes."""
from matchmaker.challenges import services
from matchmaker.challenges.models import Project
from tests.challenges.conftest import answer, raise_and_publish


def test_pages_render_through_the_flow(db, world, client, login):
    challenge = raise_and_publish(db, world)
    a1 = answer(db, world.researcher, challenge)
    services.transition(db.session, challenge, "reviewing", world.admin, "截止")
    reviews = services.assign_reviewers(db.session, challenge, world.admin, per_answer=2, max_load=3)
    for r in reviews:
        services.submit_review(db.session, r, r.expert.user, {"advancement": 90, "feasibility": 80, "team": 85, "economic": 70})
    project = services.award_project(db.session, challenge, a1, world.admin, funding_wan=250)
    db.session.commit()
    login(world.admin)
    for url in ["/challenges/", f"/challenges/topics/{world.topic.id}", f"/challenges/topics/{world.topic.id}/trace",
                f"/challenges/{challenge.id}", f"/challenges/answers/{a1.id}", f"/challenges/projects/{project.id}",
                "/challenges/stats", "/challenges/topics/new", "/challenges/topics/suggest",
                f"/challenges/new?need_id={world.need.id}", "/challenges/questions/new", "/challenges/reviews"]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:2000])
    resp = client.get(f"/challenges/topics/{world.topic.id}/trace.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    assert db.session.get(Project, project.id).milestones
