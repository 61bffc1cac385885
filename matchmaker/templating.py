"""Template globals and filters."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user

from matchmaker.constants import NEED_STATUSES, RESULT_STATUSES, ROLES


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject():
        unread = 0
        if current_user.is_authenticated:
            from matchmaker.extensions import db
            from matchmaker.notifications.services import unread_count

            unread = unread_count(db.session, current_user)
        return {
            "ROLES": ROLES,
            "RESULT_STATUSES": RESULT_STATUSES,
            "NEED_STATUSES": NEED_STATUSES,
            "unread_count": unread,
        }

    @app.template_global()
    def url_with(**changes):
        """The current URL with some query arguments replaced (for filters and paging)."""
        args = request.args.to_dict()
        args.update({k: v for k, v in changes.items()})
        args = {k: v for k, v in args.items() if v not in (None, "")}
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    @app.template_filter("wan")
    def wan(value):
        if value is None:
            return "面议"
        return f"{value:g} 万元"

    @app.template_filter("dt")
    def dt(value, fmt="%Y-%m-%d %H:%M"):
        """Stored UTC shown as 北京时间 (the one place pages format times)."""
        from matchmaker.localtime import local_str

        return local_str(value, fmt)
