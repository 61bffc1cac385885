"""产业立题 and 揭榜挂帅 models: topics, challenges, answers, reviews, projects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Expert, Field, Need, Result

TOPIC_STATUSES = {"draft": "草拟", "published": "已发布", "closed": "已结束"}

CHALLENGE_TYPES = {"enterprise": "企业重大技术需求", "common": "行业共性技术"}

# 榜单状态 in workflow order, then 撤榜.
CHALLENGE_STATUSES = {
    "collecting": "征集",
    "assessing": "论证",
    "published": "张榜",
    "bidding": "揭榜中",
    "reviewing": "评审",
    "approved": "立项",
    "accepted": "验收",
    "withdrawn": "撤榜",
}

ANSWER_STATUSES = {"submitted": "已提交", "winner": "中标", "not_selected": "未中标", "withdrawn": "已撤回"}

# 评审指标: key, label, weight (weights sum to 1); each scored 0–100.
RUBRIC = [
    ("advancement", "技术先进性", 0.30),
    ("feasibility", "可行性", 0.30),
    ("team", "团队能力", 0.20),
    ("economic", "经济效益", 0.20),
]


class Topic(db.Model):
    """产业立题: an industry-chain topic set by the department."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    industry_chain: Mapped[str] = mapped_column(String(100))  # 产业链, e.g. 超硬材料产业链
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    lead_department: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="published")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    field: Mapped[Field | None] = relationship()
    needs: Mapped[list[Need]] = relationship(order_by="Need.id", viewonly=True)


class Challenge(db.Model):
    """揭榜挂帅 榜单: a need raised to an open challenge with targets, reward and deadline."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default="enterprise")
    targets: Mapped[list] = mapped_column(JSON, default=list)  # 技术指标
    reward_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    deadline: Mapped[date | None]
    min_units: Mapped[int] = mapped_column(default=1)  # 揭榜条件: fewest units in the answering team
    eligibility: Mapped[str] = mapped_column(Text, default="")  # other conditions, in words
    status: Mapped[str] = mapped_column(String(20), default="collecting", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]

    need: Mapped[Need] = relationship()
    topic: Mapped[Topic | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    transitions: Mapped[list[ChallengeTransition]] = relationship(
        back_populates="challenge", order_by="ChallengeTransition.id", cascade="all, delete-orphan"
    )
    answers: Mapped[list[Answer]] = relationship(back_populates="challenge", order_by="Answer.id")
    invitations: Mapped[list[Invitation]] = relationship(back_populates="challenge", order_by="Invitation.id")
    project: Mapped[Project | None] = relationship(back_populates="challenge")

    @property
    def status_label(self) -> str:
        return CHALLENGE_STATUSES.get(self.status, self.status)

    @property
    def type_label(self) -> str:
        return CHALLENGE_TYPES.get(self.type, self.type)


class ChallengeTransition(db.Model):
    """榜单状态变更记录: who moved the challenge, when and why."""

    __tablename__ = "challenge_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="transitions")
    user: Mapped[User | None] = relationship()


class Invitation(db.Model):
    """揭榜邀请: a top-matched expert or result owner invited when a challenge is published."""

    __tablename__ = "challenge_invitations"
    __table_args__ = (UniqueConstraint("challenge_id", "kind", "target_id", name="uq_invitation_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # expert or result
    target_id: Mapped[int]  # Expert.id or Result.id
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: no account to tell
    rank: Mapped[int]
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="invitations")
    user: Mapped[User | None] = relationship()

    @property
    def target(self) -> Expert | Result | None:
        """The invited expert or result."""
        from sqlalchemy.orm import object_session

        session = object_session(self)
        return session.get(Expert if self.kind == "expert" else Result, self.target_id) if session else None

    @property
    def target_label(self) -> str:
        obj = self.target
        if obj is None:
            return f"#{self.target_id}"
        return (
            f"{obj.name}（{obj.organization.name}）"
            if self.kind == "expert"
            else f"{obj.title}（{obj.organization.name}）"
        )


answer_results = Table(
    "answer_results",
    db.Model.metadata,
    Column("answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    Column("result_id", ForeignKey("results.id", ondelete="CASCADE"), primary_key=True),
)


class Answer(db.Model):
    """人才答题 / 揭榜方案: a proposal by an expert, team or consortium to a challenge."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)  # 牵头单位
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id"))  # 负责人
    title: Mapped[str] = mapped_column(String(200))
    approach: Mapped[str] = mapped_column(Text)
    team_members: Mapped[list] = mapped_column(JSON, default=list)  # names, with roles
    milestones: Mapped[list] = mapped_column(JSON, default=list)  # [{"title", "due"}]
    budget_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    challenge: Mapped[Challenge] = relationship(back_populates="answers")
    organization: Mapped[Organization] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    expert: Mapped[Expert | None] = relationship()
    results: Mapped[list[Result]] = relationship(secondary=answer_results)
    consortium: Mapped[Consortium | None] = relationship(
        back_populates="answer", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[Review]] = relationship(back_populates="answer", order_by="Review.id")

    @property
    def status_label(self) -> str:
        return ANSWER_STATUSES.get(self.status, self.status)

    @property
    def organizations(self) -> list[Organization]:
        """The lead organisation first, then any consortium members."""
        members = self.consortium.members if self.consortium else []
        return [self.organization] + [o for o in members if o.id != self.organization_id]

    @property
    def organization_ids(self) -> set[int]:
        return {o.id for o in self.organizations}


consortium_members = Table(
    "consortium_members",
    db.Model.metadata,
    Column("consortium_id", ForeignKey("consortia.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class Consortium(db.Model):
    """联合体: the member organisations answering together (besides the lead unit)."""

    __tablename__ = "consortia"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    agreement: Mapped[str] = mapped_column(Text, default="")  # 联合体协议 summary: who does what

    answer: Mapped[Answer] = relationship(back_populates="consortium")
    members: Mapped[list[Organization]] = relationship(secondary=consortium_members)


class Review(db.Model):
    """专家评审: one reviewer's rubric scores for one answer (unsubmitted = assigned)."""

    __tablename__ = "answer_reviews"
    __table_args__ = (UniqueConstraint("answer_id", "expert_id", name="uq_review_answer_expert"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # rubric key -> 0..100
    total: Mapped[float | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]

    answer: Mapped[Answer] = relationship(back_populates="reviews")
    expert: Mapped[Expert] = relationship()


class Project(db.Model):
    """立项: the approved winning answer, with milestones."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id"), unique=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    funding_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    challenge: Mapped[Challenge] = relationship(back_populates="project")
    answer: Mapped[Answer] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project", order_by="Milestone.due_date", cascade="all, delete-orphan"
    )


MILESTONE_STATUSES = {"pending": "待验收", "passed": "验收通过", "failed": "验收未通过"}


class Milestone(db.Model):
    """里程碑 / 验收: a due date with an acceptance record."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acceptance_note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="milestones")
    accepted_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return MILESTONE_STATUSES.get(self.status, self.status)
