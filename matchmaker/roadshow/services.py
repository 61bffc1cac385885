"""Roadshow services (路演业务): demand, planning jobs, drafts, release, invitations, follow-up.

Plain Python on a SQLAlchemy session; no request context. Services flush, callers commit
(the background solve job is its own caller and commits).
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from matchmaker.accounts.models import User
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.matching.ranker import RELEVANCE_GAP, rank_needs_for_result, rank_results_for_need
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Need, Result
from matchmaker.review.models import Match
from matchmaker.roadshow import checker
from matchmaker.roadshow.instance import format_time, parse_time
from matchmaker.roadshow.models import (
    Candidate,
    CandidateInterest,
    Intent,
    Registration,
    Roadshow,
    ScheduleVersion,
    Session,
    Talk,
)

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")
RANK_DEPTH = 200  # needs looked at per result when measuring demand
# An investor's ranking score counts this share of an enterprise need's in a talk's demand:
# it may fund the result, an enterprise with a need would use it.
INVESTOR_WEIGHT = 0.5


def hhmm(t: time) -> str:
    return t.strftime("%H:%M")


def to_time(value: str, field: str = "start") -> time:
    try:
        minutes = parse_time(value, field)
    except ValueError:
        raise DomainError("时间格式应为 HH:MM", field) from None
    return time(minutes // 60, minutes % 60)


# ---------------------------------------------------------------- demand and suggestions


def _best_per_enterprise(
    db: DbSession,
    result: Result,
    threshold: float,
    needs_filter=None,
    need_scores: dict[int, dict[int, float]] | None = None,
) -> dict[int, tuple[float, Need, dict]]:
    """Enterprise organisation → (score, need, explanation) of its best open need that wants
    this result: the result must be among the need's comparably relevant matches (within
    RELEVANCE_GAP of the need's best result, both scored from the need's side, since the two
    directions weigh fields differently) and score ≥ threshold. Embedding scores are
    compressed, so an absolute threshold alone would count every enterprise as interested.
    `need_scores` caches each need's ranked results (result id → score) across calls."""
    need_scores = {} if need_scores is None else need_scores
    best: dict[int, tuple[float, Need, dict]] = {}
    for item in rank_needs_for_result(db, result, top=RANK_DEPTH):
        need = item.item
        if item.score < threshold or need.organization.type != "企业":
            continue
        if needs_filter is not None and not needs_filter(need):
            continue
        if need.id not in need_scores:
            need_scores[need.id] = {r.id: r.score for r in rank_results_for_need(db, need, top=RANK_DEPTH)}
        scores = need_scores[need.id]
        if result.id not in scores or scores[result.id] < max(scores.values()) - RELEVANCE_GAP:
            continue
        org = need.organization_id
        if org not in best or item.score > best[org][0]:
            best[org] = (item.score, need, item.explanation.to_dict())
    return best


def _investors_per_candidate(db: DbSession, candidates: list[Candidate], threshold: float) -> dict:
    """Candidate id → {investor organisation → (weighted score, investor, explanation)}: the
    investors that would come to see the talk. An investor counts for a candidate when it is
    ranked for the result (trading.investors, the hybrid ranker) at or above `threshold`,
    within RELEVANCE_GAP of its best candidate in this edition (the talks it would pick), the
    result's TRL is not outside its investment stages, and it shares the field or a keyword.
    Its score counts INVESTOR_WEIGHT of an enterprise need's in the demand."""
    from matchmaker.trading.investors import Investor, rank_investors_for_result

    if not candidates or db.scalar(select(func.count()).select_from(Investor)) == 0:
        return {}
    ranked = {c.id: rank_investors_for_result(db, c.result, top=10**6) for c in candidates}
    best_of: dict[int, float] = defaultdict(float)
    for rows in ranked.values():
        for r in rows:
            best_of[r.investor.id] = max(best_of[r.investor.id], r.score)
    out: dict[int, dict] = {}
    for c in candidates:
        per_org: dict[int, tuple] = {}
        for r in ranked[c.id]:
            signals = {s["name"]: s for s in r.explanation["signals"]}
            if r.score < threshold or r.score < best_of[r.investor.id] - RELEVANCE_GAP:
                continue
            if signals.get("stage", {}).get("contribution", 0) < 0:
                continue
            if "field" not in signals and not r.explanation["shared_terms"]:
                continue
            weighted = round(r.score * INVESTOR_WEIGHT, 6)
            org = r.investor.organization_id
            if org in per_org and per_org[org][0] >= weighted:
                continue
            explanation = dict(
                r.explanation,
                kind="investor",
                investor_id=r.investor.id,
                investor=r.investor.name,
                fund_type=r.investor.fund_type_label,
                ranking_score=round(r.score, 4),
                weight=INVESTOR_WEIGHT,
            )
            explanation["summary"] = (
                f"投资机构「{r.investor.name}」（{r.investor.fund_type_label}）推荐分 {r.score:.2f}，"
                f"按 {INVESTOR_WEIGHT:g} 计入需求值 {weighted:.2f}。{r.explanation['summary']}"
            )
            per_org[org] = (weighted, r.investor, explanation)
        out[c.id] = per_org
    return out


def compute_interest(db: DbSession, roadshow: Roadshow) -> None:
    """Refresh each candidate's interested enterprises and investors and its demand (需求值):
    the enterprises' need scores plus the investors' weighted ranking scores. Both are
    interest the scheduler weighs: a talk's demand, and clashes between parallel talks that
    interest the same organisation."""
    need_scores: dict[int, dict[int, float]] = {}
    candidates = list(roadshow.candidates)
    investors = _investors_per_candidate(db, candidates, roadshow.min_interest)
    for cand in candidates:
        cand.interests.clear()
        db.flush()
        best = _best_per_enterprise(db, cand.result, roadshow.min_interest, need_scores=need_scores)
        for org, (score, need, explanation) in best.items():
            cand.interests.append(
                CandidateInterest(organization_id=org, need_id=need.id, score=score, explanation=explanation)
            )
        funds = investors.get(cand.id, {})
        for org, (score, investor, explanation) in funds.items():
            cand.interests.append(
                CandidateInterest(
                    organization_id=org, investor_id=investor.id, score=score, explanation=explanation
                )
            )
        cand.demand = sum(score for score, _, _ in best.values()) + sum(s for s, _, _ in funds.values())
    db.flush()


def session_investors(db: DbSession, session: Session) -> list[dict]:
    """受邀投资机构 of a session: the investors interested in its published talks, each with the
    talks it was invited for (best first) and why."""
    talks = {t.candidate_id: t for t in published_talks(session.roadshow) if t.session_id == session.id}
    if not talks:
        return []
    rows = db.scalars(
        select(CandidateInterest)
        .where(CandidateInterest.candidate_id.in_(talks), CandidateInterest.investor_id.is_not(None))
        .order_by(CandidateInterest.score.desc(), CandidateInterest.id)
    ).all()
    by_investor: dict[int, dict] = {}
    for i in rows:
        entry = by_investor.setdefault(i.investor_id, {"investor": i.investor, "talks": [], "demand": 0.0})
        entry["talks"].append({"talk": talks[i.candidate_id], "score": i.score, "explanation": i.explanation})
        entry["demand"] += i.score
    return sorted(by_investor.values(), key=lambda e: (-e["demand"], e["investor"].id))


def suggest(db: DbSession, roadshow: Roadshow, session: Session, limit: int = 10) -> list[dict]:
    """推荐候选: results most demanded by open needs in the session's field (and city, for a
    走进地方专场), not yet candidates."""
    taken = {c.result_id for c in roadshow.candidates}
    query = select(Result).where(Result.status == "published")
    if session.field_id:
        query = query.where(Result.field_id == session.field_id)
    results = [r for r in db.scalars(query.order_by(Result.id).limit(300)) if r.id not in taken]

    def relevant(need: Need) -> bool:
        if session.field_id and need.field_id != session.field_id:
            return False
        return (
            session.kind != "local"
            or need.region in (None, "", session.city)
            or need.organization.region == session.city
        )

    out, need_scores = [], {}
    for result in results:
        best = _best_per_enterprise(db, result, roadshow.min_interest, relevant, need_scores)
        if best:
            out.append(
                {"result": result, "demand": sum(s for s, _, _ in best.values()), "enterprises": len(best)}
            )
    out.sort(key=lambda row: (-row["demand"], row["result"].id))
    return out[:limit]


def nominate(
    db: DbSession,
    roadshow: Roadshow,
    result: Result,
    user: User | None,
    *,
    presenter: str | None = None,
    minutes: int = 20,
    availability: list | None = None,
    cities: list | None = None,
    source: str = "nominated",
) -> Candidate:
    """提名候选项目 (or accept a suggestion)."""
    if any(c.result_id == result.id for c in roadshow.candidates):
        raise DomainError("该成果已是本届路演的候选项目", "result_id")
    if result.status != "published":
        raise DomainError("只能提名已发布的科技成果", "result_id")
    if not 5 <= minutes <= 120:
        raise DomainError("报告时长应在 5 到 120 分钟之间", "minutes")
    presenter = (
        presenter
        or result.contact_name
        or (result.owner.name if result.owner else "")
        or result.organization.name
    ).strip()
    cand = Candidate(
        roadshow=roadshow,
        result=result,
        presenter=presenter,
        minutes=minutes,
        presenter_user_id=result.owner_id,
        availability=availability,
        cities=cities,
        source=source,
        nominated_by_id=user.id if user else None,
    )
    db.add(cand)
    db.flush()
    return cand


def _in_published(db: DbSession, **where) -> bool:
    column, value = next(iter(where.items()))
    return (
        db.scalar(
            select(Talk.id)
            .join(ScheduleVersion)
            .where(getattr(Talk, column) == value, ScheduleVersion.status == "published")
            .limit(1)
        )
        is not None
    )


def remove_candidate(db: DbSession, candidate: Candidate) -> None:
    """Withdraw a candidate (and its draft talks); refused while it is in the published schedule."""
    if _in_published(db, candidate_id=candidate.id):
        raise DomainError("该项目在已发布日程中，请先在新版日程中移出并发布", "candidate_id")
    db.execute(delete(Talk).where(Talk.candidate_id == candidate.id))
    db.delete(candidate)
    db.flush()


def remove_session(db: DbSession, session: Session) -> None:
    """Delete a session with its draft talks; refused while it has published talks or registrations."""
    if _in_published(db, session_id=session.id):
        raise DomainError("该专场在已发布日程中，不能删除", "session_id")
    if db.scalar(select(Registration.id).where(Registration.session_id == session.id).limit(1)):
        raise DomainError("该专场已有企业报名，不能删除", "session_id")
    db.execute(delete(Talk).where(Talk.session_id == session.id))
    db.delete(session)
    db.flush()


# ---------------------------------------------------------------- instance and checks


def latest(roadshow: Roadshow, status: str) -> ScheduleVersion | None:
    versions = [v for v in roadshow.versions if v.status == status]
    return versions[-1] if versions else None


def _placement(talk: Talk) -> dict:
    return {
        "candidate": str(talk.candidate_id),
        "session": str(talk.session_id),
        "room": talk.room,
        "start": hhmm(talk.start_time),
        "end": hhmm(talk.end_time),
    }


def build_instance(
    roadshow: Roadshow, pins: list[Talk] = (), previous: ScheduleVersion | None = None
) -> dict:
    """The `roadshow plan` instance (docs/roadshow.md) for this edition."""
    interest = [
        {"enterprise": str(i.organization_id), "candidate": str(c.id), "score": i.score}
        for c in roadshow.candidates
        for i in c.interests
    ]
    data = {
        "sessions": [
            {
                "id": str(s.id),
                "theme": s.theme,
                "fields": [s.field.name] if s.field else ["*"],
                "city": s.city,
                "date": s.date.isoformat(),
                "start": hhmm(s.start_time),
                "end": hhmm(s.end_time),
                "slot_minutes": s.slot_minutes,
                "rooms": [{"id": r["id"], "capacity": int(r.get("capacity", 0))} for r in s.rooms],
            }
            for s in roadshow.sessions
        ],
        "candidates": [
            {
                "id": str(c.id),
                "field": c.result.field.name,
                "organization": c.result.organization.name,
                "presenter": c.presenter,
                "minutes": c.minutes,
                "available": c.availability,
                "cities": c.cities,
            }
            for c in roadshow.candidates
        ],
        "interest": interest,
        "rules": {
            "min_interest": roadshow.min_interest,
            "max_per_organization_per_session": roadshow.max_per_organization,
            "lambda": roadshow.conflict_weight,
            "pinned": [{k: v for k, v in _placement(t).items() if k != "end"} for t in pins],
        },
        "mu": roadshow.displacement_weight,
    }
    if previous is not None:
        data["previous"] = [{k: v for k, v in _placement(t).items() if k != "end"} for t in previous.talks]
    return data


def conflicts(roadshow: Roadshow, version: ScheduleVersion, change: dict | None = None) -> list[dict]:
    """Live conflict warnings: the independent checker on the version (with one change applied)."""
    pins = [t for t in version.talks if t.pinned]
    data = build_instance(roadshow, pins)
    assignments = [_placement(t) for t in version.talks]
    if change:
        cid = str(change["candidate"])
        assignments = [a for a in assignments if a["candidate"] != cid]
        if change.get("session"):
            cand = next(c for c in roadshow.candidates if str(c.id) == cid)
            start = parse_time(change["start"], "start")
            assignments.append(
                {
                    "candidate": cid,
                    "session": str(change["session"]),
                    "room": change["room"],
                    "start": format_time(start),
                    "end": format_time(start + cand.minutes),
                }
            )
            data["rules"]["pinned"] = [p for p in data["rules"]["pinned"] if p["candidate"] != cid]
    return [v.to_dict() for v in checker.check(data, assignments)]


# ---------------------------------------------------------------- planning job


def new_version(
    db: DbSession,
    roadshow: Roadshow,
    user: User | None,
    copy_from: ScheduleVersion | None = None,
    job_status: str = "done",
) -> ScheduleVersion:
    number = max((v.number for v in roadshow.versions), default=0) + 1
    version = ScheduleVersion(
        roadshow=roadshow,
        number=number,
        job_status=job_status,
        created_by_id=user.id if user else None,
        solve={},
    )
    db.add(version)
    for t in copy_from.talks if copy_from else []:
        version.talks.append(
            Talk(
                candidate_id=t.candidate_id,
                session_id=t.session_id,
                room=t.room,
                start_time=t.start_time,
                end_time=t.end_time,
                pinned=t.pinned,
            )
        )
    db.flush()
    return version


def queue_solve(
    db: DbSession, roadshow: Roadshow, user: User | None, time_limit: float = 10.0
) -> ScheduleVersion:
    """Create the draft a background solve will fill; pins come from the current draft."""
    if not roadshow.sessions:
        raise DomainError("请先添加专场", "sessions")
    if not roadshow.candidates:
        raise DomainError("请先提名候选项目", "candidates")
    if not 1 <= time_limit <= 120:
        raise DomainError("求解时限应在 1 到 120 秒之间", "time_limit")
    draft = latest(roadshow, "draft")
    version = new_version(db, roadshow, user, job_status="queued")
    version.solve = {
        "time_limit": time_limit,
        "pins": [t.id for t in draft.talks if t.pinned] if draft else [],
    }
    version.progress = {"phase": "queued"}
    return version


def _prepare_solve(db: DbSession, version: ScheduleVersion) -> dict:
    """Demand (需求值) with the ranker, then the instance with the draft's pins."""
    roadshow = version.roadshow
    compute_interest(db, roadshow)
    pin_ids = set(version.solve.get("pins", []))
    pins = db.scalars(select(Talk).where(Talk.id.in_(pin_ids))).all() if pin_ids else []
    return build_instance(roadshow, pins, latest(roadshow, "published"))


def _finish_solve(db: DbSession, version: ScheduleVersion, data: dict, answer: dict) -> None:
    pinned = {(p["candidate"], p["session"], p["room"], p["start"]) for p in data["rules"]["pinned"]}
    for a in answer["assignments"]:
        version.talks.append(
            Talk(
                candidate_id=int(a["candidate"]),
                session_id=int(a["session"]),
                room=a["room"],
                start_time=to_time(a["start"]),
                end_time=to_time(a["end"]),
                pinned=(a["candidate"], a["session"], a["room"], a["start"]) in pinned,
            )
        )
    keys = ("status", "objective", "greedy_objective", "bound", "gap", "solve_seconds", "unscheduled")
    version.solve = (
        version.solve
        | {k: answer[k] for k in keys}
        | {
            "note": answer["explanation"].get("note"),
            "violations": answer["explanation"].get("violations", []),
            "breakdown": answer["explanation"].get("breakdown"),
            "idle": answer["explanation"].get("idle", []),
        }
    )
    version.job_status = "done"
    version.progress = {"phase": "done", "status": answer["status"], "objective": answer["objective"]}
    version.progress_at = utcnow()
    db.flush()


def run_solve(db: DbSession, version: ScheduleVersion, progress=None) -> ScheduleVersion:
    """Compute demand, solve and write the talks of `version` (a queued draft), in the
    caller's transaction. `progress` gets {objective, bound, seconds} on each better solution."""
    from matchmaker.roadshow.scheduler import plan

    version.job_status = "running"
    data = _prepare_solve(db, version)
    answer = plan(data, time_limit=version.solve.get("time_limit", 10.0), progress=progress)
    _finish_solve(db, version, data, answer)
    return version


def record_progress(bind, version_id: int, progress: dict, job_status: str | None = None) -> None:
    """Write a solve's progress in its own short transaction (committed at once), so every
    web worker polling the version sees it while the job's own transaction is still open."""
    values = {"progress": progress, "progress_at": utcnow()}
    if job_status:
        values["job_status"] = job_status
    with bind.connect() as conn:
        conn.execute(update(ScheduleVersion).where(ScheduleVersion.id == version_id).values(**values))
        conn.commit()


PROGRESS_EVERY = 0.5  # seconds between two progress writes


def run_plan(db: DbSession, version_id: int) -> bool:
    """The solve job (排程任务): plain Python, called by the background thread today and by a
    worker job later. Commits demand before solving (so no lock is held while CP-SAT runs),
    records progress in the database, then commits the draft. Returns False when the version
    is not waiting for a solve (a repeated job does nothing)."""
    from matchmaker.roadshow.scheduler import plan

    version = db.get(ScheduleVersion, version_id)
    if version is None or version.job_status not in ("queued", "running"):
        return False
    bind = db.get_bind()
    record_progress(bind, version_id, {"phase": "demand"}, "running")
    data = _prepare_solve(db, version)
    db.commit()
    record_progress(bind, version_id, {"phase": "solving"})
    last = [0.0]

    def report(p: dict) -> None:
        now = clock.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            record_progress(bind, version_id, {"phase": "solving", **p})

    answer = plan(data, time_limit=version.solve.get("time_limit", 10.0), progress=report)
    db.refresh(version)
    _finish_solve(db, version, data, answer)
    db.commit()
    return True


def run_plan_job(db: DbSession, version_id: int) -> None:
    """The worker's solve task: run_plan, recording a failure on the version for the UI."""
    try:
        run_plan(db, version_id)
    except Exception as exc:
        log.exception("roadshow solve %s failed", version_id)
        db.rollback()
        version = db.get(ScheduleVersion, version_id)
        version.job_status, version.job_error = "failed", str(exc)[:2000]
        version.progress = {"phase": "failed", "error": str(exc)[:500]}
        db.commit()


STALLED_AFTER = timedelta(minutes=10)  # solves are capped at 120 s; silence this long means lost


def resume_stalled_solves(db: DbSession) -> str:
    """Scheduled: solve versions whose job was lost (queue down, worker killed mid-solve).
    A running solve records progress at least every few seconds, so silence means it died."""
    cutoff = utcnow() - STALLED_AFTER
    ids = list(
        db.scalars(
            select(ScheduleVersion.id).where(
                ScheduleVersion.job_status.in_(("queued", "running")),
                or_(ScheduleVersion.progress_at.is_(None), ScheduleVersion.progress_at < cutoff),
                ScheduleVersion.created_at < cutoff,
            )
        )
    )
    for version_id in ids:
        run_plan_job(db, version_id)
    return f"恢复 {len(ids)} 个中断的排程求解"


def job_state(version: ScheduleVersion) -> dict:
    """The job's state as stored in the database (the same through every web worker)."""
    state = {"version": version.id, "job_status": version.job_status, "error": version.job_error}
    if version.job_status in ("queued", "running"):
        state["progress"] = version.progress or {"phase": version.job_status}
        state["updated_at"] = version.progress_at.isoformat() if version.progress_at else None
    else:
        state["solve"] = {
            k: version.solve.get(k)
            for k in ("status", "objective", "greedy_objective", "bound", "gap", "solve_seconds")
        }
    return state


# ---------------------------------------------------------------- manual edits


def _draft(version: ScheduleVersion) -> None:
    if version.status != "draft" or version.job_status not in ("done", "failed"):
        raise DomainError("只能调整已完成求解的草稿日程", "version", status=409)


def place_talk(
    db: DbSession,
    version: ScheduleVersion,
    candidate: Candidate,
    session: Session,
    room: str,
    start: str,
    pinned: bool | None = None,
) -> Talk:
    """Move (or add) a candidate's talk in a draft. Conflicts are reported, not refused: the
    broker sees the checker's warnings and decides."""
    _draft(version)
    if session.roadshow_id != version.roadshow_id or candidate.roadshow_id != version.roadshow_id:
        raise DomainError("专场或项目不属于本届路演", "session")
    if room not in {r["id"] for r in session.rooms}:
        raise DomainError("该专场没有这个会场", "room")
    begin = to_time(start)
    minutes = begin.hour * 60 + begin.minute + candidate.minutes
    if minutes >= 24 * 60:
        raise DomainError("报告结束时间超过当天", "start")
    talk = next((t for t in version.talks if t.candidate_id == candidate.id), None)
    if talk is None:
        talk = Talk(candidate=candidate)
        version.talks.append(talk)
    talk.session, talk.room, talk.start_time = session, room, begin
    talk.end_time = time(minutes // 60, minutes % 60)
    if pinned is not None:
        talk.pinned = pinned
    db.flush()
    return talk


def remove_talk(db: DbSession, version: ScheduleVersion, talk: Talk) -> None:
    _draft(version)
    version.talks.remove(talk)
    db.flush()


# ---------------------------------------------------------------- release


def _enterprise_users(db: DbSession, org_ids: set[int]) -> list[User]:
    if not org_ids:
        return []
    return db.scalars(
        select(User)
        .where(User.organization_id.in_(org_ids), User.role == "enterprise", User.active)
        .order_by(User.id)
    ).all()


def publish(db: DbSession, version: ScheduleVersion, user: User | None) -> dict:
    """发布: publish a draft. Only presenters whose talk is new, moved or dropped and the
    enterprises interested in those talks are notified (inbox + email outbox)."""
    _draft(version)
    if not version.talks:
        raise DomainError("日程为空，不能发布", "version", status=409)
    roadshow = version.roadshow
    # Idle slots and co-interest clashes are warnings: a broker may publish with them.
    problems = [p for p in conflicts(roadshow, version) if p["severity"] == "error"]
    if problems:
        raise DomainError(
            f"日程仍有 {len(problems)} 处冲突，请先解决：{problems[0]['detail']}", "version", status=409
        )
    previous = latest(roadshow, "published")
    before = (
        {t.candidate_id: (t.session_id, t.room, t.start_time) for t in previous.talks} if previous else {}
    )
    changed = [t for t in version.talks if before.get(t.candidate_id) != (t.session_id, t.room, t.start_time)]
    kept = {t.candidate_id for t in version.talks}
    dropped = [cid for cid in before if cid not in kept]
    if previous:
        previous.status = "superseded"
    version.status, version.published_at = "published", utcnow()
    db.flush()

    link = f"/roadshow/{roadshow.id}/timetable"
    for t in changed:
        presenter = t.candidate.presenter_user or t.candidate.result.owner
        if presenter:
            verb = "调整" if t.candidate_id in before else "安排"
            notify(
                db,
                presenter,
                "roadshow",
                f"路演{verb}：{t.candidate.result.title[:40]}",
                f"{roadshow.title}：{t.session.title}，{t.session.date.isoformat()} {hhmm(t.start_time)}–"
                f"{hhmm(t.end_time)}，{t.session.city} {t.room}。",
                link,
            )
    dropped_cands = db.scalars(select(Candidate).where(Candidate.id.in_(dropped))).all() if dropped else []
    for cand in dropped_cands:
        presenter = cand.presenter_user or cand.result.owner
        if presenter:
            notify(
                db,
                presenter,
                "roadshow",
                f"路演取消：{cand.result.title[:40]}",
                f"{roadshow.title} 的新版日程不再安排该项目。",
                link,
            )
    affected_cands = {t.candidate_id for t in changed} | set(dropped)
    affected = (
        db.scalars(select(CandidateInterest).where(CandidateInterest.candidate_id.in_(affected_cands))).all()
        if affected_cands
        else []
    )
    users = _enterprise_users(db, {i.organization_id for i in affected if i.investor_id is None})
    for u in users:
        notify(
            db,
            u,
            "roadshow",
            f"{roadshow.title}：您的路演议程有更新",
            "与贵单位技术需求相关的路演项目已安排或调整，请查看个人议程并报名。",
            f"/roadshow/{roadshow.id}/agenda",
        )
    invited = _investor_users(db, [i for i in affected if i.investor_id is not None])
    for u in invited:
        notify(
            db,
            u,
            "roadshow",
            f"{roadshow.title}：路演邀请",
            "与贵机构投资方向相符的路演项目已安排或调整，欢迎到场。请查看个人议程并报名。",
            f"/roadshow/{roadshow.id}/agenda",
        )
    return {
        "changed": len(changed),
        "dropped": len(dropped),
        "enterprises": len(users),
        "investors": len(invited),
    }


def _investor_users(db: DbSession, interests: list[CandidateInterest]) -> list[User]:
    """Active investor accounts of the investors' organisations (and a fund's own user)."""
    if not interests:
        return []
    org_ids = {i.organization_id for i in interests}
    own = {i.investor.user_id for i in interests if i.investor.user_id}
    return db.scalars(
        select(User)
        .where(
            or_(User.id.in_(own), User.organization_id.in_(org_ids) & (User.role == "investor")),
            User.active,
        )
        .order_by(User.id)
    ).all()


# ---------------------------------------------------------------- invitations


def timetable_grid(session: Session, talks: list[Talk]) -> dict:
    """会场 × 时间 grid of one session: one row per grid slot, one column per room; a talk is a
    cell spanning the slots it covers (`span`), covered slots are skipped, free ones are None."""
    slot = session.slot_minutes
    start = session.start_time.hour * 60 + session.start_time.minute
    end = session.end_time.hour * 60 + session.end_time.minute
    points = list(range(start, end, slot))
    rooms = [r["id"] for r in session.rooms]
    by_room = defaultdict(dict)
    for t in talks:
        t0 = t.start_time.hour * 60 + t.start_time.minute
        t1 = t.end_time.hour * 60 + t.end_time.minute
        by_room[t.room][t0] = (t, max(1, sum(1 for u in points if t0 <= u < t1)))
    rows, skip = [], defaultdict(int)
    for u in points:
        cells = []
        for room in rooms:
            if skip[room] > 0:
                skip[room] -= 1
                cells.append("covered")
            elif u in by_room[room]:
                talk, span = by_room[room][u]
                skip[room] = span - 1
                cells.append({"talk": talk, "span": span})
            else:
                cells.append(None)
        rows.append({"time": format_time(u), "cells": cells})
    stacked = [(room, sorted(by_room[room].values(), key=lambda ts: ts[0].start_time)) for room in rooms]
    return {"rooms": rooms, "rows": rows, "stacked": [(r, [t for t, _ in ts]) for r, ts in stacked]}


def published_talks(roadshow: Roadshow) -> list[Talk]:
    version = latest(roadshow, "published")
    if version is None:
        return []
    return sorted(version.talks, key=lambda t: (t.session.date, t.start_time, t.session_id, t.room))


def agenda(db: DbSession, roadshow: Roadshow, organization_id: int) -> list[tuple[Talk, CandidateInterest]]:
    """个人议程: published talks that match the organisation's open needs (or, for an investor,
    its investment profile), best first per time."""
    rows = {
        i.candidate_id: i
        for i in db.scalars(
            select(CandidateInterest)
            .join(Candidate)
            .where(Candidate.roadshow_id == roadshow.id, CandidateInterest.organization_id == organization_id)
        )
    }
    return [
        (t, rows[t.candidate_id])
        for t in published_talks(roadshow)
        if t.candidate_id in rows
        and (rows[t.candidate_id].need is None or rows[t.candidate_id].need.status == "open")
    ]


def to_datetime(day, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=TZ)


def ics(talks: list[Talk], name: str) -> bytes:
    """An iCalendar file: one VEVENT per talk (stable UID), Asia/Shanghai with its VTIMEZONE."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//河南省技术转移撮合平台//龙子湖科创路演//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for t in talks:
        s = t.session
        event = Event()
        event.add("uid", t.uid)
        event.add("sequence", t.version.number)
        event.add("dtstamp", t.version.published_at or t.version.created_at or utcnow())
        event.add("dtstart", to_datetime(s.date, t.start_time))
        event.add("dtend", to_datetime(s.date, t.end_time))
        event.add("summary", f"路演：{t.candidate.result.title}")
        event.add("location", f"{s.city} {s.venue} {t.room}".replace("  ", " ").strip())
        event.add(
            "description",
            f"{t.version.roadshow.title} · {s.title}（{s.kind_label}）\n"
            f"报告人：{t.candidate.presenter}（{t.candidate.result.organization.name}）",
        )
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def register(db: DbSession, session: Session, user: User) -> Registration:
    """报名 (enterprises and invited investors): one seat per user and session; capacity is the
    rooms' seats."""
    if user.role not in ("enterprise", "investor"):
        raise DomainError("只有企业或投资机构用户可以报名", "user")
    if latest(session.roadshow, "published") is None:
        raise DomainError("日程尚未发布，暂不能报名", "session")
    if session.date < datetime.now(TZ).date():
        raise DomainError("该专场已结束，不能报名", "session")
    if db.scalar(
        select(Registration.id).where(Registration.session_id == session.id, Registration.user_id == user.id)
    ):
        raise DomainError("您已报名该专场", "session", status=409)
    # Lock the session row on PostgreSQL so two last-seat requests cannot both pass.
    db.execute(select(Session.id).where(Session.id == session.id).with_for_update())
    taken = db.scalar(select(func.count(Registration.id)).where(Registration.session_id == session.id))
    if taken >= session.capacity:
        raise DomainError(f"该专场名额已满（{session.capacity} 人）", "session", status=409)
    reg = Registration(session=session, user_id=user.id, organization_id=user.organization_id)
    db.add(reg)
    db.flush()
    return reg


def unregister(db: DbSession, session: Session, user: User) -> None:
    reg = db.scalar(
        select(Registration).where(Registration.session_id == session.id, Registration.user_id == user.id)
    )
    if reg is None:
        raise DomainError("您没有报名该专场", "session", status=404)
    db.delete(reg)
    db.flush()


def seats_taken(db: DbSession, session: Session) -> int:
    return db.scalar(select(func.count(Registration.id)).where(Registration.session_id == session.id)) or 0


# ---------------------------------------------------------------- follow-up


def create_intent_match(
    db: DbSession, need: Need, result: Result, score: float, note: str, user: User | None = None
) -> Match:
    """An intent enters the broker pipeline at 对接洽谈 through the review service."""
    from matchmaker.review.services import enter_from_intent

    return enter_from_intent(db, need, result, user, score=score, note=note)


def record_intent(
    db: DbSession, session: Session, candidate: Candidate, need: Need, note: str, user: User | None
) -> Intent:
    """意向: an enterprise's interest in a talk of this session, recorded by a broker."""
    version = latest(session.roadshow, "published")
    if version is None or not any(
        t.candidate_id == candidate.id and t.session_id == session.id for t in version.talks
    ):
        raise DomainError("该项目没有在本专场的已发布日程中", "candidate_id")
    if need.status != "open":
        raise DomainError("该技术需求已关闭", "need_id")
    if db.scalar(
        select(Intent.id).where(
            Intent.session_id == session.id, Intent.candidate_id == candidate.id, Intent.need_id == need.id
        )
    ):
        raise DomainError("该意向已登记", "need_id")
    interest = next((i for i in candidate.interests if i.organization_id == need.organization_id), None)
    match = create_intent_match(db, need, candidate.result, interest.score if interest else 0.0, note, user)
    intent = Intent(
        session=session,
        candidate=candidate,
        need=need,
        note=note,
        match=match,
        recorded_by_id=user.id if user else None,
    )
    db.add(intent)
    db.flush()
    return intent


def intent_needs(db: DbSession, session: Session) -> list[Need]:
    """Open needs an intent in this session may name: of registered or interested enterprises."""
    talks = [t.candidate_id for t in published_talks(session.roadshow) if t.session_id == session.id]
    orgs = set(db.scalars(select(Registration.organization_id).where(Registration.session_id == session.id)))
    if talks:
        orgs |= set(
            db.scalars(
                select(CandidateInterest.organization_id).where(CandidateInterest.candidate_id.in_(talks))
            )
        )
    if not orgs:
        return []
    return db.scalars(
        select(Need)
        .where(Need.organization_id.in_(orgs), Need.status == "open")
        .order_by(Need.organization_id, Need.id)
    ).all()


def report(db: DbSession, roadshow: Roadshow) -> dict:
    """届次报告: attendance, intents and signed deals per session and in total."""
    rows = []
    for s in roadshow.sessions:
        regs = db.scalars(select(Registration).where(Registration.session_id == s.id)).all()
        intents = db.scalars(select(Intent).where(Intent.session_id == s.id)).all()
        signed = [i for i in intents if i.match and i.match.stage in ("signed", "registered")]
        rows.append(
            {
                "session": s,
                "registered": len(regs),
                "attended": sum(r.attended for r in regs),
                "capacity": s.capacity,
                "intents": len(intents),
                "signed": len(signed),
                "talks": sum(1 for t in published_talks(roadshow) if t.session_id == s.id),
            }
        )
    totals = defaultdict(int)
    for r in rows:
        for k in ("registered", "attended", "capacity", "intents", "signed", "talks"):
            totals[k] += r[k]
    return {"sessions": rows, "totals": dict(totals)}
