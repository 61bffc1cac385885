"""Fixtures for 揭榜挂帅: an admin, an enterprise with a question, researchers and reviewers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from matchmaker.challenges import services
from tests import factories as f


@dataclass
class World:
    admin: object
    broker: object
    enterprise: object
    need: object
    topic: object
    researcher: object  # 郑州大学-like lead unit
    partners: list  # two more organisations for a consortium
    reviewers: list  # users linked to experts, one per organisation


@pytest.fixture
def world(db):
    from matchmaker.challenges.models import Topic

    admin = f.user("admin", name="厅管理员")
    broker = f.user("broker", name="李经纪")
    ent_org = f.organization("企业", "郑州金刚石有限公司")
    enterprise = f.user("enterprise", org=ent_org, name="王工")
    topic = Topic(
        industry_chain="超硬材料产业链",
        title="大尺寸金刚石单晶制备",
        field=f.field("超硬材料"),
        lead_department="省科技厅高新处",
    )
    db.session.add(topic)
    db.session.flush()
    need = f.need(
        "大尺寸金刚石单晶生长速度慢、缺陷多",
        field_name="超硬材料",
        org=ent_org,
        owner_id=enterprise.id,
        topic_id=topic.id,
        region="郑州",
        description="MPCVD 生长单晶金刚石速度只有每小时 5 微米，位错密度高，希望提高生长速率并降低缺陷。",
    )
    uni = f.organization("高校", "郑州大学测试")
    researcher = f.user("researcher", org=uni, name="秦教授")
    partners = [f.organization("科研院所", "河南省科学院测试"), f.organization("企业", "黄河旋风测试")]
    reviewers = []
    for n in range(5):
        org = f.organization("高校", f"评审大学{n}")
        user = f.user("researcher", org=org, name=f"评审专家{n}")
        f.expert(
            f"评审专家{n}", areas=["金刚石", "晶体生长"], field_name="超硬材料", org=org, user_id=user.id
        )
        reviewers.append(user)
    return World(admin, broker, enterprise, need, topic, researcher, partners, reviewers)


def raise_and_publish(db, world, type="enterprise", **kw):
    """A challenge moved to 张榜 by the admin."""
    kw.setdefault("targets", ["生长速率 ≥ 20 μm/h", "位错密度 ≤ 10^4 cm^-2"])
    kw.setdefault("reward_wan", 300)
    kw.setdefault("deadline", date.today() + timedelta(days=30))
    challenge = services.raise_challenge(db.session, world.enterprise, world.need, type=type, **kw)
    services.transition(db.session, challenge, "assessing", world.admin, "论证")
    services.transition(db.session, challenge, "published", world.admin, "张榜")
    return challenge


def answer(db, user, challenge, members=(), title="MPCVD 高速生长方案", **kw):
    return services.submit_answer(
        db.session,
        user,
        challenge,
        title=title,
        approach=kw.pop(
            "approach", "采用高功率密度 MPCVD 与氮掺杂协同提高生长速率，并以台阶流模式抑制位错增殖。"
        ),
        team_members=["秦教授 负责人"],
        budget_wan=kw.pop("budget_wan", 280),
        milestones=kw.pop(
            "milestones",
            [
                services.MilestonePlan("完成 10 mm 单晶生长", date.today() + timedelta(days=180)),
                services.MilestonePlan("产线验证", date.today() + timedelta(days=360)),
            ],
        ),
        members=list(members),
        **kw,
    )
