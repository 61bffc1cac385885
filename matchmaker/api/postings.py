"""JSON API for postings: /api/v1/results, /needs, /experts and /fields.

Same services and permissions as the pages: bad input is a JSON 400 naming the field,
anonymous writes 401, forbidden actions 403, and contact details follow can_see_contact.
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from matchmaker.accounts.permissions import can_edit_expert, can_edit_need, can_edit_result, can_see_contact
from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden, int_arg, write
from matchmaker.api.schemas import PostingIn, accepts, body
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings import services
from matchmaker.postings.models import Field

PLURALS = {"results": "result", "needs": "need", "experts": "expert"}
CAN_EDIT = {"result": can_edit_result, "need": can_edit_need, "expert": can_edit_expert}
CREATOR_ROLE = {"result": "researcher", "need": "enterprise"}
FILTER_KEYS = ("field", "region", "maturity", "trl_min", "trl_max", "status", "q", "origin")


def _serialize(obj) -> dict:
    data = services.to_dict(obj, with_contact=can_see_contact(current_user, obj))
    data["internal_id"] = obj.id
    data["url"] = f"/{obj.kind}s/{obj.id}"
    if obj.kind != "expert":
        data.setdefault("origin", None)  # 来源省份: null for this installation's own postings
        data["created_at"] = obj.created_at.isoformat(timespec="seconds")
        data["updated_at"] = obj.updated_at.isoformat(timespec="seconds")
    return data


def _kind(plural: str) -> str:
    if plural not in PLURALS:
        raise DomainError("资源不存在", status=404)
    return PLURALS[plural]


def _load(kind: str, ref: str):
    obj = services.find_posting(db.session, kind, ref)
    if obj is None:
        raise DomainError(f"{services.KIND_LABELS[kind]} {ref} 不存在", status=404)
    if not services.is_visible(current_user, obj):
        raise DomainError("该成果尚未发布，无权查看", status=403)
    return obj


def _editable(kind: str, ref: str):
    """The posting, for a signed-in user allowed to change it (401 / 403 / 404 otherwise)."""
    api_user()
    obj = _load(kind, ref)
    if not CAN_EDIT[kind](current_user, obj):
        raise forbidden()
    return obj


@bp.get("/<any(results, needs, experts):plural>")
def list_postings(plural: str):
    kind = _kind(plural)
    page = int_arg(request.args, "page", 1, hi=100000)
    per_page = int_arg(request.args, "per_page", current_app.config["PAGE_SIZE"], hi=100)
    filters = services.validate_filters(db.session, kind, {k: request.args.get(k) for k in FILTER_KEYS})
    pagination = db.paginate(
        services.list_query(kind, filters, current_user), page=page, per_page=per_page, error_out=False
    )
    return jsonify(
        {
            "items": [_serialize(o) for o in pagination.items],
            "page": page,
            "per_page": per_page,
            "total": pagination.total,
            "pages": pagination.pages,
        }
    )


@bp.get("/<any(results, needs, experts):plural>/<ref>")
def get_posting(plural: str, ref: str):
    return jsonify(_serialize(_load(_kind(plural), ref)))


@bp.post("/<any(results, needs):plural>")
@accepts(PostingIn)
def create_posting(plural: str):
    kind = _kind(plural)
    api_user()
    if current_user.role not in (CREATOR_ROLE[kind], "broker", "admin"):
        raise forbidden()
    data = dict(body())
    external_id = data.pop("id", None)
    if external_id is not None and not isinstance(external_id, str):
        raise DomainError("编号 id 须为字符串", "id")
    org_name = data.pop("organization", None)  # brokers and admins post on someone's behalf

    def create():
        org = services.posting_organization(db.session, current_user, kind, org_name, data.get("region"))
        return services.create_posting(
            db.session,
            kind,
            data,
            organization=org,
            owner=current_user,
            external_id=external_id,
        )

    obj = write(create)
    return jsonify(_serialize(obj)), 201


@bp.route("/<any(results, needs):plural>/<ref>", methods=["PUT", "PATCH"])
@accepts(PostingIn)
def update_posting(plural: str, ref: str):
    obj = _editable(_kind(plural), ref)
    data = dict(body())
    data.pop("id", None)  # the external id is fixed once given
    write(lambda: services.update_posting(db.session, obj, data, partial=request.method == "PATCH"))
    return jsonify(_serialize(obj))


@bp.delete("/<any(results, needs):plural>/<ref>")
def delete_posting(plural: str, ref: str):
    obj = _editable(_kind(plural), ref)
    outcome = write(lambda: services.delete_posting(db.session, obj))
    if outcome == "archived":  # reviewed work refers to it: kept, but closed / archived
        return jsonify({"status": obj.status, "archived": True, "message": services.archived_message(obj)})
    return "", 204


@bp.get("/fields")
def list_fields():
    fields = db.session.scalars(select(Field).order_by(Field.sort_order, Field.id)).all()
    return jsonify(
        {
            "items": [
                {
                    "id": f.id,
                    "name": f.name,
                    "description": f.description,
                    "related": list(f.related or []),
                    "active": f.active,
                }
                for f in fields
            ]
        }
    )
