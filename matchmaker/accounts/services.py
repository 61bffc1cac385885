"""Account services: registration, login with lockout, password policy and the audit log."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import ApiToken, AuditLog, Organization, OrganizationClaim, User
from matchmaker.constants import ORG_TYPES, REGIONS, ROLES
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow

PASSWORD_RULE = "密码至少 10 位，且须同时包含字母和数字"

# Which organisation types each self-registered role may belong to.
ROLE_ORG_TYPES = {"enterprise": ["企业"], "researcher": ["高校", "科研院所"]}


CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
DOCUMENT_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def credit_code_check_digit(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 (GB 32100-2015)."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def clean_credit_code(value, *, required: bool) -> str | None:
    code = (value or "").strip().upper()
    if not code:
        if required:
            raise DomainError("认领已有机构须填写统一社会信用代码", "credit_code")
        return None
    if len(code) != 18 or any(ch not in CREDIT_CODE_CHARS for ch in code):
        raise DomainError("统一社会信用代码须为 18 位数字或大写字母", "credit_code")
    if credit_code_check_digit(code[:17]) != code[17]:
        raise DomainError("统一社会信用代码校验位不正确，请核对", "credit_code")
    return code


def store_document(directory: Path, filename: str | None, content: bytes | None, *, required: bool):
    """Keep an uploaded licence or letter (营业执照或授权函) under `directory`; returns
    (original name, stored path) or (None, None)."""
    if not content:
        if required:
            raise DomainError("请上传营业执照或单位授权函（PDF 或图片）", "document")
        return None, None
    suffix = Path(filename or "").suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise DomainError("证明材料须为 PDF、JPG 或 PNG 文件", "document")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DomainError("证明材料不能超过 5 MB", "document")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(content)
    return Path(filename).name[:200], str(path)


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
    credit_code: str | None = None,
    document_name: str | None = None,
    document: bytes | None = None,
    document_dir: Path | None = None,
) -> User:
    """注册. A new organisation is created unverified (未认证) with a claim to verify it; a name
    that already exists becomes a claim on that organisation, and until an admin (or a member
    of that organisation) approves it, the account sits in its own placeholder organisation."""
    email = email.strip().lower()
    if role not in ROLES:
        raise DomainError("角色无效", "role")
    if org_type not in ORG_TYPES:
        raise DomainError("机构类型无效", "org_type")
    if region and region not in REGIONS:
        raise DomainError("地区须为河南省地市或济源示范区、航空港区", "region")
    problem = password_problem(password)
    if problem:
        raise DomainError(problem, "password")
    if session.scalar(select(User).where(func.lower(User.email) == email)):
        raise DomainError("该邮箱已注册", "email")
    org_name = org_name.strip()
    claimed = session.scalar(select(Organization).where(Organization.name == org_name))
    code = clean_credit_code(credit_code, required=claimed is not None)
    if claimed is not None and claimed.credit_code and code != claimed.credit_code:
        raise DomainError("统一社会信用代码与该机构登记的不一致", "credit_code")
    doc_name, doc_path = store_document(
        document_dir or Path("instance/claims"), document_name, document, required=claimed is not None
    )
    if claimed is None:
        org = Organization(name=org_name, type=org_type, region=region, credit_code=code, verified=False)
    else:
        # Placeholder: owns nothing of the claimed organisation (权属待认领审核).
        org = Organization(
            name=f"{org_name[:150]}（认领审核中 {uuid.uuid4().hex[:8]}）",
            type=claimed.type,
            region=claimed.region,
            verified=False,
        )
    session.add(org)
    user = User(email=email, name=name.strip(), role=role, organization=org, phone=phone)
    user.set_password(password)
    session.add(user)
    session.flush()
    claim = OrganizationClaim(
        organization=claimed or org,
        user=user,
        kind="new" if claimed is None else "join",
        credit_code=code,
        document_name=doc_name,
        document_path=doc_path,
    )
    session.add(claim)
    session.flush()
    audit(session, "register", user, target=f"organization:{org.id}")
    audit(session, "claim_submitted", user, target=f"claim:{claim.id}", detail=(claimed or org).name)
    return user


def can_decide_claim(user, claim: OrganizationClaim) -> bool:
    """Admins decide every claim; an existing verified member of the claimed organisation
    (its administrator on the platform) decides claims to join it."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin":
        return True
    return (
        claim.kind == "join"
        and user.organization_id == claim.organization_id
        and claim.organization.verified
        and user.id != claim.user_id
    )


def decide_claim(
    session: Session, claim: OrganizationClaim, user: User, approve: bool, reason: str | None = None
):
    """Approve or reject a claim (认领审核). Approving a join moves the account into the
    organisation; approving a new organisation verifies it. Audited either way."""
    if not can_decide_claim(user, claim):
        raise DomainError("无权审核该认领申请", "claim", status=403)
    if claim.status != "pending":
        raise DomainError("该申请已审核", "claim", status=409)
    reason = (reason or "").strip() or None
    if not approve and not reason:
        raise DomainError("驳回须填写原因", "reason")
    claim.status = "approved" if approve else "rejected"
    claim.reason, claim.decided_by_id, claim.decided_at = reason, user.id, utcnow()
    if approve and claim.kind == "new":
        claim.organization.verified = True
    elif approve:
        applicant = claim.user
        placeholder = applicant.organization
        applicant.organization = claim.organization
        session.flush()
        session.expire(placeholder)  # its `users` list still holds the applicant in memory
        _drop_if_empty(session, placeholder)
    session.flush()
    audit(
        session,
        "claim_approved" if approve else "claim_rejected",
        user,
        target=f"claim:{claim.id}",
        detail=f"{claim.organization.name} ← {claim.user.email}" + (f"：{reason}" if reason else ""),
    )
    from matchmaker.notifications.services import notify

    notify(
        session,
        claim.user,
        "claim_decided",
        f"机构认领{'已通过' if approve else '未通过'}：{claim.organization.name}",
        reason or "您现在可以代表该机构发布和管理信息。",
        "/claims",
    )
    return claim


def _drop_if_empty(session: Session, org: Organization) -> None:
    """Remove a placeholder organisation nothing refers to any more."""
    from sqlalchemy.exc import IntegrityError

    try:
        with session.begin_nested():
            session.delete(org)
            session.flush()
    except IntegrityError:
        pass  # something was posted under it meanwhile: keep it (unverified, hidden)


@dataclass
class LoginOutcome:
    user: User | None
    error: str | None = None


IP_FAILURE_LIMIT = 30  # failures from one address, over every account, within the window
_DUMMY_HASH: list[str] = []


def _equal_time_check(password: str) -> None:
    """Spend the same time as a real password check, so unknown accounts cannot be told apart."""
    from werkzeug.security import check_password_hash, generate_password_hash

    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(uuid.uuid4().hex))
    check_password_hash(_DUMMY_HASH[0], password or "")


def _last_unlock(session: Session, email: str):
    """When an admin last unlocked that account (解锁): failures before it no longer count."""
    return session.scalar(
        select(func.max(AuditLog.at)).where(AuditLog.action == "admin_unlock_user", AuditLog.detail == email)
    )


def _recent_failures(session: Session, since, *, ip: str | None, email: str | None = None) -> int:
    stmt = select(func.count()).where(
        AuditLog.action.in_(("login_failed", "account_locked")), AuditLog.at >= since, AuditLog.ip == ip
    )
    if email is not None:
        stmt = stmt.where(AuditLog.target == email)
        unlocked = _last_unlock(session, email)
        if unlocked is not None:
            stmt = stmt.where(AuditLog.at > unlocked)
    return session.scalar(stmt) or 0


def locked_emails(session: Session, emails: list[str], *, max_failed: int, lockout: timedelta) -> set[str]:
    """Which of these accounts are locked now from at least one address (for the admin's list)."""
    keys = [e.lower() for e in emails]
    if not keys:
        return set()
    since = utcnow() - lockout
    rows = session.execute(
        select(AuditLog.target, AuditLog.ip, func.max(AuditLog.at), func.count())
        .where(
            AuditLog.action.in_(("login_failed", "account_locked")),
            AuditLog.at >= since,
            AuditLog.target.in_(keys),
        )
        .group_by(AuditLog.target, AuditLog.ip)
    ).all()
    candidates = {target for target, _, _, count in rows if count >= max_failed}
    # failures before an unlock do not count: recount those accounts exactly
    return {
        target
        for target in candidates
        if any(
            _recent_failures(session, since, ip=ip, email=target) >= max_failed
            for t, ip, _, _ in rows
            if t == target
        )
    }


def authenticate(
    session: Session, email: str, password: str, *, max_failed: int, lockout: timedelta, ip: str | None = None
) -> LoginOutcome:
    """Check a password with throttling kept in the database (so it holds across workers).

    Throttled per account and address (max_failed failures) and per address (IP_FAILURE_LIMIT),
    never per account alone: a stranger elsewhere cannot lock someone out. Known and unknown
    accounts get the same answers, the same throttle and the same hashing time."""
    key = (email or "").strip().lower()[:200]
    now = utcnow()
    since = now - lockout
    minutes = max(1, int(lockout.total_seconds() // 60))
    throttled = f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试"
    if (
        _recent_failures(session, since, ip=ip, email=key) >= max_failed
        or _recent_failures(session, since, ip=ip) >= IP_FAILURE_LIMIT
    ):
        _equal_time_check(password)
        audit(session, "login_locked", None, target=key, ip=ip)
        return LoginOutcome(None, throttled)
    user = session.scalar(select(User).where(func.lower(User.email) == key))
    if user is None or not user.check_password(password):
        if user is None:
            _equal_time_check(password)
        failures = _recent_failures(session, since, ip=ip, email=key) + 1
        audit(
            session, "account_locked" if failures >= max_failed else "login_failed", user, target=key, ip=ip
        )
        if failures >= max_failed:
            return LoginOutcome(None, throttled)
        return LoginOutcome(None, "邮箱或密码错误")
    if not user.active:
        audit(session, "login_disabled", user, ip=ip)
        return LoginOutcome(None, "账号已停用，请联系管理员")
    user.last_login_at = now
    audit(session, "login", user, ip=ip)
    return LoginOutcome(user)


# ---------------------------------------------------------------- personal access tokens


def token_digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, scopes: str, days: int) -> tuple[ApiToken, str]:
    """个人访问令牌: returns the row and the token, which is shown once and stored only hashed."""
    import secrets

    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise DomainError("令牌名称须为 1–100 字", "name")
    if scopes not in ApiToken.SCOPES:
        raise DomainError("权限须为只读或读写", "scopes")
    if not 1 <= int(days) <= 365:
        raise DomainError("有效期须在 1 到 365 天之间", "days")
    token = "mm_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(token),
        scopes=scopes,
        expires_at=utcnow() + timedelta(days=int(days)),
    )
    session.add(row)
    session.flush()
    audit(session, "token_created", user, target=f"token:{row.id}", detail=f"{name} {scopes}")
    return row, token


def revoke_token(session: Session, row: ApiToken, user: User) -> None:
    if row.user_id != user.id:
        raise DomainError("无权撤销该令牌", "token", status=403)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit(session, "token_revoked", user, target=f"token:{row.id}")


def token_user(session: Session, token: str) -> tuple[User | None, ApiToken | None]:
    """The active account behind a bearer token, or (None, None) if it is unknown, revoked or expired."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.active:
        return None, None
    row.last_used_at = utcnow()
    return row.user, row
