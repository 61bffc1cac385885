"""JSON API for application scenarios (应用场景): list, detail, matches, applications and trace.

/api/v1/scenarios, /scenarios/<id>, /scenarios/<id>/matches, /scenarios/<id>/applications,
/scenario-applications/<id>[/<status>]
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden, int_arg, json_body, write
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings import services as postings
from matchmaker.scenarios import services
from matchmaker.scenarios.models import Application, Scenario
from matchmaker.scenarios.ranking import (
    enterprise_dict,
    item_dict,
    rank_enterprises_for_scenario,
    rank_results_for_scenario,
)


def _scenario(ref: str) -> Scenario:
    obj = None
    if ref.isdigit():
        obj = db.session.get(Scenario, int(ref))
    if obj is None:
        obj = db.session.scalar(select(Scenario).where(Scenario.external_id == ref))
    if obj is None:
        raise DomainError(f"应用场景 {ref} 不存在", status=404)
    return obj


def _serialize(s: Scenario) -> dict:
    return services.to_dict(s, with_contact=services.can_manage(current_user, s))


@bp.get("/scenarios")
def list_scenarios():
    page = int_arg(request.args, "page", 1, hi=100000)
    per_page = int_arg(request.args, "per_page", current_app.config["PAGE_SIZE"], hi=100)
    filters = services.validate_filters(db.session, {k: request.args.get(k) for k in ("field", "region")})
    include_closed = request.args.get("status") == "all"
    pagination = db.paginate(
        services.list_query(filters, include_closed), page=page, per_page=per_page, error_out=False
    )
    return jsonify(
        {
            "items": [_serialize(s) for s in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
            "pages": pagination.pages,
        }
    )


@bp.post("/scenarios")
def create_scenario():
    api_user()
    if not services.can_publish(current_user):
        raise forbidden()
    data = json_body()
    data.pop("id", None)
    obj = write(
        lambda: services.create_scenario(
            db.session, data, organization=current_user.organization, owner=current_user
        )
    )
    return jsonify(_serialize(obj)), 201


@bp.get("/scenarios/<ref>")
def get_scenario(ref: str):
    return jsonify(_serialize(_scenario(ref)))


@bp.get("/scenarios/<ref>/matches")
def scenario_matches(ref: str):
    """场景找成果: published results of other organisations, best first, with explanations."""
    scenario = _scenario(ref)
    top = int_arg(request.args, "top", 10, hi=50)
    items = rank_results_for_scenario(db.session, scenario, top)
    return jsonify({"scenario": scenario.external_id, "items": [item_dict(it) for it in items]})


@bp.get("/scenarios/<ref>/enterprises")
def scenario_enterprises(ref: str):
    """场景找企业: organisations whose open needs fit the scenario, best first, each with its needs."""
    scenario = _scenario(ref)
    top = int_arg(request.args, "top", 5, hi=20)
    entries = rank_enterprises_for_scenario(db.session, scenario, top)
    return jsonify({"scenario": scenario.external_id, "items": [enterprise_dict(e) for e in entries]})


@bp.get("/scenarios/<ref>/applications")
def scenario_applications(ref: str):
    api_user()
    scenario = _scenario(ref)
    stmt = select(Application).where(Application.scenario_id == scenario.id).order_by(Application.id)
    if not services.can_manage(current_user, scenario):
        stmt = stmt.where(Application.organization_id == current_user.organization_id)
    return jsonify({"items": [services.application_dict(a) for a in db.session.scalars(stmt)]})


@bp.post("/scenarios/<ref>/applications")
def apply_scenario(ref: str):
    api_user()
    scenario = _scenario(ref)
    data = json_body()
    result = None
    if data.get("result"):
        result = postings.find_posting(db.session, "result", data["result"])
        if result is None:
            raise DomainError(f"科技成果 {data['result']} 不存在", "result", status=404)
    app = write(lambda: services.apply(db.session, current_user, scenario, data.get("proposal"), result))
    return jsonify(services.application_dict(app)), 201


def _application(app_id: int) -> Application:
    api_user()
    app = db.session.get(Application, app_id)
    if app is None:
        raise DomainError(f"申报 {app_id} 不存在", status=404)
    if not services.can_see_application(current_user, app):
        raise forbidden()
    return app


@bp.get("/scenario-applications/<int:app_id>")
def get_application(app_id: int):
    return jsonify(services.application_dict(_application(app_id)))


@bp.post("/scenario-applications/<int:app_id>/<any(shortlisted, piloting, demonstration, rejected):status>")
def advance_application(app_id: int, status: str):
    app = _application(app_id)
    if not services.can_manage(current_user, app.scenario):
        raise forbidden()
    data = request.get_json(silent=True) or {}
    write(lambda: services.advance(db.session, current_user, app, status, data.get("note")))
    return jsonify(services.application_dict(app))
