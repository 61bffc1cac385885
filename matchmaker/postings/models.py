"""Postings: fields, results, needs and experts (领域、科技成果、技术需求、人才)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.text.markup import strip_markup


class Field(db.Model):
    """领域: a taxonomy entry that admins edit."""

    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Names of related fields, a soft signal for ranking.
    related: Mapped[list] = mapped_column(JSON, default=list)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Field {self.name}>"


def _default_trl(context) -> int | None:
    """A result inserted without a level gets its maturity's usual one (every writer, not only forms)."""
    from matchmaker.constants import MATURITY_TRL

    return MATURITY_TRL.get(context.get_current_parameters().get("maturity") or "")


class Result(db.Model):
    """科技成果: a research result offered for transfer."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("origin", "origin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    maturity: Mapped[str | None] = mapped_column(String(20))
    # 技术就绪度 1–9 (GB/T 22900) and what shows it was reached (检测报告、中试记录…).
    trl: Mapped[int | None] = mapped_column(index=True, default=_default_trl)
    trl_evidence: Mapped[str | None] = mapped_column(Text)
    patent_numbers: Mapped[list] = mapped_column(JSON, default=list)
    transfer_modes: Mapped[list] = mapped_column(JSON, default=list)
    price_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    team: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 沿黄交换: a posting imported from a partner installation (matchmaker.exchange) keeps the
    # partner's code and its id there; read-only here, never with contact details.
    origin: Mapped[str | None] = mapped_column(String(20), index=True)
    origin_id: Mapped[str | None] = mapped_column(String(64))
    origin_url: Mapped[str | None] = mapped_column(String(300))
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field: Mapped[Field] = relationship()
    organization: Mapped[Organization] = relationship()
    owner: Mapped[User | None] = relationship()

    kind = "result"

    @property
    def text(self) -> str:
        """The text that ranking reads (tokenised and embedded): markup, URLs and code stripped."""
        return strip_markup("\n".join([self.title, " ".join(self.keywords or []), self.description]))


class Need(db.Model):
    """技术需求 / 企业出题: a technical need posted by an enterprise."""

    __tablename__ = "needs"
    __table_args__ = (UniqueConstraint("origin", "origin_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    budget_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    deadline: Mapped[date | None]
    region: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id"), index=True)
    # 沿黄交换: a posting imported from a partner installation (matchmaker.exchange) keeps the
    # partner's code and its id there; read-only here, never with contact details.
    origin: Mapped[str | None] = mapped_column(String(20), index=True)
    origin_id: Mapped[str | None] = mapped_column(String(64))
    origin_url: Mapped[str | None] = mapped_column(String(300))
    imported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field: Mapped[Field] = relationship()
    organization: Mapped[Organization] = relationship()
    owner: Mapped[User | None] = relationship()

    kind = "need"

    @property
    def text(self) -> str:
        return strip_markup("\n".join([self.title, " ".join(self.keywords or []), self.description]))


expert_results = Table(
    "expert_results",
    db.Model.metadata,
    Column("expert_id", ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True),
    Column("result_id", ForeignKey("results.id", ondelete="CASCADE"), primary_key=True),
)


class Expert(db.Model):
    """人才 / 专家: a researcher's profile."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))  # 职称, e.g. 教授
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"), index=True)
    research_areas: Mapped[list] = mapped_column(JSON, default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str | None] = mapped_column(String(20))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="published")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    field: Mapped[Field | None] = relationship()
    user: Mapped[User | None] = relationship()
    results: Mapped[list[Result]] = relationship(secondary=expert_results)

    kind = "expert"

    @property
    def text(self) -> str:
        return strip_markup("\n".join([self.name, " ".join(self.research_areas or []), self.bio]))


class ImportJob(db.Model):
    """导入任务: an uploaded file's records, its preview and its progress, kept in the
    database so any web worker (and a restart) can show how far it got."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    # preview → running → done, or failed (nothing written)
    status: Mapped[str] = mapped_column(String(20), default="preview")
    records: Mapped[list] = mapped_column(JSON, default=list)  # [[line_no, record], ...]
    total: Mapped[int] = mapped_column(default=0)
    checked: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # ["第 3 行（字段 field）：…", ...]
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.checked / self.total) if self.total else 0
