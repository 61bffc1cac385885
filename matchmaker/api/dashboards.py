"""JSON API for the dashboards (数据看板): /api/v1/dashboards (all figures) and
/api/v1/dashboards/<chart> (one figure's records). Same filters as the pages: from, to, field, city, days.
Admins and brokers only; others get 403 (anonymous 401)."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_login import current_user

from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden
from matchmaker.dashboards import services
from matchmaker.errors import DomainError
from matchmaker.extensions import db


def _guard() -> services.Filters:
    if not services.can_see(api_user()):
        raise forbidden("只有管理员和技术经纪人可以查看数据看板")
    return services.parse_filters(request.args)


@bp.get("/dashboards")
def dashboards_summary():
    flt = _guard()
    return jsonify(services.summary(db.session, flt, current_user))


@bp.get("/dashboards/<any(funnel, unmet, duration, efficiency, brokers, centres, activity):chart>")
def dashboards_records(chart: str):
    flt = _guard()
    try:
        result = services.drill(db.session, chart, flt, request.args, current_user)
    except DomainError as exc:
        raise DomainError(exc.message, exc.field, status=exc.status) from None
    return jsonify(
        {
            "title": result.title,
            "total": result.total,
            "headers": result.headers,
            "rows": result.rows,
            "links": [url_for(endpoint, **kw) for endpoint, kw in result.links],
        }
    )
