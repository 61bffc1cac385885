"""Service providers (科技服务机构) and service requests (服务申请)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field, Result

PROVIDER_TYPES = ["概念验证中心", "中试基地", "孵化器", "检验检测机构"]
PROVIDER_STATUSES = {"published": "已发布", "archived": "已归档"}
# 申请 → 受理 → 完成 / 退回
REQUEST_STATUSES = {"submitted": "已申请", "accepted": "已受理", "completed": "已完成", "returned": "已退回"}


class Provider(db.Model):
    """科技服务机构: takes results from readiness level `stage_from` to `stage_to`."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    # further fields served besides the main one (names)
    other_fields: Mapped[list] = mapped_column(JSON, default=list)
    stage_from: Mapped[int]
    stage_to: Mapped[int]
    capabilities: Mapped[list] = mapped_column(JSON, default=list)
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    region: Mapped[str | None] = mapped_column(String(20))
    capacity_per_year: Mapped[int | None]  # 年服务项目数
    lead_time_days: Mapped[int | None]  # 从受理到出结果的典型周期
    fee_min_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    fee_max_wan: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    field: Mapped[Field] = relationship()
    organization: Mapped[Organization] = relationship()
    owner: Mapped[User | None] = relationship()

    kind = "provider"

    @property
    def title(self) -> str:
        return self.name

    @property
    def field_names(self) -> list[str]:
        return [self.field.name, *[f for f in self.other_fields or [] if f != self.field.name]]

    def serves(self, trl: int | None) -> bool:
        return trl is not None and self.stage_from <= trl <= self.stage_to

    @property
    def text(self) -> str:
        """The text that ranking reads."""
        return "\n".join(
            [
                f"{self.name}（{self.type}）",
                " ".join(self.capabilities or []),
                " ".join(self.equipment or []),
                self.description,
            ]
        )


class ServiceRequest(db.Model):
    """服务申请: a result owner asks a provider to take the result one stage further."""

    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    reply: Mapped[str | None] = mapped_column(Text)  # the provider's note on 受理/完成/退回
    trl_before: Mapped[int | None]
    trl_after: Mapped[int | None]  # set when the owner raises the level after completion
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship()
    result: Mapped[Result] = relationship()
    requester: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return REQUEST_STATUSES.get(self.status, self.status)
