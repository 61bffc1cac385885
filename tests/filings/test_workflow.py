"""Workflow: draft → submitted → returned (reason required) → submitted → accepted (number,
Result through the posting service, audit, inbox + outbox)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.errors import DomainError
from matchmaker.filings import services
from matchmaker.matching.models import IndexChange
from matchmaker.notifications.models import EmailOutbox, Notification
from matchmaker.postings.models import Result
from tests import factories as f


def _actions(db, filing):
    return [
        a.action
        for a in db.session.scalars(
            select(AuditLog).where(AuditLog.target == f"filing:{filing.id}").order_by(AuditLog.id)
        )
    ]


def test_draft_return_resubmit_accept(db, researcher, admin, complete):
    filing = services.create_filing(db.session, researcher, {"title": "秸秆还田机具"})
    assert filing.status == "draft" and filing.organization == researcher.organization
    with pytest.raises(DomainError) as exc:
        services.submit_filing(db.session, filing, researcher)
    assert exc.value.field == "summary"
    services.update_filing(db.session, filing, researcher, complete(), submit=True)
    assert filing.status == "submitted" and filing.submitted_at is not None

    with pytest.raises(DomainError) as exc:
        services.decide(db.session, filing, admin, "return", "  ")
    assert exc.value.field == "reason"
    services.decide(db.session, filing, admin, "return", "项目编号与任务书不一致")
    assert filing.status == "returned" and filing.return_reason == "项目编号与任务书不一致"
    note = db.session.scalar(select(Notification).where(Notification.user_id == researcher.id))
    assert "退回" in note.title and "任务书" in note.body
    assert db.session.scalar(select(EmailOutbox).where(EmailOutbox.to_address == researcher.email))

    with pytest.raises(DomainError):  # a returned filing is not reviewable until resubmitted
        services.decide(db.session, filing, admin, "accept")
    services.update_filing(db.session, filing, researcher, {"project_no": "241111110101"}, submit=True)
    services.decide(db.session, filing, admin, "accept")
    db.session.commit()

    assert filing.status == "accepted"
    assert re.fullmatch(r"豫成登〔\d{4}〕000001", filing.registration_no)
    result = filing.result
    assert result.status == "published" and result.organization == researcher.organization
    assert result.title == filing.title and result.field.name == "现代农业" and result.trl == 6
    assert result.patent_numbers == ["ZL202310000001.2"] and result.transfer_modes == ["许可"]
    # created through the posting service: the index change log carries it into matching
    assert db.session.scalar(
        select(IndexChange).where(IndexChange.kind == "result", IndexChange.posting_id == result.id)
    )
    assert _actions(db, filing) == [
        "filing_create",
        "filing_update",
        "filing_submit",
        "filing_return",
        "filing_update",
        "filing_submit",
        "filing_accept",
    ]
    titles = [
        n.title for n in db.session.scalars(select(Notification).where(Notification.user_id == researcher.id))
    ]
    assert any("已通过" in t for t in titles)
    with pytest.raises(DomainError):
        services.update_filing(db.session, filing, researcher, {"title": "改名后的成果名称"})


def test_accept_links_an_existing_result_of_the_same_unit(db, researcher, admin, complete):
    own = f.result(org=researcher.organization, title="已发布的秸秆还田成果")
    other = f.result(title="别家的成果")
    with pytest.raises(DomainError) as exc:
        services.create_filing(db.session, researcher, complete(result=other.external_id), submit=True)
    assert exc.value.field == "result"
    filing = services.create_filing(db.session, researcher, complete(result=own.external_id), submit=True)
    before = db.session.scalar(select(Result.id).order_by(Result.id.desc()))
    services.decide(db.session, filing, admin, "accept")
    assert filing.result_id == own.id
    assert db.session.scalar(select(Result.id).order_by(Result.id.desc())) == before


def test_only_admin_reviews_and_only_submitted(db, researcher, admin, complete):
    filing = services.create_filing(db.session, researcher, complete())
    with pytest.raises(DomainError):
        services.decide(db.session, filing, admin, "accept")  # still a draft
    services.submit_filing(db.session, filing, researcher)
    with pytest.raises(DomainError):
        services.decide(db.session, filing, researcher, "accept")
    with pytest.raises(DomainError) as exc:
        services.decide(db.session, filing, admin, "maybe")
    assert exc.value.field == "decision"
