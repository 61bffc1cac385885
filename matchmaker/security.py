"""Security basics for a provincial platform (等保 2.0): headers, idle timeout."""

from __future__ import annotations

import time

from flask import Flask, flash, request, session
from flask_login import current_user, logout_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


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
