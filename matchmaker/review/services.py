"""Broker workspace services (经纪人工作台): proposals, review, gated contact, pipeline, follow-ups.

Plain Python over a SQLAlchemy session: web views, the API and the CLI call the same
functions. Services only flush; the caller owns the commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from matchmaker.accounts import policy
from matchmaker.accounts.models import User
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.matching import ranker
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Field, Need, Result
from matchmaker.review.learning import current_weights, fused_score
from matchmaker.review.models import (
    CONTRACT_TYPES,
    REASONS,
    SIDES,
    STAGES,
    Contract,
    FollowUp,
    Match,
    StageChange,
)

DEFAULT_TOP = 10
# Proposals keep only results within ranker.RELEVANCE_GAP of the need's best result: measured
# on the seed data it keeps 71 of 74 intended pairs while halving the noise (docs/review.md).
MAX_GAP = ranker.RELEVANCE_GAP
INTRODUCTION_FOLLOW_UP = timedelta(days=7)
SIGNING_FOLLOW_UP = timedelta(days=30)

# Legal moves between stages. Acceptance may skip 经纪人审核 (accepting is the review);
# 对接洽谈 is entered only when both sides confirm; anything still open can be closed.
TRANSITIONS = {
    "proposed": {"broker_review", "confirmation", "closed"},
    "broker_review": {"proposed", "confirmation", "closed"},
    "confirmation": {"negotiation", "closed"},
    "negotiation": {"signed", "closed"},
    "signed": {"registered", "closed"},
    "registered": set(),
    "closed": set(),
}
OPEN_STAGES = ("proposed", "broker_review")


# ---------------------------------------------------------------- permissions / 分级披露


OUT_OF_SCOPE = "该撮合不在您负责的地区或领域内，只能查看公开信息"


def is_broker(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in ("broker", "admin")


def party_side(user, match: Match) -> str | None:
    """ "need" or "result" when the user belongs to that side's organisation."""
    if not getattr(user, "is_authenticated", False):
        return None
    if match.need and match.need.organization_id == user.organization_id:
        return "need"
    if match.result and match.result.organization_id == user.organization_id:
        return "result"
    return None


def can_view(user, match: Match) -> bool:
    """Brokers see every match; a party sees a match only once a broker accepted it."""
    if is_broker(user):
        return True
    return party_side(user, match) is not None and match.decision == "accept"


def other(side: str) -> str:
    return "result" if side == "need" else "need"


def posting(match: Match, side: str):
    return match.need if side == "need" else match.result


def contact_of(match: Match, side: str) -> dict:
    """The contact details of one side: the posting's contact, else its owner's account."""
    post = posting(match, side)
    owner = post.owner if post is not None else None
    return {
        "organization": post.organization.name if post is not None else "",
        "name": (post.contact_name if post is not None else None) or (owner.name if owner else None),
        "phone": (post.contact_phone if post is not None else None) or (owner.phone if owner else None),
        "email": (post.contact_email if post is not None else None) or (owner.email if owner else None),
    }


def visible_contact(user, match: Match, side: str) -> dict | None:
    """That side's contact details if this user may see them here, else None.

    The side's own organisation always may. Everyone else (the other party, and in this
    workspace also brokers, whose screens and exports are shared) only after both sides
    confirmed (released_at set). Brokers still reach contacts on the posting pages.
    """
    mine = party_side(user, match)
    if mine == side:
        return contact_of(match, side)
    if match.released and (mine is not None or policy.can_review(user, match)):
        return contact_of(match, side)
    return None


def public_summary(post) -> dict:
    """What anyone may see of a posting: no contact fields."""
    if post is None:
        return {}
    data = {
        "id": post.id,
        "external_id": post.external_id,
        "kind": post.kind,
        "title": post.title,
        "description": post.description,
        "field": post.field.name if post.field else None,
        "keywords": post.keywords or [],
        "region": post.region,
        "organization": post.organization.name if post.organization else None,
    }
    if post.kind == "result":
        data.update(
            maturity=post.maturity, transfer_modes=post.transfer_modes or [], price_wan=post.price_wan
        )
    else:
        data.update(budget_wan=post.budget_wan, deadline=post.deadline.isoformat() if post.deadline else None)
    return data


def side_users(session: Session, match: Match, side: str) -> list[User]:
    post = posting(match, side)
    if post is None:
        return []
    return list(
        session.scalars(
            select(User).where(User.organization_id == post.organization_id, User.active.is_(True))
        ).all()
    )


# ---------------------------------------------------------------- proposals / 推荐


@dataclass
class ProposeStats:
    created: int = 0
    refreshed: int = 0
    removed: int = 0
    kept_decided: int = 0
    needs: int = 0
    new_pairs: list = field(default_factory=list)  # (need_id, result_id) created

    def add(self, other: ProposeStats) -> None:
        for name in ("created", "refreshed", "removed", "kept_decided", "needs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.new_pairs.extend(other.new_pairs)


def _ranked_results(session: Session, need: Need, top: int) -> list:
    """The ranker's top results for a need, re-ordered by learned weights when those won."""
    weights = current_weights(session)
    pool = ranker.rank_results_for_need(session, need, top=top * 3 if weights else top)
    if pool:
        best = max(it.score for it in pool)
        pool = [it for it in pool if it.score >= best - MAX_GAP]
    if weights:
        pool.sort(key=lambda it: -fused_score(it.components, weights))
    return pool[:top]


def _apply_ranking(match: Match, item) -> None:
    match.score = float(item.score)
    match.components = {k: float(v) for k, v in (item.components or {}).items()}
    match.explanation = item.explanation.to_dict() if item.explanation is not None else {}


def propose_for_need(session: Session, need: Need, top: int = DEFAULT_TOP) -> ProposeStats:
    """Store the top-N results for one need as proposals (推荐). Idempotent.

    Decided matches (accepted, rejected, or further on) are never touched or recreated;
    undecided ranker proposals get fresh scores, and those that fell out of the top are removed.
    """
    stats = ProposeStats(needs=1)
    existing = {
        m.result_id: m
        for m in session.scalars(select(Match).where(Match.need_id == need.id, Match.result_id.is_not(None)))
    }
    if need.status != "open":
        items = []
    else:
        items = _ranked_results(session, need, top)
    wanted = set()
    for item in items:
        wanted.add(item.id)
        match = existing.get(item.id)
        if match is None:
            match = Match(need_id=need.id, result_id=item.id, source="ranker", stage="proposed")
            _apply_ranking(match, item)
            session.add(match)
            session.flush()
            session.add(
                StageChange(match_id=match.id, from_stage=None, to_stage="proposed", reason="系统推荐")
            )
            stats.created += 1
            stats.new_pairs.append((need.id, item.id))
        elif match.decision is None and match.stage in OPEN_STAGES:
            _apply_ranking(match, item)
            stats.refreshed += 1
        else:
            stats.kept_decided += 1
    for result_id, match in existing.items():
        if (
            result_id not in wanted
            and match.decision is None
            and match.stage == "proposed"
            and match.source == "ranker"
        ):
            session.delete(match)
            stats.removed += 1
    session.flush()
    return stats


def propose_for_result(session: Session, result: Result, top: int = DEFAULT_TOP) -> ProposeStats:
    """A new or changed result: re-run proposals for the needs it ranks high for."""
    stats = ProposeStats()
    if result.status != "published":
        # Withdrawn results leave the undecided proposals; decided ones stay as history.
        for match in session.scalars(
            select(Match).where(
                Match.result_id == result.id,
                Match.decision.is_(None),
                Match.stage == "proposed",
                Match.source == "ranker",
            )
        ):
            session.delete(match)
            stats.removed += 1
        session.flush()
        return stats
    for item in ranker.rank_needs_for_result(session, result, top=top):
        stats.add(propose_for_need(session, item.item or session.get(Need, item.id), top))
    return stats


def propose(
    session: Session,
    need_ids: list[int] | None = None,
    top: int = DEFAULT_TOP,
    progress=None,
    notify_owners: bool = True,
) -> ProposeStats:
    """Run proposals for the given needs (default: every open need). `progress(n)` ticks per need."""
    query = select(Need).where(Need.status == "open").order_by(Need.id)
    if need_ids is not None:
        query = select(Need).where(Need.id.in_(need_ids)).order_by(Need.id)
    stats = ProposeStats()
    for need in session.scalars(query).all():
        stats.add(propose_for_need(session, need, top))
        if progress:
            progress(1)
    if notify_owners:
        notify_new_proposals(session, stats)
    return stats


def notify_new_proposals(session: Session, stats: ProposeStats) -> None:
    """新推荐: tell each posting's organisation how many candidates were found (no details yet:
    the other side is shown only after a broker accepts)."""
    per_need, per_result = defaultdict(int), defaultdict(int)
    for need_id, result_id in stats.new_pairs:
        per_need[need_id] += 1
        per_result[result_id] += 1
    for model, counts, noun, other_noun in (
        (Need, per_need, "需求", "科技成果"),
        (Result, per_result, "成果", "技术需求"),
    ):
        for obj_id, count in counts.items():
            post = session.get(model, obj_id)
            for user in session.scalars(
                select(User).where(User.organization_id == post.organization_id, User.active.is_(True))
            ):
                notify(
                    session,
                    user,
                    "new_match",
                    f"您的{noun}「{post.title}」有 {count} 条新推荐的{other_noun}",
                    "技术经纪人审核通过后，会请您确认对接意向。",
                    "/review/mine",
                )


def add_manual(session: Session, need: Need, result: Result, user: User, note: str | None = None) -> Match:
    """经纪人手工添加: a pair the ranker missed. Recorded as source="manual" (a ranking miss)."""
    if not is_broker(user):
        raise DomainError("只有技术经纪人可以添加撮合", status=403)
    if not policy.in_scope(user, need):
        raise DomainError(OUT_OF_SCOPE, status=403)
    if need.organization_id == result.organization_id:
        raise DomainError("需求与成果属于同一机构，无需撮合", "result_id")
    existing = session.scalar(select(Match).where(Match.need_id == need.id, Match.result_id == result.id))
    if existing is not None:
        if existing.decision is not None or existing.stage not in OPEN_STAGES:
            raise DomainError(f"该需求与成果已有撮合记录（{existing.stage_label}）", "result_id", status=409)
        raise DomainError("该配对已在推荐列表中，请直接审核", "result_id", status=409)
    match = Match(
        need_id=need.id,
        result_id=result.id,
        source="manual",
        stage="proposed",
        score=0.0,
        components={},
        explanation={"summary": "经纪人手工添加"},
        note=note,
    )
    session.add(match)
    session.flush()
    session.add(
        StageChange(
            match_id=match.id,
            to_stage="proposed",
            user_id=user.id,
            reason="经纪人手工添加（推荐遗漏）" + (f"：{note}" if note else ""),
        )
    )
    session.flush()
    return match


def enter_from_intent(
    session: Session,
    need: Need,
    result: Result,
    user: User | None,
    score: float = 0.0,
    note: str | None = None,
    now: datetime | None = None,
) -> Match:
    """路演意向: an intent recorded by a broker after a talk enters the pipeline at 对接洽谈.

    The pair met at the roadshow, so there is nothing left to review; the match is accepted,
    the stage change is recorded and the introduction follow-up falls due as usual. Contact
    details stay gated: they are released only through the parties' confirmations.
    """
    now = now or utcnow()
    match = session.scalar(select(Match).where(Match.need_id == need.id, Match.result_id == result.id))
    label = "路演意向" + (f"：{note}" if note else "")
    if match is None:
        match = Match(
            need_id=need.id,
            result_id=result.id,
            source="roadshow",
            stage="proposed",
            score=score,
            components={},
            explanation={"summary": "路演现场登记的意向"},
        )
        session.add(match)
        session.flush()
        session.add(
            StageChange(
                match_id=match.id, to_stage="proposed", user_id=user.id if user else None, reason=label
            )
        )
    match.note = "\n".join(filter(None, [match.note, label]))
    if match.stage in ("negotiation", "signed", "registered"):
        session.flush()  # already further on: an intent never moves a deal back
        return match
    if match.decision != "accept":
        match.decision, match.decided_at = "accept", now
        match.decided_by_id = user.id if user else None
    _record(session, match, "negotiation", user, label)
    _schedule(session, match, "introduction", now + INTRODUCTION_FOLLOW_UP)
    if not match.released:
        _notify_parties(
            session,
            match,
            "stage",
            f"路演对接意向，请确认：{_pair_title(match)}",
            "双方在「我的撮合」确认对接意向后，可相互查看联系方式。",
            actor=user,
        )
    return match


# ---------------------------------------------------------------- stage changes / 对接阶段


def _record(session: Session, match: Match, to_stage: str, user: User | None, reason: str | None) -> None:
    session.add(
        StageChange(
            match_id=match.id,
            from_stage=match.stage,
            to_stage=to_stage,
            user_id=user.id if user else None,
            reason=reason,
        )
    )
    match.stage = to_stage
    match.updated_at = utcnow()
    session.flush()


def _notify_parties(
    session: Session,
    match: Match,
    kind: str,
    title: str,
    body: str,
    sides=("need", "result"),
    include_broker: bool = True,
    actor: User | None = None,
) -> None:
    seen = set()
    users = [u for s in sides for u in side_users(session, match, s)]
    if include_broker and match.decided_by is not None:
        users.append(match.decided_by)
    for user in users:
        if user.id in seen or (actor is not None and user.id == actor.id):
            continue
        seen.add(user.id)
        notify(session, user, kind, title, body, f"/review/match/{match.id}")


def _pair_title(match: Match) -> str:
    return f"「{match.need.title}」×「{match.result.title if match.result else '—'}」"


def advance(
    session: Session,
    match: Match,
    to_stage: str,
    user: User,
    reason: str | None = None,
    *,
    contract_type: str | None = None,
    amount_wan=None,
    signed_on: date | None = None,
    buyer: str | None = None,
    seller: str | None = None,
    registration_no: str | None = None,
    now: datetime | None = None,
) -> Match:
    """Move a match to another stage, checking the pipeline rules. Records who, when and why.

    签约 needs a contract type, amount (万元) and parties; 登记 needs the registration number;
    关闭 needs a reason. Illegal jumps raise DomainError with a Chinese message.
    """
    now = now or utcnow()
    if to_stage not in STAGES:
        raise DomainError(f"未知阶段：{to_stage}", "to_stage")
    if not is_broker(user):
        raise DomainError("只有技术经纪人可以推进对接阶段", status=403)
    if not policy.can_review(user, match):
        raise DomainError(OUT_OF_SCOPE, status=403)
    if to_stage not in TRANSITIONS.get(match.stage, set()):
        allowed = (
            "、".join(STAGES[s] for s in sorted(TRANSITIONS.get(match.stage, set()), key=list(STAGES).index))
            or "无"
        )
        raise DomainError(
            f"不能从「{match.stage_label}」直接进入「{STAGES[to_stage]}」；当前阶段可进入：{allowed}",
            "to_stage",
            status=409,
        )
    reason = (reason or "").strip() or None
    if to_stage == "confirmation":
        return decide(session, match, user, "accept", None, reason, now=now)
    if to_stage == "negotiation" and not match.released:
        raise DomainError("双方尚未都确认意向，不能进入对接洽谈", "to_stage", status=409)
    if to_stage == "closed":
        if not reason:
            raise DomainError("关闭撮合须填写原因", "reason")
        match.closed_reason = reason
    if to_stage == "signed":
        _sign(session, match, contract_type, amount_wan, signed_on or now.date(), buyer, seller)
    if to_stage == "registered":
        if not (registration_no or "").strip():
            raise DomainError("登记须填写技术合同认定登记号", "registration_no")
        match.contract.registration_no = registration_no.strip()[:64]
        match.contract.registered_on = now.date()
    _record(session, match, to_stage, user, reason)
    if to_stage == "signed":
        _schedule(session, match, "signing", now + SIGNING_FOLLOW_UP)
    if match.decision == "accept":
        _notify_parties(
            session,
            match,
            "stage",
            f"撮合进入「{STAGES[to_stage]}」：{_pair_title(match)}",
            reason or "",
            actor=user,
        )
    return match


def _sign(session: Session, match: Match, contract_type, amount_wan, signed_on, buyer, seller) -> None:
    if contract_type not in CONTRACT_TYPES:
        raise DomainError("请选择合同类型（开发/转让/许可/咨询/服务）", "contract_type")
    try:
        amount = float(amount_wan)
    except (TypeError, ValueError):
        raise DomainError("合同金额须为数字（万元）", "amount_wan") from None
    if not 0 < amount < 10_000_000:
        raise DomainError("合同金额须大于 0（单位：万元）", "amount_wan")
    buyer = (buyer or "").strip() or match.need.organization.name
    seller = (seller or "").strip() or (match.result.organization.name if match.result else "")
    if not seller:
        raise DomainError("请填写合同卖方（让与方/受托方）", "seller")
    session.add(
        Contract(
            match_id=match.id,
            contract_type=contract_type,
            amount_wan=round(amount, 2),
            buyer=buyer[:200],
            seller=seller[:200],
            signed_on=signed_on,
        )
    )
    session.flush()
    session.refresh(match, ["contract"])


# ---------------------------------------------------------------- review / 经纪人审核


def decide(
    session: Session,
    match: Match,
    user: User,
    decision: str,
    reason_code: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Match:
    """Accept or reject a proposal. Accepting asks both parties to confirm (双方确认)."""
    if not is_broker(user):
        raise DomainError("只有技术经纪人可以审核撮合", status=403)
    if not policy.can_review(user, match):
        raise DomainError(OUT_OF_SCOPE, status=403)
    if decision not in ("accept", "reject"):
        raise DomainError("审核结论须为通过或不通过", "decision")
    if reason_code not in (None, "") and reason_code not in REASONS:
        raise DomainError("请选择列表中的理由", "reason")
    reason_code = reason_code or None
    if decision == "reject" and not reason_code:
        raise DomainError("不通过须选择理由", "reason")
    if reason_code == "other" and not (note or "").strip():
        raise DomainError("理由为「其他」时请填写说明", "note")
    if match.decision is not None or match.stage not in OPEN_STAGES:
        raise DomainError(f"该撮合已审核（{match.stage_label}），不能重复审核", "decision", status=409)
    if match.result is None:
        raise DomainError("该撮合没有对应的科技成果", "decision")
    now = now or utcnow()
    note = (note or "").strip() or None
    match.decision, match.reason_code, match.decided_by_id, match.decided_at = (
        decision,
        reason_code,
        user.id,
        now,
    )
    match.decided_by = session.get(User, user.id)  # the ORM object, not a request proxy
    if note:
        match.note = note
    why = "；".join(x for x in (REASONS.get(reason_code or ""), note) if x) or None
    if decision == "reject":
        match.closed_reason = "经纪人审核不通过" + (f"：{why}" if why else "")
        _record(session, match, "closed", user, match.closed_reason)
        return match
    _record(session, match, "confirmation", user, "经纪人审核通过" + (f"：{why}" if why else ""))
    for side in ("need", "result"):
        mine, theirs = posting(match, side), posting(match, other(side))
        for party in side_users(session, match, side):
            notify(
                session,
                party,
                "confirm_request",
                f"请确认对接意向：{theirs.title}",
                f"技术经纪人推荐您的{'需求' if side == 'need' else '成果'}「{mine.title}」与"
                f"{theirs.organization.name}的「{theirs.title}」对接。双方都确认后才会交换联系方式。",
                "/review/mine",
            )
    return match


def awaits_confirmation(match: Match) -> bool:
    """Whether the parties are asked to confirm: at 双方确认, and on a deal that entered further on
    (路演意向 enters at 对接洽谈) while contacts are not yet released."""
    if match.stage == "confirmation":
        return True
    return match.stage in ("negotiation", "signed", "registered") and not match.released


def respond(
    session: Session,
    match: Match,
    user: User,
    confirm: bool,
    reason: str | None = None,
    now: datetime | None = None,
) -> Match:
    """双方确认: one party confirms or declines. When both confirm, contacts are released and audited."""
    side = party_side(user, match)
    if side is None or match.decision != "accept":
        raise DomainError("您不是该撮合的当事方", status=403)
    if not awaits_confirmation(match):
        raise DomainError(f"该撮合当前处于「{match.stage_label}」，无需确认", "confirm", status=409)
    if getattr(match, f"{side}_status") is not None:
        raise DomainError("您方已答复，不能重复确认", "confirm", status=409)
    now = now or utcnow()
    reason = (reason or "").strip() or None
    if not confirm and not reason:
        raise DomainError("婉拒须填写原因，对方会看到该原因", "reason")
    setattr(match, f"{side}_status", "confirmed" if confirm else "declined")
    setattr(match, f"{side}_reason", reason)
    setattr(match, f"{side}_by_id", user.id)
    setattr(match, f"{side}_at", now)
    session.flush()
    if not confirm:
        match.closed_reason = f"{SIDES[side]}婉拒：{reason}"
        _record(session, match, "closed", user, match.closed_reason)
        _notify_parties(
            session,
            match,
            "stage",
            f"对方婉拒了对接：{_pair_title(match)}",
            f"{SIDES[side]}的原因：{reason}",
            sides=(other(side),),
        )
        return match
    if match.need_status == "confirmed" and match.result_status == "confirmed":
        release_contacts(session, match, now)
        if match.stage == "confirmation":
            _record(session, match, "negotiation", user, "双方确认，交换联系方式")
            _schedule(session, match, "introduction", now + INTRODUCTION_FOLLOW_UP)
            body = "撮合进入「对接洽谈」阶段。"
        else:  # a roadshow intent entered at 对接洽谈: the stage stays, only contacts are released
            body = f"撮合处于「{match.stage_label}」阶段。"
        _notify_parties(
            session, match, "stage", f"双方已确认，可查看对方联系方式：{_pair_title(match)}", body
        )
    else:
        _notify_parties(
            session,
            match,
            "stage",
            f"{SIDES[side]}已确认对接意向：{_pair_title(match)}",
            "等待另一方确认。",
            sides=(other(side),),
            actor=user,
        )
    return match


def release_contacts(session: Session, match: Match, now: datetime | None = None) -> None:
    """Mark contacts released and write one audit entry per direction (联系方式披露)."""
    match.released_at = now or utcnow()
    for side in ("need", "result"):
        theirs = other(side)
        by = getattr(match, f"{side}_by_id")
        audit(
            session,
            "contact_release",
            session.get(User, by) if by else None,
            target=f"match:{match.id}",
            detail=f"向{SIDES[side]}（{posting(match, side).organization.name}）披露"
            f"{SIDES[theirs]}（{posting(match, theirs).organization.name}）的联系方式",
        )


# ---------------------------------------------------------------- follow-ups / 回访


def _schedule(session: Session, match: Match, kind: str, due: datetime) -> FollowUp:
    fu = FollowUp(match_id=match.id, kind=kind, due_at=due, broker_id=match.decided_by_id)
    session.add(fu)
    session.flush()
    return fu


def due_follow_ups(
    session: Session, now: datetime | None = None, broker: User | None = None
) -> list[FollowUp]:
    """回访 tasks due by `now` and not done; a broker sees the ones assigned to them (admins see all)."""
    now = now or utcnow()
    query = (
        select(FollowUp).where(FollowUp.done_at.is_(None), FollowUp.due_at <= now).order_by(FollowUp.due_at)
    )
    if broker is not None and broker.role != "admin":
        query = query.where(or_(FollowUp.broker_id == broker.id, FollowUp.broker_id.is_(None)))
    return list(session.scalars(query).all())


def notify_due_follow_ups(session: Session, now: datetime | None = None) -> int:
    """Send one 回访到期 notification per due task (once). Returns how many were sent."""
    sent = 0
    now = now or utcnow()
    for fu in due_follow_ups(session, now):
        if fu.notified_at is not None:
            continue
        brokers = (
            [fu.broker]
            if fu.broker
            else list(session.scalars(select(User).where(User.role == "broker", User.active.is_(True))))
        )
        for broker in brokers:
            notify(
                session,
                broker,
                "follow_up",
                f"{fu.label}到期：{_pair_title(fu.match)}",
                f"应于 {fu.due_at:%Y-%m-%d} 回访，请联系双方了解进展。",
                f"/review/match/{fu.match_id}",
            )
        fu.notified_at = now
        sent += 1
    session.flush()
    return sent


def complete_follow_up(session: Session, fu: FollowUp, user: User, note: str | None) -> FollowUp:
    if not is_broker(user):
        raise DomainError("只有技术经纪人可以记录回访", status=403)
    if fu.done_at is not None:
        raise DomainError("该回访已完成", status=409)
    if not (note or "").strip():
        raise DomainError("请填写回访记录", "note")
    fu.done_at, fu.done_by_id, fu.note = utcnow(), user.id, note.strip()
    session.flush()
    return fu


# ---------------------------------------------------------------- queue / 审核队列


@dataclass
class QueueFilter:
    field: str | None = None
    region: str | None = None
    status: str = "pending"  # pending, accepted, rejected, all, or a stage key
    q: str | None = None

    STATUSES = {"pending": "待审核", "accepted": "已通过", "rejected": "未通过", "all": "全部"}

    @classmethod
    def from_args(cls, args) -> QueueFilter:
        status = args.get("status") or "pending"
        if status not in cls.STATUSES and status not in STAGES:
            raise DomainError("状态筛选无效", "status")
        region = args.get("region") or None
        return cls(
            field=args.get("field") or None,
            region=region,
            status=status,
            q=(args.get("q") or "").strip() or None,
        )


def queue_query(user: User, flt: QueueFilter):
    """The broker's queue: matches in their fields/regions (empty = all), by score then need age."""
    need_field = aliased(Field)
    query = (
        select(Match)
        .join(Need, Match.need_id == Need.id)
        .join(need_field, Need.field_id == need_field.id)
        .where(Match.result_id.is_not(None))
    )
    owned_fields = [str(f) for f in (user.broker_fields or [])]
    if user.role == "broker" and owned_fields:
        ids = [int(f) for f in owned_fields if f.isdigit()]
        query = query.where(or_(need_field.name.in_(owned_fields), Need.field_id.in_(ids)))
    if user.role == "broker" and user.broker_regions:
        query = query.where(Need.region.in_(list(user.broker_regions)))
    if flt.field:
        query = query.where(need_field.name == flt.field)
    if flt.region:
        query = query.where(Need.region == flt.region)
    if flt.status == "pending":
        query = query.where(Match.decision.is_(None), Match.stage.in_(OPEN_STAGES))
    elif flt.status == "accepted":
        query = query.where(Match.decision == "accept")
    elif flt.status == "rejected":
        query = query.where(Match.decision == "reject")
    elif flt.status in STAGES:
        query = query.where(Match.stage == flt.status)
    if flt.q:
        like = f"%{flt.q}%"
        query = query.join(Result, Match.result_id == Result.id).where(
            or_(Need.title.ilike(like), Result.title.ilike(like))
        )
    return query.order_by(Match.score.desc(), Need.created_at.asc(), Match.id.asc())


def match_dict(user, match: Match, detail: bool = False) -> dict:
    """JSON-safe view of a match for this user: public summaries, plus contacts only where allowed."""
    data = {
        "id": match.id,
        "stage": match.stage,
        "stage_label": match.stage_label,
        "score": match.score,
        "source": match.source,
        "decision": match.decision,
        "reason": match.reason_code,
        "reason_label": match.reason_label or None,
        "decided_at": match.decided_at.isoformat() if match.decided_at else None,
        "need": public_summary(match.need),
        "result": public_summary(match.result),
        "confirmation": {
            s: {"status": getattr(match, f"{s}_status"), "reason": getattr(match, f"{s}_reason")}
            for s in SIDES
        },
        "released": match.released,
        "closed_reason": match.closed_reason,
        "contacts": {s: visible_contact(user, match, s) for s in SIDES},
    }
    if is_broker(user):
        data.update(components=match.components or {}, explanation=match.explanation or {}, note=match.note)
    if detail:
        data["history"] = [
            {
                "from": c.from_stage,
                "to": c.to_stage,
                "at": c.at.isoformat(),
                "by": c.user.name if c.user else "系统",
                "reason": c.reason,
            }
            for c in match.changes
        ]
        if match.contract:
            c = match.contract
            data["contract"] = {
                "type": c.contract_type,
                "type_label": c.type_label,
                "amount_wan": c.amount_wan,
                "buyer": c.buyer,
                "seller": c.seller,
                "signed_on": c.signed_on.isoformat(),
                "registration_no": c.registration_no,
            }
    return data


def my_matches(session: Session, user: User) -> list[Match]:
    """我的撮合: accepted matches that involve the user's organisation."""
    return list(
        session.scalars(
            select(Match)
            .join(Need, Match.need_id == Need.id)
            .join(Result, Match.result_id == Result.id)
            .where(
                Match.decision == "accept",
                or_(
                    Need.organization_id == user.organization_id,
                    Result.organization_id == user.organization_id,
                ),
            )
            .order_by(Match.updated_at.desc())
        ).all()
    )
