"""揭榜条件: consortium size, duplicates, deadline, status, the owner's own list."""

from datetime import date, timedelta

import pytest

from matchmaker.challenges import services
from matchmaker.challenges.models import Answer
from matchmaker.errors import DomainError
from tests import factories as f
from tests.challenges.conftest import answer, raise_and_publish


def test_common_challenge_needs_three_units(db, world):
    c = raise_and_publish(db, world, type="common")
    assert c.min_units == 3
    with pytest.raises(DomainError) as err:
        answer(db, world.researcher, c, members=world.partners[:1])
    assert (
        err.value.field == "consortium"
        and "不少于 3 家单位" in err.value.message
        and "当前只有 2 家" in err.value.message
    )
    a = answer(db, world.researcher, c, members=world.partners)
    assert [o.name for o in a.organizations] == ["郑州大学测试", "河南省科学院测试", "黄河旋风测试"]
    assert a.consortium is not None and len(a.consortium.members) == 2


def test_common_floor_cannot_be_lowered(db, world):
    with pytest.raises(DomainError, match="不少于 3 家单位") as err:
        services.raise_challenge(
            db.session, world.enterprise, world.need, type="common", targets=["x"], min_units=2
        )
    assert err.value.field == "min_units"


def test_enterprise_challenge_accepts_a_single_unit(db, world):
    c = raise_and_publish(db, world)
    assert answer(db, world.researcher, c).consortium is None


def test_duplicate_member_rejected(db, world):
    c = raise_and_publish(db, world, type="common")
    with pytest.raises(DomainError, match="联合体成员重复：河南省科学院测试"):
        answer(db, world.researcher, c, members=[world.partners[0], world.partners[0], world.partners[1]])
    with pytest.raises(DomainError, match="联合体成员重复：郑州大学测试"):
        answer(db, world.researcher, c, members=[world.researcher.organization, *world.partners])


def test_owner_cannot_answer_its_own_list(db, world):
    c = raise_and_publish(db, world)
    with pytest.raises(DomainError, match="出题企业不能揭自己的榜"):
        answer(db, world.researcher, c, members=[world.enterprise.organization])


def test_deadline(db, world):
    c = raise_and_publish(db, world, deadline=date.today() + timedelta(days=3))
    with pytest.raises(DomainError, match="揭榜已于"):
        answer(db, world.researcher, c, today=date.today() + timedelta(days=4))
    assert answer(db, world.researcher, c, today=date.today() + timedelta(days=3)).id


def test_deadline_in_the_past_rejected_when_raising(db, world):
    with pytest.raises(DomainError, match="不能早于今天"):
        services.raise_challenge(
            db.session, world.enterprise, world.need, targets=["x"], deadline=date.today() - timedelta(days=1)
        )


@pytest.mark.parametrize(
    "status", ["collecting", "assessing", "reviewing", "approved", "accepted", "withdrawn"]
)
def test_status_must_be_open(db, world, status):
    c = raise_and_publish(db, world)
    c.status = status
    with pytest.raises(DomainError, match="不接受揭榜"):
        answer(db, world.researcher, c)


def test_one_answer_per_lead_unit(db, world):
    c = raise_and_publish(db, world)
    answer(db, world.researcher, c)
    colleague = f.user("researcher", org=world.researcher.organization)
    with pytest.raises(DomainError, match="已提交过"):
        answer(db, colleague, c, title="第二份")


def test_targets_required_and_type_checked(db, world):
    with pytest.raises(DomainError) as err:
        services.raise_challenge(db.session, world.enterprise, world.need, targets=["  "])
    assert err.value.field == "targets"
    with pytest.raises(DomainError) as err:
        services.raise_challenge(db.session, world.enterprise, world.need, type="other", targets=["x"])
    assert err.value.field == "type"


def test_milestone_lines_are_parsed_with_line_numbers(db):
    plans = services.parse_milestones("2027-06-30 完成中试\n\n2027-12-31 产线验证")
    assert [(p.due.isoformat(), p.title) for p in plans] == [
        ("2027-06-30", "完成中试"),
        ("2027-12-31", "产线验证"),
    ]
    with pytest.raises(DomainError, match="第 2 行须以日期开头"):
        services.parse_milestones("2027-06-30 完成中试\n明年 产线验证")


def test_unknown_consortium_org_named(db):
    with pytest.raises(DomainError, match="机构“不存在的研究院”未在平台注册"):
        services.resolve_organizations(db.session, ["不存在的研究院"])


def test_consortium_answer_through_the_page(db, world, client, login):
    c = raise_and_publish(db, world, type="common")
    db.session.commit()
    login(world.researcher)
    data = {
        "title": "联合体方案",
        "approach": "高功率 MPCVD 与氮掺杂协同，台阶流生长抑制位错，三家单位分工协作。",
        "milestones": "2027-06-30 完成中试",
        "budget_wan": "300",
        "consortium": "河南省科学院测试",
    }
    resp = client.post(f"/challenges/{c.id}/answer", data=data)
    assert resp.status_code == 200 and "不少于 3 家单位" in resp.get_data(as_text=True)
    assert db.session.query(Answer).count() == 0
    data["consortium"] = "河南省科学院测试\n黄河旋风测试"
    resp = client.post(f"/challenges/{c.id}/answer", data=data)
    assert resp.status_code == 302
    a = db.session.query(Answer).one()
    assert len(a.organizations) == 3
    assert "黄河旋风测试" in client.get(f"/challenges/answers/{a.id}").get_data(as_text=True)


def test_withdraw_and_resubmit(db, world, client, login):
    c = raise_and_publish(db, world)
    a = answer(db, world.researcher, c)
    db.session.commit()
    login(world.enterprise)
    assert client.post(f"/challenges/answers/{a.id}/withdraw").status_code == 403
    client.post("/logout")
    login(world.researcher)
    resp = client.post(f"/api/v1/answers/{a.id}/withdraw", json={"reason": "方案需要重写"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    assert "该方案已撤回" in client.post(f"/api/v1/answers/{a.id}/withdraw").get_json()["error"]["message"]
    db.session.expire_all()
    # A withdrawn answer frees the lead unit to answer again; it is not reviewed.
    c = db.session.get(type(c), c.id)
    b = answer(db, world.researcher, c, title="重写后的方案")
    services.transition(db.session, c, "reviewing", world.admin)
    assert [g.answer.id for g in services.aggregate(c)] == [b.id]
    with pytest.raises(DomainError, match="不能再撤回"):
        services.withdraw_answer(db.session, b, world.researcher)
