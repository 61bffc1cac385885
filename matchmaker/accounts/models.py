"""Organisations, users and the audit log (机构、用户、审计日志)."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.extensions import db, utcnow


class Organization(db.Model):
    """机构: 高校, 科研院所, 企业, 技术转移机构 or 政府部门."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(20))
    # 统一社会信用代码; organisations registered on the site stay unverified (未认证) until an
    # admin approves their claim, and their postings stay hidden from others meanwhile.
    credit_code: Mapped[str | None] = mapped_column(String(18))
    verified: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class User(UserMixin, db.Model):
    """用户: one of the roles researcher, enterprise, broker or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(256))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Brokers own fields and regions (set by the admin); empty means all.
    broker_fields: Mapped[list] = mapped_column(JSON, default=list)
    broker_regions: Mapped[list] = mapped_column(JSON, default=list)
    # Notification preference: "instant" or "weekly".
    digest: Mapped[str] = mapped_column(String(10), default="instant")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Bumped at logout and password change: sessions carrying an older value are revoked.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organization: Mapped[Organization] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_staff(self) -> bool:
        """Brokers and admins see everything."""
        return self.role in ("broker", "admin")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class AuditLog(db.Model):
    """审计日志: logins, permission denials, contact releases and admin actions."""

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


class OrganizationClaim(db.Model):
    """机构认领: a request to act for an organisation (join an existing one, or verify a new one).

    Until approved, a claimant of an existing organisation sits in its own placeholder
    organisation and owns nothing of the one it claims."""

    __tablename__ = "organization_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "join" or "new"
    credit_code: Mapped[str | None] = mapped_column(String(18))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_path: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    STATUSES = {"pending": "待审核", "approved": "已通过", "rejected": "已驳回"}
    KINDS = {"join": "认领已有机构", "new": "新机构认证"}


class ApiToken(db.Model):
    """个人访问令牌: for programs calling the API with `Authorization: Bearer`. Only a SHA-256
    digest is stored; the token itself is shown once, when created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(20), default="read")  # "read" or "read write"
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    SCOPES = {"read": "只读", "read write": "读写"}

    def allows(self, scope: str) -> bool:
        return scope in self.scopes.split()
