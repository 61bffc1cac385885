"""拨投结合 (grant-then-invest): a grant project's conversion clause and its equity record.

A clause names a milestone, a fund, the part of the grant that converts (万元) and the share
it buys (%). When that milestone passes acceptance, `on_milestone_accepted` records the
conversion (投); a failed acceptance leaves the clause pending.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ForeignKey, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.challenges.models import Milestone, Project
from matchmaker.errors import DomainError
from matchmaker.extensions import db, utcnow

CONVERSION_STATUSES = {"pending": "待转股", "converted": "已转股"}


class Conversion(db.Model):
    """拨投结合条款 and, once its milestone passes, the equity record (股权)."""

    __tablename__ = "grant_conversions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), unique=True)
    fund_name: Mapped[str] = mapped_column(String(200), index=True)
    amount_wan: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))  # grant converted
    share_pct: Mapped[float] = mapped_column(Numeric(6, 3, asdecimal=False))  # equity it buys
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    converted_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship()
    milestone: Mapped[Milestone] = relationship()

    @property
    def status_label(self) -> str:
        return CONVERSION_STATUSES.get(self.status, self.status)


def add_clause(session: Session, user: User, project: Project, data: dict) -> Conversion:
    """约定拨投结合条款 (brokers/admins): milestone, fund, amount and share."""
    if user.role not in ("broker", "admin"):
        raise DomainError("只有技术经纪人或管理员可以约定拨投结合条款", status=403)
    try:
        milestone = session.get(Milestone, int(data.get("milestone_id")))
    except (TypeError, ValueError):
        milestone = None
    if milestone is None or milestone.project_id != project.id:
        raise DomainError("请选择本项目的一个里程碑", "milestone_id")
    if milestone.status == "passed":
        raise DomainError("该里程碑已通过验收，不能再约定转股", "milestone_id", status=409)
    if session.scalar(select(Conversion.id).where(Conversion.milestone_id == milestone.id)):
        raise DomainError("该里程碑已有拨投结合条款", "milestone_id", status=409)
    fund = str(data.get("fund_name") or "").strip()
    if not fund:
        raise DomainError("请填写持股基金名称", "fund_name")
    try:
        amount = float(data.get("amount_wan"))
    except (TypeError, ValueError):
        raise DomainError("转股金额须为数字（万元）", "amount_wan") from None
    committed = sum(
        c.amount_wan for c in session.scalars(select(Conversion).where(Conversion.project_id == project.id))
    )
    grant = float(project.funding_wan or 0)
    if amount <= 0 or (grant and committed + amount > grant + 1e-9):
        raise DomainError(f"转股金额须大于 0 且合计不超过立项经费 {grant:g} 万元", "amount_wan")
    try:
        share = float(data.get("share_pct"))
    except (TypeError, ValueError):
        raise DomainError("持股比例须为数字（%）", "share_pct") from None
    if not 0 < share <= 100:
        raise DomainError("持股比例须大于 0 且不超过 100（%）", "share_pct")
    clause = Conversion(
        project_id=project.id,
        milestone_id=milestone.id,
        fund_name=fund[:200],
        amount_wan=round(amount, 2),
        share_pct=round(share, 3),
        note=(str(data.get("note") or "").strip() or None),
        created_by_id=user.id,
    )
    session.add(clause)
    session.flush()
    audit(
        session,
        "conversion.clause",
        user,
        f"project:{project.id}",
        f"里程碑「{milestone.title}」验收通过后，{clause.amount_wan} 万元转为 {fund} 持股 {clause.share_pct}%",
    )
    return clause


def on_milestone_accepted(session: Session, milestone: Milestone, user: User | None) -> Conversion | None:
    """Called by the milestone acceptance: a passed milestone converts its clause (转股)."""
    if milestone.status != "passed":
        return None
    clause = session.scalar(select(Conversion).where(Conversion.milestone_id == milestone.id))
    if clause is None or clause.status == "converted":
        return clause
    clause.status, clause.converted_at = "converted", utcnow()
    session.flush()
    audit(
        session,
        "conversion.converted",
        user,
        f"project:{clause.project_id}",
        f"{clause.amount_wan} 万元拨款转为 {clause.fund_name} 持股 {clause.share_pct}%",
    )
    return clause


def totals(session: Session) -> dict:
    """管理看板: converted and pending amounts per fund and per programme (产业立题)."""
    per_fund: dict = defaultdict(lambda: {"converted_wan": 0.0, "pending_wan": 0.0, "count": 0})
    per_programme: dict = defaultdict(lambda: {"converted_wan": 0.0, "pending_wan": 0.0, "count": 0})
    for c in session.scalars(select(Conversion)):
        topic = c.project.challenge.topic
        programme = topic.title if topic is not None else "（未关联题目）"
        key = "converted_wan" if c.status == "converted" else "pending_wan"
        for bucket in (per_fund[c.fund_name], per_programme[programme]):
            bucket[key] = round(bucket[key] + c.amount_wan, 2)
            bucket["count"] += 1
    return {"per_fund": dict(per_fund), "per_programme": dict(per_programme)}


def conversion_dict(c: Conversion) -> dict:
    return {
        "id": c.id,
        "project_id": c.project_id,
        "milestone_id": c.milestone_id,
        "milestone": c.milestone.title,
        "fund_name": c.fund_name,
        "amount_wan": c.amount_wan,
        "share_pct": c.share_pct,
        "status": c.status,
        "status_label": c.status_label,
        "converted_at": c.converted_at.isoformat() if c.converted_at else None,
    }
