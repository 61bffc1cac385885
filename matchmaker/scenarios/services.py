"""Scenario services (应用场景): validate, publish, list, apply, advance, trace, rank.

Plain Python, no request context; web, API and seed share `clean_scenario`. Only flush.
Each step of an application is an ApplicationEvent (the trace page) and an audit entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Result
from matchmaker.postings.services import (
    _amount,
    _common,
    _deadline,
    _flatten_contact,
    _text,
    clean_status,
    find_field,
    normalize_region,
    split_list,
)
from matchmaker.scenarios.models import (
    APPLICATION_STATUSES,
    NEXT_STATUSES,
    SCENARIO_OFFERS,
    SCENARIO_STATUSES,
    Application,
    ApplicationEvent,
    Scenario,
)


def clean_scenario(session: Session, data: dict, *, partial: bool = False) -> dict:
    data = _flatten_contact(data)
    out = _common(session, data, partial, title_label="场景名称", description_label="场景描述")
    if "place" in data:
        out["place"] = _text(data["place"], "place", "场景地点", max_len=200)
    if "budget_wan" in data:
        out["budget_wan"] = _amount(data["budget_wan"], "budget_wan", "预算")
    for key in ("period_start", "period_end"):
        if key in data:
            out[key] = _deadline(data[key], key)
    if out.get("period_start") and out.get("period_end") and out["period_start"] > out["period_end"]:
        raise DomainError("结束日期不能早于开始日期", "period_end")
    if "offers" in data:
        offers = split_list(data["offers"], "offers", "场景提供")
        for o in offers:
            if o not in SCENARIO_OFFERS:
                raise DomainError(f"场景提供“{o}”无效，可选：{'、'.join(SCENARIO_OFFERS)}", "offers")
        out["offers"] = offers
    if "requirements" in data:
        out["requirements"] = _text(data["requirements"], "requirements", "技术要求", max_len=5000) or ""
    return out | clean_status(data, SCENARIO_STATUSES)


def can_publish(user) -> bool:
    """Departments and large enterprises publish (政府部门 / 企业), and staff on their behalf."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "enterprise") or user.organization.type == "政府部门"


def can_manage(user, scenario: Scenario) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.organization_id == scenario.organization_id


def create_scenario(
    session: Session,
    data: dict,
    *,
    organization: Organization,
    owner: User | None = None,
    external_id: str | None = None,
) -> Scenario:
    attrs = clean_scenario(session, data)
    if external_id and session.scalar(select(Scenario.id).where(Scenario.external_id == external_id)):
        raise DomainError(f"编号 {external_id} 已存在", "id")
    obj = Scenario(
        external_id=external_id or f"S-{uuid.uuid4().hex[:12]}", organization=organization, owner=owner
    )
    attrs.setdefault("region", organization.region)
    for k, v in attrs.items():
        setattr(obj, k, v)
    session.add(obj)
    session.flush()
    audit(session, "scenario_create", owner, target=f"scenario:{obj.id}", detail=obj.title)
    return obj


def list_query(filters: dict, include_closed: bool = False) -> Select:
    stmt = select(Scenario)
    if not include_closed:
        stmt = stmt.where(Scenario.status == "open")
    if filters.get("field") is not None:
        stmt = stmt.where(Scenario.field_id == filters["field"].id)
    if filters.get("region"):
        stmt = stmt.where(Scenario.region == filters["region"])
    return stmt.order_by(Scenario.created_at.desc(), Scenario.id.desc())


def validate_filters(session: Session, args: dict) -> dict:
    out: dict[str, Any] = {}
    if args.get("field"):
        out["field"] = find_field(session, args["field"])
    if args.get("region"):
        out["region"] = normalize_region(args["region"])
    return out


def to_dict(obj: Scenario, *, with_contact: bool) -> dict:
    data = {
        "id": obj.external_id,
        "internal_id": obj.id,
        "kind": "scenario",
        "title": obj.title,
        "description": obj.description,
        "field": obj.field.name,
        "keywords": list(obj.keywords or []),
        "place": obj.place,
        "region": obj.region,
        "budget_wan": obj.budget_wan,
        "period_start": obj.period_start.isoformat() if obj.period_start else None,
        "period_end": obj.period_end.isoformat() if obj.period_end else None,
        "offers": list(obj.offers or []),
        "requirements": obj.requirements,
        "organization": obj.organization.name,
        "status": obj.status,
        "url": f"/scenarios/{obj.id}",
    }
    if with_contact:
        data["contact"] = {"name": obj.contact_name, "phone": obj.contact_phone, "email": obj.contact_email}
    return data


# ---------------------------------------------------------------- applications


def _event(session: Session, app: Application, status: str, user: User | None, note: str | None) -> None:
    app.events.append(ApplicationEvent(status=status, note=note, user=user))
    session.flush()
    audit(session, f"scenario_{status}", user, target=f"scenario_application:{app.id}", detail=note)


def apply(
    session: Session, user: User, scenario: Scenario, proposal: Any, result: Result | None = None
) -> Application:
    """申报: a firm proposes (optionally one of its results) for an open scenario."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionError
    if scenario.status != "open":
        raise DomainError("该场景已截止申报", "scenario")
    if user.organization_id == scenario.organization_id:
        raise DomainError("不能申报本机构发布的场景", "scenario")
    text = _text(proposal, "proposal", "申报方案", required=True, max_len=5000, min_len=20)
    if result is not None and result.organization_id != user.organization_id and not user.is_staff:
        raise DomainError("只能以本机构的成果申报", "result")
    if session.scalar(
        select(Application.id).where(
            Application.scenario_id == scenario.id,
            Application.organization_id == user.organization_id,
            Application.status != "rejected",
        )
    ):
        raise DomainError("本机构已申报该场景", "scenario")
    app = Application(
        scenario=scenario, result=result, organization_id=user.organization_id, applicant=user, proposal=text
    )
    session.add(app)
    session.flush()
    _event(session, app, "applied", user, None)
    if scenario.owner is not None:
        notify(
            session,
            scenario.owner,
            "scenario",
            f"场景“{scenario.title}”收到新申报",
            text[:200],
            f"/scenarios/{scenario.id}",
        )
    return app


def advance(session: Session, user: User, app: Application, status: str, note: Any = None) -> Application:
    """入围 → 试点 → 示范产品, or 未入选, by the publisher (or staff)."""
    if not can_manage(user, app.scenario):
        raise PermissionError
    if status not in APPLICATION_STATUSES:
        raise DomainError(f"状态“{status}”无效", "status")
    if status not in NEXT_STATUSES[app.status]:
        raise DomainError(
            f"当前为“{APPLICATION_STATUSES[app.status]}”，不能改为“{APPLICATION_STATUSES[status]}”", "status"
        )
    text = _text(note, "note", "说明", required=status in ("rejected", "demonstration"), max_len=2000)
    app.status = status
    _event(session, app, status, user, text)
    if app.applicant is not None:
        notify(
            session,
            app.applicant,
            "scenario",
            f"场景“{app.scenario.title}”：{APPLICATION_STATUSES[status]}",
            text or "",
            f"/scenarios/applications/{app.id}",
        )
    return app


def can_see_application(user, app: Application) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return can_manage(user, app.scenario) or user.organization_id == app.organization_id


def application_dict(app: Application) -> dict:
    return {
        "id": app.id,
        "scenario": app.scenario.external_id,
        "scenario_title": app.scenario.title,
        "organization": app.organization.name,
        "result": app.result.external_id if app.result else None,
        "result_title": app.result.title if app.result else None,
        "proposal": app.proposal,
        "status": app.status,
        "status_label": APPLICATION_STATUSES[app.status],
        "trace": [
            {
                "status": e.status,
                "label": APPLICATION_STATUSES[e.status],
                "note": e.note,
                "by": e.user.name if e.user else None,
                "at": e.at.isoformat(timespec="seconds"),
            }
            for e in app.events
        ],
    }
