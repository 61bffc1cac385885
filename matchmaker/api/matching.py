"""JSON API for matching: matches of a posting and free-text search."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from matchmaker.accounts import policy
from matchmaker.api import bp
from matchmaker.api.errors import int_arg
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.matching import ranker, services

MAX_TOP = 100


def _posting(kind: str, ident: str):
    obj = services.get_posting(db.session, kind, ident)
    if obj is None:
        raise DomainError(f"未找到该{services.KIND_LABEL[kind]}：{ident}", "id", status=404)
    if not policy.can(current_user, "view", obj):
        raise DomainError(f"该{services.KIND_LABEL[kind]}尚未公开，无权查看", "id", status=403)
    return obj


def _reply(source, items):
    body = {"items": [services.item_to_dict(it) for it in items], "count": len(items)}
    if source is not None:
        body["source"] = {"kind": source.kind, "id": source.id, "external_id": source.external_id}
    return jsonify(body)


def _posting_matches(kind: str, ident: str, rank):
    top = int_arg(request.args, "top", 10, 1, MAX_TOP)
    source = _posting(kind, ident)
    return _reply(source, policy.visible(current_user, rank(db.session, source, top)))


@bp.get("/needs/<ident>/matches")
def need_matches(ident):
    """需求 → 成果"""
    return _posting_matches("need", ident, ranker.rank_results_for_need)


@bp.get("/results/<ident>/matches")
def result_matches(ident):
    """成果 → 需求"""
    return _posting_matches("result", ident, ranker.rank_needs_for_result)


@bp.get("/needs/<ident>/experts")
def need_experts(ident):
    """需求 → 专家（人才答题）"""
    return _posting_matches("need", ident, ranker.rank_experts_for_need)


@bp.get("/search")
def search():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") or "result"
    if not q:
        raise DomainError("请填写检索内容", "q")
    if len(q) > 500:
        raise DomainError("检索内容不能超过 500 字", "q")
    if kind not in services.KIND_LABEL:
        raise DomainError("kind 须为 result、need 或 expert", "kind")
    top = int_arg(request.args, "top", services.SEARCH_TOP, 1, MAX_TOP)
    own = current_user.organization_id if current_user.is_authenticated else None
    items = policy.visible(current_user, ranker.search(db.session, q, kind, top, exclude_org=own))
    body = _reply(None, items).get_json()
    body.update(query=q, kind=kind)
    return jsonify(body)
