"""Application scenarios (应用场景), applications to them and their trace (场景申报与试点记录)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field, Result

SCENARIO_OFFERS = ["试验场地", "数据开放", "采购意向", "示范推广"]
SCENARIO_STATUSES = {"open": "征集中", "closed": "已截止"}
# 申报 → 入围 → 试点 → 示范产品 (or 未入选 at any step before)
APPLICATION_STATUSES = {
    "applied": "已申报",
    "shortlisted": "已入围",
    "piloting": "试点中",
    "demonstration": "示范产品",
    "rejected": "未入选",
}
NEXT_STATUSES = {
    "applied": ("shortlisted", "rejected"),
    "shortlisted": ("piloting", "rejected"),
    "piloting": ("demonstration", "rejected"),
    "demonstration": (),
    "rejected": (),
}


class Scenario(db.Model):
    """应用场景: a department or a large enterprise opens a real setting to new technology."""

    __tablename__ = "scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    place: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(20))
    budget_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    offers: Mapped[list] = mapped_column(JSON, default=list)
    requirements: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field: Mapped[Field] = relationship()
    organization: Mapped[Organization] = relationship()
    owner: Mapped[User | None] = relationship()

    kind = "scenario"

    @property
    def text(self) -> str:
        return "\n".join(
            [self.title, " ".join(self.keywords or []), self.description, self.requirements or ""]
        )


class Application(db.Model):
    """场景申报: a firm proposes one of its results for a scenario."""

    __tablename__ = "scenario_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposal: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="applied", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    scenario: Mapped[Scenario] = relationship()
    result: Mapped[Result | None] = relationship()
    organization: Mapped[Organization] = relationship()
    applicant: Mapped[User | None] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )


class ApplicationEvent(db.Model):
    """One recorded step of an application (申报、入围、试点、示范), for the trace page."""

    __tablename__ = "scenario_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("scenario_applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()
