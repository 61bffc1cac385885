"""Deadline after project acceptance: the overdue list and idempotent daily reminders."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from matchmaker import jobs
from matchmaker.filings import services
from matchmaker.localtime import local_today
from matchmaker.notifications.models import EmailOutbox, Notification


def _filing(db, researcher, complete, days_ago: int, **kw):
    accepted = (local_today() - timedelta(days=days_ago)).isoformat()
    return services.create_filing(db.session, researcher, complete(acceptance_date=accepted, **kw))


def _inbox(db, user) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id))


def test_overdue_list_and_reminders_once_a_day(app, db, researcher, admin, as_client, complete):
    late = _filing(db, researcher, complete, 120, title="逾期未交的成果")
    _filing(db, researcher, complete, 30, title="尚在期限内的成果")
    done = _filing(db, researcher, complete, 200, title="已经提交的成果")
    services.submit_filing(db.session, done, researcher)
    db.session.commit()

    page = as_client(admin).get("/filings/overdue").get_data(as_text=True)
    assert "逾期未交的成果" in page and "尚在期限内的成果" not in page and "已经提交的成果" not in page
    assert "30 天" in page  # 120 days after acceptance, 90 allowed
    assert as_client(researcher).get("/filings/overdue").status_code == 403
    listing = as_client(admin).get("/filings/").get_data(as_text=True)
    assert "逾期未登记" in listing and "汇交导出 Excel" in listing and "逾期未交的成果" in listing

    runner = app.test_cli_runner()
    out = runner.invoke(args=["filings", "remind"])
    assert out.exit_code == 0 and "已提醒 1 项" in out.output
    assert _inbox(db, researcher) == 1
    mail = db.session.scalar(select(EmailOutbox).where(EmailOutbox.to_address == researcher.email))
    assert "逾期" in mail.subject
    out = runner.invoke(args=["filings", "remind"])  # the same day: nothing new
    assert "已提醒 0 项" in out.output and _inbox(db, researcher) == 1
    # the next day reminds again
    assert services.remind_overdue(db.session, 90, local_today() + timedelta(days=1)) == 1
    db.session.refresh(late)
    assert late.last_reminded_on == local_today() + timedelta(days=1)


def test_deadline_is_configurable_and_a_periodic_job(app, db, researcher, complete):
    _filing(db, researcher, complete, 40)
    db.session.commit()
    assert db.session.scalars(services.overdue_query(90)).all() == []
    app.config["FILING_DEADLINE_DAYS"] = 30
    assert "filings.remind" in jobs.get_huey(app).matchmaker_tasks
    remind = next(job for job in jobs.scheduled(app) if job.name == "filings.remind")
    assert jobs.run_scheduled(app, remind) == "已发送 1 条逾期提醒"
    assert _inbox(db, researcher) == 1


def test_reminders_without_submitter_go_to_the_units_researchers(db, admin, researcher, complete):
    filing = services.create_filing(
        db.session, admin, complete(organization="郑州测试大学", acceptance_date="2025-01-01")
    )
    assert filing.submitter is None
    assert services.remind_overdue(db.session, 90) == 1
    assert _inbox(db, researcher) == 1
