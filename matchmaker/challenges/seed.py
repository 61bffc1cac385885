"""揭榜挂帅 demo data, called by `flask seed` after postings, experts and topics are loaded.

Idempotent: demo challenges are added only while there is no challenge at all, and reviewer
accounts are keyed by email, so running `flask seed` again changes nothing. Only flushes. What it adds:
- topics from seed_data/topics.jsonl, only when no topic exists yet (the platform seed
  normally loads them);
- reviewer accounts (评审专家) linked to expert profiles of four different organisations;
- one 企业重大技术需求 challenge already published (张榜) with one answer, so the site shows
  the flow, and one 行业共性技术 challenge in 论证 for an admin to publish.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import User
from matchmaker.challenges import services
from matchmaker.challenges.models import Challenge, Topic
from matchmaker.postings.models import Expert, Field, Need

DEMO_PASSWORD = "Henan2026demo"
REVIEWERS = 4


def _load_topics(session: Session, path: Path) -> int:
    if session.scalar(select(Topic.id).limit(1)) is not None or not path.exists():
        return 0
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        fld = session.scalar(select(Field).where(Field.name == row.get("field")))
        session.add(
            Topic(
                title=row["title"],
                industry_chain=row["industry_chain"],
                description=row.get("description", ""),
                field=fld,
                lead_department=row.get("lead_department"),
            )
        )
        count += 1
    session.flush()
    return count


def _reviewers(session: Session) -> list[User]:
    """Link demo reviewer accounts to experts of distinct organisations (for conflict-free review)."""
    linked = session.scalars(select(User).where(User.email.like("reviewer%@demo.cn"))).all()
    if len(linked) >= REVIEWERS:
        return list(linked)
    seen_orgs = {u.organization_id for u in linked}
    for expert in session.scalars(
        select(Expert).where(Expert.user_id.is_(None), Expert.status == "published").order_by(Expert.id)
    ):
        if len(linked) >= REVIEWERS:
            break
        if expert.organization_id in seen_orgs:
            continue
        user = User(
            email=f"reviewer{len(linked) + 1}@demo.cn",
            name=expert.name,
            role="researcher",
            organization_id=expert.organization_id,
        )
        user.set_password(DEMO_PASSWORD)
        session.add(user)
        session.flush()
        expert.user_id = user.id
        seen_orgs.add(expert.organization_id)
        linked.append(user)
    session.flush()
    return list(linked)


def _pick_need(session: Session, owner: User | None, exclude: set[int]) -> Need | None:
    q = select(Need).where(Need.status == "open", Need.id.notin_(exclude or {-1})).order_by(Need.id)
    if owner is not None:
        own = session.scalar(q.where(Need.organization_id == owner.organization_id))
        if own is not None:
            return own
    return session.scalar(q)


def seed(session: Session, seed_dir) -> None:
    seed_dir = Path(seed_dir)
    _load_topics(session, seed_dir / "topics.jsonl")
    _reviewers(session)
    admin = session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    enterprise = session.scalar(select(User).where(User.email == "enterprise@demo.cn")) or session.scalar(
        select(User).where(User.role == "enterprise").order_by(User.id)
    )
    researcher = session.scalar(select(User).where(User.email == "researcher@demo.cn")) or session.scalar(
        select(User).where(User.role == "researcher").order_by(User.id)
    )
    if admin is None or enterprise is None:
        return  # nothing to attach demo challenges to
    if session.scalar(select(Challenge.id).limit(1)) is not None:
        return  # the site already has challenges (an earlier seed, or real ones): add no demo
    taken = set(session.scalars(select(Challenge.need_id)))
    first = _pick_need(session, enterprise, taken)
    if first is None:
        return
    deadline = date.today() + timedelta(days=90)
    title = f"揭榜挂帅：{first.title}"[:200]
    if session.scalar(select(Challenge.id).where(Challenge.title == title)) is None:
        if first.topic_id is None:
            topic = session.scalar(select(Topic).where(Topic.field_id == first.field_id).order_by(Topic.id))
            first.topic_id = topic.id if topic else None
        challenge = services.raise_challenge(
            session,
            enterprise,
            first,
            title=title,
            type="enterprise",
            targets=[
                "关键性能指标较现状提升 50% 以上",
                "完成不少于 3 个月的现场连续运行验证",
                "形成可推广的工艺规范",
            ],
            reward_wan=first.budget_wan or 200,
            deadline=deadline,
            eligibility="揭榜方须具备相关领域研发基础，鼓励产学研联合揭榜",
        )
        services.transition(session, challenge, "assessing", admin, "省科技厅组织凝练论证")
        services.transition(session, challenge, "published", admin, "论证通过，张榜发布")
        if researcher is not None and researcher.organization_id != first.organization_id:
            services.submit_answer(
                session,
                researcher,
                challenge,
                title=f"{researcher.organization.name}揭榜方案",
                approach="在前期成果基础上，先做现场测试与机理分析，再完成工艺优化和样机验证，"
                "最后在出题企业产线上连续运行考核，逐项对照技术指标验收。",
                team_members=[f"{researcher.name} 项目负责人"],
                budget_wan=challenge.reward_wan,
                milestones=[
                    services.MilestonePlan("完成现场测试与方案设计", deadline + timedelta(days=90)),
                    services.MilestonePlan("完成样机与产线验证", deadline + timedelta(days=270)),
                ],
            )
    second = _pick_need(session, None, taken | {first.id})
    if second is not None:
        title2 = f"行业共性技术榜：{second.title}"[:200]
        if session.scalar(select(Challenge.id).where(Challenge.title == title2)) is None:
            owner = second.owner or admin
            challenge = services.raise_challenge(
                session,
                owner if services.can_raise(owner, second) else admin,
                second,
                title=title2,
                type="common",
                targets=["形成行业共性关键技术方案", "在不少于 3 家企业示范应用"],
                reward_wan=500,
                deadline=deadline,
                eligibility="须由不少于 3 家单位组成联合体揭榜",
            )
            services.transition(session, challenge, "assessing", admin, "提交省科技厅论证")
    session.flush()
