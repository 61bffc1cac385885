"""Proposals, decisions, confirmations, stage rules and follow-ups (service level)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.notifications.models import Notification
from matchmaker.review import services
from matchmaker.review.models import FollowUp, Match, StageChange
from tests import factories as f


def _both_confirm(db, deal, now=None):
    services.decide(db.session, deal.match, deal.broker, "accept", None, "方向一致", now=now)
    services.respond(db.session, deal.match, deal.enterprise, True, now=now)
    services.respond(db.session, deal.match, deal.researcher, True, now=now)
    db.session.commit()


def test_propose_stores_top_results_with_components(db, deal):
    m = deal.match
    assert m.source == "ranker" and m.stage == "proposed" and m.score > 0
    assert m.components and isinstance(m.explanation, dict)
    # The corn result shares nothing with the machine-tool need: not proposed.
    assert (
        db.session.scalar(
            select(Match).where(Match.need_id == deal.need.id, Match.result_id != deal.result.id)
        )
        is None
    )
    assert m.changes[0].to_stage == "proposed"


def test_propose_is_idempotent_and_never_reopens_rejected(db, deal):
    before = db.session.scalars(select(Match.id)).all()
    stats = services.propose(db.session, top=5)
    db.session.commit()
    assert stats.created == 0 and stats.refreshed == len(before)
    assert db.session.scalars(select(Match.id)).all() == before

    services.decide(db.session, deal.match, deal.broker, "reject", "immature", None)
    db.session.commit()
    stats = services.propose(db.session, top=5)
    db.session.commit()
    assert stats.created == 0 and stats.kept_decided == 1
    rows = db.session.scalars(
        select(Match).where(Match.need_id == deal.need.id, Match.result_id == deal.result.id)
    ).all()
    assert len(rows) == 1 and rows[0].stage == "closed" and rows[0].decision == "reject"


def test_propose_refreshes_undecided_scores(db, deal):
    deal.match.score = 0.0001
    db.session.commit()
    services.propose(db.session, [deal.need.id])
    db.session.commit()
    assert deal.match.score > 0.0001


def test_manual_match_is_recorded_as_ranking_miss(db, deal):
    other = f.result("玉米秸秆饲料化加工", field_name="食品加工")
    m = services.add_manual(db.session, deal.need, other, deal.broker, "企业提到副产品利用")
    assert m.source == "manual" and m.stage == "proposed"
    with pytest.raises(DomainError, match="已在推荐列表"):
        services.add_manual(db.session, deal.need, deal.result, deal.broker)
    with pytest.raises(DomainError) as exc:
        services.add_manual(db.session, deal.need, other, deal.enterprise)
    assert exc.value.status == 403


def test_only_brokers_decide_and_reasons_are_checked(db, deal):
    with pytest.raises(DomainError) as exc:
        services.decide(db.session, deal.match, deal.enterprise, "accept", None)
    assert exc.value.status == 403
    with pytest.raises(DomainError, match="不通过须选择理由"):
        services.decide(db.session, deal.match, deal.broker, "reject", None)
    with pytest.raises(DomainError, match="其他"):
        services.decide(db.session, deal.match, deal.broker, "reject", "other", "")
    services.decide(db.session, deal.match, deal.broker, "accept", None)
    with pytest.raises(DomainError, match="不能重复审核"):
        services.decide(db.session, deal.match, deal.broker, "reject", "price")


def test_accept_asks_both_parties_to_confirm(db, deal):
    services.decide(db.session, deal.match, deal.broker, "accept", None)
    db.session.commit()
    assert deal.match.stage == "confirmation"
    for user in (deal.enterprise, deal.researcher):
        kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)).all()
        assert "confirm_request" in kinds
    assert services.visible_contact(deal.enterprise, deal.match, "result") is None
    assert services.visible_contact(deal.researcher, deal.match, "need") is None


def test_release_only_when_both_confirm_and_is_audited(db, deal):
    services.decide(db.session, deal.match, deal.broker, "accept", None)
    services.respond(db.session, deal.match, deal.enterprise, True)
    db.session.commit()
    assert not deal.match.released
    assert services.visible_contact(deal.enterprise, deal.match, "result") is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "contact_release")) is None

    services.respond(db.session, deal.match, deal.researcher, True)
    db.session.commit()
    assert deal.match.released and deal.match.stage == "negotiation"
    assert (
        services.visible_contact(deal.enterprise, deal.match, "result")["phone"] == deal.result.contact_phone
    )
    assert services.visible_contact(deal.researcher, deal.match, "need")["phone"] == deal.need.contact_phone
    assert services.visible_contact(deal.outsider, deal.match, "need") is None
    logs = db.session.scalars(select(AuditLog).where(AuditLog.action == "contact_release")).all()
    assert len(logs) == 2 and all(log.target == f"match:{deal.match.id}" for log in logs)
    assert {log.user_id for log in logs} == {deal.enterprise.id, deal.researcher.id}


def test_decline_needs_reason_and_other_side_sees_it(db, deal):
    services.decide(db.session, deal.match, deal.broker, "accept", None)
    with pytest.raises(DomainError, match="婉拒须填写原因"):
        services.respond(db.session, deal.match, deal.researcher, False, "")
    services.respond(db.session, deal.match, deal.researcher, False, "团队本年度排期已满")
    db.session.commit()
    assert deal.match.stage == "closed" and not deal.match.released
    note = db.session.scalar(
        select(Notification).where(Notification.user_id == deal.enterprise.id, Notification.kind == "stage")
    )
    assert "团队本年度排期已满" in note.body
    with pytest.raises(DomainError):
        services.respond(db.session, deal.match, deal.outsider, True)


def test_illegal_stage_jumps_are_rejected_with_clear_error(db, deal):
    with pytest.raises(DomainError, match="不能从「推荐」直接进入「签约」"):
        services.advance(
            db.session, deal.match, "signed", deal.broker, contract_type="license", amount_wan=50
        )
    services.decide(db.session, deal.match, deal.broker, "accept", None)
    with pytest.raises(DomainError, match="双方尚未都确认意向"):
        services.advance(db.session, deal.match, "negotiation", deal.broker)
    with pytest.raises(DomainError, match="不能从「双方确认」直接进入「登记」"):
        services.advance(db.session, deal.match, "registered", deal.broker)
    with pytest.raises(DomainError, match="关闭撮合须填写原因"):
        services.advance(db.session, deal.match, "closed", deal.broker, "")
    with pytest.raises(DomainError, match="未知阶段"):
        services.advance(db.session, deal.match, "won", deal.broker)


def test_full_pipeline_records_who_when_why_and_contract(db, deal):
    _both_confirm(db, deal)
    with pytest.raises(DomainError, match="合同类型"):
        services.advance(db.session, deal.match, "signed", deal.broker, amount_wan=80)
    with pytest.raises(DomainError, match="金额"):
        services.advance(
            db.session, deal.match, "signed", deal.broker, contract_type="license", amount_wan="abc"
        )
    services.advance(
        db.session, deal.match, "signed", deal.broker, "许可合同已签", contract_type="license", amount_wan=80
    )
    db.session.commit()
    c = deal.match.contract
    assert c.amount_wan == 80 and c.type_label == "技术许可"
    assert c.buyer == "郑州精密机械有限公司" and c.seller == "郑州大学机械学院"
    with pytest.raises(DomainError, match="登记号"):
        services.advance(db.session, deal.match, "registered", deal.broker)
    services.advance(db.session, deal.match, "registered", deal.broker, registration_no="410100-2026-0001")
    db.session.commit()
    stages = [(c.from_stage, c.to_stage) for c in deal.match.changes]
    assert stages == [
        (None, "proposed"),
        ("proposed", "confirmation"),
        ("confirmation", "negotiation"),
        ("negotiation", "signed"),
        ("signed", "registered"),
    ]
    last = deal.match.changes[-2]
    assert last.user_id == deal.broker.id and last.reason == "许可合同已签" and last.at is not None
    with pytest.raises(DomainError, match="当前阶段可进入：无"):
        services.advance(db.session, deal.match, "closed", deal.broker, "x")


def test_follow_ups_fall_due_7_days_after_introduction_and_30_after_signing(db, deal):
    t0 = utcnow() - timedelta(days=40)
    _both_confirm(db, deal, now=t0)
    intro = db.session.scalar(select(FollowUp).where(FollowUp.kind == "introduction"))
    assert intro.due_at == t0 + timedelta(days=7) and intro.broker_id == deal.broker.id
    assert services.due_follow_ups(db.session, now=t0 + timedelta(days=6)) == []
    assert services.due_follow_ups(db.session, now=t0 + timedelta(days=7)) == [intro]

    services.advance(
        db.session,
        deal.match,
        "signed",
        deal.broker,
        contract_type="development",
        amount_wan=120,
        now=t0 + timedelta(days=8),
    )
    signing = db.session.scalar(select(FollowUp).where(FollowUp.kind == "signing"))
    assert signing.due_at == t0 + timedelta(days=38)
    assert signing not in services.due_follow_ups(db.session, now=t0 + timedelta(days=37))
    assert signing in services.due_follow_ups(db.session, now=t0 + timedelta(days=38), broker=deal.broker)

    sent = services.notify_due_follow_ups(db.session, now=t0 + timedelta(days=39))
    assert sent == 2 and services.notify_due_follow_ups(db.session, now=t0 + timedelta(days=39)) == 0
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == deal.broker.id)).all()
    assert kinds.count("follow_up") == 2
    services.complete_follow_up(db.session, intro, deal.broker, "双方已见面")
    assert intro not in services.due_follow_ups(db.session, now=t0 + timedelta(days=39))


def test_queue_follows_broker_fields_and_regions(db, deal):
    flt = services.QueueFilter()
    ids = lambda user: db.session.scalars(services.queue_query(user, flt)).all()  # noqa: E731
    assert deal.match in ids(deal.broker)
    deal.broker.broker_fields = ["种业创新"]
    assert deal.match not in ids(deal.broker)
    deal.broker.broker_fields = ["高端装备制造"]
    deal.broker.broker_regions = ["洛阳"]
    assert deal.match not in ids(deal.broker)
    deal.broker.broker_regions = ["郑州"]
    assert deal.match in ids(deal.broker)
    assert (
        deal.match
        not in db.session.scalars(
            services.queue_query(deal.broker, services.QueueFilter(status="rejected"))
        ).all()
    )


def test_stage_changes_notify_parties(db, deal):
    _both_confirm(db, deal)
    services.advance(db.session, deal.match, "signed", deal.broker, contract_type="transfer", amount_wan=30)
    db.session.commit()
    titles = db.session.scalars(
        select(Notification.title).where(
            Notification.user_id == deal.enterprise.id, Notification.kind == "stage"
        )
    ).all()
    assert any("签约" in t for t in titles)
    assert (
        db.session.scalar(select(StageChange).where(StageChange.to_stage == "signed")).user_id
        == deal.broker.id
    )


def test_roadshow_intent_parties_can_still_release_contacts(db, deal, as_user):
    """A 路演意向 enters at 对接洽谈 with contacts gated; both parties confirming releases them."""
    from tests.review.conftest import RESULT_PHONE

    match = services.enter_from_intent(db.session, deal.need, deal.result, deal.broker, note="路演后有意向")
    db.session.commit()
    assert match.stage == "negotiation" and not match.released
    told = db.session.query(Notification).filter_by(user_id=deal.enterprise.id).all()
    assert any("路演对接意向" in n.title for n in told)
    ent = as_user(deal.enterprise)
    page = ent.get("/review/mine").get_data(as_text=True)
    assert 'data-testid="confirm"' in page and RESULT_PHONE not in page
    ent.post(f"/review/match/{match.id}/respond", data={"answer": "confirm"})
    assert RESULT_PHONE not in ent.get("/review/mine").get_data(as_text=True)
    as_user(deal.researcher).post(f"/review/match/{match.id}/respond", data={"answer": "confirm"})
    db.session.refresh(match)
    assert match.released and match.stage == "negotiation"
    assert [c.to_stage for c in match.changes].count("negotiation") == 1
    assert RESULT_PHONE in ent.get("/review/mine").get_data(as_text=True)
    with pytest.raises(DomainError):
        services.respond(db.session, match, deal.enterprise, True)
