"""JSON API of 成果登记汇交: /api/v1/registrations (the issue's name; the domain object is
ResultFiling, since `Registration` is the roadshow seat in the glossary)."""

from __future__ import annotations

from functools import wraps
from typing import Literal

from flask import current_app, jsonify, request
from flask_login import current_user
from pydantic import BaseModel, Field

from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden, int_arg, write
from matchmaker.api.schemas import _In, accepts, body
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.filings import services
from matchmaker.filings.models import FILING_STATUSES, ResultFiling


class PatentIn(BaseModel):
    number: str = Field(max_length=40, description="专利号")
    status: str = Field(max_length=10, description="申请中 / 已授权 / 已转让 / 已失效")


class FilingIn(_In):
    """成果登记. Submitting (draft false) requires title, summary, programme, project_no,
    organization (admins only; researchers file for their own unit), completers, category,
    field, trl, transfer_intention and acceptance_date; a missing one answers 400 naming it."""

    title: str | None = Field(None, max_length=200, description="成果名称")
    summary: str | None = Field(None, max_length=10000, description="成果简介")
    keywords: list[str] | str | None = Field(None, description="关键词")
    programme: str | None = Field(None, max_length=50, description="科技计划类别")
    project_no: str | None = Field(None, max_length=50, description="项目编号")
    project_name: str | None = Field(None, max_length=200, description="项目名称")
    organization: str | None = Field(None, max_length=200, description="承担单位（管理员代为登记时必填）")
    completers: list[str] | str | None = Field(None, description="完成人")
    category: str | None = Field(None, max_length=20, description="应用技术 / 基础理论 / 软科学")
    field: str | None = Field(None, max_length=50, description="所属领域")
    trl: int | str | None = Field(None, description="技术就绪度 1–9")
    patents: list[PatentIn] | str | None = Field(None, description="专利号及其状态")
    transfer_intention: str | None = Field(None, max_length=20, description="转化意向")
    acceptance_date: str | None = Field(None, max_length=10, description="项目验收日期 YYYY-MM-DD")
    result: str | int | None = Field(None, description="关联的本单位科技成果（id 或编号）")
    draft: bool = Field(False, description="true：只保存草稿，不做完整性检查")


class FilingDecisionIn(_In):
    decision: Literal["accept", "return"]
    reason: str | None = Field(None, max_length=2000, description="退回理由（退回时必填）")


def _require_filer() -> None:
    user = api_user()
    if not (services.can_file(user) or services.can_review(user)):
        raise forbidden("只有高校、科研院所的科研人员和管理员可以使用成果登记")


def _admin_only(view):
    """Refuse non-admins before the body is read (the permission matrix posts empty bodies)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not services.can_review(api_user()):
            raise forbidden("只有管理员可以审核成果登记")
        return view(*args, **kwargs)

    return wrapped


def _filing(filing_id: int) -> ResultFiling:
    _require_filer()
    filing = db.session.get(ResultFiling, filing_id)
    if filing is None:
        raise DomainError(f"成果登记 {filing_id} 不存在", status=404)
    if not services.can_view(current_user, filing):
        raise DomainError("只能查看本单位的成果登记", status=403)
    return filing


def _data() -> tuple[dict, bool]:
    data = dict(body())
    return data, not data.pop("draft", False)


@bp.get("/registrations")
def registrations_list():
    """成果登记列表（本单位；管理员：全部）."""
    _require_filer()
    page = int_arg(request.args, "page", 1, hi=100000)
    per_page = int_arg(request.args, "per_page", current_app.config["PAGE_SIZE"], hi=100)
    stmt = services.visible_query(current_user)
    status = request.args.get("status")
    if status:
        if status not in FILING_STATUSES:
            raise DomainError(f"状态 {status} 无效，可选：{'、'.join(FILING_STATUSES)}", "status")
        stmt = stmt.where(ResultFiling.status == status)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return jsonify(
        {
            "items": [services.to_dict(f) for f in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
        }
    )


@bp.post("/registrations")
@accepts(FilingIn)
def registrations_create():
    """登记一项成果（默认直接提交；draft=true 为草稿）."""
    _require_filer()
    data, submit = _data()
    filing = write(lambda: services.create_filing(db.session, current_user, data, submit=submit))
    return jsonify(services.to_dict(filing)), 201


@bp.get("/registrations/<int:filing_id>")
def registrations_detail(filing_id: int):
    """成果登记详情（含缺少的必填项）."""
    return jsonify(services.to_dict(_filing(filing_id)))


@bp.patch("/registrations/<int:filing_id>")
@accepts(FilingIn)
def registrations_update(filing_id: int):
    """修改草稿或被退回的登记（draft=false 时同时提交）."""
    filing = _filing(filing_id)
    if not services.can_edit(current_user, filing):
        raise DomainError(f"{filing.status_label}的登记不能修改", "status", status=409)
    data = dict(body())
    submit = data.pop("draft", True) is False
    write(lambda: services.update_filing(db.session, filing, current_user, data, submit=submit))
    return jsonify(services.to_dict(filing))


@bp.post("/registrations/<int:filing_id>/decision")
@_admin_only
@accepts(FilingDecisionIn)
def registrations_admin_decide(filing_id: int):
    """管理员审核：accept（登记，分配登记号）或 return（退回，须写理由）."""
    filing = _filing(filing_id)
    data = body()
    write(lambda: services.decide(db.session, filing, current_user, data["decision"], data.get("reason")))
    return jsonify(services.to_dict(filing))


@bp.get("/registrations/overdue")
@_admin_only
def registrations_admin_overdue():
    """逾期未登记（项目验收后超过期限仍未提交）."""
    days = current_app.config["FILING_DEADLINE_DAYS"]
    rows = db.session.scalars(services.overdue_query(days)).all()
    return jsonify({"deadline_days": days, "items": [services.to_dict(f) for f in rows]})
