"""成果登记 (ResultFiling): a result of a funded project (科技计划项目) registered with the province.

草稿 → 已提交 → 已退回 (with reasons; edited and submitted again) or 已登记 (a registration
number such as 豫成登〔2026〕000123 from `filing_counters`, and a linked Result that joins matching).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field, Result

FILING_STATUSES = {"draft": "草稿", "submitted": "已提交", "returned": "已退回", "accepted": "已登记"}
CATEGORIES = ["应用技术", "基础理论", "软科学"]
PROGRAMMES = [
    "河南省重大科技专项",
    "河南省重点研发专项",
    "河南省科技攻关",
    "河南省自然科学基金",
    "河南省软科学研究计划",
    "河南省中央引导地方科技发展资金",
    "国家科技计划（河南承担）",
    "其他",
]
PATENT_STATUSES = ["申请中", "已授权", "已转让", "已失效"]
TRANSFER_INTENTIONS = ["转让", "许可", "作价入股", "合作开发", "技术服务", "暂不转化"]


class ResultFiling(db.Model):
    """成果登记: one result of one funded project, filed by its undertaking unit (承担单位)."""

    __tablename__ = "result_filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))  # 成果名称
    summary: Mapped[str | None] = mapped_column(Text)  # 成果简介
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    programme: Mapped[str | None] = mapped_column(String(50))  # 科技计划类别
    project_no: Mapped[str | None] = mapped_column(String(50), index=True)  # 项目编号
    project_name: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)  # 承担单位
    completers: Mapped[list] = mapped_column(JSON, default=list)  # 完成人
    category: Mapped[str | None] = mapped_column(String(20))  # 应用技术 / 基础理论 / 软科学
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    trl: Mapped[int | None]  # 技术就绪度 1–9 (GB/T 22900), as on results
    patents: Mapped[list] = mapped_column(JSON, default=list)  # [{"number": …, "status": …}]
    transfer_intention: Mapped[str | None] = mapped_column(String(20))
    acceptance_date: Mapped[date | None]  # 项目验收日期
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), index=True)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None] = mapped_column(index=True)
    last_reminded_on: Mapped[date | None]  # 逾期提醒: at most one a day
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    field: Mapped[Field | None] = relationship()
    result: Mapped[Result | None] = relationship()
    submitter: Mapped[User | None] = relationship(foreign_keys=[submitter_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def status_label(self) -> str:
        return FILING_STATUSES.get(self.status, self.status)

    @property
    def editable(self) -> bool:
        return self.status in ("draft", "returned")


class FilingCounter(db.Model):
    """登记号计数器: one row per year; its `last` is bumped under a row lock in the decision's
    transaction, so two admins accepting at once never get the same number."""

    __tablename__ = "filing_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
