"""职务科技成果赋权 (Rights): a result's ownership mode, 单列管理 flag and carrier company.

Modes: 单位所有; 赋权个人所有 with each inventor's share summing to 100%; 长期使用权 with its
term in years. Every change is audited with what it was and what it became.
"""

from __future__ import annotations

import io
import json
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Result

OWNERSHIP_MODES = {"unit": "单位所有", "personal": "赋权个人所有", "long_term_use": "长期使用权"}
MAX_TERM_YEARS = 50


class Rights(db.Model):
    """成果权属: one row per result that has recorded its rights."""

    __tablename__ = "result_rights"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), unique=True)
    ownership_mode: Mapped[str] = mapped_column(String(20), default="unit", index=True)
    # [{"name": "张三", "share_pct": 60.0}, ...] for 赋权个人所有
    inventor_shares: Mapped[list] = mapped_column(JSON, default=list)
    use_term_years: Mapped[int | None]  # 长期使用权 term
    separately_managed: Mapped[bool] = mapped_column(default=False, index=True)  # 单列管理
    carrier_company: Mapped[str | None] = mapped_column(String(200))  # 科研机构 + 产业化公司
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    result: Mapped[Result] = relationship()

    @property
    def mode_label(self) -> str:
        return OWNERSHIP_MODES.get(self.ownership_mode, self.ownership_mode)


def can_edit_rights(user, result: Result) -> bool:
    """The result's own organisation (its transfer office) and brokers/admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in ("broker", "admin") or (
        user.role == "researcher" and user.organization_id == result.organization_id
    )


def _shares(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise DomainError("赋权个人所有须列出每位完成人及其份额", "inventor_shares")
    out, seen = [], set()
    for item in raw:
        name = str((item or {}).get("name") or "").strip() if isinstance(item, dict) else ""
        if not name:
            raise DomainError("每位完成人须填写姓名", "inventor_shares")
        if name in seen:
            raise DomainError(f"完成人「{name}」重复", "inventor_shares")
        seen.add(name)
        try:
            share = float(item.get("share_pct"))
        except (TypeError, ValueError):
            raise DomainError(f"「{name}」的份额须为数字（%）", "inventor_shares") from None
        if not 0 < share <= 100:
            raise DomainError(f"「{name}」的份额须大于 0 且不超过 100（%）", "inventor_shares")
        out.append({"name": name[:100], "share_pct": round(share, 2)})
    total = sum(round(s["share_pct"] * 100) for s in out)
    if total != 100 * 100:
        raise DomainError(f"完成人份额合计须为 100%，现为 {total / 100:g}%", "inventor_shares")
    return out


def set_rights(session: Session, user: User, result: Result, data: dict) -> Rights:
    """登记/修改赋权信息, audited with the before and after state."""
    if not can_edit_rights(user, result):
        raise DomainError("只有成果所属单位或技术经纪人可以修改权属信息", status=403)
    mode = data.get("ownership_mode") or "unit"
    if mode not in OWNERSHIP_MODES:
        raise DomainError(
            "权属方式须为 unit（单位所有）、personal（赋权个人所有）或 long_term_use（长期使用权）",
            "ownership_mode",
        )
    shares = _shares(data.get("inventor_shares")) if mode == "personal" else []
    term = None
    if mode == "long_term_use":
        raw = data.get("use_term_years")
        try:
            term = int(raw)
        except (TypeError, ValueError):
            raise DomainError("长期使用权须填写期限（年，整数）", "use_term_years") from None
        if isinstance(raw, bool) or not 1 <= term <= MAX_TERM_YEARS:
            raise DomainError(f"长期使用权期限须为 1 到 {MAX_TERM_YEARS} 年", "use_term_years")
    carrier = str(data.get("carrier_company") or "").strip() or None
    rights = session.scalar(select(Rights).where(Rights.result_id == result.id))
    before = rights_dict(rights) if rights else None
    if rights is None:
        rights = Rights(result_id=result.id)
        session.add(rights)
    rights.ownership_mode, rights.inventor_shares, rights.use_term_years = mode, shares, term
    rights.separately_managed = bool(data.get("separately_managed"))
    rights.carrier_company = carrier[:200] if carrier else None
    rights.updated_by_id = user.id
    session.flush()
    after = rights_dict(rights)
    audit(
        session,
        "rights.change",
        user,
        f"result:{result.id}",
        json.dumps({"before": _plain(before), "after": _plain(after)}, ensure_ascii=False),
    )
    return rights


def _plain(d: dict | None) -> dict | None:
    return {k: v for k, v in d.items() if k not in ("updated_at", "result_title")} if d else None


def rights_dict(r: Rights) -> dict:
    return {
        "result_id": r.result_id,
        "result_title": r.result.title if r.result else None,
        "ownership_mode": r.ownership_mode,
        "ownership_label": r.mode_label,
        "inventor_shares": r.inventor_shares,
        "use_term_years": r.use_term_years,
        "separately_managed": r.separately_managed,
        "carrier_company": r.carrier_company,
        "updated_at": r.updated_at.isoformat() if r.updated_at else None,
    }


def rights_query(
    mode: str | None = None, separately_managed: bool | None = None, has_carrier: bool | None = None
):
    """Filter for brokers: by mode, 单列管理, and whether a carrier company is recorded."""
    query = select(Rights).join(Result).order_by(Result.id)
    if mode:
        if mode not in OWNERSHIP_MODES:
            raise DomainError("权属方式须为 unit、personal 或 long_term_use", "mode")
        query = query.where(Rights.ownership_mode == mode)
    if separately_managed is not None:
        query = query.where(Rights.separately_managed.is_(separately_managed))
    if has_carrier is not None:
        query = query.where(
            Rights.carrier_company.is_not(None) if has_carrier else Rights.carrier_company.is_(None)
        )
    return query


def workbook(rows: list[Rights]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "成果权属"
    ws.append(
        [
            "成果编号",
            "成果标题",
            "成果单位",
            "权属方式",
            "完成人份额",
            "使用权期限（年）",
            "单列管理",
            "产业化公司",
            "更新时间",
        ]
    )
    for r in rows:
        ws.append(
            [
                r.result.external_id,
                r.result.title,
                r.result.organization.name,
                r.mode_label,
                "；".join(f"{s['name']} {s['share_pct']:g}%" for s in r.inventor_shares or []),
                r.use_term_years,
                "是" if r.separately_managed else "否",
                r.carrier_company or "",
                r.updated_at,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
