"""Provider and service-request services (科技服务机构、服务申请).

Plain Python, no request context; web, API, CLI and seed all validate through
`clean_provider`, and only flush (the caller commits). Every write is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import audit
from matchmaker.constants import TRL_LEVELS, trl_maturity
from matchmaker.errors import DomainError
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Result
from matchmaker.postings.services import (
    _amount,
    _flatten_contact,
    _text,
    clean_contact,
    clean_status,
    clean_trl,
    find_field,
    get_or_create_organization,
    normalize_region,
    split_list,
)
from matchmaker.providers.models import PROVIDER_STATUSES, PROVIDER_TYPES, Provider, ServiceRequest


def _int(value: Any, field: str, label: str, *, lo: int = 0, hi: int = 100000) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DomainError(f"{label}须为整数", field)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(f"{label}须为整数", field) from None
    if not lo <= number <= hi:
        raise DomainError(f"{label}须在 {lo} 到 {hi} 之间", field)
    return number


def clean_provider(session: Session, data: dict, *, partial: bool = False) -> dict:
    """Validated attributes for a Provider; raises DomainError naming the key."""
    out: dict[str, Any] = {}
    data = _flatten_contact(data)
    if not partial or "name" in data:
        out["name"] = _text(data.get("name"), "name", "机构名称", required=True, max_len=200, min_len=4)
    if not partial or "type" in data:
        value = data.get("type")
        if value not in PROVIDER_TYPES:
            raise DomainError(f"机构类型“{value or ''}”无效，可选：{'、'.join(PROVIDER_TYPES)}", "type")
        out["type"] = value
    if not partial or "description" in data:
        out["description"] = _text(
            data.get("description"), "description", "服务介绍", required=True, max_len=5000, min_len=10
        )
    if not partial or "field" in data:
        out["field"] = find_field(session, data.get("field"))
    if "other_fields" in data:
        names = split_list(data["other_fields"], "other_fields", "其他服务领域", max_items=10)
        out["other_fields"] = [find_field(session, n, "other_fields").name for n in names]
    for key in ("stage_from", "stage_to"):
        if not partial or key in data:
            out[key] = clean_trl(data.get(key), key, required=True)
    lo = out.get("stage_from", data.get("_current_from"))
    hi = out.get("stage_to", data.get("_current_to"))
    if lo is not None and hi is not None and lo > hi:
        raise DomainError("服务阶段的起始级别不能高于结束级别", "stage_to")
    if "capabilities" in data:
        out["capabilities"] = split_list(data["capabilities"], "capabilities", "服务能力")
    if "equipment" in data:
        out["equipment"] = split_list(data["equipment"], "equipment", "仪器设备", max_len=80)
    if "region" in data:
        out["region"] = normalize_region(data["region"])
    if "capacity_per_year" in data:
        out["capacity_per_year"] = _int(data["capacity_per_year"], "capacity_per_year", "年服务能力")
    if "lead_time_days" in data:
        out["lead_time_days"] = _int(data["lead_time_days"], "lead_time_days", "服务周期", hi=3650)
    for key, label in (("fee_min_wan", "最低收费"), ("fee_max_wan", "最高收费")):
        if key in data:
            out[key] = _amount(data[key], key, label)
    fmin = out.get("fee_min_wan")
    fmax = out.get("fee_max_wan")
    if fmin is not None and fmax is not None and fmin > fmax:
        raise DomainError("最低收费不能高于最高收费", "fee_max_wan")
    return out | clean_contact(data) | clean_status(data, PROVIDER_STATUSES)


def create_provider(
    session: Session,
    data: dict,
    *,
    organization: Organization,
    owner: User | None = None,
    external_id: str | None = None,
    actor: User | None = None,
) -> Provider:
    attrs = clean_provider(session, data)
    if external_id is not None:
        external_id = _text(external_id, "id", "编号", max_len=64) if isinstance(external_id, str) else None
        if external_id is None:
            raise DomainError("编号须为不超过 64 字的文字", "id")
    if external_id and session.scalar(select(Provider.id).where(Provider.external_id == external_id)):
        raise DomainError(f"编号 {external_id} 已存在", "id")
    obj = Provider(
        external_id=external_id or f"P-{uuid.uuid4().hex[:12]}", organization=organization, owner=owner
    )
    attrs.setdefault("region", organization.region)
    for k, v in attrs.items():
        setattr(obj, k, v)
    session.add(obj)
    session.flush()
    audit(session, "provider_create", actor or owner, target=f"provider:{obj.id}", detail=obj.name)
    return obj


def update_provider(session: Session, obj: Provider, data: dict, *, actor: User | None = None) -> Provider:
    data = dict(data, _current_from=obj.stage_from, _current_to=obj.stage_to)
    attrs = clean_provider(session, data, partial=True)
    for k, v in attrs.items():
        setattr(obj, k, v)
    session.flush()
    audit(session, "provider_update", actor, target=f"provider:{obj.id}", detail=", ".join(sorted(attrs)))
    return obj


def can_manage_provider(user, provider: Provider) -> bool:
    """The provider's own organisation (its staff accept requests), brokers and admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.organization_id == provider.organization_id


def can_create_provider(session: Session, user) -> bool:
    """登记服务机构: brokers and admins (for a named organisation), and the staff of an
    organisation that already runs a provider (for their own organisation)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return bool(
        session.scalar(select(Provider.id).where(Provider.organization_id == user.organization_id).limit(1))
    )


def provider_organization(
    session: Session, user: User, org_name: Any = None, region: Any = None
) -> Organization:
    """Whose provider this is: the user's own organisation, or the one a broker/admin names."""
    if not user.is_staff:
        return user.organization
    name = _text(org_name, "organization", "所属机构", max_len=200)
    if not name:
        raise DomainError("代为登记时须填写所属机构名称", "organization")
    return get_or_create_organization(
        session, name, kind="provider", region=normalize_region(region), org_type="技术转移机构"
    )


def can_see_provider_contact(user, provider: Provider) -> bool:
    """Gated like every contact: the provider's organisation, staff, and a result owner whose
    request the provider has accepted (受理后互见联系方式)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if can_manage_provider(user, provider):
        return True
    from matchmaker.extensions import db

    return bool(
        db.session.scalar(
            select(ServiceRequest.id)
            .join(Result, Result.id == ServiceRequest.result_id)
            .where(
                ServiceRequest.provider_id == provider.id,
                ServiceRequest.status.in_(("accepted", "completed")),
                Result.organization_id == user.organization_id,
            )
            .limit(1)
        )
    )


def validate_filters(session: Session, args: dict) -> dict:
    """type, field, region, trl (a level the provider must serve), q."""
    out: dict[str, Any] = {}
    if args.get("type"):
        if args["type"] not in PROVIDER_TYPES:
            raise DomainError(f"机构类型“{args['type']}”无效，可选：{'、'.join(PROVIDER_TYPES)}", "type")
        out["type"] = args["type"]
    if args.get("field"):
        out["field"] = find_field(session, args["field"])
    if args.get("region"):
        out["region"] = normalize_region(args["region"])
    if args.get("trl"):
        out["trl"] = clean_trl(args["trl"])
    if args.get("q"):
        q = str(args["q"]).strip()
        if len(q) > 100:
            raise DomainError("关键词不能超过 100 字", "q")
        out["q"] = q
    return out


def list_query(filters: dict) -> Select:
    stmt = select(Provider).where(Provider.status == "published")
    if filters.get("type"):
        stmt = stmt.where(Provider.type == filters["type"])
    if filters.get("field") is not None:
        stmt = stmt.where(Provider.field_id == filters["field"].id)
    if filters.get("region"):
        stmt = stmt.where(Provider.region == filters["region"])
    if filters.get("trl"):
        stmt = stmt.where(Provider.stage_from <= filters["trl"], Provider.stage_to >= filters["trl"])
    if filters.get("q"):
        pattern = "%" + filters["q"].replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(or_(Provider.name.ilike(pattern), Provider.description.ilike(pattern)))
    return stmt.order_by(Provider.type, Provider.id)


def to_dict(obj: Provider, *, with_contact: bool) -> dict:
    data = {
        "id": obj.external_id,
        "internal_id": obj.id,
        "kind": "provider",
        "name": obj.name,
        "type": obj.type,
        "field": obj.field.name,
        "fields": obj.field_names,
        "stage_from": obj.stage_from,
        "stage_to": obj.stage_to,
        "capabilities": list(obj.capabilities or []),
        "equipment": list(obj.equipment or []),
        "region": obj.region,
        "capacity_per_year": obj.capacity_per_year,
        "lead_time_days": obj.lead_time_days,
        "fee_min_wan": obj.fee_min_wan,
        "fee_max_wan": obj.fee_max_wan,
        "description": obj.description,
        "organization": obj.organization.name,
        "status": obj.status,
        "url": f"/providers/{obj.id}",
    }
    if with_contact:
        data["contact"] = {"name": obj.contact_name, "phone": obj.contact_phone, "email": obj.contact_email}
    return data


# ---------------------------------------------------------------- service requests


def can_request(user, result: Result) -> bool:
    """Only the result's own organisation (or staff on its behalf) asks for a service."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "researcher" and user.organization_id == result.organization_id)


def submit_request(
    session: Session, user: User, provider: Provider, result: Result, message: Any
) -> ServiceRequest:
    """申请: refused when the provider does not serve the result's level (a wrong stage is worse than none)."""
    text = _text(message, "message", "申请说明", required=True, max_len=2000, min_len=10)
    if provider.status != "published":
        raise DomainError("该机构已停止接受申请", "provider")
    if not provider.serves(result.trl):
        raise DomainError(
            f"该机构服务 TRL {provider.stage_from}–{provider.stage_to} 级，成果当前为 {result.trl or '未填写'}",
            "provider",
        )
    open_req = session.scalar(
        select(ServiceRequest.id).where(
            ServiceRequest.provider_id == provider.id,
            ServiceRequest.result_id == result.id,
            ServiceRequest.status.in_(("submitted", "accepted")),
        )
    )
    if open_req:
        raise DomainError("该成果已向此机构提交申请，尚在办理中", "provider")
    req = ServiceRequest(
        provider=provider, result=result, requester=user, message=text, trl_before=result.trl
    )
    session.add(req)
    session.flush()
    audit(session, "service_request_submit", user, target=f"service_request:{req.id}", detail=provider.name)
    if provider.owner is not None:
        notify(
            session,
            provider.owner,
            "service_request",
            f"新的服务申请：{result.title}",
            text,
            f"/providers/requests/{req.id}",
        )
    return req


TRANSITIONS = {
    "accept": ("submitted", "accepted"),
    "return": ("submitted", "returned"),
    "complete": ("accepted", "completed"),
}
ACTION_LABELS = {"accept": "受理", "return": "退回", "complete": "完成"}


def decide_request(
    session: Session, user: User, req: ServiceRequest, action: str, reply: Any = None
) -> ServiceRequest:
    """受理 / 退回 / 完成, by the provider's own account (or staff)."""
    if action not in TRANSITIONS:
        raise DomainError(f"未知操作“{action}”，可选：accept、return、complete", "action")
    if not can_manage_provider(user, req.provider):
        raise PermissionError
    before, after = TRANSITIONS[action]
    if req.status != before:
        raise DomainError(f"当前状态为“{req.status_label}”，不能{ACTION_LABELS[action]}", "status")
    note = _text(reply, "reply", "办理意见", required=action == "return", max_len=2000)
    req.status = after
    if note:
        req.reply = note
    session.flush()
    audit(session, f"service_request_{action}", user, target=f"service_request:{req.id}", detail=note)
    if req.requester is not None:
        notify(
            session,
            req.requester,
            "service_request",
            f"{req.provider.name}已{ACTION_LABELS[action]}您的申请",
            note or "",
            f"/providers/requests/{req.id}",
        )
    return req


def raise_trl(session: Session, user: User, req: ServiceRequest, trl: Any, evidence: Any) -> Result:
    """After a completed service the result's owner records the level reached, with evidence."""
    result = req.result
    if not can_request(user, result):
        raise PermissionError
    if req.status != "completed":
        raise DomainError("服务完成后才能提升技术就绪度", "status")
    level = clean_trl(trl, required=True)
    note = _text(evidence, "trl_evidence", "就绪度依据", required=True, max_len=500, min_len=4)
    if result.trl is not None and level <= result.trl:
        raise DomainError(f"新的级别须高于当前的 TRL {result.trl}", "trl")
    if level > req.provider.stage_to + 1:
        raise DomainError(
            f"该机构服务到 TRL {req.provider.stage_to} 级，一次服务最多提升到 {req.provider.stage_to + 1} 级",
            "trl",
        )
    result.trl = level
    result.maturity = trl_maturity(level)
    result.trl_evidence = f"{note}（{req.provider.name}服务，申请 #{req.id}）"
    req.trl_after = level
    session.flush()
    audit(
        session,
        "result_trl_raise",
        user,
        target=f"result:{result.id}",
        detail=f"TRL {req.trl_before} → {level}：{TRL_LEVELS[level]}",
    )
    return result


def requests_for(session: Session, user) -> Select:
    """The requests a user may see: staff all, others those of their organisation's results or providers."""
    stmt = select(ServiceRequest).join(Provider).join(Result, Result.id == ServiceRequest.result_id)
    if not user.is_staff:
        stmt = stmt.where(
            or_(
                Provider.organization_id == user.organization_id,
                Result.organization_id == user.organization_id,
            )
        )
    return stmt.order_by(ServiceRequest.updated_at.desc(), ServiceRequest.id.desc())


def request_row(req: ServiceRequest) -> dict:
    from matchmaker.providers.models import REQUEST_STATUSES

    return {
        "id": req.id,
        "provider": req.provider.name,
        "provider_id": req.provider.external_id,
        "result": req.result.title,
        "result_id": req.result.external_id,
        "status": req.status,
        "status_label": REQUEST_STATUSES[req.status],
        "message": req.message,
        "reply": req.reply,
        "trl_before": req.trl_before,
        "trl_after": req.trl_after,
        "created_at": req.created_at.isoformat(timespec="seconds"),
        "updated_at": req.updated_at.isoformat(timespec="seconds"),
    }
