"""Scheduled jobs (定时任务): declared in create_app, registered with the worker's huey, runnable by hand."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from matchmaker import SCHEDULE, jobs
from matchmaker.postings.models import Need
from tests import factories as f


def test_the_worker_runs_what_create_app_declares_at_its_times(app, tmp_path):
    app.config["QUEUE_FILE"] = tmp_path / "huey.db"
    assert [j.name for j in jobs.scheduled(app)] == [name for name, _, _ in SCHEDULE]
    huey = jobs.get_huey(app)

    def due(ts):
        return {t.name for t in huey.read_periodic(ts)}

    # huey's clock is UTC: 16:05 UTC is five past midnight in Beijing
    assert due(datetime(2026, 12, 2, 16, 5)) >= {"auctions.close_due", "needs.close_expired", "index.poll"}
    assert "needs.close_expired" not in due(datetime(2026, 12, 2, 16, 6))
    assert "auctions.close_due" in due(datetime(2026, 12, 2, 16, 6))


def test_a_scheduled_job_runs_through_huey_and_commits(app, db, tmp_path):
    app.config["QUEUE_FILE"] = tmp_path / "huey.db"
    f.need("早已过期的需求", deadline=date(2020, 1, 1))
    db.session.commit()
    task = jobs.get_huey(app).matchmaker_tasks["needs.close_expired"]
    assert task.call_local() == "已关闭 1 条过期需求"
    db.session.expire_all()
    assert db.session.scalar(select(Need.status).where(Need.title == "早已过期的需求")) == "closed"


def test_jobs_cli_lists_and_runs_by_name(app, db):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0 and "needs.close_expired" in listed.output and "5 16 * * *" in listed.output
    ran = runner.invoke(args=["jobs", "run", "auctions.close_due"])
    assert ran.exit_code == 0 and "已结束 0 场" in ran.output
    unknown = runner.invoke(args=["jobs", "run", "nope"])
    assert unknown.exit_code != 0 and "没有名为 nope 的定时任务" in unknown.output
