"""JSON API for 揭榜挂帅: topics, challenges, answers, reviews and projects.

The same services and permissions as the pages. Bad input is a JSON 400 naming the field,
anonymous callers get 401, forbidden actions 403 (audited).
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from matchmaker.api import bp
from matchmaker.api.errors import api_user, forbidden, int_arg, json_body, write
from matchmaker.challenges import reports, services
from matchmaker.challenges.models import (
    CHALLENGE_STATUSES,
    Answer,
    Challenge,
    Milestone,
    Project,
    Review,
    Topic,
)
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Field, Need

# ---------------------------------------------------------------- helpers


def _get(model, id_, label: str):
    obj = db.session.get(model, id_)
    if obj is None:
        raise DomainError(f"{label}不存在", status=404)
    return obj


def _str(data: dict, key: str, required: bool = False, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise DomainError(f"{key} 须为字符串", key)
    if required and not value.strip():
        raise DomainError(f"缺少 {key}", key)
    return value


def _num(data: dict, key: str) -> float | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DomainError(f"{key} 须为数字", key)
    return float(value)


def _int(data: dict, key: str, required: bool = False) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            raise DomainError(f"缺少 {key}", key)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{key} 须为整数", key)
    return value


def _date(data: dict, key: str) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DomainError(f"{key} 须为 YYYY-MM-DD 格式的日期", key) from None


def _list(data: dict, key: str, of=str) -> list:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, of) and not isinstance(v, bool) for v in value):
        raise DomainError(f"{key} 须为{'字符串' if of is str else '整数'}列表", key)
    return value


def _staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


# ---------------------------------------------------------------- serialisers


def topic_dict(t: Topic, full: bool = False) -> dict:
    data = {
        "id": t.id,
        "title": t.title,
        "industry_chain": t.industry_chain,
        "description": t.description,
        "field": t.field.name if t.field else None,
        "lead_department": t.lead_department,
        "region": t.region,
        "status": t.status,
        "questions": len(t.needs),
    }
    if full:
        data["progress"] = reports.topic_progress(db.session, t)
        data["need_ids"] = [n.id for n in t.needs]
        data["challenge_ids"] = [c.id for c in reports.topic_challenges(db.session, t)]
    return data


def challenge_dict(c: Challenge, full: bool = False) -> dict:
    data = {
        "id": c.id,
        "title": c.title,
        "need_id": c.need_id,
        "topic_id": c.topic_id,
        "type": c.type,
        "type_label": c.type_label,
        "targets": c.targets,
        "reward_wan": c.reward_wan,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "min_units": c.min_units,
        "eligibility": c.eligibility,
        "status": c.status,
        "status_label": c.status_label,
        "organization": c.need.organization.name,
        "answers": len(c.answers),
        "project_id": c.project.id if c.project else None,
    }
    if full:
        data["transitions"] = [
            {
                "from": t.from_status,
                "to": t.to_status,
                "user": t.user.name if t.user else None,
                "reason": t.reason,
                "at": t.at.isoformat(timespec="seconds"),
            }
            for t in c.transitions
        ]
        data["allowed_moves"] = services.allowed_moves(c)
        if _staff():
            data["invitations"] = [
                {
                    "kind": i.kind,
                    "target_id": i.target_id,
                    "rank": i.rank,
                    "score": i.score,
                    "reason": i.reason,
                    "user_id": i.user_id,
                }
                for i in c.invitations
            ]
    return data


def answer_dict(a: Answer) -> dict:
    return {
        "id": a.id,
        "challenge_id": a.challenge_id,
        "title": a.title,
        "approach": a.approach,
        "organization": a.organization.name,
        "organizations": [o.name for o in a.organizations],
        "consortium": bool(a.consortium),
        "team_members": a.team_members,
        "milestones": a.milestones,
        "budget_wan": a.budget_wan,
        "result_ids": [r.id for r in a.results],
        "expert_id": a.expert_id,
        "status": a.status,
        "created_at": a.created_at.isoformat(timespec="seconds"),
    }


def review_dict(r: Review) -> dict:
    return {
        "id": r.id,
        "answer_id": r.answer_id,
        "challenge_id": r.answer.challenge_id,
        "expert": r.expert.name,
        "scores": r.scores,
        "total": r.total,
        "comment": r.comment,
        "submitted_at": r.submitted_at.isoformat(timespec="seconds") if r.submitted_at else None,
    }


def project_dict(p: Project) -> dict:
    return {
        "id": p.id,
        "challenge_id": p.challenge_id,
        "answer_id": p.answer_id,
        "title": p.title,
        "funding_wan": p.funding_wan,
        "approved_at": p.approved_at.isoformat(timespec="seconds"),
        "organizations": [o.name for o in p.answer.organizations],
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "due_date": m.due_date.isoformat(),
                "status": m.status,
                "acceptance_note": m.acceptance_note,
                "accepted_at": m.accepted_at.isoformat(timespec="seconds") if m.accepted_at else None,
            }
            for m in p.milestones
        ],
    }


# ---------------------------------------------------------------- topics


@bp.get("/topics")
def api_topics():
    q = select(Topic).order_by(Topic.id.desc())
    if not _staff():
        q = q.where(Topic.status != "draft")
    return jsonify({"items": [topic_dict(t) for t in db.session.scalars(q)]})


@bp.get("/topics/<int:topic_id>")
def api_topic(topic_id):
    topic = _get(Topic, topic_id, "题目")
    if topic.status == "draft" and not _staff():
        raise DomainError("题目不存在", status=404)
    return jsonify(topic_dict(topic, full=True))


@bp.post("/topics")
def api_topic_create():
    user = api_user("admin")
    data = json_body()
    field_id = _field_id(data)
    need_ids = _list(data, "need_ids", int)
    topic = write(lambda: _save_topic(user, data, field_id, need_ids))
    return jsonify(topic_dict(topic, full=True)), 201


def _field_id(data: dict) -> int | None:
    name = data.get("field")
    if name in (None, ""):
        return None
    fld = db.session.scalar(select(Field).where(Field.name == name)) if isinstance(name, str) else None
    if fld is None:
        raise DomainError(f"领域“{name}”不存在", "field")
    return fld.id


def _save_topic(user, data, field_id, need_ids):
    topic = services.save_topic(
        db.session,
        user,
        title=_str(data, "title", True),
        industry_chain=_str(data, "industry_chain", True),
        field_id=field_id,
        description=_str(data, "description"),
        lead_department=_str(data, "lead_department"),
        region=_str(data, "region") or None,
        status=_str(data, "status", default="published") or "published",
    )
    services.attach_needs(db.session, topic, need_ids)
    return topic


@bp.get("/topics/suggestions")
def api_topic_suggestions():
    api_user("admin", "broker")
    from matchmaker.challenges.suggest import GRANULARITY, suggest_topics

    field_id = _field_id(request.args)
    min_size = int_arg(request.args, "min_size", 2, 1, 100)
    granularity = request.args.get("granularity") or "medium"
    if granularity not in GRANULARITY:
        raise DomainError("granularity 须为 " + "、".join(GRANULARITY), "granularity")
    out = suggest_topics(
        db.session, field_id, request.args.get("region") or None, min_size=min_size, granularity=granularity
    )
    return jsonify(
        {
            "items": [
                {
                    "title": s.title,
                    "size": s.size,
                    "field": s.field_name,
                    "field_share": round(s.field_share, 3),
                    "cohesion": round(s.cohesion, 3),
                    "keywords": s.keywords,
                    "need_ids": s.need_ids,
                    "samples": [{"id": n.id, "title": n.title} for n in s.samples],
                }
                for s in out
            ]
        }
    )


@bp.get("/topics/<int:topic_id>/trace")
def api_topic_trace(topic_id):
    topic = _get(Topic, topic_id, "题目")
    if topic.status == "draft" and not _staff():
        raise DomainError("题目不存在", status=404)
    data = reports.trace(db.session, topic)
    return jsonify(
        {
            "topic": topic_dict(topic),
            "counts": data["counts"],
            "rows": [dict(zip(reports.TRACE_HEADER, row)) for row in reports.trace_rows(data)],
        }
    )


# ---------------------------------------------------------------- challenges


def _visible(c: Challenge) -> bool:
    if c.status not in ("collecting", "assessing", "withdrawn"):
        return True
    return _staff() or (
        current_user.is_authenticated and c.need.organization_id == current_user.organization_id
    )


@bp.get("/challenges")
def api_challenges():
    status = request.args.get("status")
    if status and status not in CHALLENGE_STATUSES:
        raise DomainError("status 无效", "status")
    q = select(Challenge).order_by(Challenge.id.desc())
    if status:
        q = q.where(Challenge.status == status)
    if request.args.get("topic_id"):
        q = q.where(Challenge.topic_id == int_arg(request.args, "topic_id", 0, 1, 10**9))
    return jsonify({"items": [challenge_dict(c) for c in db.session.scalars(q) if _visible(c)]})


@bp.get("/challenges/<int:challenge_id>")
def api_challenge(challenge_id):
    c = _get(Challenge, challenge_id, "榜单")
    if not _visible(c):
        raise DomainError("榜单不存在", status=404)
    return jsonify(challenge_dict(c, full=True))


@bp.post("/challenges")
def api_challenge_create():
    user = api_user()
    data = json_body()
    need = _get(Need, _int(data, "need_id", True), "需求")
    if not services.can_raise(user, need):
        raise forbidden()
    c = write(
        lambda: services.raise_challenge(
            db.session,
            user,
            need,
            title=_str(data, "title") or None,
            type=_str(data, "type", default="enterprise"),
            targets=_list(data, "targets"),
            reward_wan=_num(data, "reward_wan"),
            deadline=_date(data, "deadline"),
            min_units=_int(data, "min_units"),
            eligibility=_str(data, "eligibility"),
        )
    )
    return jsonify(challenge_dict(c, full=True)), 201


@bp.post("/challenges/<int:challenge_id>/transition")
def api_challenge_transition(challenge_id):
    user = api_user("admin", "broker")
    c = _get(Challenge, challenge_id, "榜单")
    data = json_body()
    to = _str(data, "to_status", True)
    write(lambda: services.transition(db.session, c, to, user, _str(data, "reason")))
    return jsonify(challenge_dict(c, full=True))


@bp.post("/challenges/<int:challenge_id>/reviewers")
def api_challenge_assign(challenge_id):
    user = api_user("admin")
    c = _get(Challenge, challenge_id, "榜单")
    data = json_body()
    per, cap = _int(data, "per_answer") or 3, _int(data, "max_load") or 5
    created = write(lambda: services.assign_reviewers(db.session, c, user, per_answer=per, max_load=cap))
    return jsonify({"items": [review_dict(r) for r in created]}), 201


@bp.get("/challenges/<int:challenge_id>/ranking")
def api_challenge_ranking(challenge_id):
    api_user("admin", "broker")
    c = _get(Challenge, challenge_id, "榜单")
    return jsonify(
        {
            "items": [
                {
                    "answer_id": g.answer.id,
                    "title": g.answer.title,
                    "reviews": g.count,
                    "assigned": g.assigned,
                    "mean": g.mean,
                    "std": g.std,
                    "min": g.min,
                    "max": g.max,
                    "criteria": g.criteria,
                }
                for g in services.aggregate(c)
            ]
        }
    )


@bp.post("/challenges/<int:challenge_id>/award")
def api_challenge_award(challenge_id):
    user = api_user("admin")
    c = _get(Challenge, challenge_id, "榜单")
    data = json_body()
    a = _get(Answer, _int(data, "answer_id", True), "方案")
    project = write(
        lambda: services.award_project(
            db.session, c, a, user, funding_wan=_num(data, "funding_wan"), note=_str(data, "note")
        )
    )
    return jsonify(project_dict(project)), 201


# ---------------------------------------------------------------- answers


@bp.get("/challenges/<int:challenge_id>/answers")
def api_answers(challenge_id):
    api_user()
    c = _get(Challenge, challenge_id, "榜单")
    return jsonify({"items": [answer_dict(a) for a in c.answers if services.can_see_answer(current_user, a)]})


@bp.get("/answers/<int:answer_id>")
def api_answer(answer_id):
    api_user()
    a = _get(Answer, answer_id, "方案")
    if not services.can_see_answer(current_user, a):
        raise forbidden()
    return jsonify(answer_dict(a))


@bp.post("/challenges/<int:challenge_id>/answers")
def api_answer_create(challenge_id):
    user = api_user("researcher", "enterprise")
    c = _get(Challenge, challenge_id, "榜单")
    if not _visible(c):
        raise DomainError("榜单不存在", status=404)
    data = json_body()

    def run():
        plans = services.parse_milestones(
            [
                f"{m.get('due', '')} {m.get('title', '')}" if isinstance(m, dict) else ""
                for m in _list_of_dicts(data, "milestones")
            ]
        )
        members = services.resolve_organizations(db.session, _list(data, "consortium"))
        return services.submit_answer(
            db.session,
            user,
            c,
            title=_str(data, "title", True),
            approach=_str(data, "approach", True),
            team_members=_list(data, "team_members"),
            result_ids=_list(data, "result_ids", int),
            milestones=plans,
            budget_wan=_num(data, "budget_wan"),
            members=members,
            consortium_name=_str(data, "consortium_name"),
            expert_id=_int(data, "expert_id"),
        )

    a = write(run)
    return jsonify(answer_dict(a)), 201


@bp.post("/answers/<int:answer_id>/withdraw")
def api_answer_withdraw(answer_id):
    user = api_user()
    a = _get(Answer, answer_id, "方案")
    if a.organization_id != user.organization_id:
        raise forbidden()
    data = request.get_json(silent=True) or {}
    write(lambda: services.withdraw_answer(db.session, a, user, _str(data, "reason")))
    return jsonify(answer_dict(a))


def _list_of_dicts(data: dict, key: str) -> list[dict]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DomainError(f'{key} 须为对象列表，如 [{{"due": "2027-06-30", "title": "完成中试"}}]', key)
    return value


# ---------------------------------------------------------------- reviews


@bp.get("/reviews")
def api_reviews():
    user = api_user()
    expert = services.reviewer_expert(db.session, user)
    rows = (
        db.session.scalars(select(Review).where(Review.expert_id == expert.id).order_by(Review.id)).all()
        if expert
        else []
    )
    return jsonify({"items": [review_dict(r) for r in rows]})


@bp.post("/reviews/<int:review_id>")
def api_review_submit(review_id):
    user = api_user()
    r = _get(Review, review_id, "评审任务")
    if r.expert.user_id != user.id:
        raise forbidden()
    data = json_body()
    scores = data.get("scores")
    if not isinstance(scores, dict):
        raise DomainError('scores 须为对象，如 {"advancement": 85, ...}', "scores")
    write(lambda: services.submit_review(db.session, r, user, scores, _str(data, "comment")))
    return jsonify(review_dict(r))


# ---------------------------------------------------------------- projects


@bp.get("/projects")
def api_projects():
    rows = db.session.scalars(select(Project).order_by(Project.id.desc())).all()
    return jsonify({"items": [project_dict(p) for p in rows]})


@bp.get("/projects/<int:project_id>")
def api_project(project_id):
    return jsonify(project_dict(_get(Project, project_id, "项目")))


@bp.post("/milestones/<int:milestone_id>/accept")
def api_milestone_accept(milestone_id):
    user = api_user("admin", "broker")
    m = _get(Milestone, milestone_id, "里程碑")
    data = json_body()
    passed = data.get("passed", True)
    if not isinstance(passed, bool):
        raise DomainError("passed 须为 true 或 false", "passed")
    write(lambda: services.accept_milestone(db.session, m, user, passed, _str(data, "note")))
    return jsonify(project_dict(m.project))
