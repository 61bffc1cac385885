"""Automatic proposals on publish/change, the propose/followups/mail commands and the seed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from matchmaker.extensions import utcnow
from matchmaker.notifications.models import EmailOutbox, Notification
from matchmaker.review.models import FollowUp, Match
from tests import factories as f
from tests.review.smtp_server import SMTPServer


def _count(db, **where):
    q = select(func.count(Match.id))
    for k, v in where.items():
        q = q.where(getattr(Match, k) == v)
    return db.session.scalar(q)


def test_publishing_a_need_proposes_automatically(app, db):
    app.config["AUTO_PROPOSE"] = True
    researcher = f.user("researcher")
    result = f.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"], org=researcher.organization)
    db.session.commit()  # a result alone: no needs yet, nothing to propose
    owner = f.user("enterprise")
    need = f.need("数控机床热误差导致尺寸漂移", org=owner.organization, keywords=["热误差"])
    db.session.commit()
    assert _count(db, need_id=need.id, result_id=result.id) == 1
    for user in (owner, researcher):  # both postings' organisations hear of the new match
        assert db.session.scalar(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == "new_match")
        )
    # A change that does not touch ranking inputs does not re-run; one that does keeps it idempotent.
    need.contact_name = "赵工"
    db.session.commit()
    need.description = need.description + " 车间温差大。"
    db.session.commit()
    assert _count(db, need_id=need.id) == 1
    # Withdrawing the result removes its undecided proposals.
    result.status = "archived"
    db.session.commit()
    assert _count(db, need_id=need.id) == 0


def test_in_worker_mode_proposals_wait_for_the_worker(app, db):
    from matchmaker import pipeline

    app.config["AUTO_PROPOSE"] = True
    f.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"])
    db.session.commit()
    app.config["JOBS"] = "worker"
    with app.test_request_context("/needs/import", method="POST"):  # a bulk upload through the web
        needs = [f.need(f"数控机床热误差问题{i}", keywords=["热误差"]) for i in range(7)]
        db.session.commit()
    assert _count(db) == 0, "the request only logs its changes"
    assert pipeline.drain(app) == 7
    db.session.expire_all()
    assert all(_count(db, need_id=n.id) == 1 for n in needs)


def test_bulk_changes_outside_requests_run_inline(app, db):
    app.config["AUTO_PROPOSE"] = True
    f.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"])
    needs = [f.need(f"数控机床热误差问题{i}", keywords=["热误差"]) for i in range(7)]
    db.session.commit()
    assert all(_count(db, need_id=n.id) == 1 for n in needs)


def test_auto_propose_off_does_nothing(app, db):
    app.config["AUTO_PROPOSE"] = False
    f.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"])
    f.need("数控机床热误差", keywords=["热误差"])
    db.session.commit()
    assert _count(db) == 0


def test_propose_command(app, db, deal):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["propose", "--top", "3"])
    assert out.exit_code == 0, out.output
    assert "新增推荐 0" in out.output  # the fixture already proposed: idempotent
    out = runner.invoke(args=["propose", "--need", "99999"])
    assert out.exit_code != 0 and "不存在" in out.output


def test_followups_command_notifies_due_tasks(app, db, deal):
    db.session.add(
        FollowUp(
            match_id=deal.match.id,
            kind="introduction",
            due_at=utcnow() - timedelta(days=1),
            broker_id=deal.broker.id,
        )
    )
    db.session.add(
        FollowUp(
            match_id=deal.match.id,
            kind="signing",
            due_at=utcnow() + timedelta(days=5),
            broker_id=deal.broker.id,
        )
    )
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["followups"])
    assert out.exit_code == 0 and "本次新发提醒 1 条" in out.output
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.kind == "follow_up")) == 1


def test_mail_outbox_off_by_default_digest_bundles_and_sender_drains(app, db):
    from matchmaker.notifications.mail import bundle_digests, send_pending
    from matchmaker.notifications.services import notify

    instant = f.user("enterprise")
    weekly = f.user("researcher", digest="weekly")
    notify(db.session, instant, "stage", "进入签约")
    notify(db.session, weekly, "stage", "消息一")
    notify(db.session, weekly, "stage", "消息二")
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "邮件发送已关闭" in out.output
    assert db.session.scalar(select(func.count(EmailOutbox.id)).where(EmailOutbox.sent_at.is_not(None))) == 0

    assert bundle_digests(db.session) == 1
    digest = db.session.scalar(select(EmailOutbox).where(EmailOutbox.subject.contains("每周摘要")))
    assert "消息一" in digest.body and "消息二" in digest.body and digest.to_address == weekly.email
    server = SMTPServer()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
        out = app.test_cli_runner().invoke(args=["mail", "send"])
        assert "已发送 2 封，失败 0 封" in out.output, out.output
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.messages) == 2
    assert sorted(
        next(ln for ln in m.splitlines() if ln.startswith("To: ")) for m in server.messages
    ) == sorted([f"To: {instant.email}", f"To: {weekly.email}"])
    assert send_pending(db.session, app.config) == (0, 0)  # nothing left to send
    notify(db.session, instant, "stage", "服务器停了")
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["mail", "send"])  # the server is shut down now
    assert out.exit_code != 0 and "无法通过 SMTP 服务器" in out.output
    assert (
        db.session.scalar(select(EmailOutbox).where(EmailOutbox.subject.contains("服务器停了"))).sent_at
        is None
    )


def test_seed_loads_decisions(app, db, tmp_path):
    from matchmaker.review.seed import seed

    broker = f.user("broker")
    r1 = f.result("数控机床主轴热误差建模与实时补偿", external_id="SR001", keywords=["热误差"])
    r2 = f.result("机床导轨润滑油回收", external_id="SR002", keywords=["机床"])
    n1 = f.need("数控机床热误差导致尺寸漂移", external_id="SN001", keywords=["热误差"])
    db.session.commit()
    (tmp_path / "decisions.jsonl").write_text(
        "\n".join(
            json.dumps(d, ensure_ascii=False)
            for d in [
                {
                    "need": "SN001",
                    "result": "SR001",
                    "decision": "accept",
                    "reason": None,
                    "note": "直接对口",
                },
                {
                    "need": "SN001",
                    "result": "SR002",
                    "decision": "reject",
                    "reason": "技术不对口",
                    "note": "润滑不是热误差",
                },
                {"need": "SN404", "result": "SR001", "decision": "accept"},
            ]
        ),
        encoding="utf-8",
    )
    stats = seed(db.session, tmp_path)
    db.session.commit()
    assert stats["decisions"] == 2 and stats["skipped"] == 1
    m1 = db.session.scalar(select(Match).where(Match.need_id == n1.id, Match.result_id == r1.id))
    m2 = db.session.scalar(select(Match).where(Match.need_id == n1.id, Match.result_id == r2.id))
    assert m1.decision == "accept" and m1.decided_by_id == broker.id and m1.stage == "confirmation"
    assert m2.decision == "reject" and m2.reason_code == "tech_mismatch"
    assert seed(db.session, tmp_path)["decisions"] == 0  # idempotent
