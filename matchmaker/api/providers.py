"""JSON API for service providers (科技服务机构), next steps and service requests.

/api/v1/providers, /providers/<id>, /results/<id>/next-steps, /service-requests[...]
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
from matchmaker.providers import services
from matchmaker.providers.models import Provider, ServiceRequest
from matchmaker.providers.ranking import item_dict, rank_providers_for_result

FILTER_KEYS = ("type", "field", "region", "trl", "q")


def _provider(ref: str) -> Provider:
    obj = None
    if ref.isdigit():
        obj = db.session.get(Provider, int(ref))
    if obj is None:
        obj = db.session.scalar(select(Provider).where(Provider.external_id == ref))
    if obj is None or (obj.status != "published" and not services.can_manage_provider(current_user, obj)):
        raise DomainError(f"服务机构 {ref} 不存在", status=404)
    return obj


def _serialize(p: Provider) -> dict:
    return services.to_dict(p, with_contact=services.can_see_provider_contact(current_user, p))


@bp.get("/providers")
def list_providers():
    page = int_arg(request.args, "page", 1, hi=100000)
    per_page = int_arg(request.args, "per_page", current_app.config["PAGE_SIZE"], hi=100)
    filters = services.validate_filters(db.session, {k: request.args.get(k) for k in FILTER_KEYS})
    pagination = db.paginate(services.list_query(filters), page=page, per_page=per_page, error_out=False)
    return jsonify(
        {
            "items": [_serialize(p) for p in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
            "pages": pagination.pages,
        }
    )


@bp.get("/providers/<ref>")
def get_provider(ref: str):
    return jsonify(_serialize(_provider(ref)))


@bp.post("/providers")
def create_provider():
    """登记服务机构 (the web form's twin): brokers/admins name `organization`; the staff of an
    organisation that already runs a provider register another for their own organisation."""
    api_user()
    if not services.can_create_provider(db.session, current_user):
        raise forbidden("只有平台工作人员或已登记服务机构的机构人员可以登记服务机构")
    data = json_body()
    data.pop("status", None)  # a new provider is published

    def create():
        org = services.provider_organization(
            db.session, current_user, data.pop("organization", None), data.get("region")
        )
        return services.create_provider(
            db.session,
            data,
            organization=org,
            owner=current_user,
            external_id=data.pop("id", None) or None,
            actor=current_user,
        )

    obj = write(create)
    return jsonify(_serialize(obj)), 201


@bp.patch("/providers/<ref>")
def update_provider(ref: str):
    api_user()
    obj = _provider(ref)
    if not services.can_manage_provider(current_user, obj):
        raise forbidden()
    data = json_body()
    data.pop("id", None)
    write(lambda: services.update_provider(db.session, obj, data, actor=current_user))
    return jsonify(_serialize(obj))


def _result(ref: str):
    obj = postings.find_posting(db.session, "result", ref)
    if obj is None:
        raise DomainError(f"科技成果 {ref} 不存在", status=404)
    if not postings.is_visible(current_user, obj):
        raise DomainError("该成果尚未发布，无权查看", status=403)
    return obj


@bp.get("/results/<ref>/next-steps")
def result_next_steps(ref: str):
    """下一步: providers serving the result's TRL in its field first, best first, with explanations."""
    result = _result(ref)
    top = int_arg(request.args, "top", 10, hi=50)
    items = rank_providers_for_result(db.session, result, top)
    return jsonify(
        {
            "result": result.external_id,
            "trl": result.trl,
            "items": [item_dict(it) for it in items],
            "message": None if result.trl else "成果尚未填写技术就绪度，无法推荐服务机构",
        }
    )


# ---------------------------------------------------------------- service requests


def _request(req_id: int) -> ServiceRequest:
    api_user()
    req = db.session.get(ServiceRequest, req_id)
    if req is None:
        raise DomainError(f"服务申请 {req_id} 不存在", status=404)
    if not (
        services.can_manage_provider(current_user, req.provider)
        or services.can_request(current_user, req.result)
    ):
        raise forbidden()
    return req


@bp.get("/service-requests")
def list_service_requests():
    api_user()
    reqs = db.session.scalars(services.requests_for(db.session, current_user)).all()
    return jsonify({"items": [services.request_row(r) for r in reqs]})


@bp.post("/service-requests")
def create_service_request():
    api_user()
    data = json_body()
    result = _result(str(data.get("result") or ""))
    if not services.can_request(current_user, result):
        raise forbidden()
    provider = _provider(str(data.get("provider") or ""))
    req = write(
        lambda: services.submit_request(db.session, current_user, provider, result, data.get("message"))
    )
    return jsonify(services.request_row(req)), 201


@bp.get("/service-requests/<int:req_id>")
def get_service_request(req_id: int):
    return jsonify(services.request_row(_request(req_id)))


@bp.post("/service-requests/<int:req_id>/<any(accept, return, complete):action>")
def decide_service_request(req_id: int, action: str):
    req = _request(req_id)
    if not services.can_manage_provider(current_user, req.provider):
        raise forbidden()
    data = request.get_json(silent=True) or {}
    write(lambda: services.decide_request(db.session, current_user, req, action, data.get("reply")))
    return jsonify(services.request_row(req))


@bp.post("/service-requests/<int:req_id>/raise-trl")
def raise_trl(req_id: int):
    req = _request(req_id)
    if not services.can_request(current_user, req.result):
        raise forbidden()
    data = json_body()
    write(
        lambda: services.raise_trl(db.session, current_user, req, data.get("trl"), data.get("trl_evidence"))
    )
    return jsonify(services.request_row(req) | {"result_trl": req.result.trl})
