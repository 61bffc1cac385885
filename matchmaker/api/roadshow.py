"""JSON API for 龙子湖科创路演: editions, sessions, schedule, planning, registrations, intents."""

from __future__ import annotations

from flask import current_app, request, url_for
from sqlalchemy import select

from matchmaker import jobs
from matchmaker.api import bp
from matchmaker.api.errors import api_user, json_body, write
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Need
from matchmaker.roadshow import services
from matchmaker.roadshow.models import Candidate, Intent, Registration, Roadshow, ScheduleVersion, Session
from matchmaker.roadshow.services import hhmm


def _edition(roadshow_id: int) -> Roadshow:
    roadshow = db.session.get(Roadshow, roadshow_id)
    if roadshow is None:
        raise DomainError("路演届次不存在", "roadshow_id", status=404)
    return roadshow


def _session(session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None:
        raise DomainError("专场不存在", "session_id", status=404)
    return session


def _int(data: dict, key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"{key} 必填，应为整数", key)
    return value


def session_json(s: Session, seats: int | None = None) -> dict:
    out = {
        "id": s.id,
        "kind": s.kind,
        "kind_label": s.kind_label,
        "title": s.title,
        "theme": s.theme,
        "city": s.city,
        "venue": s.venue,
        "date": s.date.isoformat(),
        "start": hhmm(s.start_time),
        "end": hhmm(s.end_time),
        "slot_minutes": s.slot_minutes,
        "rooms": s.rooms,
        "capacity": s.capacity,
    }
    if seats is not None:
        out["registered"] = seats
    return out


def talk_json(t) -> dict:
    return {
        "id": t.id,
        "uid": t.uid,
        "candidate_id": t.candidate_id,
        "result_id": t.candidate.result_id,
        "title": t.candidate.result.title,
        "presenter": t.candidate.presenter,
        "organization": t.candidate.result.organization.name,
        "session_id": t.session_id,
        "room": t.room,
        "date": t.session.date.isoformat(),
        "start": hhmm(t.start_time),
        "end": hhmm(t.end_time),
        "pinned": t.pinned,
        "ics": url_for("roadshow.talk_ics", talk_id=t.id),
    }


def version_json(v: ScheduleVersion, talks: bool = True) -> dict:
    out = {
        "id": v.id,
        "number": v.number,
        "status": v.status,
        "published_at": v.published_at.isoformat() if v.published_at else None,
    } | services.job_state(v)
    if talks:
        out["talks"] = [
            talk_json(t) for t in sorted(v.talks, key=lambda t: (t.session_id, t.start_time, t.room))
        ]
    return out


@bp.get("/roadshows")
def roadshows():
    rows = db.session.scalars(select(Roadshow).order_by(Roadshow.id.desc())).all()
    items = []
    for r in rows:
        published = services.latest(r, "published")
        items.append(
            {
                "id": r.id,
                "title": r.title,
                "sessions": len(r.sessions),
                "published_version": published.number if published else None,
            }
        )
    return {"items": items}


@bp.get("/roadshows/<int:roadshow_id>")
def roadshow_detail(roadshow_id):
    r = _edition(roadshow_id)
    return {
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "rules": {
            "min_interest": r.min_interest,
            "max_per_organization_per_session": r.max_per_organization,
            "lambda": r.conflict_weight,
            "mu": r.displacement_weight,
        },
        "sessions": [session_json(s, services.seats_taken(db.session, s)) for s in r.sessions],
    }


@bp.get("/roadshows/<int:roadshow_id>/sessions")
def roadshow_sessions(roadshow_id):
    r = _edition(roadshow_id)
    return {"items": [session_json(s, services.seats_taken(db.session, s)) for s in r.sessions]}


@bp.get("/roadshows/<int:roadshow_id>/schedule")
def roadshow_schedule(roadshow_id):
    """The published schedule; `?version=draft` or `?version=<number>` for brokers."""
    r = _edition(roadshow_id)
    which = request.args.get("version", "published")
    if which == "published":
        version = services.latest(r, "published")
        if version is None:
            raise DomainError("日程尚未发布", "version", status=404)
    else:
        api_user("broker", "admin")
        if which == "draft":
            version = services.latest(r, "draft")
        elif which.isdigit():
            version = next((v for v in r.versions if v.number == int(which)), None)
        else:
            raise DomainError("version 应为 published、draft 或版本号", "version")
        if version is None:
            raise DomainError("没有这个版本", "version", status=404)
    return version_json(version)


@bp.post("/roadshows/<int:roadshow_id>/plan")
def roadshow_plan(roadshow_id):
    """Start a background solve; poll the returned status URL."""
    user = api_user("broker", "admin")
    r = _edition(roadshow_id)
    data = request.get_json(silent=True) or {}
    limit = data.get("time_limit", 10)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise DomainError("time_limit 应为数字（秒）", "time_limit")
    version = write(lambda: services.queue_solve(db.session, r, user, float(limit)))
    jobs.submit(current_app._get_current_object(), "roadshow.solve", version.id)
    return {
        "version": version_json(version, talks=False),
        "status_url": url_for("api.roadshow_version", roadshow_id=r.id, version_id=version.id),
    }, 202


def _version(r: Roadshow, version_id: int) -> ScheduleVersion:
    v = db.session.get(ScheduleVersion, version_id)
    if v is None or v.roadshow_id != r.id:
        raise DomainError("没有这个版本", "version_id", status=404)
    return v


@bp.get("/roadshows/<int:roadshow_id>/versions/<int:version_id>")
def roadshow_version(roadshow_id, version_id):
    api_user("broker", "admin")
    r = _edition(roadshow_id)
    v = _version(r, version_id)
    out = version_json(v)
    if v.job_status == "done":
        out["unscheduled"] = v.solve.get("unscheduled", [])
        out["conflicts"] = services.conflicts(r, v)
    return out


@bp.post("/roadshows/<int:roadshow_id>/versions/<int:version_id>/publish")
def roadshow_publish(roadshow_id, version_id):
    user = api_user("broker", "admin")
    r = _edition(roadshow_id)
    v = _version(r, version_id)
    summary = write(lambda: services.publish(db.session, v, user))
    return {"version": version_json(v, talks=False), "notified": summary}


@bp.get("/roadshows/<int:roadshow_id>/agenda")
def roadshow_agenda(roadshow_id):
    user = api_user()
    r = _edition(roadshow_id)
    return {
        "items": [
            talk_json(t)
            | {
                "need_id": i.need_id,
                "investor_id": i.investor_id,
                "score": i.score,
                "explanation": i.explanation,
            }
            for t, i in services.agenda(db.session, r, user.organization_id)
        ],
        "ics": url_for("roadshow.agenda_ics", roadshow_id=r.id),
    }


@bp.get("/roadshows/sessions/<int:session_id>/investors")
def roadshow_session_investors(session_id):
    """受邀投资机构: investors interested in the session's published talks, with why."""
    api_user("broker", "admin")
    s = _session(session_id)
    return {
        "items": [
            {
                "investor_id": e["investor"].id,
                "investor": e["investor"].name,
                "organization_id": e["investor"].organization_id,
                "fund_type": e["investor"].fund_type,
                "demand": round(e["demand"], 4),
                "talks": [
                    talk_json(x["talk"]) | {"score": x["score"], "explanation": x["explanation"]}
                    for x in e["talks"]
                ],
            }
            for e in services.session_investors(db.session, s)
        ]
    }


@bp.get("/roadshows/sessions/<int:session_id>/registrations")
def roadshow_registrations(session_id):
    api_user("broker", "admin")
    s = _session(session_id)
    rows = db.session.scalars(select(Registration).where(Registration.session_id == s.id)).all()
    return {
        "capacity": s.capacity,
        "items": [
            {
                "id": g.id,
                "user_id": g.user_id,
                "organization": g.organization.name,
                "attended": g.attended,
                "created_at": g.created_at.isoformat(),
            }
            for g in rows
        ],
    }


@bp.post("/roadshows/sessions/<int:session_id>/registrations")
def roadshow_register(session_id):
    user = api_user()
    s = _session(session_id)
    reg = write(lambda: services.register(db.session, s, user))
    return {
        "id": reg.id,
        "session_id": s.id,
        "registered": services.seats_taken(db.session, s),
        "capacity": s.capacity,
    }, 201


@bp.delete("/roadshows/sessions/<int:session_id>/registrations")
def roadshow_unregister(session_id):
    user = api_user()
    s = _session(session_id)
    write(lambda: services.unregister(db.session, s, user))
    return {"session_id": s.id, "registered": services.seats_taken(db.session, s)}


def intent_json(i: Intent) -> dict:
    return {
        "id": i.id,
        "session_id": i.session_id,
        "candidate_id": i.candidate_id,
        "need_id": i.need_id,
        "match_id": i.match_id,
        "stage": i.match.stage if i.match else None,
        "note": i.note,
        "created_at": i.created_at.isoformat(),
    }


@bp.get("/roadshows/sessions/<int:session_id>/intents")
def roadshow_intents(session_id):
    api_user("broker", "admin")
    s = _session(session_id)
    rows = db.session.scalars(select(Intent).where(Intent.session_id == s.id).order_by(Intent.id)).all()
    return {"items": [intent_json(i) for i in rows]}


@bp.post("/roadshows/sessions/<int:session_id>/intents")
def roadshow_record_intent(session_id):
    user = api_user("broker", "admin")
    s = _session(session_id)
    data = json_body()
    cand = db.session.get(Candidate, _int(data, "candidate_id"))
    if cand is None or cand.roadshow_id != s.roadshow_id:
        raise DomainError("路演项目不存在", "candidate_id", status=404)
    need = db.session.get(Need, _int(data, "need_id"))
    if need is None:
        raise DomainError("技术需求不存在", "need_id", status=404)
    note = data.get("note") or ""
    if not isinstance(note, str) or len(note) > 2000:
        raise DomainError("note 应为不超过 2000 字的文本", "note")
    intent = write(lambda: services.record_intent(db.session, s, cand, need, note, user))
    return intent_json(intent), 201
