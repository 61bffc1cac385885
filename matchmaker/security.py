"""Security basics for a provincial platform (等保 2.0): headers, idle timeout."""

from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

from flask import Flask, flash, g, request, session
from flask_login import current_user, logout_user
from werkzeug.routing import IntegerConverter

# Ids and page numbers fit a 32-bit INTEGER column on every database (PostgreSQL's limit).
MAX_DB_INT = 2**31 - 1
# Query arguments read as integers by some view; out-of-range values are refused up front.
INT_ARGS = {"page", "per_page", "top", "limit", "offset", "suggest", "version"}
# Control characters that no text field may hold (tab, newline and CR are text).
CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {chr(127)}


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: 0..2^31-1, so an oversized id is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(map, *args, **kwargs)


def is_db_id(value) -> bool:
    """An int or digit string that can be an id in the database."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            return False
        value = int(value)
    return isinstance(value, int) and 0 < value <= MAX_DB_INT


def _int_arg_name(name: str) -> bool:
    return name in INT_ARGS or name == "id" or name.endswith("_id")


def _control_field(data, path: str = "") -> str | None:
    """The first field (dotted path) whose text holds a control character, else None."""
    if isinstance(data, str):
        return path or "body" if any(ch in CONTROL for ch in data) else None
    if isinstance(data, dict):
        for key, value in data.items():
            found = _control_field(str(key), path or "body") or _control_field(
                value, f"{path}.{key}" if path else str(key)
            )
            if found:
                return found
    if isinstance(data, list):
        for i, value in enumerate(data):
            found = _control_field(value, f"{path}[{i}]" if path else f"[{i}]")
            if found:
                return found
    return None


def check_input() -> None:
    """Refuse, before any view runs, input no database column should see: integers beyond
    32 bits in id/page arguments, and NUL or other control characters in any text (PostgreSQL
    rejects NUL with a 500, SQLite would store it)."""
    from matchmaker.errors import error_response

    for name, value in request.args.items(multi=True):
        value = value.strip()
        if (
            _int_arg_name(name)
            and value.lstrip("-").isdigit()
            and not -MAX_DB_INT <= int(value) <= MAX_DB_INT
        ):
            return error_response(400, f"参数 {name} 超出范围", field=name)
    sources = [("", request.args.to_dict(flat=False)), ("", request.form.to_dict(flat=False))]
    if request.is_json:
        sources.append(("", request.get_json(silent=True)))
    for _, data in sources:
        field = _control_field(data)
        if field:
            name = field.split("[")[0].split(".")[0] or "body"
            return error_response(400, f"{name} 含有不允许的控制字符", field=name)
    return None


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def safe_next(target: str | None, default: str) -> str:
    """A same-site relative path to go back to, else `default` (开放重定向防护).

    Parsed, not string-matched: no scheme, no host, no backslash, no control or
    whitespace characters (browsers drop tab/newline, so "/\t/evil" becomes "//evil")."""
    if not target or len(target) > 2000:
        return default
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in target) or " " in target:
        return default
    if "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    return target


def register_converters(app: Flask) -> None:
    """Before the blueprints: their `<int:…>` rules use the bounded converter."""
    app.url_map.converters["int"] = BoundedIntConverter


def load_user(user_id: str):
    """Flask-Login's loader: the account of this session, unless the session was revoked
    (its version is older than the account's) or the id is not a valid one."""
    from matchmaker.accounts.models import User
    from matchmaker.extensions import db

    if not is_db_id(user_id):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or session.get("sv", 0) != (user.session_version or 0):
        return None
    return user


def load_user_from_request(_request):
    """Flask-Login's request loader: the account of a valid bearer token (checked, with its
    scope, by check_api_write before any API view runs)."""
    if not _request.path.startswith("/api/") or not _request.headers.get("Authorization", "").startswith(
        "Bearer "
    ):
        return None
    return g.get("api_user")


def start_session(user) -> None:
    """Sign in, remembering the account's session version (会话版本) in the signed cookie."""
    from flask_login import login_user

    login_user(user)
    session["sv"] = user.session_version or 0


def revoke_sessions(user) -> None:
    """Invalidate every session of this account, on every device (logout, password change)."""
    user.session_version = (user.session_version or 0) + 1


def same_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == request.host_url.rstrip("/")


def check_api_write():
    """API CSRF (跨站请求防护): a write must not come from another site. Refused: a foreign
    Origin, and bodies a cross-site form could send (form-encoded, multipart, text/plain).
    Programs with a bearer token are not browsers and pass."""
    from matchmaker.errors import audit_refusal, error_response

    g.pop("api_user", None)
    if not request.path.startswith("/api/"):
        return None
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        from matchmaker.accounts.services import token_user
        from matchmaker.extensions import db

        g.api_user, token = token_user(db.session, auth.removeprefix("Bearer ").strip()[:200])
        if token is None:
            return error_response(401, "访问令牌无效、已过期或已撤销", field="Authorization")
        if request.method not in ("GET", "HEAD", "OPTIONS") and not token.allows("write"):
            audit_refusal("只读令牌不能写入")
            return error_response(403, "该令牌只有只读权限", field="Authorization")
        return None
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if origin and not same_origin(origin):
        audit_refusal(f"跨站请求 Origin: {origin[:100]}")
        return error_response(403, "跨站请求被拒绝", field="Origin")
    if request.content_length and not request.is_json:
        return error_response(400, "请求体须为 JSON 对象（Content-Type: application/json）", field="body")
    return None


def init_app(app: Flask) -> None:
    app.before_request(check_api_write)
    app.before_request(check_input)

    @app.before_request
    def enforce_idle_timeout():
        if request.endpoint == "static":
            return
        now = int(time.time())
        session.permanent = True
        last = session.get("last_seen")
        limit = app.config["IDLE_TIMEOUT"].total_seconds()
        if current_user.is_authenticated and last and now - last > limit:
            logout_user()
            session.clear()
            flash("长时间未操作，已自动退出，请重新登录", "warning")
        session["last_seen"] = now

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:  # HSTS only means something over HTTPS
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
