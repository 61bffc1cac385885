"""Solve progress lives in the database, so every web worker reports the same state (issue 10)."""

from __future__ import annotations

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session as OrmSession

from matchmaker.extensions import db
from matchmaker.roadshow import services
from matchmaker.roadshow.models import ScheduleVersion


def test_progress_written_by_another_process_is_what_the_page_polls(world, client, login, app):
    """A worker process writes progress on its own connection; the web app only reads the row."""
    version = services.queue_solve(db.session, world["roadshow"], world["broker"], 5)
    db.session.commit()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])  # stands for another process
    try:
        services.record_progress(
            other, version.id, {"phase": "solving", "objective": 1.5, "bound": 2.0}, "running"
        )
        login(world["broker"])
        url = f"/roadshow/{world['roadshow'].id}/versions/{version.id}/status"
        state = client.get(url).get_json()
        assert state["job_status"] == "running"
        assert state["progress"] == {"phase": "solving", "objective": 1.5, "bound": 2.0}
        assert state["updated_at"]
        api = client.get(f"/api/v1/roadshows/{world['roadshow'].id}/versions/{version.id}").get_json()
        assert api["progress"]["objective"] == 1.5
    finally:
        other.dispose()


def test_run_plan_commits_the_draft_and_is_idempotent(world, app):
    version = services.queue_solve(db.session, world["roadshow"], world["broker"], 5)
    db.session.commit()
    vid = version.id
    assert services.run_plan(db.session, vid) is True
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with OrmSession(other) as fresh:  # committed: visible from a new connection
            row = fresh.scalars(select(ScheduleVersion).where(ScheduleVersion.id == vid)).one()
            assert row.job_status == "done" and row.progress["phase"] == "done"
            assert row.solve["status"] == "OPTIMAL" and len(row.talks) == 4
            assert row.solve["idle"] == []
    finally:
        other.dispose()
    assert services.run_plan(db.session, vid) is False  # a repeated job changes nothing
    assert len(db.session.get(ScheduleVersion, vid).talks) == 4


def test_with_a_worker_the_solve_is_a_queued_job_not_a_thread_in_the_web_process(world, app, tmp_path):
    """JOBS=worker: the request only enqueues; the worker's huey runs the solve (issue 10)."""
    from datetime import timedelta

    from matchmaker import jobs

    app.config.update(JOBS="worker", QUEUE_FILE=tmp_path / "huey.db")
    version = services.queue_solve(db.session, world["roadshow"], world["broker"], 5)
    db.session.commit()
    vid = version.id
    jobs.submit(app, "roadshow.solve", vid)
    huey = jobs.get_huey(app)
    assert huey.pending_count() == 1
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, vid).job_status == "queued"  # nothing ran in this process
    huey.execute(huey.dequeue())  # what the consumer thread does
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, vid).job_status == "done"

    # a job lost with the queue (killed worker) is resumed by the scheduled check
    lost = services.queue_solve(db.session, world["roadshow"], world["broker"], 5)
    lost.created_at -= timedelta(hours=1)
    db.session.commit()
    lost_id = lost.id
    assert services.resume_stalled_solves(db.session) == "恢复 1 个中断的排程求解"
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, lost_id).job_status == "done"
