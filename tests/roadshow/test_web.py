"""Roadshow web feature: planning job, drafts, release, agenda, .ics, registration, intents."""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.notifications.models import EmailOutbox, Notification
from matchmaker.review.models import Match
from matchmaker.roadshow import checker, services
from matchmaker.roadshow.models import Registration, Session
from tests import factories


def test_demand_comes_from_open_needs(world):
    services.compute_interest(db.session, world["roadshow"])
    cands = world["candidates"]
    assert all(c.demand > 0 for c in cands[:3])
    orgs = {i.organization_id for i in cands[0].interests}
    assert world["enterprises"][0].organization_id in orgs
    assert all(i.score >= world["roadshow"].min_interest for c in cands for i in c.interests)


def test_solve_writes_a_valid_draft(world):
    roadshow = world["roadshow"]
    version = services.queue_solve(db.session, roadshow, world["broker"], 5)
    services.run_solve(db.session, version)
    assert version.job_status == "done" and version.solve["status"] == "OPTIMAL"
    assert len(version.talks) == 4  # 4 × 20 min fit in 2 rooms × 60 min
    data = services.build_instance(roadshow)
    assignments = [services._placement(t) for t in version.talks]
    assert checker.check(data, assignments) == []
    assert services.conflicts(roadshow, version) == []


def test_background_solve_through_the_ui(world, client, login, app):
    login(world["broker"])
    roadshow = world["roadshow"]
    resp = client.post(f"/roadshow/{roadshow.id}/solve", data={"time_limit": 5})
    assert resp.status_code == 302
    version_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    deadline = _time.time() + 60
    state = {}
    while _time.time() < deadline:
        state = client.get(f"/roadshow/{roadshow.id}/versions/{version_id}/status").get_json()
        if state["job_status"] in ("done", "failed"):
            break
        _time.sleep(0.3)
    assert state["job_status"] == "done", state
    assert state["solve"]["status"] in ("OPTIMAL", "FEASIBLE")
    page = client.get(f"/roadshow/{roadshow.id}/versions/{version_id}").get_data(as_text=True)
    assert "金刚石线锯高效切割技术" in page and "发布" in page


def test_manual_adjustment_shows_conflicts_and_blocks_publish(planned, client, login):
    login(planned["broker"])
    roadshow, session = planned["roadshow"], planned["session"]
    published = planned["version"]
    resp = client.post(f"/roadshow/{roadshow.id}/versions/{published.id}/copy")
    draft = services.latest(roadshow, "draft")
    a, b = draft.talks[0], draft.talks[1]
    # Live check: moving b onto a's slot and room is reported as a room overlap; nothing saved.
    url = f"/roadshow/{roadshow.id}/versions/{draft.id}/check"
    clash = {
        "candidate": b.candidate_id,
        "session": session.id,
        "room": a.room,
        "start": a.start_time.strftime("%H:%M"),
    }
    found = client.post(url, json=clash).get_json()["conflicts"]
    assert "room_overlap" in {c["constraint"] for c in found}
    found = client.post(url, json=clash | {"start": "09:55"}).get_json()["conflicts"]
    assert "hours" in {c["constraint"] for c in found}
    assert client.post(url, json=clash | {"start": "9点"}).status_code == 400
    # Save the clash by hand: allowed as a draft, shown, and publishing is refused.
    resp = client.post(
        f"/roadshow/{roadshow.id}/versions/{draft.id}/talks",
        data={
            "candidate_id": b.candidate_id,
            "session_id": session.id,
            "room": a.room,
            "start": a.start_time.strftime("%H:%M"),
        },
        follow_redirects=True,
    )
    assert "冲突" in resp.get_data(as_text=True)
    with pytest.raises(DomainError):
        services.publish(db.session, draft, planned["broker"])
    db.session.rollback()


def test_release_notifies_only_moved_presenters_and_affected_enterprises(planned):
    roadshow = planned["roadshow"]
    first = planned["version"]
    notes_before = db.session.query(Notification).count()
    assert notes_before > 0
    assert db.session.query(EmailOutbox).count() == notes_before
    draft = services.new_version(db.session, roadshow, planned["broker"], copy_from=first)
    services.publish(db.session, draft, planned["broker"])  # identical: nobody is told anything
    assert db.session.query(Notification).count() == notes_before
    # Move one talk into the gap of the other room.
    again = services.new_version(db.session, roadshow, planned["broker"], copy_from=draft)
    talk = again.talks[0]
    taken = {(t.room, t.start_time) for t in again.talks}
    slots = [(r["id"], f"09:{m:02d}") for r in planned["session"].rooms for m in (0, 10, 20, 30, 40)]
    moved_to = None
    for room, start in slots:
        services.place_talk(db.session, again, talk.candidate, talk.session, room, start)
        errors = [p for p in services.conflicts(roadshow, again) if p["severity"] == "error"]
        if not errors and (room, talk.start_time) not in taken:  # idle slots are only warnings
            moved_to = (room, start)
            break
    assert moved_to, "no free slot to move to"
    summary = services.publish(db.session, again, planned["broker"])
    assert summary["changed"] == 1 and summary["dropped"] == 0
    new = db.session.scalars(select(Notification).order_by(Notification.id).offset(notes_before)).all()
    presenter = talk.candidate.result.owner
    assert [n.user_id for n in new if "路演调整" in n.title] == [presenter.id]
    interested = {i.organization_id for i in talk.candidate.interests}
    told = {n.user.organization_id for n in new if n.user.role == "enterprise"}
    assert told == interested
    assert first.status == "superseded" and draft.status == "superseded" and again.status == "published"


def test_agenda_and_ics(planned, client, login):
    enterprise = planned["enterprises"][0]
    login(enterprise)
    roadshow = planned["roadshow"]
    page = client.get(f"/roadshow/{roadshow.id}/agenda").get_data(as_text=True)
    assert "金刚石线锯高效切割技术" in page and "匹配您的需求" in page
    resp = client.get(f"/roadshow/{roadshow.id}/agenda.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = Calendar.from_ical(resp.data)
    events = list(cal.walk("VEVENT"))
    assert events
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    rows = services.agenda(db.session, roadshow, enterprise.organization_id)
    for ev in events:
        start = ev.decoded("DTSTART")
        assert str(start.tzinfo) in ("Asia/Shanghai", "CST") or start.utcoffset() == timedelta(hours=8)
        assert ev["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert ev.decoded("DTEND") > start
    by_uid = {t.uid: t for t, _ in rows}
    for ev in events:
        talk = by_uid[str(ev["UID"])]
        assert ev.decoded("DTSTART").replace(tzinfo=None) == datetime.combine(
            talk.session.date, talk.start_time
        )
        assert ev.decoded("DTSTART").astimezone(UTC).hour == talk.start_time.hour - 8
    # Per-talk file; the UID stays the same in a later version.
    talk = rows[0][0]
    one = Calendar.from_ical(client.get(f"/roadshow/talks/{talk.id}.ics").data)
    uid = str(next(iter(one.walk("VEVENT")))["UID"])
    later = services.new_version(db.session, roadshow, planned["broker"], copy_from=planned["version"])
    same = next(t for t in later.talks if t.candidate_id == talk.candidate_id)
    assert same.uid == uid


def test_registration_capacity(planned, client, login):
    session = planned["session"]
    assert session.capacity == 3
    users = planned["enterprises"] + [factories.user("enterprise")]
    for u in users[:3]:
        services.register(db.session, session, u)
    with pytest.raises(DomainError, match="名额已满"):
        services.register(db.session, session, users[3])
    with pytest.raises(DomainError, match="已报名"):
        services.register(db.session, session, users[0])
    db.session.commit()
    login(users[3])
    resp = client.post(f"/roadshow/sessions/{session.id}/register", follow_redirects=True)
    assert "名额已满" in resp.get_data(as_text=True)
    assert db.session.query(Registration).count() == 3
    services.unregister(db.session, session, users[0])
    services.register(db.session, session, users[3])
    assert db.session.query(Registration).count() == 3


def test_intent_becomes_match_in_negotiation_and_report(planned, client, login):
    login(planned["broker"])
    session = planned["session"]
    talk = next(t for t in planned["version"].talks if t.candidate_id == planned["candidates"][0].id)
    need = db.session.scalars(
        select(factories.Need).where(
            factories.Need.organization_id == planned["enterprises"][0].organization_id
        )
    ).first()
    resp = client.post(
        f"/roadshow/sessions/{session.id}",
        data={"candidate_id": talk.candidate_id, "need_id": need.id, "note": "愿意中试合作"},
        follow_redirects=True,
    )
    assert "已登记意向" in resp.get_data(as_text=True)
    match = db.session.scalar(select(Match).where(Match.need_id == need.id))
    assert match.stage == "negotiation" and match.source == "roadshow"
    assert match.result_id == talk.candidate.result_id
    # It is in the broker pipeline: the stage change is recorded and the 回访 is scheduled.
    assert match.changes[-1].to_stage == "negotiation" and match.changes[-1].user_id == planned["broker"].id
    assert [fu.kind for fu in match.follow_ups] == ["introduction"]
    assert match.released_at is None  # contact details stay gated
    resp = client.post(
        f"/roadshow/sessions/{session.id}", data={"candidate_id": talk.candidate_id, "need_id": need.id}
    )
    assert "该意向已登记" in resp.get_data(as_text=True)
    resp = client.post(
        f"/roadshow/sessions/{session.id}", data={"candidate_id": talk.candidate_id, "need_id": 99999}
    )
    assert "请选择有效的技术需求" in resp.get_data(as_text=True)
    page = client.get(f"/roadshow/sessions/{session.id}").get_data(as_text=True)
    assert need.title in page  # offered in the need list
    match.stage = "signed"
    services.register(db.session, session, planned["enterprises"][0])
    db.session.commit()
    rep = services.report(db.session, planned["roadshow"])
    assert rep["totals"]["intents"] == 1 and rep["totals"]["signed"] == 1 and rep["totals"]["registered"] == 1
    assert "签约" in client.get(f"/roadshow/{planned['roadshow'].id}/report").get_data(as_text=True)


def test_pages_render_and_permissions(world, client, login):
    roadshow = world["roadshow"]
    assert client.get("/roadshow/").status_code == 200
    assert client.get(f"/roadshow/{roadshow.id}/timetable").status_code == 200
    assert client.post(f"/roadshow/{roadshow.id}/solve").status_code in (302, 401)
    login(world["enterprises"][0])
    assert client.post(f"/roadshow/{roadshow.id}/solve").status_code == 403
    assert client.get(f"/roadshow/{roadshow.id}").status_code == 302  # to the public timetable


def test_broker_builds_an_edition_through_forms(world, client, login):
    login(world["broker"])
    resp = client.post(
        "/roadshow/new",
        data={
            "title": "第二期",
            "min_interest": 0.1,
            "max_per_organization": 2,
            "conflict_weight": 0.3,
            "displacement_weight": 10,
        },
    )
    assert resp.status_code == 302
    rid = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    field_id = world["results"][0].field_id
    bad = client.post(
        f"/roadshow/{rid}/sessions",
        data={
            "kind": "chain",
            "title": "专场",
            "field_id": field_id,
            "city": "郑州",
            "date": "2026-12-09",
            "start_time": "14:00",
            "end_time": "13:00",
            "slot_minutes": 10,
            "rooms": "A厅",
        },
        follow_redirects=True,
    )
    text = bad.get_data(as_text=True)
    assert "结束时间必须晚于开始时间" in text and "座位数" in text
    ok = client.post(
        f"/roadshow/{rid}/sessions",
        data={
            "kind": "local",
            "title": "走进洛阳",
            "field_id": 0,
            "city": "洛阳",
            "date": "2026-12-09",
            "start_time": "14:00",
            "end_time": "16:00",
            "slot_minutes": 10,
            "rooms": "主会场:100",
        },
        follow_redirects=True,
    )
    assert "已添加专场" in ok.get_data(as_text=True)
    sid = db.session.scalar(select(Session.id).where(Session.roadshow_id == rid))
    page = client.get(f"/roadshow/{rid}?suggest={sid}")
    assert page.status_code == 200 and "采纳" in page.get_data(as_text=True)
    resp = client.post(
        f"/roadshow/{rid}/candidates",
        data={
            "result_id": world["results"][0].id,
            "minutes": 20,
            "availability": "2026-12-09 14:00-15:00",
            "cities": "洛阳, 郑州",
        },
        follow_redirects=True,
    )
    assert "已提名" in resp.get_data(as_text=True)
    resp = client.post(
        f"/roadshow/{rid}/candidates",
        data={"result_id": world["results"][1].id, "minutes": 20, "availability": "明天上午"},
        follow_redirects=True,
    )
    assert "无法识别" in resp.get_data(as_text=True)


def test_seed_creates_a_plannable_demo_edition(world):
    from matchmaker.roadshow.seed import seed

    demo = seed(db.session, None)
    assert demo is not None and seed(db.session, None) is None  # idempotent
    assert [s.kind for s in demo.sessions].count("local") == 1
    assert demo.candidates
    version = services.queue_solve(db.session, demo, world["broker"], 5)
    services.run_solve(db.session, version)
    assert version.talks and services.conflicts(demo, version) == []


def test_withdrawing_candidates_and_sessions(planned, client, login):
    login(planned["broker"])
    roadshow, session = planned["roadshow"], planned["session"]
    cand = planned["candidates"][0]
    resp = client.post(f"/roadshow/{roadshow.id}/candidates/{cand.id}/delete", follow_redirects=True)
    assert "已发布日程" in resp.get_data(as_text=True)
    resp = client.post(f"/roadshow/{roadshow.id}/sessions/{session.id}/delete", follow_redirects=True)
    assert "不能删除" in resp.get_data(as_text=True)
    # In a new draft, drop the talk and publish: now the candidate can be withdrawn.
    draft = services.new_version(db.session, roadshow, planned["broker"], copy_from=planned["version"])
    services.remove_talk(db.session, draft, next(t for t in draft.talks if t.candidate_id == cand.id))
    services.publish(db.session, draft, planned["broker"])
    other = services.new_version(db.session, roadshow, planned["broker"], copy_from=draft)
    db.session.commit()
    resp = client.post(f"/roadshow/{roadshow.id}/candidates/{cand.id}/delete", follow_redirects=True)
    assert "已移除候选项目" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert len(other.talks) == 3 and cand.id not in {c.id for c in roadshow.candidates}


def test_no_registration_after_the_session(planned):
    session = planned["session"]
    session.date = session.date.replace(year=2020)
    with pytest.raises(DomainError, match="已结束"):
        services.register(db.session, session, planned["enterprises"][0])


def test_replanning_after_release_keeps_published_talks(planned):
    roadshow, broker = planned["roadshow"], planned["broker"]
    before = {(t.candidate_id, t.session_id, t.room, t.start_time) for t in planned["version"].talks}
    extra = factories.result(
        title="金刚石线锯切割新工艺", description="金刚石线锯切割硅片的新工艺", field_name="超硬材料"
    )
    services.nominate(db.session, roadshow, extra, broker, minutes=10)
    version = services.queue_solve(db.session, roadshow, broker, 5)
    services.run_solve(db.session, version)
    after = {(t.candidate_id, t.session_id, t.room, t.start_time) for t in version.talks}
    assert before <= after  # μ keeps every published talk where it was
    assert version.solve["breakdown"]["displaced"] == 0
