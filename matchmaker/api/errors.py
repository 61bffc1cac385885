"""API errors: JSON bodies in plain Chinese that name the field at fault."""

from __future__ import annotations

from flask import request

from matchmaker.errors import DomainError


def forbidden(message: str = "无权执行此操作") -> DomainError:
    """A 403 to raise; audited by the DomainError handler like every refusal."""
    return DomainError(message, status=403)


def api_user(*roles: str, message: str = "无权执行此操作"):
    """The account behind an API call (session cookie or bearer token): 401 without one, and
    403 (audited by the DomainError handler) when `roles` are given and its role is not one."""
    from flask_login import current_user

    if not current_user.is_authenticated:
        raise DomainError("请先登录", status=401)
    if roles and current_user.role not in roles:
        raise forbidden(message)
    return current_user


def int_arg(args, name: str, default: int, lo: int = 1, hi: int = 1000) -> int:
    """Read a bounded integer query argument or raise DomainError naming it."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(f"参数 {name} 须为整数", name) from None
    if not lo <= value <= hi:
        raise DomainError(f"参数 {name} 须在 {lo} 到 {hi} 之间", name)
    return value


def json_body() -> dict:
    """The request's JSON object, or a DomainError naming the body."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("请求体须为 JSON 对象", "body")
    return data


def write(fn):
    """Run a service call for a write and commit: the request owns the commit. A DomainError
    propagates to the one handler (rollback, JSON body); one naming no field names the body."""
    from matchmaker.extensions import db

    try:
        out = fn()
    except DomainError as exc:
        exc.field = exc.field or "body"
        raise
    db.session.commit()
    return out
