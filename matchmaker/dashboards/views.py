"""数据看板 pages: /dashboards (figures and charts), /dashboards/records/<chart> (the records behind a
chart), and Excel exports of both. Admins (省科技厅) and brokers (their own centre's performance)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from matchmaker.accounts.permissions import roles_required
from matchmaker.accounts.services import audit
from matchmaker.dashboards import services
from matchmaker.errors import DomainError
from matchmaker.exports import xlsx_bytes
from matchmaker.extensions import db

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards")


@bp.app_template_filter("dashboards_drill")
def _drill_url(value, chart: str, key: str, flt: services.Filters, **extra) -> str:
    """The drill-down link of one bar: same filters, plus the bar's key."""
    return url_for("dashboards.records", chart=chart, **{**flt.args(), **extra, key: value})


@bp.app_template_filter("dashboards_cell")
def _heat_cell(cell: dict, flt: services.Filters) -> dict:
    args = {**flt.args(), "field": cell["field_id"], "city": cell["city"]}
    return {
        "x": cell["city"],
        "y": cell["field"],
        "n": cell["count"],
        "link": url_for("dashboards.records", chart="unmet", **args),
    }


DRILL_KEYS = ("step", "kind", "bucket", "reached", "broker", "centre", "status")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@roles_required("admin", "broker")
def _staff_only():
    """Admins and brokers; others get 403 (anonymous visitors the login page)."""


def _filters() -> services.Filters:
    try:
        return services.parse_filters(request.args)
    except DomainError as exc:
        abort(400, exc.message)


def _xlsx(sheets, name: str, flt: services.Filters) -> Response:
    """The workbook as a download; the export is audited (who took which figures out) and committed."""
    detail = "；".join(f"{k}={v}" for k, v in {**flt.args(), **_keys()}.items()) or "全部"
    audit(db.session, "dashboard_export", current_user, target=f"dashboard:{name}", detail=detail)
    db.session.commit()
    stamp = datetime.now().strftime("%Y%m%d")
    return Response(
        xlsx_bytes(sheets),
        mimetype=XLSX,
        headers={"Content-Disposition": f"attachment; filename={name}-{stamp}.xlsx"},
    )


def _keys() -> dict:
    """The drill-down's own arguments (which bar or cell), kept on its filter form and export link."""
    return {k: v for k, v in request.args.items() if k in DRILL_KEYS}


@bp.route("/")
def index():
    flt = _filters()
    data = services.summary(db.session, flt, current_user)
    return render_template(
        "dashboards/index.html",
        data=data,
        flt=flt,
        fields=services.field_choices(db.session),
        cities=services.city_choices(db.session),
        steps=services.STEPS,
        buckets=services.BUCKETS,
        perf_labels=services.PERF_LABELS,
        perf_keys=services.PERF_KEYS,
    )


@bp.route("/export.xlsx")
def export():
    flt = _filters()
    data = services.summary(db.session, flt, current_user)
    return _xlsx(services.summary_sheets(data), "dashboards", flt)


def _drill(chart: str, limit):
    flt = _filters()
    try:
        return flt, services.drill(db.session, chart, flt, request.args, current_user, limit=limit)
    except DomainError as exc:
        abort(exc.status, exc.message)


@bp.route("/records/<any(funnel, unmet, duration, efficiency, brokers, centres, activity):chart>")
def records(chart: str):
    flt, result = _drill(chart, services.DRILL_LIMIT)
    keys = {
        k: v
        for k, v in request.args.items()
        if k in ("step", "kind", "bucket", "reached", "broker", "centre", "status")
    }
    return render_template(
        "dashboards/records.html",
        chart=chart,
        flt=flt,
        drill=result,
        keys=keys,
        fields=services.field_choices(db.session),
        cities=services.city_choices(db.session),
    )


@bp.route("/records/<any(funnel, unmet, duration, efficiency, brokers, centres, activity):chart>.xlsx")
def records_export(chart: str):
    flt, result = _drill(chart, None)
    return _xlsx([(result.title, result.headers, result.rows)], f"dashboards-{chart}", flt)
