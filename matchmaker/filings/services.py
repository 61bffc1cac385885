"""成果登记汇交 services: validate, file, submit, review, number, remind.

Plain Python with no request context: the web form, the JSON API, the Excel import and the CLI
all validate through `clean_filing` (and `missing_fields` for the completeness check), so a
filing is judged the same way everywhere. Services only flush; the caller owns the commit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import audit
from matchmaker.constants import trl_maturity
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.filings.models import (
    CATEGORIES,
    PATENT_STATUSES,
    PROGRAMMES,
    TRANSFER_INTENTIONS,
    FilingCounter,
    ResultFiling,
)
from matchmaker.localtime import LOCAL_TZ, local_today
from matchmaker.notifications.services import notify
from matchmaker.postings import services as postings
from matchmaker.postings.models import Result
from matchmaker.postings.services import _choice, _text, clean_trl, find_field, split_list

DEFAULT_DEADLINE_DAYS = 90
NUMBER_PREFIX = "豫成登"

# Keys of a filing as the API, the form and the import name them, with their Chinese labels.
LABELS = {
    "title": "成果名称",
    "summary": "成果简介",
    "keywords": "关键词",
    "programme": "科技计划类别",
    "project_no": "项目编号",
    "project_name": "项目名称",
    "organization": "承担单位",
    "completers": "完成人",
    "category": "成果类别",
    "field": "所属领域",
    "trl": "技术就绪度",
    "patents": "知识产权（专利）",
    "transfer_intention": "转化意向",
    "acceptance_date": "项目验收日期",
    "result": "关联成果",
}
# The completeness check (完整性检查): what a filing needs before it can be submitted.
REQUIRED = [
    "title",
    "summary",
    "programme",
    "project_no",
    "organization",
    "completers",
    "category",
    "field",
    "trl",
    "transfer_intention",
    "acceptance_date",
]
PATENT_SPLIT = re.compile(r"[;；\n]+")


# ---------------------------------------------------------------- permissions


def can_file(user) -> bool:
    """File (登记): researchers of universities and institutes for their own organisation;
    provincial admins on an organisation's behalf (import, API)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in ("researcher", "admin")


def can_review(user) -> bool:
    """Review (审核): the provincial admin (省科技厅)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == "admin"


def can_view(user, filing: ResultFiling) -> bool:
    if can_review(user):
        return True
    return can_file(user) and user.organization_id == filing.organization_id


def can_edit(user, filing: ResultFiling) -> bool:
    return filing.editable and can_view(user, filing)


def visible_query(user) -> Select:
    stmt = select(ResultFiling).order_by(ResultFiling.updated_at.desc(), ResultFiling.id.desc())
    if not can_review(user):
        stmt = stmt.where(ResultFiling.organization_id == user.organization_id)
    return stmt


# ---------------------------------------------------------------- validation


def _date(value: Any, field: str, label: str) -> date | None:
    try:
        return postings._deadline(value, field)
    except DomainError:
        raise DomainError(f"{label}格式应为 YYYY-MM-DD，例如 2026-06-30", field) from None


def clean_patents(value: Any) -> list[dict]:
    """Patents with their status: [{"number", "status"}], or text "号:状态；号:状态" (one a line)."""
    if value is None or value == "":
        return []
    items: list = []
    if isinstance(value, str):
        for part in PATENT_SPLIT.split(value):
            part = part.strip()
            if not part:
                continue
            number, status = _split_patent(part)
            items.append({"number": number, "status": status})
    elif isinstance(value, list):
        items = value
    else:
        raise DomainError("知识产权须为专利列表", "patents")
    out: list[dict] = []
    for item in items:
        if not isinstance(item, dict):
            raise DomainError("每项专利须包含专利号（number）与状态（status）", "patents")
        number = _text(item.get("number"), "patents", "专利号", max_len=40)
        if not number:
            raise DomainError("专利号不能为空", "patents")
        status = item.get("status")
        if status not in PATENT_STATUSES:
            raise DomainError(
                f"专利 {number} 的状态“{status or ''}”无效，可选：{'、'.join(PATENT_STATUSES)}", "patents"
            )
        if any(p["number"] == number for p in out):
            raise DomainError(f"专利号 {number} 重复", "patents")
        out.append({"number": number, "status": status})
    if len(out) > 50:
        raise DomainError("专利最多 50 项", "patents")
    return out


def _split_patent(part: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)\s*[:：\s]\s*(\S+)$", part)
    if not m:
        return part, ""
    return m.group(1).strip(), m.group(2).strip()


def patents_text(patents: list[dict]) -> str:
    return "；".join(f"{p['number']}:{p['status']}" for p in patents or [])


def clean_filing(session: Session, data: dict, *, partial: bool = False) -> dict:
    """Validated attributes from `data` (the keys of LABELS); absent keys stay absent when
    partial. Raises DomainError naming the key. Presence is `missing_fields`' business."""
    out: dict[str, Any] = {}

    def has(key: str) -> bool:
        return not partial or key in data

    if has("title"):
        out["title"] = _text(data.get("title"), "title", "成果名称", max_len=200, min_len=4)
    if has("summary"):
        out["summary"] = _text(data.get("summary"), "summary", "成果简介", max_len=10000, min_len=10)
    if has("keywords"):
        out["keywords"] = split_list(data.get("keywords"), "keywords", "关键词", max_items=20, max_len=30)
    if has("programme"):
        out["programme"] = _choice(data.get("programme"), "programme", "科技计划类别", PROGRAMMES)
    if has("project_no"):
        out["project_no"] = _text(data.get("project_no"), "project_no", "项目编号", max_len=50)
    if has("project_name"):
        out["project_name"] = _text(data.get("project_name"), "project_name", "项目名称", max_len=200)
    if has("completers"):
        out["completers"] = split_list(
            data.get("completers"), "completers", "完成人", max_items=50, max_len=50
        )
    if has("category"):
        out["category"] = _choice(data.get("category"), "category", "成果类别", CATEGORIES)
    if has("field"):
        out["field"] = find_field(session, data.get("field"), required=False)
    if has("trl"):
        out["trl"] = clean_trl(data.get("trl"))
    if has("patents"):
        out["patents"] = clean_patents(data.get("patents"))
    if has("transfer_intention"):
        out["transfer_intention"] = _choice(
            data.get("transfer_intention"), "transfer_intention", "转化意向", TRANSFER_INTENTIONS
        )
    if has("acceptance_date"):
        out["acceptance_date"] = _date(data.get("acceptance_date"), "acceptance_date", "项目验收日期")
        if out["acceptance_date"] and out["acceptance_date"] > local_today():
            raise DomainError("项目验收日期不能晚于今天", "acceptance_date")
    return out


def _link_result(session: Session, ref: Any, organization: Organization) -> Result | None:
    if ref is None or ref == "":
        return None
    result = postings.find_posting(session, "result", ref)
    if result is None:
        raise DomainError(f"关联成果 {ref} 不存在", "result")
    if result.organization_id != organization.id:
        raise DomainError("只能关联本单位发布的科技成果", "result")
    return result


def _value(filing: ResultFiling, key: str):
    return getattr(filing, key)


def missing_fields(filing: ResultFiling) -> list[str]:
    """The required keys still empty, in form order (完整性检查)."""
    missing = []
    for key in REQUIRED:
        value = _value(filing, key)
        if value is None or value == "" or value == []:
            missing.append(key)
    return missing


def check_complete(filing: ResultFiling) -> None:
    """Raise DomainError naming every missing field (in Chinese), `field` = the first one."""
    missing = missing_fields(filing)
    if missing:
        names = "、".join(LABELS[k] for k in missing)
        raise DomainError(f"登记信息不完整，缺少：{names}", missing[0])


def organization_for(session: Session, user: User, name: Any, *, create: bool = True) -> Organization:
    """Researchers file for their own organisation; an admin names the undertaking unit (a new
    name is created, or, when `create` is false, left transient for a dry run)."""
    if user.role != "admin":
        name = _text(name, "organization", "承担单位", max_len=200)
        if name and name != user.organization.name:
            raise DomainError("只能为本单位登记成果", "organization")
        return user.organization
    name = _text(name, "organization", "承担单位", max_len=200)
    if not name:
        raise DomainError("登记信息不完整，缺少：承担单位", "organization")
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is not None:
        return org
    if not create:
        return Organization(name=name, type=postings.org_type_for("result", name))
    try:
        return postings.get_or_create_organization(session, name, kind="result")
    except DomainError as exc:
        raise DomainError(exc.message, "organization") from None


# ---------------------------------------------------------------- writes


def _apply(session: Session, filing: ResultFiling, data: dict, *, partial: bool) -> None:
    attrs = clean_filing(session, data, partial=partial)
    for key, value in attrs.items():
        setattr(filing, key, value)
    if "result" in data:
        filing.result = _link_result(session, data.get("result"), filing.organization)


def prepare_filing(session: Session, user: User, data: dict, *, create_org: bool = True) -> ResultFiling:
    """A validated filing not yet added to the session (the import's dry run uses it too)."""
    if not can_file(user):
        raise DomainError("只有高校、科研院所的科研人员可以登记成果", "organization")
    organization = organization_for(session, user, data.get("organization"), create=create_org)
    filing = ResultFiling(
        organization=organization, submitter=user if user.role != "admin" else None, status="draft"
    )
    attrs = clean_filing(session, data)
    for key, value in attrs.items():
        setattr(filing, key, value)
    if "result" in data:
        filing.result = _link_result(session, data.get("result"), organization)
    return filing


def check_filing(session: Session, user: User, data: dict, *, submit: bool = True) -> None:
    """Validate without writing anything (used by the import before it writes)."""
    filing = prepare_filing(session, user, data, create_org=False)
    if submit:
        check_complete(filing)


def create_filing(session: Session, user: User, data: dict, *, submit: bool = False) -> ResultFiling:
    """A new filing (草稿, or 已提交 when `submit`: then it must be complete)."""
    filing = prepare_filing(session, user, data)
    if submit:
        check_complete(filing)
    session.add(filing)
    session.flush()
    audit(session, "filing_create", user, target=f"filing:{filing.id}", detail=filing.title)
    if submit:
        submit_filing(session, filing, user)
    return filing


def update_filing(
    session: Session, filing: ResultFiling, user: User, data: dict, *, submit: bool = False
) -> ResultFiling:
    if not filing.editable:
        raise DomainError(f"{filing.status_label}的登记不能修改", "status")
    _apply(session, filing, data, partial=True)
    session.flush()
    audit(session, "filing_update", user, target=f"filing:{filing.id}", detail=filing.title)
    if submit:
        submit_filing(session, filing, user)
    return filing


def submit_filing(session: Session, filing: ResultFiling, user: User) -> ResultFiling:
    """草稿/已退回 → 已提交, after the completeness check. Admins are told."""
    if not filing.editable:
        raise DomainError(f"{filing.status_label}的登记不能再次提交", "status")
    check_complete(filing)
    filing.status = "submitted"
    filing.submitted_at = utcnow()
    if filing.submitter is None and user.role != "admin":
        filing.submitter = user
    session.flush()
    audit(session, "filing_submit", user, target=f"filing:{filing.id}", detail=filing.title)
    return filing


def next_registration_no(session: Session, year: int) -> str:
    """豫成登〔YEAR〕NNNNNN from the year's counter row. The UPDATE takes the row lock
    (PostgreSQL) or the write lock (SQLite) until the transaction ends, so concurrent
    acceptances are serialised and never share a number."""
    if session.scalar(select(FilingCounter.year).where(FilingCounter.year == year)) is None:
        # INSERT … ON CONFLICT DO NOTHING: a concurrent first-of-the-year insert is no error (no
        # savepoint: releasing one would run the after-commit pipeline inside this transaction).
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(FilingCounter).values(year=year, last=0).on_conflict_do_nothing())
    session.execute(
        update(FilingCounter).where(FilingCounter.year == year).values(last=FilingCounter.last + 1)
    )
    last = session.scalar(select(FilingCounter.last).where(FilingCounter.year == year))
    return f"{NUMBER_PREFIX}〔{year}〕{last:06d}"


def _result_for(session: Session, filing: ResultFiling) -> Result:
    """Create the filing's Result through the posting service (so the index change log
    picks it up and it joins matching), unless it already links one."""
    if filing.result is not None:
        return filing.result
    modes = [filing.transfer_intention] if filing.transfer_intention in postings.TRANSFER_MODES else []
    data = {
        "title": filing.title,
        "description": filing.summary,
        "field": filing.field.name,
        "keywords": filing.keywords or [],
        "trl": filing.trl,
        "maturity": trl_maturity(filing.trl),
        "transfer_modes": modes,
        "patent_numbers": [p["number"] for p in filing.patents or []],
        "team": "完成人：" + "、".join(filing.completers or []),
        "status": "published",
    }
    return postings.create_posting(
        session, "result", data, organization=filing.organization, owner=filing.submitter
    )


def recipients(session: Session, filing: ResultFiling) -> list[User]:
    """Who hears about a filing: its submitter, else the organisation's active researchers."""
    if filing.submitter is not None:
        return [filing.submitter]
    return list(
        session.scalars(
            select(User).where(
                User.organization_id == filing.organization_id, User.role == "researcher", User.active
            )
        )
    )


def decide(
    session: Session, filing: ResultFiling, actor: User, decision: Any, reason: Any = None
) -> ResultFiling:
    """Admin review (审核): `return` (退回, reason required) or `accept` (登记: number + Result)."""
    if not can_review(actor):
        raise DomainError("只有管理员可以审核成果登记", "decision")
    if decision not in ("accept", "return"):
        raise DomainError("审核结论须为 accept（通过）或 return（退回）", "decision")
    if filing.status != "submitted":
        raise DomainError(f"{filing.status_label}的登记不能审核", "status")
    now = utcnow()
    link = f"/filings/{filing.id}"
    if decision == "return":
        text = _text(reason, "reason", "退回理由", required=True, max_len=2000)
        filing.status, filing.return_reason = "returned", text
        filing.decided_by, filing.decided_at = actor, now
        session.flush()
        audit(session, "filing_return", actor, target=f"filing:{filing.id}", detail=text[:500])
        for user in recipients(session, filing):
            notify(session, user, "filing", f"成果登记被退回：{filing.title}", f"退回理由：{text}", link)
        return filing
    check_complete(filing)
    filing.result = _result_for(session, filing)
    filing.registration_no = next_registration_no(session, local_today().year)
    filing.status, filing.return_reason = "accepted", None
    filing.decided_by, filing.decided_at, filing.accepted_at = actor, now, now
    session.flush()
    audit(session, "filing_accept", actor, target=f"filing:{filing.id}", detail=filing.registration_no)
    for user in recipients(session, filing):
        notify(
            session,
            user,
            "filing",
            f"成果登记已通过：{filing.title}",
            f"登记号 {filing.registration_no}。成果已在平台发布并参与撮合匹配。",
            link,
        )
    return filing


# ---------------------------------------------------------------- deadline and reminders


def deadline_of(filing: ResultFiling, days: int) -> date | None:
    return filing.acceptance_date + timedelta(days=days) if filing.acceptance_date else None


def overdue_query(days: int, today: date | None = None) -> Select:
    """Filings not yet submitted more than `days` after project acceptance (逾期未登记)."""
    today = today or local_today()
    return (
        select(ResultFiling)
        .where(
            ResultFiling.status.in_(("draft", "returned")),
            ResultFiling.acceptance_date.is_not(None),
            ResultFiling.acceptance_date < today - timedelta(days=days),
        )
        .order_by(ResultFiling.acceptance_date, ResultFiling.id)
    )


def remind_overdue_job(session: Session) -> str:
    """The worker's daily run of `remind_overdue` with the configured deadline."""
    from flask import current_app

    return f"已发送 {remind_overdue(session, current_app.config['FILING_DEADLINE_DAYS'])} 条逾期提醒"


def remind_overdue(session: Session, days: int, today: date | None = None) -> int:
    """Inbox + email reminders for overdue filings; at most one per filing a day (idempotent)."""
    today = today or local_today()
    sent = 0
    for filing in session.scalars(overdue_query(days, today)).all():
        if filing.last_reminded_on == today:
            continue
        late = (today - deadline_of(filing, days)).days
        for user in recipients(session, filing):
            notify(
                session,
                user,
                "filing_overdue",
                f"成果登记已逾期：{filing.title or filing.project_no or '未命名'}",
                f"项目验收于 {filing.acceptance_date}，应在 {days} 天内完成成果登记，已逾期 {late} 天，请尽快提交。",
                f"/filings/{filing.id}",
            )
        filing.last_reminded_on = today
        audit(session, "filing_remind", None, target=f"filing:{filing.id}", detail=f"逾期 {late} 天")
        sent += 1
    session.flush()
    return sent


def period_query(start: date | None, end: date | None) -> Select:
    """Accepted filings registered in [start, end] (dates in Asia/Shanghai, inclusive)."""
    stmt = select(ResultFiling).where(ResultFiling.status == "accepted")
    if start:
        stmt = stmt.where(ResultFiling.accepted_at >= _utc_midnight(start))
    if end:
        stmt = stmt.where(ResultFiling.accepted_at < _utc_midnight(end + timedelta(days=1)))
    return stmt.order_by(ResultFiling.registration_no)


def _utc_midnight(day: date) -> datetime:
    """Local (Asia/Shanghai) midnight of `day` as naive UTC, the way times are stored."""
    return datetime.combine(day, time.min, LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def to_dict(filing: ResultFiling) -> dict:
    """The exchange record (docs/filings.md)."""
    return {
        "id": filing.id,
        "registration_no": filing.registration_no,
        "status": filing.status,
        "title": filing.title,
        "summary": filing.summary,
        "keywords": list(filing.keywords or []),
        "programme": filing.programme,
        "project_no": filing.project_no,
        "project_name": filing.project_name,
        "organization": filing.organization.name,
        "organization_credit_code": filing.organization.credit_code,
        "completers": list(filing.completers or []),
        "category": filing.category,
        "field": filing.field.name if filing.field else None,
        "trl": filing.trl,
        "patents": [dict(p) for p in filing.patents or []],
        "transfer_intention": filing.transfer_intention,
        "acceptance_date": filing.acceptance_date.isoformat() if filing.acceptance_date else None,
        "result": filing.result.external_id if filing.result else None,
        "return_reason": filing.return_reason,
        "submitted_at": _iso(filing.submitted_at),
        "accepted_at": _iso(filing.accepted_at),
        "missing": missing_fields(filing),
    }


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None
