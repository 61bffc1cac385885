"""张榜 invitations: the top-matched experts and result owners, in ranker order, with reasons."""

from matchmaker.challenges import services
from matchmaker.challenges.models import Invitation
from matchmaker.matching.ranker import rank_experts_for_need, rank_results_for_need
from matchmaker.notifications.models import EmailOutbox, Notification
from tests import factories as f
from tests.challenges.conftest import raise_and_publish


def _candidates(world):
    owner = f.user("researcher", name="成果持有人")
    r1 = f.result(
        "MPCVD 单晶金刚石高速生长技术",
        field_name="超硬材料",
        owner_id=owner.id,
        description="MPCVD 生长单晶金刚石，生长速率提高到每小时 20 微米，位错密度低。",
    )
    r2 = f.result("金刚石线锯切割工艺", field_name="超硬材料", description="金刚石线锯切割硅片。")
    e1 = f.expert(
        "单晶专家",
        areas=["单晶金刚石", "MPCVD 生长"],
        field_name="超硬材料",
        bio="研究 MPCVD 单晶金刚石生长速率与位错密度控制。",
    )
    return owner, r1, r2, e1


def test_invitations_follow_the_ranker_with_reasons(db, world):
    owner, r1, r2, e1 = _candidates(world)
    expected_experts = [i.id for i in rank_experts_for_need(db.session, world.need, 10)]
    expected_results = [i.id for i in rank_results_for_need(db.session, world.need, 10)]
    assert expected_experts and expected_results
    c = raise_and_publish(db, world)
    experts = sorted((i for i in c.invitations if i.kind == "expert"), key=lambda i: i.rank)
    results = sorted((i for i in c.invitations if i.kind == "result"), key=lambda i: i.rank)
    assert [i.target_id for i in experts] == expected_experts
    assert [i.target_id for i in results] == expected_results
    assert experts[0].target_id == e1.id and results[0].target_id == r1.id
    assert [i.rank for i in experts] == list(range(1, len(experts) + 1))
    scores = [i.score for i in experts]
    assert scores == sorted(scores, reverse=True)
    for inv in c.invitations:
        assert inv.reason.startswith(("专家匹配第", "成果匹配第")) and f"第 {inv.rank} 名" in inv.reason
        # The ranker's summary already names shared terms, field and region: each appears once.
        assert inv.reason.count("共同关键词") <= 1 and "。；" not in inv.reason
        for label in ("同领域", "相关领域", "同城", "同在河南"):
            assert inv.reason.count(label) <= 1


def test_linked_users_are_notified_once(db, world):
    owner, r1, r2, e1 = _candidates(world)
    c = raise_and_publish(db, world)
    note = db.session.query(Notification).filter_by(user_id=owner.id, kind="challenge_invite").one()
    assert c.title in note.title and "邀请原因" in note.body and note.link == f"/challenges/{c.id}"
    assert db.session.query(EmailOutbox).filter_by(user_id=owner.id).count() == 1
    # An expert with no account is still recorded as invited, with no user to tell.
    inv = db.session.query(Invitation).filter_by(kind="expert", target_id=e1.id).one()
    assert inv.user_id is None
    # Re-running the invitation round invites nobody twice.
    before = db.session.query(Invitation).count()
    assert services.invite_for_challenge(db.session, c) == []
    assert db.session.query(Invitation).count() == before


def test_reviewer_accounts_linked_to_experts_get_invited(db, world):
    c = raise_and_publish(db, world)
    linked = {u.id for u in world.reviewers}
    invited_users = {i.user_id for i in c.invitations if i.kind == "expert"}
    assert invited_users & linked
    assert db.session.query(Notification).filter(
        Notification.user_id.in_(invited_users & linked)
    ).count() == len(invited_users & linked)


def test_staff_see_who_was_invited_and_why(db, world, client, login):
    owner, r1, r2, e1 = _candidates(world)
    c = raise_and_publish(db, world)
    db.session.commit()
    login(world.broker)
    html = client.get(f"/challenges/{c.id}").get_data(as_text=True)
    assert f"单晶专家（{e1.organization.name}）" in html and "MPCVD 单晶金刚石高速生长技术" in html
    assert "专家匹配第 1 名" in html
    client.post("/logout")
    login(world.researcher)
    assert "专家匹配第 1 名" not in client.get(f"/challenges/{c.id}").get_data(as_text=True)


def test_invited_user_sees_the_invitation_on_the_index(db, world, client, login):
    owner, r1, r2, e1 = _candidates(world)
    c = raise_and_publish(db, world)
    db.session.commit()
    login(owner)
    html = client.get("/challenges/").get_data(as_text=True)
    assert "邀请我揭榜" in html and f"/challenges/{c.id}" in html and "成果匹配第 1 名" in html
