"""Account services: registration, login with lockout, password policy and the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import AuditLog, Organization, User
from matchmaker.constants import ORG_TYPES, REGIONS, ROLES
from matchmaker.extensions import utcnow

PASSWORD_RULE = "密码至少 10 位，且须同时包含字母和数字"

# Which organisation types each self-registered role may belong to.
ROLE_ORG_TYPES = {"enterprise": ["企业"], "researcher": ["高校", "科研院所"]}


class AccountError(ValueError):
    """A problem the user can fix; the message is plain Chinese."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def password_problem(password: str) -> str | None:
    """Return why a password breaks the policy, or None when it is acceptable."""
    if len(password or "") < 10 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return PASSWORD_RULE
    return None


def audit(
    session: Session,
    action: str,
    user: User | None = None,
    target: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
) -> AuditLog:
    entry = AuditLog(action=action, user_id=user.id if user else None, target=target, detail=detail, ip=ip)
    session.add(entry)
    session.flush()
    return entry


def register(
    session: Session,
    *,
    org_name: str,
    org_type: str,
    region: str | None,
    name: str,
    email: str,
    password: str,
    role: str,
    phone: str | None = None,
) -> User:
    """注册: create an organisation (or join one of the same name and type) and its first user."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError("角色无效", "role")
    if org_type not in ORG_TYPES:
        raise AccountError("机构类型无效", "org_type")
    if region and region not in REGIONS:
        raise AccountError("地区须为河南省地市或济源示范区、航空港区", "region")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise AccountError("该邮箱已注册", "email")
    org = session.scalar(select(Organization).where(Organization.name == org_name.strip()))
    if org is None:
        org = Organization(name=org_name.strip(), type=org_type, region=region)
        session.add(org)
    elif org.users:
        raise AccountError("该机构已有账号，请联系机构管理员或平台管理员加入", "org_name")
    user = User(email=email, name=name.strip(), role=role, organization=org, phone=phone)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit(session, "register", user, target=f"organization:{org.id}")
    return user


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None


def authenticate(
    session: Session, email: str, password: str, *, max_failed: int, lockout: timedelta, ip: str | None = None
) -> LoginOutcome:
    """Check a password, counting failures and locking the account after too many."""
    user = session.scalar(select(User).where(func.lower(User.email) == (email or "").strip().lower()))
    now = utcnow()
    if user is None:
        audit(session, "login_failed", None, target=email, ip=ip)
        return LoginOutcome(None, "邮箱或密码错误")
    if user.locked_until and user.locked_until > now:
        audit(session, "login_locked", user, ip=ip)
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return LoginOutcome(None, f"账号因多次登录失败已锁定，请 {minutes} 分钟后再试")
    if not user.active:
        audit(session, "login_disabled", user, ip=ip)
        return LoginOutcome(None, "账号已停用，请联系管理员")
    if not user.check_password(password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failed:
            user.locked_until = now + lockout
            user.failed_logins = 0
            audit(session, "account_locked", user, ip=ip)
            minutes = max(1, int(lockout.total_seconds() // 60))
            return LoginOutcome(None, f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试")
        audit(session, "login_failed", user, ip=ip)
        return LoginOutcome(None, "邮箱或密码错误")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit(session, "login", user, ip=ip)
    return LoginOutcome(user)
