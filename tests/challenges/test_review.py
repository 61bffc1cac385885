"""科技解题: conflict-of-interest exclusion, balanced reviewer load, rubric scores and spread, 立项."""

import statistics

import pytest

from matchmaker.challenges import services
from matchmaker.challenges.models import Review
from matchmaker.challenges.services import plan_reviewers
from matchmaker.errors import DomainError
from matchmaker.postings.models import Expert
from tests import factories as f
from tests.challenges.conftest import answer, raise_and_publish

SCORES = {"advancement": 90, "feasibility": 80, "team": 70, "economic": 60}


def _reviewing(db, world, n_answers=1, common=False):
    c = raise_and_publish(db, world, type="common" if common else "enterprise")
    answers = [answer(db, world.researcher, c, members=world.partners if common else ())]
    for n in range(1, n_answers):
        org = f.organization("高校", f"投标大学{n}")
        answers.append(answer(db, f.user("researcher", org=org), c, title=f"方案{n}"))
    services.transition(db.session, c, "reviewing", world.admin, "截止")
    return c, answers


def test_conflicted_reviewers_excluded(db, world):
    # Reviewers at the lead unit and at a consortium member must never review that answer.
    same_lead = f.expert(
        "同校专家",
        org=world.researcher.organization,
        field_name="超硬材料",
        user_id=f.user("researcher", org=world.researcher.organization).id,
    )
    same_member = f.expert(
        "成员单位专家",
        org=world.partners[1],
        field_name="超硬材料",
        user_id=f.user("enterprise", org=world.partners[1]).id,
    )
    c, (a,) = _reviewing(db, world, common=True)
    reviews = services.assign_reviewers(db.session, c, world.admin, per_answer=5, max_load=5)
    chosen = {r.expert_id for r in reviews}
    assert same_lead.id not in chosen and same_member.id not in chosen
    assert len(chosen) == 5
    assert all(r.expert.organization_id not in a.organization_ids for r in reviews)


def test_not_enough_conflict_free_reviewers(db, world):
    c, (a,) = _reviewing(db, world)
    with pytest.raises(DomainError, match="可用的无利益冲突评审专家不足 6 位") as err:
        services.assign_reviewers(db.session, c, world.admin, per_answer=6, max_load=5)
    assert err.value.field == "per_answer"
    assert db.session.query(Review).count() == 0


def test_load_is_capped_and_balanced(db, world):
    c, answers = _reviewing(db, world, n_answers=6)
    reviews = services.assign_reviewers(db.session, c, world.admin, per_answer=2, max_load=3)
    assert len(reviews) == 12
    per = {e: sum(1 for r in reviews if r.expert_id == e) for e in {r.expert_id for r in reviews}}
    assert max(per.values()) <= 3
    assert max(per.values()) - min(per.values()) <= 1, (
        per
    )  # greedy least-loaded spreads 12 over 5 as 3/3/2/2/2
    for a in answers:
        assert len({r.expert_id for r in a.reviews}) == 2


def test_cap_too_low_is_an_error(db, world):
    c, _ = _reviewing(db, world, n_answers=6)
    with pytest.raises(DomainError, match="请放宽评审上限"):
        services.assign_reviewers(db.session, c, world.admin, per_answer=2, max_load=2)  # 12 > 5×2


def test_existing_pending_load_counts(db, world):
    pool = [e for e in db.session.query(Expert).order_by(Expert.id)]
    c, (a,) = _reviewing(db, world)
    busy = {pool[0].id: 3, pool[1].id: 3}
    plan = plan_reviewers([a], pool, per_answer=3, max_load=3, load=busy)
    assert {e.id for e in plan[a.id]} == {p.id for p in pool[2:5]}


def test_hardest_answer_staffed_first(db, world):
    """An answer with few eligible reviewers is served before an easy one takes them."""
    c = raise_and_publish(db, world)
    pool = db.session.query(Expert).order_by(Expert.id).all()
    easy = answer(db, world.researcher, c, title="容易")
    # The hard answer's consortium holds three of the five reviewers' organisations.
    hard_lead = pool[0].organization
    hard = answer(
        db,
        f.user("researcher", org=hard_lead),
        c,
        title="难",
        members=[pool[1].organization, pool[2].organization],
    )
    plan = plan_reviewers([easy, hard], pool, per_answer=2, max_load=1)
    assert {e.id for e in plan[hard.id]} == {pool[3].id, pool[4].id}
    assert {e.id for e in plan[easy.id]} == {pool[0].id, pool[1].id}


def test_scores_validated_and_aggregated_with_spread(db, world):
    c, (a,) = _reviewing(db, world)
    reviews = services.assign_reviewers(db.session, c, world.admin, per_answer=3, max_load=5)
    with pytest.raises(DomainError, match="“技术先进性”的分数须在 0 到 100 之间"):
        services.submit_review(db.session, reviews[0], reviews[0].expert.user, dict(SCORES, advancement=120))
    with pytest.raises(DomainError, match="请为“经济效益”打分"):
        services.submit_review(
            db.session, reviews[0], reviews[0].expert.user, {"advancement": 1, "feasibility": 1, "team": 1}
        )
    with pytest.raises(DomainError, match="只能提交分配给自己的评审"):
        services.submit_review(db.session, reviews[0], world.admin, SCORES)
    totals = []
    for n, r in enumerate(reviews):
        scores = {k: v - 10 * n for k, v in SCORES.items()}
        services.submit_review(db.session, r, r.expert.user, scores, "意见")
        totals.append(r.total)
    assert totals[0] == pytest.approx(0.3 * 90 + 0.3 * 80 + 0.2 * 70 + 0.2 * 60)
    (g,) = services.aggregate(c)
    assert g.count == g.assigned == 3
    assert g.mean == pytest.approx(statistics.fmean(totals), abs=0.01)
    assert g.std == pytest.approx(statistics.pstdev(totals), abs=0.01) and g.std > 0
    assert (g.min, g.max) == (min(totals), max(totals))
    assert g.criteria["advancement"] == pytest.approx(80)


def test_award_creates_project_with_milestones(db, world):
    c, answers = _reviewing(db, world, n_answers=2)
    with pytest.raises(DomainError, match="尚无专家评分"):
        services.award_project(db.session, c, answers[0], world.admin)
    for r in services.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5):
        services.submit_review(db.session, r, r.expert.user, SCORES)
    project = services.award_project(db.session, c, answers[0], world.admin, funding_wan=260)
    assert c.status == "approved" and c.approved_at is not None
    assert project.funding_wan == 260 and [m.title for m in project.milestones] == [
        "完成 10 mm 单晶生长",
        "产线验证",
    ]
    assert [a.status for a in answers] == ["winner", "not_selected"]
    with pytest.raises(DomainError):
        services.award_project(db.session, c, answers[1], world.admin)


def test_reviewer_scores_through_the_page(db, world, client, login):
    c, (a,) = _reviewing(db, world)
    (r,) = services.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5)
    db.session.commit()
    login(r.expert.user)
    assert a.title in client.get("/challenges/reviews").get_data(as_text=True)
    resp = client.post(
        f"/challenges/reviews/{r.id}",
        data={"advancement": "101", "feasibility": "80", "team": "70", "economic": "60"},
    )
    assert resp.status_code == 200 and "须在 0 到 100 之间" in resp.get_data(as_text=True)
    resp = client.post(f"/challenges/reviews/{r.id}", data=dict(SCORES, comment="路线可行"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Review, r.id).total == pytest.approx(77)


def test_other_users_cannot_open_a_review(db, world, client, login):
    c, (a,) = _reviewing(db, world)
    (r,) = services.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5)
    db.session.commit()
    login(world.researcher)
    assert client.get(f"/challenges/reviews/{r.id}").status_code == 403
