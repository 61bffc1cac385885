"""撮合 (Match) and the deal pipeline: decisions, confirmations, stage history, follow-ups, contracts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Expert, Need, Result

# 对接阶段, in pipeline order, then the closed state.
STAGES = {
    "proposed": "推荐",
    "broker_review": "经纪人审核",
    "confirmation": "双方确认",
    "negotiation": "对接洽谈",
    "signed": "签约",
    "registered": "登记",
    "closed": "已关闭",
}

# 经纪人审核的结构化理由 (the same list serves accept notes and reject reasons).
REASONS = {
    "tech_mismatch": "技术不对口",
    "immature": "成熟度不足",
    "price": "价格不匹配",
    "region_mode": "地域/合作方式不符",
    "existing": "已有合作",
    "other": "其他",
}

# 技术合同类型 (the categories of 技术合同认定登记).
CONTRACT_TYPES = {
    "development": "技术开发",
    "transfer": "技术转让",
    "license": "技术许可",
    "consulting": "技术咨询",
    "service": "技术服务",
}

SIDES = {"need": "需求方", "result": "成果方"}


class Match(db.Model):
    """撮合 / 匹配: a need–result (or need–expert) pair with score, explanation and stage."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    components: Mapped[dict] = mapped_column(JSON, default=dict)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    # ranker, manual (a broker's addition: a ranking miss), roadshow (an intent), challenge
    source: Mapped[str] = mapped_column(String(20), default="ranker")
    stage: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    # 经纪人审核: accept / reject with a structured reason and a free note.
    decision: Mapped[str | None] = mapped_column(String(10), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    # 双方确认: status per side is None (pending), "confirmed" or "declined".
    need_status: Mapped[str | None] = mapped_column(String(10))
    need_reason: Mapped[str | None] = mapped_column(Text)
    need_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    need_at: Mapped[datetime | None]
    result_status: Mapped[str | None] = mapped_column(String(10))
    result_reason: Mapped[str | None] = mapped_column(Text)
    result_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result_at: Mapped[datetime | None]
    # Set once both sides agree: from then on each side sees the other's contact details.
    released_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)

    need: Mapped[Need] = relationship()
    result: Mapped[Result | None] = relationship()
    expert: Mapped[Expert | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    changes: Mapped[list[StageChange]] = relationship(
        back_populates="match", order_by="StageChange.at", cascade="all, delete-orphan"
    )
    follow_ups: Mapped[list[FollowUp]] = relationship(
        back_populates="match", order_by="FollowUp.due_at", cascade="all, delete-orphan"
    )
    contract: Mapped[Contract | None] = relationship(
        back_populates="match", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def stage_label(self) -> str:
        return STAGES.get(self.stage, self.stage)

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason_code or "", "")

    @property
    def released(self) -> bool:
        return self.released_at is not None


class StageChange(db.Model):
    """阶段变更: who moved a match from one stage to another, when and why."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[Match] = relationship(back_populates="changes")
    user: Mapped[User | None] = relationship()


class FollowUp(db.Model):
    """回访: a task due 7 days after an introduction or 30 days after a signing."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # introduction, signing
    due_at: Mapped[datetime] = mapped_column(index=True)
    broker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notified_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    match: Mapped[Match] = relationship(back_populates="follow_ups")
    broker: Mapped[User | None] = relationship(foreign_keys=[broker_id])

    @property
    def label(self) -> str:
        return {"introduction": "对接后回访", "signing": "签约后回访"}.get(self.kind, self.kind)


class Contract(db.Model):
    """技术合同: type, amount in 万元 and parties, as 技术合同认定登记 counts them."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), unique=True)
    contract_type: Mapped[str] = mapped_column(String(20))
    amount_wan: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    buyer: Mapped[str] = mapped_column(String(200))  # 受让方/委托方 (the need's organisation)
    seller: Mapped[str] = mapped_column(String(200))  # 让与方/受托方 (the result's organisation)
    signed_on: Mapped[date]
    registration_no: Mapped[str | None] = mapped_column(String(64))  # 认定登记号
    registered_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[Match] = relationship(back_populates="contract")

    @property
    def type_label(self) -> str:
        return CONTRACT_TYPES.get(self.contract_type, self.contract_type)


class LearnedWeights(db.Model):
    """学习到的融合权重: one fitted version, used by the ranker only when it beat the current ones."""

    __tablename__ = "learned_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    weights: Mapped[dict] = mapped_column(JSON)
    intercept: Mapped[float] = mapped_column(default=0.0)
    auc_current: Mapped[float | None]
    auc_learned: Mapped[float | None]
    n_train: Mapped[int] = mapped_column(default=0)
    n_test: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
