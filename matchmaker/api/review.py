"""JSON API for the broker workspace: queue, decisions, confirmations, stage changes.

Same permissions as the UI: brokers/admins review and move stages; a party sees and answers
only accepted matches of its own organisation; contacts only after both sides confirmed.
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from sqlalchemy import func, or_, select

from matchmaker.api import bp
from matchmaker.api.errors import api_user, int_arg, write
from matchmaker.api.schemas import BulkDecisionIn, ConfirmationIn, DecisionIn, MatchIn, StageIn, accepts, body
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Need, Result
from matchmaker.review import services
from matchmaker.review.models import Match
from matchmaker.review.services import QueueFilter
from matchmaker.security import is_db_id


def _match(match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None or not services.can_view(api_user(), match):
        # Not revealing whether a match exists to someone who may not see it.
        raise DomainError("撮合不存在或无权查看", status=404)
    return match


@bp.get("/review/queue")
def review_queue():
    """审核队列 (filters: field, region, status, q; limit, offset)."""
    user = api_user("broker", "admin", message="只有技术经纪人或管理员可以执行此操作")
    flt = QueueFilter.from_args(request.args)
    limit = int_arg(request.args, "limit", 50, 1, 500)
    offset = int_arg(request.args, "offset", 0, 0, 1_000_000)
    query = services.queue_query(user, flt)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.offset(offset).limit(limit)).all()
    return jsonify(
        {
            "total": total,
            "items": [services.match_dict(user, m) for m in items],
            "follow_ups_due": [
                {"id": f.id, "match_id": f.match_id, "kind": f.kind, "due_at": f.due_at.isoformat()}
                for f in services.due_follow_ups(db.session, broker=user)
            ],
        }
    )


@bp.get("/matches/<int:match_id>")
def match_get(match_id):
    return jsonify(services.match_dict(api_user(), _match(match_id), detail=True))


@bp.get("/my/matches")
def my_matches():
    """我的撮合: accepted matches for the caller's organisation."""
    user = api_user()
    return jsonify({"items": [services.match_dict(user, m) for m in services.my_matches(db.session, user)]})


def _posting(model, value, name):
    if value in (None, ""):
        raise DomainError(f"缺少 {name}", name)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > 64:
        raise DomainError(f"{name} 须为编号字符串或整数", name)
    cond = model.external_id == str(value)
    if is_db_id(value):
        cond = or_(cond, model.id == int(value))
    obj = db.session.scalar(select(model).where(cond))
    if obj is None:
        raise DomainError(f"{name} 对应的记录不存在", name, status=404)
    return obj


@bp.post("/matches")
@accepts(MatchIn)
def match_create():
    """手工添加撮合 {need_id, result_id, note}: ids or external ids; recorded as a ranking miss."""
    user = api_user("broker", "admin", message="只有技术经纪人或管理员可以执行此操作")
    data = body()
    need = _posting(Need, data.get("need_id"), "need_id")
    result = _posting(Result, data.get("result_id"), "result_id")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise DomainError("note 须为字符串", "note")
    match = write(lambda: services.add_manual(db.session, need, result, user, note))
    return jsonify(services.match_dict(user, match, detail=True)), 201


def _decision_args(data: dict) -> tuple[str, str | None, str | None]:
    decision = data.get("decision")
    if decision not in ("accept", "reject"):
        raise DomainError("decision 须为 accept 或 reject", "decision")
    reason, note = data.get("reason"), data.get("note")
    if reason is not None and not isinstance(reason, str):
        raise DomainError("reason 须为理由代码字符串", "reason")
    if note is not None and not isinstance(note, str):
        raise DomainError("note 须为字符串", "note")
    return decision, reason, note


@bp.post("/matches/<int:match_id>/decision")
@accepts(DecisionIn)
def match_decide(match_id):
    """经纪人审核 {decision: accept|reject, reason: code, note}."""
    user = api_user("broker", "admin", message="只有技术经纪人或管理员可以执行此操作")
    match = _match(match_id)
    decision, reason, note = _decision_args(body())
    write(lambda: services.decide(db.session, match, user, decision, reason, note))
    return jsonify(services.match_dict(user, match, detail=True))


@bp.post("/matches/decisions")
@accepts(BulkDecisionIn)
def match_decide_bulk():
    """批量审核 {ids: [...], decision, reason, note}: all or nothing."""
    user = api_user("broker", "admin", message="只有技术经纪人或管理员可以执行此操作")
    data = body()
    ids = data.get("ids")
    if not isinstance(ids, list) or not ids or not all(is_db_id(i) and isinstance(i, int) for i in ids):
        raise DomainError("ids 须为非空的整数列表", "ids")
    decision, reason, note = _decision_args(data)
    matches = [_match(i) for i in ids]

    def decide_all():
        for m in matches:
            services.decide(db.session, m, user, decision, reason, note)

    write(lambda: decide_all())
    return jsonify({"items": [services.match_dict(user, m) for m in matches]})


@bp.post("/matches/<int:match_id>/confirmation")
@accepts(ConfirmationIn)
def match_confirm(match_id):
    """双方确认 {confirm: true|false, reason}: a party's answer; declining needs a reason."""
    user = api_user()
    match = _match(match_id)
    data = body()
    if not isinstance(data.get("confirm"), bool):
        raise DomainError("confirm 须为 true 或 false", "confirm")
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise DomainError("reason 须为字符串", "reason")
    write(lambda: services.respond(db.session, match, user, data["confirm"], reason))
    return jsonify(services.match_dict(user, match, detail=True))


@bp.post("/matches/<int:match_id>/stage")
@accepts(StageIn)
def match_stage(match_id):
    """推进阶段 {to_stage, reason, contract_type, amount_wan, signed_on, buyer, seller, registration_no}."""
    user = api_user("broker", "admin", message="只有技术经纪人或管理员可以执行此操作")
    match = _match(match_id)
    data = body()
    signed_on = data.get("signed_on")
    if signed_on is not None:
        try:
            signed_on = date.fromisoformat(str(signed_on))
        except ValueError:
            raise DomainError("signed_on 须为 YYYY-MM-DD 日期", "signed_on") from None
    for name in ("to_stage", "reason", "contract_type", "buyer", "seller", "registration_no"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise DomainError(f"{name} 须为字符串", name)
    if not data.get("to_stage"):
        raise DomainError("缺少 to_stage", "to_stage")
    write(
        lambda: services.advance(
            db.session,
            match,
            data["to_stage"],
            user,
            data.get("reason"),
            contract_type=data.get("contract_type"),
            amount_wan=data.get("amount_wan"),
            signed_on=signed_on,
            buyer=data.get("buyer"),
            seller=data.get("seller"),
            registration_no=data.get("registration_no"),
        )
    )
    return jsonify(services.match_dict(user, match, detail=True))
