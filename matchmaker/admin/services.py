"""Admin services (平台管理): staff accounts, broker scope, the field taxonomy, key figures.

Every change writes an audit entry. Plain Python; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import AuditLog, Organization, User
from matchmaker.accounts.services import audit, password_problem
from matchmaker.constants import ORG_TYPES, REGIONS, ROLES
from matchmaker.errors import DomainError
from matchmaker.postings.models import Expert, Field, Need, Result

STAFF_ROLES = ("broker", "admin")


# ---------------------------------------------------------------- users


def create_user(
    session: Session,
    actor: User | None,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    org_name: str,
    org_type: str | None = None,
    region: str | None = None,
    phone: str | None = None,
) -> User:
    """Create an account (brokers and admins are made here; others register themselves)."""
    email = (email or "").strip().lower()
    if role not in ROLES:
        raise DomainError("角色无效", "role")
    if "@" not in email:
        raise DomainError("邮箱格式不正确", "email")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise DomainError("该邮箱已注册", "email")
    problem = password_problem(password)
    if problem:
        raise DomainError(problem, "password")
    if region and region not in REGIONS:
        raise DomainError("地区须为河南省地市或济源示范区、航空港区", "region")
    org_name = (org_name or "").strip()
    if not org_name:
        raise DomainError("请填写所属机构", "org_name")
    org = session.scalar(select(Organization).where(Organization.name == org_name))
    if org is None:
        org_type = org_type or {"broker": "技术转移机构", "admin": "政府部门"}.get(role, "企业")
        if org_type not in ORG_TYPES:
            raise DomainError("机构类型无效", "org_type")
        org = Organization(name=org_name, type=org_type, region=region)
        session.add(org)
    user = User(email=email, name=(name or "").strip() or email, role=role, organization=org, phone=phone)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit(session, "admin_create_user", actor, target=f"user:{user.id}", detail=f"{email} {role}")
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise DomainError("不能停用自己的账号", "active")
    user.active = active
    audit(
        session,
        "admin_enable_user" if active else "admin_disable_user",
        actor,
        target=f"user:{user.id}",
        detail=user.email,
    )


def unlock(session: Session, actor: User, user: User) -> None:
    """解锁: the audit entry itself is the unlock; earlier failed logins stop counting."""
    audit(session, "admin_unlock_user", actor, target=f"user:{user.id}", detail=user.email.lower())


def set_broker_scope(
    session: Session, actor: User, user: User, fields: list[str], regions: list[str]
) -> User:
    """A broker's owned fields and regions (负责领域与地区); empty means all."""
    if user.role != "broker":
        raise DomainError("只有技术经纪人可以设置负责领域和地区", "role")
    known = set(session.scalars(select(Field.name)))
    bad = [f for f in fields if f not in known]
    if bad:
        raise DomainError(f"领域“{bad[0]}”不存在", "broker_fields")
    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise DomainError(f"地区“{bad[0]}”无效", "broker_regions")
    user.broker_fields, user.broker_regions = list(fields), list(regions)
    audit(
        session,
        "admin_broker_scope",
        actor,
        target=f"user:{user.id}",
        detail=f"领域：{'、'.join(fields) or '全部'}；地区：{'、'.join(regions) or '全部'}",
    )
    return user


# ---------------------------------------------------------------- taxonomy


def _field_name(session: Session, name: str, current: Field | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("领域名称不能为空", "name")
    if len(name) > 50:
        raise DomainError("领域名称不能超过 50 字", "name")
    other = session.scalar(select(Field).where(Field.name == name))
    if other is not None and other is not current:
        raise DomainError(f"领域“{name}”已存在", "name")
    return name


def _related(session: Session, names: list[str], own: str) -> list[str]:
    known = set(session.scalars(select(Field.name)))
    out = []
    for n in names:
        if n == own:
            continue
        if n not in known:
            raise DomainError(f"相关领域“{n}”不存在", "related")
        if n not in out:
            out.append(n)
    return out


def add_field(
    session: Session, actor: User, name: str, description: str | None = None, related: list[str] | None = None
) -> Field:
    name = _field_name(session, name)
    order = (session.scalar(select(func.max(Field.sort_order))) or 0) + 1
    obj = Field(
        name=name,
        description=(description or "").strip() or None,
        related=_related(session, related or [], name),
        sort_order=order,
        active=True,
    )
    session.add(obj)
    session.flush()
    audit(session, "admin_add_field", actor, target=f"field:{obj.id}", detail=name)
    return obj


def update_field(
    session: Session,
    actor: User,
    obj: Field,
    *,
    name: str,
    description: str | None,
    related: list[str],
    active: bool,
) -> Field:
    """Rename (other fields' `related` lists follow), edit, deactivate or reactivate a field."""
    new_name = _field_name(session, name, obj)
    old_name = obj.name
    changes = []
    if new_name != old_name:
        for other in session.scalars(select(Field).where(Field.id != obj.id)):
            if old_name in (other.related or []):
                other.related = [new_name if n == old_name else n for n in other.related]
        changes.append(f"改名 {old_name} → {new_name}")
    obj.name = new_name
    obj.description = (description or "").strip() or None
    new_related = _related(session, related, new_name)
    if new_related != list(obj.related or []):
        changes.append(f"相关领域：{'、'.join(new_related) or '无'}")
    obj.related = new_related
    if active != obj.active:
        changes.append("启用" if active else "停用")
    obj.active = active
    session.flush()
    audit(
        session,
        "admin_update_field",
        actor,
        target=f"field:{obj.id}",
        detail="；".join(changes) or "修改说明",
    )
    return obj


# ---------------------------------------------------------------- key figures and audit log


def key_figures(session: Session) -> dict:
    """Counts per field and per city for the dashboard charts (数据看板)."""
    fields = session.scalars(select(Field).order_by(Field.sort_order, Field.id)).all()

    def by(model, column, status):
        return dict(
            session.execute(select(column, func.count()).where(model.status == status).group_by(column)).all()
        )

    res_f, need_f = by(Result, Result.field_id, "published"), by(Need, Need.field_id, "open")
    res_r, need_r = by(Result, Result.region, "published"), by(Need, Need.region, "open")
    role_counts = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return {
        "totals": {
            "results": sum(res_f.values()),
            "needs": sum(need_f.values()),
            "experts": session.scalar(select(func.count(Expert.id))) or 0,
            "users": sum(role_counts.values()),
            "organizations": session.scalar(select(func.count(Organization.id))) or 0,
        },
        "roles": {ROLES[r]: n for r, n in role_counts.items() if r in ROLES},
        "by_field": {
            "labels": [f.name for f in fields],
            "results": [res_f.get(f.id, 0) for f in fields],
            "needs": [need_f.get(f.id, 0) for f in fields],
        },
        "by_region": {
            "labels": REGIONS,
            "results": [res_r.get(r, 0) for r in REGIONS],
            "needs": [need_r.get(r, 0) for r in REGIONS],
        },
    }


def audit_query(
    *,
    action: str | None = None,
    user_email: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    stmt = select(AuditLog).outerjoin(User, AuditLog.user_id == User.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if user_email:
        stmt = stmt.where(func.lower(User.email).contains(user_email.strip().lower(), autoescape=True))
    if target:
        stmt = stmt.where(AuditLog.target.contains(target.strip(), autoescape=True))
    if since:
        stmt = stmt.where(AuditLog.at >= since)
    if until:
        stmt = stmt.where(AuditLog.at < until + timedelta(days=1))
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


AUDIT_ACTION_LABELS = {
    "login": "登录",
    "logout": "退出",
    "register": "注册",
    "login_failed": "登录失败",
    "login_locked": "锁定期内登录",
    "login_disabled": "停用账号登录",
    "account_locked": "账号锁定",
    "permission_denied": "越权访问",
    "admin_create_user": "创建账号",
    "admin_enable_user": "启用账号",
    "admin_disable_user": "停用账号",
    "admin_unlock_user": "解锁账号",
    "admin_broker_scope": "设置经纪人负责范围",
    "admin_add_field": "新增领域",
    "admin_update_field": "修改领域",
    "contact_release": "释放联系方式",
    "dashboard_export": "导出数据看板",
    "challenge_create": "发布榜单",
    "challenge_transition": "榜单流转",
    "reviewers_assign": "指派评审",
    "answer_submit": "提交揭榜方案",
    "answer_withdraw": "撤回揭榜方案",
    "review_submit": "提交评审",
    "milestone_accept": "验收里程碑",
    "question_create": "企业出题",
    "topic_create": "新建立题",
    "topic_update": "修改立题",
    "posting_create": "代为发布",
    "posting_edit": "修改发布内容",
    "posting_archive": "归档/关闭发布",
    "posting_delete": "删除发布",
    "roadshow.create": "创建路演届次",
    "roadshow.solve": "生成路演日程",
    "roadshow.publish": "发布路演日程",
}

# Object kinds in audit targets ("need:12") and how to name one.
AUDIT_TARGET_KINDS = {
    "need": ("技术需求", Need, "title"),
    "result": ("科技成果", Result, "title"),
    "expert": ("专家", Expert, "name"),
    "user": ("账号", User, "name"),
    "organization": ("机构", Organization, "name"),
    "field": ("领域", Field, "name"),
}
AUDIT_TARGET_LABELS = {
    "match": "撮合",
    "challenge": "榜单",
    "answer": "揭榜方案",
    "review": "评审",
    "milestone": "里程碑",
    "topic": "立题",
    "roadshow": "路演届次",
}


def audit_action_label(action: str) -> str:
    """审计操作的中文名；未登记的操作显示原代码。"""
    return AUDIT_ACTION_LABELS.get(action, action)


def audit_target_label(session: Session, target: str | None) -> str:
    """“技术需求「标题」(#12)” for "need:12"; a request line for a denied access; else as stored."""
    if not target:
        return ""
    kind, _, ref = target.partition(":")
    if kind in AUDIT_TARGET_KINDS and ref.isdigit():
        label, model, attr = AUDIT_TARGET_KINDS[kind]
        obj = session.get(model, int(ref))
        name = getattr(obj, attr) if obj is not None else "已删除"
        return f"{label}「{name}」(#{ref})"
    if kind in AUDIT_TARGET_LABELS and ref.isdigit():
        return f"{AUDIT_TARGET_LABELS[kind]} #{ref}"
    method, _, path = target.partition(" ")
    if method in ("GET", "POST", "PUT", "PATCH", "DELETE") and path:
        return f"访问 {path}（{method}）"
    return target


def audit_detail_label(detail: str | None) -> str:
    """Plain-Chinese details: "version 3" reads 第 3 版."""
    if not detail:
        return ""
    words = detail.split()
    if len(words) == 2 and words[0] == "version" and words[1].isdigit():
        return f"第 {words[1]} 版"
    return detail


def audit_who(user: User | None) -> str:
    """Who acted: name, role and email; “系统” for scheduled jobs and anonymous attempts."""
    if user is None:
        return "系统 / 未登录"
    return f"{user.name}（{ROLES.get(user.role, user.role)}，{user.email}）"


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
