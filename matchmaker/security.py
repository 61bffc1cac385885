"""Security basics for a provincial platform (等保 2.0): headers, idle timeout."""

from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

from flask import Flask, flash, request, session
from flask_login import current_user, logout_user

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


def init_app(app: Flask) -> None:
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
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
