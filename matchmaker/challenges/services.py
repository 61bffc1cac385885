"""揭榜挂帅 services: workflow, eligibility, invitations, reviewer assignment, scoring, 立项.

Plain Python over a SQLAlchemy session; no request context. Every function only flushes:
the caller (request, CLI command, seed) owns the commit. Problems the user can fix raise
`DomainError` with a plain Chinese message and, where one is at fault, the field name.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.accounts.models import Organization, User
from matchmaker.accounts.services import audit
from matchmaker.challenges.models import (
    CHALLENGE_STATUSES,
    CHALLENGE_TYPES,
    RUBRIC,
    TOPIC_STATUSES,
    Answer,
    Challenge,
    ChallengeTransition,
    Consortium,
    Invitation,
    Milestone,
    Project,
    Review,
    Topic,
)
from matchmaker.constants import REGIONS
from matchmaker.errors import DomainError
from matchmaker.extensions import utcnow
from matchmaker.notifications.services import notify
from matchmaker.postings.models import Expert, Field, Need, Result

# 行业共性技术 must be answered by a consortium of at least this many units (联合体 ≥ 3).
COMMON_MIN_UNITS = 3

# The legal moves of the workflow (征集 → 论证 → 张榜 → 揭榜中 → 评审 → 立项 → 验收);
# any state before 立项 may also be withdrawn (撤榜).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "collecting": ("assessing", "withdrawn"),
    "assessing": ("published", "withdrawn"),
    "published": ("bidding", "withdrawn"),
    "bidding": ("reviewing", "withdrawn"),
    "reviewing": ("approved", "withdrawn"),
    "approved": ("accepted",),
    "accepted": (),
    "withdrawn": (),
}

# Answers are taken once the list is published (张榜) and while bidding (揭榜中).
OPEN_FOR_ANSWERS = ("published", "bidding")


def _label(status: str) -> str:
    return CHALLENGE_STATUSES.get(status, status)


# ---------------------------------------------------------------- 产业立题 topics


def save_topic(
    session: Session,
    user: User,
    *,
    title: str,
    industry_chain: str,
    field_id: int | None,
    description: str = "",
    lead_department: str | None = None,
    region: str | None = None,
    status: str = "published",
    topic: Topic | None = None,
) -> Topic:
    """Create or update an industry-chain topic (admins only; checked by the caller)."""
    title, industry_chain = (title or "").strip(), (industry_chain or "").strip()
    if not title:
        raise DomainError("请填写题目名称", "title")
    if not industry_chain:
        raise DomainError("请填写所属产业链", "industry_chain")
    if field_id is not None and session.get(Field, field_id) is None:
        raise DomainError("领域不存在", "field_id")
    if region and region not in REGIONS:
        raise DomainError("地区须为河南省地市或济源示范区、航空港区", "region")
    if status not in TOPIC_STATUSES:
        raise DomainError("题目状态无效", "status")
    created = topic is None
    topic = topic or Topic(created_by_id=user.id)
    topic.title, topic.industry_chain, topic.field_id = title, industry_chain, field_id
    topic.description, topic.lead_department = description or "", (lead_department or "").strip() or None
    topic.region, topic.status = region or None, status
    session.add(topic)
    session.flush()
    audit(session, "topic_create" if created else "topic_update", user, target=f"topic:{topic.id}")
    return topic


def attach_needs(session: Session, topic: Topic, need_ids: list[int]) -> int:
    """Put open needs under a topic (from a clustering suggestion). Returns how many moved."""
    needs = session.scalars(select(Need).where(Need.id.in_(need_ids))).all() if need_ids else []
    for need in needs:
        need.topic_id = topic.id
    session.flush()
    return len(needs)


# ---------------------------------------------------------------- 企业出题 questions and challenges


def post_question(
    session: Session,
    user: User,
    *,
    title: str,
    description: str,
    field_id: int,
    topic_id: int | None = None,
    keywords: list[str] | None = None,
    region: str | None = None,
    budget_wan: float | None = None,
    deadline: date | None = None,
) -> Need:
    """企业出题: a question is a Need of the user's organisation, under a topic or standalone,
    written through the one write path for needs (`create_posting`, `clean_need`)."""
    from matchmaker.postings.services import create_posting

    field = session.get(Field, field_id)
    if field is None:
        raise DomainError("领域不存在", "field_id")
    if topic_id is not None and session.get(Topic, topic_id) is None:
        raise DomainError("题目不存在", "topic_id")
    data = {
        "title": title,
        "description": description,
        "field": field,
        "keywords": keywords or [],
        "budget_wan": budget_wan,
        "deadline": deadline,
        "status": "open",
        "contact_name": user.name,
        "contact_phone": user.phone,
        "contact_email": user.email,
    }
    if region:  # else the organisation's city, as for any need
        data["region"] = region
    try:
        need = create_posting(
            session,
            "need",
            data,
            organization=user.organization,
            owner=user,
            external_id=f"Q-{uuid.uuid4().hex[:12]}",
        )
    except DomainError as exc:
        if exc.field == "field":  # the form names the taxonomy choice field_id
            exc.field = "field_id"
        raise
    need.topic_id = topic_id
    session.flush()
    audit(session, "question_create", user, target=f"need:{need.id}")
    return need


def raise_challenge(
    session: Session,
    user: User,
    need: Need,
    *,
    title: str | None = None,
    type: str = "enterprise",
    targets: list[str] | None = None,
    reward_wan: float | None = None,
    deadline: date | None = None,
    min_units: int | None = None,
    eligibility: str = "",
) -> Challenge:
    """Raise a question (Need) to a 揭榜挂帅 challenge in state 征集."""
    if type not in CHALLENGE_TYPES:
        raise DomainError("榜单类型须为“企业重大技术需求”或“行业共性技术”", "type")
    targets = [t.strip() for t in (targets or []) if t and t.strip()]
    if not targets:
        raise DomainError("请至少填写一项技术指标", "targets")
    if reward_wan is not None and reward_wan < 0:
        raise DomainError("榜单金额不能为负数", "reward_wan")
    if deadline is not None and deadline < date.today():
        raise DomainError("揭榜截止日期不能早于今天", "deadline")
    floor = COMMON_MIN_UNITS if type == "common" else 1
    min_units = floor if min_units is None else min_units
    if min_units < floor:
        raise DomainError(
            f"行业共性技术榜单须由不少于 {COMMON_MIN_UNITS} 家单位组成的联合体揭榜", "min_units"
        )
    if session.scalar(
        select(Challenge.id).where(Challenge.need_id == need.id, Challenge.status != "withdrawn")
    ):
        raise DomainError("该需求已有在榜的榜单", "need_id")
    challenge = Challenge(
        need_id=need.id,
        topic_id=need.topic_id,
        title=(title or need.title).strip(),
        type=type,
        targets=targets,
        reward_wan=reward_wan,
        deadline=deadline,
        min_units=min_units,
        eligibility=eligibility or "",
        status="collecting",
        created_by_id=user.id,
    )
    session.add(challenge)
    session.flush()
    session.add(
        ChallengeTransition(
            challenge=challenge,
            from_status=None,
            to_status="collecting",
            user_id=user.id,
            reason="企业出题，进入榜单征集",
        )
    )
    session.flush()
    audit(session, "challenge_create", user, target=f"challenge:{challenge.id}")
    return challenge


def allowed_moves(challenge: Challenge) -> list[str]:
    """Targets the generic move may reach now (立项 goes through award_project)."""
    return [s for s in TRANSITIONS[challenge.status] if s != "approved"]


def transition(
    session: Session,
    challenge: Challenge,
    to_status: str,
    user: User,
    reason: str = "",
    *,
    invite_top: int = 10,
) -> ChallengeTransition:
    """Move a challenge one step along the workflow and record who, when and why.

    Illegal moves raise DomainError. Publishing (张榜) invites the top-matched experts
    and result owners.
    """
    if to_status not in CHALLENGE_STATUSES:
        raise DomainError("目标状态无效", "to_status")
    current = challenge.status
    if to_status not in TRANSITIONS[current]:
        legal = "、".join(_label(s) for s in TRANSITIONS[current]) or "无（流程已结束）"
        raise DomainError(
            f"不能从“{_label(current)}”变更为“{_label(to_status)}”；当前可变更为：{legal}", "to_status"
        )
    reason = (reason or "").strip()
    if to_status == "withdrawn" and not reason:
        raise DomainError("撤榜须填写原因", "reason")
    if to_status == "reviewing" and not _live_answers(challenge):
        raise DomainError("尚无揭榜方案，不能进入评审", "to_status")
    if to_status == "approved" and challenge.project is None:
        raise DomainError("请在评审结果中选定中标方案并立项", "to_status")
    if to_status == "accepted":
        project = challenge.project
        pending = [m for m in project.milestones if m.status != "passed"] if project else [None]
        if pending:
            raise DomainError("还有里程碑未通过验收，不能结题验收", "to_status")
    move = ChallengeTransition(
        challenge=challenge,
        from_status=current,
        to_status=to_status,
        user_id=user.id if user else None,
        reason=reason,
    )
    challenge.status = to_status
    session.add(move)
    if to_status == "published":
        challenge.published_at = utcnow()
    if to_status == "approved":
        challenge.approved_at = utcnow()
    session.flush()
    audit(
        session,
        "challenge_transition",
        user,
        target=f"challenge:{challenge.id}",
        detail=f"{_label(current)} → {_label(to_status)}" + (f"：{reason}" if reason else ""),
    )
    if to_status == "published":
        invite_for_challenge(session, challenge, top=invite_top)
    return move


def _live_answers(challenge: Challenge) -> list[Answer]:
    return [a for a in challenge.answers if a.status != "withdrawn"]


# ---------------------------------------------------------------- invitations (张榜 邀请)


def _reason(kind_label: str, rank: int, item) -> str:
    exp = item.explanation
    parts = [f"{kind_label}匹配第 {rank} 名（得分 {item.score:.2f}）"]
    summary = (exp.summary or "").rstrip("。")
    if summary:
        parts.append(summary)
    if exp.shared_terms and "共同关键词" not in summary:
        parts.append("共同关键词：" + "、".join(exp.shared_terms[:5]))
    for sig in exp.signals[:3]:
        if sig.label not in summary:  # the ranker's summary already names field and region
            parts.append(sig.label)
    return "；".join(parts)


def invite_for_challenge(session: Session, challenge: Challenge, top: int = 10) -> list[Invitation]:
    """Invite the top-matched experts and result owners (need→experts, need→results rankings).

    Each invitation keeps its rank, score and reason; users are told through notify().
    An expert or result already invited to this challenge is not invited twice.
    """
    from matchmaker.matching.ranker import rank_experts_for_need, rank_results_for_need

    need = challenge.need
    done = {(i.kind, i.target_id) for i in challenge.invitations}
    link = f"/challenges/{challenge.id}"
    created: list[Invitation] = []
    for kind, label, ranked in (
        ("expert", "专家", rank_experts_for_need(session, need, top)),
        ("result", "成果", rank_results_for_need(session, need, top)),
    ):
        for rank, item in enumerate(ranked, start=1):
            if (kind, item.id) in done:
                continue
            obj = item.item or session.get(Expert if kind == "expert" else Result, item.id)
            user = obj.user if kind == "expert" else obj.owner
            inv = Invitation(
                challenge=challenge,
                kind=kind,
                target_id=item.id,
                user_id=user.id if user else None,
                rank=rank,
                score=float(item.score),
                reason=_reason(label, rank, item),
            )
            session.add(inv)
            created.append(inv)
            if user is not None and user.active:
                what = f"您的成果“{obj.title}”" if kind == "result" else "您的研究方向"
                notify(
                    session,
                    user,
                    "challenge_invite",
                    f"揭榜邀请：{challenge.title}",
                    f"{what}与榜单“{challenge.title}”高度匹配，诚邀揭榜。\n邀请原因：{inv.reason}",
                    link,
                )
    session.flush()
    return created


# ---------------------------------------------------------------- 人才答题 answers and eligibility


@dataclass
class MilestonePlan:
    title: str
    due: date


def parse_milestones(lines: list[str] | str) -> list[MilestonePlan]:
    """Read "YYYY-MM-DD 标题" lines into milestone plans; errors name the line."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    plans = []
    for n, raw in enumerate(lines, start=1):
        raw = raw.strip()
        if not raw:
            continue
        head, _, rest = raw.partition(" ")
        try:
            due = date.fromisoformat(head)
        except ValueError:
            raise DomainError(
                f"里程碑第 {n} 行须以日期开头，格式如 2027-06-30 完成中试", "milestones"
            ) from None
        if not rest.strip():
            raise DomainError(f"里程碑第 {n} 行缺少内容", "milestones")
        plans.append(MilestonePlan(rest.strip(), due))
    return plans


def check_eligibility(
    challenge: Challenge, lead: Organization, members: list[Organization], today: date | None = None
) -> None:
    """揭榜条件: raise DomainError on the first rule the answering team breaks."""
    today = today or date.today()
    if challenge.status not in OPEN_FOR_ANSWERS:
        raise DomainError(f"榜单当前状态为“{challenge.status_label}”，不接受揭榜", "challenge_id")
    if challenge.deadline and today > challenge.deadline:
        raise DomainError(f"揭榜已于 {challenge.deadline.isoformat()} 截止", "challenge_id")
    ids = [lead.id] + [m.id for m in members]
    if len(ids) != len(set(ids)):
        dup = next(m.name for m in members if ids.count(m.id) > 1)
        raise DomainError(f"联合体成员重复：{dup}", "consortium")
    if challenge.need.organization_id in ids:
        raise DomainError("出题企业不能揭自己的榜", "consortium")
    need_units = max(challenge.min_units, COMMON_MIN_UNITS if challenge.type == "common" else 1)
    if len(ids) < need_units:
        raise DomainError(
            f"该榜单须由不少于 {need_units} 家单位（含牵头单位）组成的联合体揭榜，当前只有 {len(ids)} 家",
            "consortium",
        )


def resolve_organizations(session: Session, names: list[str]) -> list[Organization]:
    """Consortium members by exact name; an unknown name is an error naming it."""
    orgs = []
    for name in (n.strip() for n in names):
        if not name:
            continue
        org = session.scalar(select(Organization).where(Organization.name == name))
        if org is None:
            raise DomainError(f"机构“{name}”未在平台注册，请先注册或核对名称", "consortium")
        orgs.append(org)
    return orgs


def submit_answer(
    session: Session,
    user: User,
    challenge: Challenge,
    *,
    title: str,
    approach: str,
    team_members: list[str] | None = None,
    result_ids: list[int] | None = None,
    milestones: list[MilestonePlan] | None = None,
    budget_wan: float | None = None,
    members: list[Organization] | None = None,
    consortium_name: str = "",
    expert_id: int | None = None,
    today: date | None = None,
) -> Answer:
    """人才答题: a 揭榜方案 from the user's organisation (the lead unit), maybe with a consortium."""
    title, approach = (title or "").strip(), (approach or "").strip()
    if not title:
        raise DomainError("请填写方案名称", "title")
    if len(approach) < 20:
        raise DomainError("技术路线请至少写 20 个字", "approach")
    if budget_wan is not None and budget_wan < 0:
        raise DomainError("预算不能为负数", "budget_wan")
    milestones = milestones or []
    if not milestones:
        raise DomainError("请至少填写一个里程碑", "milestones")
    members = members or []
    lead = user.organization
    check_eligibility(challenge, lead, members, today)
    if session.scalar(
        select(Answer.id).where(
            Answer.challenge_id == challenge.id,
            Answer.organization_id == lead.id,
            Answer.status != "withdrawn",
        )
    ):
        raise DomainError("本单位已提交过该榜单的揭榜方案", "challenge_id")
    results = []
    if result_ids:
        results = session.scalars(select(Result).where(Result.id.in_(result_ids))).all()
        if len(results) != len(set(result_ids)):
            raise DomainError("关联成果不存在", "result_ids")
    if expert_id is not None:
        expert = session.get(Expert, expert_id)
        if expert is None or expert.organization_id not in {lead.id, *(m.id for m in members)}:
            raise DomainError("负责人须为揭榜单位的专家", "expert_id")
    answer = Answer(
        challenge=challenge,
        organization=lead,
        submitted_by=user,
        expert_id=expert_id,
        title=title,
        approach=approach,
        team_members=[t.strip() for t in (team_members or []) if t.strip()],
        milestones=[{"title": m.title, "due": m.due.isoformat()} for m in milestones],
        budget_wan=budget_wan,
        results=list(results),
    )
    if members:
        answer.consortium = Consortium(name=consortium_name or f"{lead.name}等联合体", members=members)
    session.add(answer)
    session.flush()
    if challenge.status == "published":
        # The first bid opens 揭榜中; recorded like any other move.
        session.add(
            ChallengeTransition(
                challenge=challenge,
                from_status="published",
                to_status="bidding",
                user_id=user.id,
                reason="收到首个揭榜方案",
            )
        )
        challenge.status = "bidding"
    session.flush()
    audit(session, "answer_submit", user, target=f"answer:{answer.id}", detail=f"challenge:{challenge.id}")
    if challenge.created_by is not None:
        notify(
            session,
            challenge.created_by,
            "challenge_answer",
            f"新的揭榜方案：{challenge.title}",
            f"{lead.name}提交了揭榜方案“{title}”。",
            f"/challenges/{challenge.id}",
        )
    return answer


def withdraw_answer(session: Session, answer: Answer, user: User, reason: str = "") -> Answer:
    """撤回揭榜方案: the lead unit may withdraw its answer while bidding is still open."""
    if user.organization_id != answer.organization_id:
        raise DomainError("只有牵头单位可以撤回方案", "answer_id")
    if answer.status == "withdrawn":
        raise DomainError("该方案已撤回", "answer_id")
    if answer.challenge.status not in OPEN_FOR_ANSWERS:
        raise DomainError("榜单已进入评审，方案不能再撤回", "answer_id")
    answer.status = "withdrawn"
    session.flush()
    audit(
        session, "answer_withdraw", user, target=f"answer:{answer.id}", detail=(reason or "").strip() or None
    )
    return answer


# ---------------------------------------------------------------- 科技解题 reviewer assignment


def reviewer_pool(session: Session) -> list[Expert]:
    """Experts who can review: published profiles linked to an active user account."""
    return session.scalars(
        select(Expert)
        .join(User, Expert.user_id == User.id)
        .where(Expert.status == "published", User.active)
        .order_by(Expert.id)
    ).all()


def pending_load(session: Session) -> dict[int, int]:
    """Unsubmitted review assignments per expert, across all challenges."""
    return dict(
        session.execute(
            select(Review.expert_id, func.count(Review.id))
            .where(Review.submitted_at.is_(None))
            .group_by(Review.expert_id)
        ).all()
    )


def conflicted(expert: Expert, answer: Answer) -> bool:
    """回避: the reviewer works at the lead unit or at any consortium member."""
    return expert.organization_id in answer.organization_ids


def plan_reviewers(
    answers: list[Answer],
    pool: list[Expert],
    per_answer: int,
    max_load: int,
    load: dict[int, int] | None = None,
    field_id: int | None = None,
) -> dict[int, list[Expert]]:
    """Greedy least-loaded assignment.

    Answers with the fewest eligible reviewers are served first (they are the hardest to
    staff); each takes the `per_answer` eligible experts with the lowest current load,
    preferring the challenge's field, then lower id. No expert goes above `max_load`.
    Raises DomainError naming the answer that cannot be staffed.
    """
    if per_answer < 1:
        raise DomainError("每份方案的评审专家数须至少为 1", "per_answer")
    if max_load < 1:
        raise DomainError("每位专家评审上限须至少为 1", "max_load")
    load = dict(load or {})
    existing = {a.id: {r.expert_id for r in a.reviews} for a in answers}
    eligible = {a.id: [e for e in pool if not conflicted(e, a)] for a in answers}
    plan: dict[int, list[Expert]] = {}
    for answer in sorted(answers, key=lambda a: (len(eligible[a.id]), a.id)):
        need = per_answer - len(existing[answer.id])
        if need <= 0:
            plan[answer.id] = []
            continue
        choices = [
            e for e in eligible[answer.id] if e.id not in existing[answer.id] and load.get(e.id, 0) < max_load
        ]
        choices.sort(key=lambda e: (load.get(e.id, 0), 0 if field_id and e.field_id == field_id else 1, e.id))
        if len(choices) < need:
            raise DomainError(
                f"方案“{answer.title}”可用的无利益冲突评审专家不足 {per_answer} 位"
                f"（可用 {len(choices)} 位），请放宽评审上限或补充专家库",
                "per_answer",
            )
        picked = choices[:need]
        for e in picked:
            load[e.id] = load.get(e.id, 0) + 1
        plan[answer.id] = picked
    return plan


def assign_reviewers(
    session: Session, challenge: Challenge, user: User, *, per_answer: int = 3, max_load: int = 5
) -> list[Review]:
    """Assign conflict-free reviewers to every live answer of a challenge in 评审."""
    if challenge.status != "reviewing":
        raise DomainError("榜单进入“评审”后才能分配评审专家", "challenge_id")
    answers = _live_answers(challenge)
    plan = plan_reviewers(
        answers, reviewer_pool(session), per_answer, max_load, pending_load(session), challenge.need.field_id
    )
    by_id = {a.id: a for a in answers}
    created = []
    for answer_id, experts in plan.items():
        for expert in experts:
            review = Review(answer=by_id[answer_id], expert=expert, assigned_by_id=user.id)
            session.add(review)
            created.append(review)
    session.flush()
    for review in created:
        notify(
            session,
            review.expert.user,
            "review_assign",
            f"评审邀请：{challenge.title}",
            f"请评审揭榜方案“{by_id[review.answer_id].title}”。",
            f"/challenges/reviews/{review.id}",
        )
    audit(
        session,
        "reviewers_assign",
        user,
        target=f"challenge:{challenge.id}",
        detail=f"{len(created)} 项评审任务，每份 {per_answer} 位，上限 {max_load}",
    )
    return created


def submit_review(session: Session, review: Review, user: User, scores: dict, comment: str = "") -> Review:
    """A reviewer scores an answer on the rubric (each criterion 0–100)."""
    if review.expert.user_id != user.id:
        raise DomainError("只能提交分配给自己的评审", "review_id")
    if review.answer.challenge.status != "reviewing":
        raise DomainError("榜单不在评审阶段，不能提交评分", "review_id")
    clean = {}
    for key, label, _w in RUBRIC:
        raw = scores.get(key)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise DomainError(f"请为“{label}”打分（0–100）", key) from None
        if not 0 <= value <= 100:
            raise DomainError(f"“{label}”的分数须在 0 到 100 之间", key)
        clean[key] = value
    review.scores = clean
    review.total = round(sum(clean[k] * w for k, _l, w in RUBRIC), 2)
    review.comment = (comment or "").strip()
    review.submitted_at = utcnow()
    session.flush()
    audit(session, "review_submit", user, target=f"review:{review.id}")
    return review


@dataclass
class Aggregate:
    """An answer's aggregated scores with their spread (离散度)."""

    answer: Answer
    count: int
    assigned: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    criteria: dict[str, float] = dc_field(default_factory=dict)


def aggregate(challenge: Challenge) -> list[Aggregate]:
    """Per answer: mean, population std, min and max of the submitted totals, best first."""
    rows = []
    for answer in _live_answers(challenge):
        done = [r for r in answer.reviews if r.submitted_at is not None]
        totals = [r.total for r in done]
        criteria = (
            {k: round(statistics.fmean(r.scores[k] for r in done), 2) for k, _l, _w in RUBRIC} if done else {}
        )
        rows.append(
            Aggregate(
                answer=answer,
                count=len(done),
                assigned=len(answer.reviews),
                mean=round(statistics.fmean(totals), 2) if totals else None,
                std=round(statistics.pstdev(totals), 2) if totals else None,
                min=min(totals) if totals else None,
                max=max(totals) if totals else None,
                criteria=criteria,
            )
        )
    rows.sort(key=lambda r: (r.mean is None, -(r.mean or 0), r.answer.id))
    return rows


# ---------------------------------------------------------------- 立项 and 验收


def award_project(
    session: Session,
    challenge: Challenge,
    answer: Answer,
    user: User,
    *,
    funding_wan: float | None = None,
    note: str = "",
) -> Project:
    """Select the winning answer: it becomes a 立项 project with its milestones."""
    if answer.challenge_id != challenge.id or answer.status == "withdrawn":
        raise DomainError("中标方案须为本榜单的有效方案", "answer_id")
    if challenge.status != "reviewing":
        raise DomainError(f"榜单当前状态为“{challenge.status_label}”，评审阶段才能立项", "answer_id")
    if not any(r.submitted_at for r in answer.reviews):
        raise DomainError("该方案尚无专家评分，不能立项", "answer_id")
    if funding_wan is not None and funding_wan < 0:
        raise DomainError("立项经费不能为负数", "funding_wan")
    if not answer.milestones:
        raise DomainError("中标方案没有里程碑", "answer_id")
    project = Project(
        challenge=challenge,
        answer=answer,
        title=answer.title,
        funding_wan=funding_wan if funding_wan is not None else challenge.reward_wan,
        approved_by_id=user.id,
        note=note or "",
    )
    project.milestones = [
        Milestone(title=m["title"], due_date=date.fromisoformat(m["due"])) for m in answer.milestones
    ]
    session.add(project)
    for other in _live_answers(challenge):
        other.status = "winner" if other.id == answer.id else "not_selected"
    session.flush()
    transition(session, challenge, "approved", user, note or f"中标方案：{answer.title}")
    if answer.submitted_by is not None:
        notify(
            session,
            answer.submitted_by,
            "challenge_award",
            f"揭榜成功：{challenge.title}",
            f"您的方案“{answer.title}”已中标立项。",
            f"/challenges/projects/{project.id}",
        )
    return project


def accept_milestone(
    session: Session, milestone: Milestone, user: User, passed: bool, note: str
) -> Milestone:
    """验收: record the acceptance decision for one milestone."""
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写验收意见", "note")
    if milestone.project.challenge.status != "approved":
        raise DomainError("项目不在立项执行阶段，不能验收里程碑", "milestone_id")
    if milestone.status == "passed":
        raise DomainError("该里程碑已通过验收", "milestone_id")
    milestone.status = "passed" if passed else "failed"
    milestone.accepted_at, milestone.accepted_by_id = utcnow(), user.id
    milestone.acceptance_note = note
    session.flush()
    audit(
        session,
        "milestone_accept",
        user,
        target=f"milestone:{milestone.id}",
        detail=("通过" if passed else "未通过") + f"：{note}",
    )
    from matchmaker.trading.conversions import on_milestone_accepted  # 拨投结合: converts on pass

    on_milestone_accepted(session, milestone, user)
    return milestone


# ---------------------------------------------------------------- reads


def reviewer_expert(session: Session, user: User) -> Expert | None:
    """The expert profile linked to this user (评审专家), if any."""
    return session.scalar(select(Expert).where(Expert.user_id == user.id))


def can_see_answer(user: User, answer: Answer) -> bool:
    """Staff, the answering units, the challenge owner's organisation and assigned reviewers."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.organization_id in answer.organization_ids:
        return True
    if answer.challenge.need.organization_id == user.organization_id:
        return True
    return any(r.expert.user_id == user.id for r in answer.reviews)


def can_raise(user: User, need: Need) -> bool:
    """Enterprises raise their own organisation's needs; staff raise any."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or (user.role == "enterprise" and need.organization_id == user.organization_id)
