"""Every workflow transition, legal and illegal, and how each move is recorded."""

from datetime import date, timedelta

import pytest

from matchmaker.accounts.models import AuditLog
from matchmaker.challenges import services
from matchmaker.challenges.models import CHALLENGE_STATUSES, Challenge
from matchmaker.challenges.services import TRANSITIONS
from matchmaker.errors import DomainError
from tests.challenges.conftest import answer, raise_and_publish

ALL = list(CHALLENGE_STATUSES)
LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
ILLEGAL = [(a, b) for a in ALL for b in ALL if (a, b) not in LEGAL]


def _challenge(db, world, status="collecting"):
    c = services.raise_challenge(
        db.session,
        world.enterprise,
        world.need,
        targets=["指标一"],
        reward_wan=100,
        deadline=date.today() + timedelta(days=10),
    )
    c.status = status
    db.session.flush()
    return c


def _satisfy(db, world, c, to):
    """Give the challenge what the target state needs (answers, a project, accepted milestones)."""
    if to in ("reviewing", "approved", "accepted"):
        c.status = "bidding"
        a = answer(db, world.researcher, c)
        if to == "reviewing":
            c.status = "bidding"
            return
        c.status = "reviewing"
        reviews = services.assign_reviewers(db.session, c, world.admin, per_answer=1, max_load=5)
        services.submit_review(
            db.session,
            reviews[0],
            reviews[0].expert.user,
            {"advancement": 80, "feasibility": 80, "team": 80, "economic": 80},
        )
        if to == "approved":
            return
        project = services.award_project(db.session, c, a, world.admin)
        for m in project.milestones:
            services.accept_milestone(db.session, m, world.admin, True, "通过")


@pytest.mark.parametrize("src,dst", LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition(db, world, src, dst):
    c = _challenge(db, world, src)
    _satisfy(db, world, c, dst)
    if dst == "approved":
        # 立项 goes through award_project, which records the move itself.
        a = c.answers[0]
        services.award_project(db.session, c, a, world.admin, note="评审第一")
    else:
        c.status = src
        services.transition(db.session, c, dst, world.broker, "原因说明")
    assert c.status == dst
    last = c.transitions[-1]
    assert (last.from_status, last.to_status) == (src, dst)
    assert last.user_id in (world.broker.id, world.admin.id) and last.reason and last.at is not None


@pytest.mark.parametrize("src,dst", ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition_rejected_in_chinese(db, world, src, dst):
    c = _challenge(db, world, src)
    before = len(c.transitions)
    with pytest.raises(DomainError) as err:
        services.transition(db.session, c, dst, world.admin, "试图跳步")
    assert err.value.field == "to_status"
    assert f"不能从“{CHALLENGE_STATUSES[src]}”变更为“{CHALLENGE_STATUSES[dst]}”" in err.value.message
    assert c.status == src and len(c.transitions) == before


def test_unknown_status_rejected(db, world):
    c = _challenge(db, world)
    with pytest.raises(DomainError, match="目标状态无效"):
        services.transition(db.session, c, "done", world.admin)


def test_withdraw_needs_a_reason(db, world):
    c = _challenge(db, world, "published")
    with pytest.raises(DomainError, match="撤榜须填写原因"):
        services.transition(db.session, c, "withdrawn", world.admin, " ")
    services.transition(db.session, c, "withdrawn", world.admin, "企业自行解决")
    assert c.status == "withdrawn"


def test_review_needs_answers_and_approval_needs_a_project(db, world):
    c = _challenge(db, world, "bidding")
    with pytest.raises(DomainError, match="尚无揭榜方案"):
        services.transition(db.session, c, "reviewing", world.admin)
    c.status = "reviewing"
    with pytest.raises(DomainError, match="选定中标方案"):
        services.transition(db.session, c, "approved", world.admin)


def test_acceptance_needs_every_milestone_passed(db, world):
    c = _challenge(db, world)
    _satisfy(db, world, c, "approved")
    project = services.award_project(db.session, c, c.answers[0], world.admin)
    services.accept_milestone(db.session, project.milestones[0], world.admin, True, "按期完成")
    with pytest.raises(DomainError, match="里程碑未通过验收"):
        services.transition(db.session, c, "accepted", world.admin)
    services.accept_milestone(db.session, project.milestones[1], world.admin, False, "指标未达到")
    with pytest.raises(DomainError):
        services.transition(db.session, c, "accepted", world.admin)
    services.accept_milestone(db.session, project.milestones[1], world.admin, True, "整改后达到")
    services.transition(db.session, c, "accepted", world.admin, "结题")
    assert c.status == "accepted"


def test_first_answer_opens_bidding_and_is_recorded(db, world):
    c = raise_and_publish(db, world)
    answer(db, world.researcher, c)
    assert c.status == "bidding"
    assert [(t.from_status, t.to_status) for t in c.transitions] == [
        (None, "collecting"),
        ("collecting", "assessing"),
        ("assessing", "published"),
        ("published", "bidding"),
    ]
    assert c.published_at is not None


def test_moves_are_audited(db, world):
    c = _challenge(db, world)
    services.transition(db.session, c, "assessing", world.broker, "组织论证")
    log = db.session.query(AuditLog).filter_by(action="challenge_transition").one()
    assert log.user_id == world.broker.id and "征集 → 论证" in log.detail and "组织论证" in log.detail


def test_move_through_the_page(db, world, client, login):
    c = _challenge(db, world)
    db.session.commit()
    login(world.broker)
    resp = client.post(
        f"/challenges/{c.id}/move",
        data={"to_status": "published", "reason": "跳过论证"},
        follow_redirects=True,
    )
    assert "不能从“征集”变更为“张榜”" in resp.get_data(as_text=True)
    assert db.session.get(Challenge, c.id).status == "collecting"
    resp = client.post(
        f"/challenges/{c.id}/move",
        data={"to_status": "assessing", "reason": "组织论证"},
        follow_redirects=True,
    )
    assert "榜单状态已变更为“论证”" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Challenge, c.id).status == "assessing"


def test_enterprise_cannot_move(db, world, client, login):
    c = _challenge(db, world)
    db.session.commit()
    login(world.enterprise)
    assert client.post(f"/challenges/{c.id}/move", data={"to_status": "assessing"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Challenge, c.id).status == "collecting"
