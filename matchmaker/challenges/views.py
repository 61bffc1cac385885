"""揭榜挂帅 pages: topics, questions, challenges, answers, reviews, projects, trace and statistics.

Thin views: they read forms, call `challenges.services` / `suggest` / `reports`, commit, and
turn DomainError into a flash beside the form.
"""

from __future__ import annotations

import json
import re
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker.accounts.permissions import roles_required
from matchmaker.challenges import reports, services
from matchmaker.challenges.forms import (
    AnswerForm,
    AssignForm,
    AwardForm,
    ChallengeForm,
    MilestoneForm,
    QuestionForm,
    ReviewForm,
    SuggestForm,
    TopicForm,
    TransitionForm,
    lines,
)
from matchmaker.challenges.models import (
    CHALLENGE_STATUSES,
    RUBRIC,
    Answer,
    Challenge,
    Invitation,
    Milestone,
    Project,
    Review,
    Topic,
)
from matchmaker.challenges.suggest import GRANULARITY, suggest_topics
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Expert, Field, Need, Result
from matchmaker.submissions import web as submissions

bp = Blueprint("challenges", __name__, url_prefix="/challenges")


def _get(model, id_):
    obj = db.session.get(model, id_)
    if obj is None:
        abort(404)
    return obj


def _fields():
    return db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()


def _fail(form, exc: DomainError) -> None:
    """Show a service error beside its field when the form has it, else as a flash."""
    db.session.rollback()
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = list(target.errors) + [exc.message]
    flash(exc.message, "danger")


def _decimal(field) -> float | None:
    """A DecimalField's value as a float (services and JSON columns take floats)."""
    return float(field.data) if field.data is not None else None


def _staff():
    return current_user.is_authenticated and current_user.is_staff


def _admin():
    return current_user.is_authenticated and current_user.role == "admin"


# ---------------------------------------------------------------- index and topics


@bp.route("/")
def index():
    status = request.args.get("status") or None
    q = select(Challenge).order_by(Challenge.id.desc())
    if status in CHALLENGE_STATUSES:
        q = q.where(Challenge.status == status)
    elif not _staff():
        # The public sees published lists; drafts in 征集/论证 stay with staff and the owner.
        q = q.where(Challenge.status.notin_(("collecting", "assessing", "withdrawn")))
    challenges = db.session.scalars(q).all()
    if not _staff():
        mine = current_user.organization_id if current_user.is_authenticated else None
        challenges = [
            c
            for c in challenges
            if c.status not in ("collecting", "assessing", "withdrawn") or c.need.organization_id == mine
        ]
    tq = select(Topic).order_by(Topic.id.desc())
    if not _staff():
        tq = tq.where(Topic.status != "draft")
    topics = db.session.scalars(tq).all()
    raisable = []
    if current_user.is_authenticated and current_user.role == "enterprise":
        # The enterprise's open questions not yet on a list: one click to raise them.
        listed = select(Challenge.need_id).where(Challenge.status != "withdrawn")
        raisable = db.session.scalars(
            select(Need)
            .where(
                Need.organization_id == current_user.organization_id,
                Need.status == "open",
                Need.id.notin_(listed),
            )
            .order_by(Need.id.desc())
        ).all()
    my_answers, my_invites = [], []
    if current_user.is_authenticated and current_user.role in ("researcher", "enterprise"):
        my_answers = db.session.scalars(
            select(Answer)
            .where(Answer.organization_id == current_user.organization_id)
            .order_by(Answer.id.desc())
        ).all()
        my_invites = db.session.scalars(
            select(Invitation)
            .join(Challenge)
            .where(Invitation.user_id == current_user.id, Challenge.status.in_(services.OPEN_FOR_ANSWERS))
            .order_by(Invitation.id.desc())
        ).all()
    return render_template(
        "challenges/index.html",
        challenges=challenges,
        topics=topics,
        status=status,
        STATUSES=CHALLENGE_STATUSES,
        raisable=raisable,
        my_answers=my_answers,
        my_invites=my_invites,
    )


@bp.route("/topics/new", methods=["GET", "POST"])
@roles_required("admin")
@submissions.once("题目")
def topic_new():
    return _topic_form(None)


@bp.route("/topics/<int:topic_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def topic_edit(topic_id):
    return _topic_form(_get(Topic, topic_id))


def _topic_form(topic):
    creating = topic is None
    form = TopicForm(obj=topic)
    form.field_id.choices = [(f.id, f.name) for f in _fields()]
    if topic is None and request.method == "GET":
        form.title.data = request.args.get("title") or None
        form.field_id.data = request.args.get("field_id", type=int)
    need_ids = [int(x) for x in request.values.getlist("need_ids") if x.isdigit()]
    if form.validate_on_submit():
        try:
            topic = services.save_topic(
                db.session,
                current_user,
                title=form.title.data,
                industry_chain=form.industry_chain.data,
                field_id=form.field_id.data,
                description=form.description.data or "",
                lead_department=form.lead_department.data,
                region=form.region.data or None,
                status=form.status.data,
                topic=topic,
            )
            moved = services.attach_needs(db.session, topic, need_ids)
            if creating:
                submissions.claim(url_for(".topic_detail", topic_id=topic.id))
            db.session.commit()
            flash("题目已保存" + (f"，已归入 {moved} 个问题" if moved else ""), "success")
            return redirect(url_for(".topic_detail", topic_id=topic.id))
        except DomainError as exc:
            _fail(form, exc)
    needs = db.session.scalars(select(Need).where(Need.id.in_(need_ids))).all() if need_ids else []
    return render_template("challenges/topic_form.html", form=form, topic=topic, needs=needs)


@bp.route("/topics/<int:topic_id>")
def topic_detail(topic_id):
    topic = _get(Topic, topic_id)
    if topic.status == "draft" and not _staff():
        abort(404)
    results, experts = reports.topic_matches(db.session, topic)
    return render_template(
        "challenges/topic.html",
        topic=topic,
        results=results,
        experts=experts,
        challenges=reports.topic_challenges(db.session, topic),
        progress=reports.topic_progress(db.session, topic),
    )


@bp.route("/topics/suggest")
@roles_required("admin", "broker")
def topic_suggest():
    form = SuggestForm(request.args)
    form.field_id.choices = [(0, "（全部领域）")] + [(f.id, f.name) for f in _fields()]
    suggestions = None
    if request.args.get("run"):
        granularity = form.granularity.data if form.granularity.data in GRANULARITY else "medium"
        suggestions = suggest_topics(
            db.session, form.field_id.data or None, form.region.data or None, granularity=granularity
        )
    return render_template("challenges/suggest.html", form=form, suggestions=suggestions)


@bp.route("/topics/<int:topic_id>/trace")
def topic_trace(topic_id):
    topic = _get(Topic, topic_id)
    if topic.status == "draft" and not _staff():
        abort(404)
    return render_template("challenges/trace.html", data=reports.trace(db.session, topic))


@bp.route("/topics/<int:topic_id>/trace.xlsx")
def topic_trace_xlsx(topic_id):
    topic = _get(Topic, topic_id)
    if topic.status == "draft" and not _staff():
        abort(404)
    content = reports.trace_workbook(reports.trace(db.session, topic))
    return send_file(
        BytesIO(content),
        as_attachment=True,
        download_name=f"topic-{topic.id}-trace.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# ---------------------------------------------------------------- 企业出题


@bp.route("/questions/new", methods=["GET", "POST"])
@roles_required("enterprise", "admin", "broker")
@submissions.once("问题")
def question_new():
    form = QuestionForm()
    form.field_id.choices = [(f.id, f.name) for f in _fields()]
    topics = db.session.scalars(select(Topic).where(Topic.status == "published").order_by(Topic.id)).all()
    form.topic_id.choices = [(0, "（独立出题，不归入题目）")] + [
        (t.id, f"{t.industry_chain}：{t.title}") for t in topics
    ]
    if request.method == "GET" and request.args.get("topic_id", type=int):
        topic = db.session.get(Topic, request.args.get("topic_id", type=int))
        if topic:
            form.topic_id.data, form.field_id.data = topic.id, topic.field_id
    if form.validate_on_submit():
        try:
            need = services.post_question(
                db.session,
                current_user,
                title=form.title.data,
                description=form.description.data,
                field_id=form.field_id.data,
                topic_id=form.topic_id.data or None,
                keywords=[k for k in re.split(r"[,，、\s]+", form.keywords.data or "") if k],
                region=form.region.data or current_user.organization.region,
                budget_wan=_decimal(form.budget_wan),
                deadline=form.deadline.data,
            )
            submissions.claim(url_for(".challenge_new", need_id=need.id))
            db.session.commit()
            flash("问题已发布，可以继续将其提升为揭榜挂帅榜单", "success")
            return redirect(url_for(".challenge_new", need_id=need.id))
        except DomainError as exc:
            _fail(form, exc)
    return render_template("challenges/question_form.html", form=form)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@submissions.once("榜单")
def challenge_new():
    need = _get(Need, request.args.get("need_id", type=int) or 0)
    if not services.can_raise(current_user, need):
        abort(403)
    form = ChallengeForm()
    if request.method == "GET":
        form.title.data = need.title
        form.reward_wan.data = need.budget_wan
        form.deadline.data = need.deadline
    if form.validate_on_submit():
        try:
            challenge = services.raise_challenge(
                db.session,
                current_user,
                need,
                title=form.title.data,
                type=form.type.data,
                targets=lines(form.targets.data),
                reward_wan=_decimal(form.reward_wan),
                deadline=form.deadline.data,
                min_units=form.min_units.data,
                eligibility=form.eligibility.data or "",
            )
            submissions.claim(url_for(".challenge_detail", challenge_id=challenge.id))
            db.session.commit()
            flash("榜单已提交，进入“征集”阶段，等待省科技厅/技术经纪人论证", "success")
            return redirect(url_for(".challenge_detail", challenge_id=challenge.id))
        except DomainError as exc:
            _fail(form, exc)
    return render_template("challenges/challenge_form.html", form=form, need=need)


# ---------------------------------------------------------------- challenge page and workflow


def _visible(challenge: Challenge) -> bool:
    if challenge.status not in ("collecting", "assessing", "withdrawn"):
        return True
    return _staff() or (
        current_user.is_authenticated and challenge.need.organization_id == current_user.organization_id
    )


@bp.route("/<int:challenge_id>")
def challenge_detail(challenge_id):
    challenge = _get(Challenge, challenge_id)
    if not _visible(challenge):
        abort(404)
    move_form = TransitionForm()
    move_form.to_status.choices = [(s, CHALLENGE_STATUSES[s]) for s in services.allowed_moves(challenge)]
    answers = [a for a in challenge.answers if services.can_see_answer(current_user, a)]
    award_form = AwardForm()
    award_form.answer_id.choices = [
        (a.id, f"{a.title}（{a.organization.name}）") for a in challenge.answers if a.status != "withdrawn"
    ]
    can_answer = (
        current_user.is_authenticated
        and current_user.role in ("researcher", "enterprise")
        and current_user.organization_id != challenge.need.organization_id
        and challenge.status in services.OPEN_FOR_ANSWERS
    )
    return render_template(
        "challenges/challenge.html",
        challenge=challenge,
        answers=answers,
        move_form=move_form,
        assign_form=AssignForm(),
        award_form=award_form,
        can_answer=can_answer,
        aggregates=services.aggregate(challenge) if _staff() else [],
        RUBRIC=RUBRIC,
        STATUS_LABELS=CHALLENGE_STATUSES,
    )


@bp.route("/<int:challenge_id>/move", methods=["POST"])
@roles_required("admin", "broker")
def challenge_move(challenge_id):
    challenge = _get(Challenge, challenge_id)
    form = TransitionForm()
    form.to_status.choices = [(s, v) for s, v in CHALLENGE_STATUSES.items()]
    if not form.validate_on_submit():
        flash("请选择要变更的状态", "danger")
    else:
        try:
            services.transition(db.session, challenge, form.to_status.data, current_user, form.reason.data)
            db.session.commit()
            flash(f"榜单状态已变更为“{challenge.status_label}”", "success")
        except DomainError as exc:
            _fail(form, exc)
    return redirect(url_for(".challenge_detail", challenge_id=challenge_id))


@bp.route("/<int:challenge_id>/assign", methods=["POST"])
@roles_required("admin")
def challenge_assign(challenge_id):
    challenge = _get(Challenge, challenge_id)
    form = AssignForm()
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
    else:
        try:
            created = services.assign_reviewers(
                db.session,
                challenge,
                current_user,
                per_answer=form.per_answer.data,
                max_load=form.max_load.data,
            )
            db.session.commit()
            flash(f"已分配 {len(created)} 项评审任务（已自动回避同单位专家）", "success")
        except DomainError as exc:
            _fail(form, exc)
    return redirect(url_for(".challenge_detail", challenge_id=challenge_id) + "#review")


@bp.route("/<int:challenge_id>/award", methods=["POST"])
@roles_required("admin")
def challenge_award(challenge_id):
    challenge = _get(Challenge, challenge_id)
    form = AwardForm()
    form.answer_id.choices = [(a.id, a.title) for a in challenge.answers]
    if not form.validate_on_submit():
        flash("请选择中标方案", "danger")
        return redirect(url_for(".challenge_detail", challenge_id=challenge_id))
    try:
        project = services.award_project(
            db.session,
            challenge,
            _get(Answer, form.answer_id.data),
            current_user,
            funding_wan=_decimal(form.funding_wan),
            note=form.note.data or "",
        )
        db.session.commit()
        flash("已立项", "success")
        return redirect(url_for(".project_detail", project_id=project.id))
    except DomainError as exc:
        _fail(form, exc)
        return redirect(url_for(".challenge_detail", challenge_id=challenge_id))


# ---------------------------------------------------------------- 人才答题


@bp.route("/<int:challenge_id>/answer", methods=["GET", "POST"])
@roles_required("researcher", "enterprise")
@submissions.once("揭榜方案")
def answer_new(challenge_id):
    challenge = _get(Challenge, challenge_id)
    if not _visible(challenge):
        abort(404)
    form = AnswerForm()
    org_id = current_user.organization_id
    experts = db.session.scalars(
        select(Expert).where(Expert.organization_id == org_id).order_by(Expert.id)
    ).all()
    form.expert_id.choices = [(0, "（不指定）")] + [(e.id, f"{e.name} {e.title or ''}") for e in experts]
    results = db.session.scalars(
        select(Result)
        .where(Result.organization_id == org_id, Result.status == "published")
        .order_by(Result.id)
    ).all()
    form.result_ids.choices = [(r.id, r.title) for r in results]
    if form.validate_on_submit():
        try:
            answer = services.submit_answer(
                db.session,
                current_user,
                challenge,
                title=form.title.data,
                approach=form.approach.data,
                team_members=lines(form.team_members.data),
                result_ids=form.result_ids.data,
                milestones=services.parse_milestones(form.milestones.data),
                budget_wan=_decimal(form.budget_wan),
                members=services.resolve_organizations(db.session, lines(form.consortium.data)),
                consortium_name=form.consortium_name.data or "",
                expert_id=form.expert_id.data or None,
            )
            submissions.claim(url_for(".answer_detail", answer_id=answer.id))
            db.session.commit()
            flash("揭榜方案已提交", "success")
            return redirect(url_for(".answer_detail", answer_id=answer.id))
        except DomainError as exc:
            _fail(form, exc)
    return render_template("challenges/answer_form.html", form=form, challenge=challenge)


@bp.route("/answers/<int:answer_id>")
@login_required
def answer_detail(answer_id):
    answer = _get(Answer, answer_id)
    if not services.can_see_answer(current_user, answer):
        abort(403)
    can_withdraw = (
        answer.organization_id == current_user.organization_id
        and answer.status != "withdrawn"
        and answer.challenge.status in services.OPEN_FOR_ANSWERS
    )
    return render_template(
        "challenges/answer.html",
        answer=answer,
        RUBRIC=RUBRIC,
        show_reviews=_staff(),
        can_withdraw=can_withdraw,
    )


@bp.route("/answers/<int:answer_id>/withdraw", methods=["POST"])
@login_required
def answer_withdraw(answer_id):
    answer = _get(Answer, answer_id)
    if answer.organization_id != current_user.organization_id:
        abort(403)
    try:
        services.withdraw_answer(db.session, answer, current_user, request.form.get("reason", ""))
        db.session.commit()
        flash("方案已撤回", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for(".answer_detail", answer_id=answer_id))


# ---------------------------------------------------------------- 科技解题: reviews


@bp.route("/reviews")
@login_required
def my_reviews():
    expert = services.reviewer_expert(db.session, current_user)
    reviews = (
        db.session.scalars(
            select(Review)
            .where(Review.expert_id == expert.id)
            .order_by(Review.submitted_at.isnot(None), Review.id.desc())
        ).all()
        if expert
        else []
    )
    return render_template("challenges/reviews.html", expert=expert, reviews=reviews)


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@login_required
def review_detail(review_id):
    review = _get(Review, review_id)
    if review.expert.user_id != current_user.id:
        abort(403)
    form = ReviewForm(data=dict(review.scores or {}, comment=review.comment) if review.submitted_at else None)
    if form.validate_on_submit():
        try:
            services.submit_review(
                db.session,
                review,
                current_user,
                {k: getattr(form, k).data for k, _l, _w in RUBRIC},
                form.comment.data or "",
            )
            db.session.commit()
            flash("评分已提交", "success")
            return redirect(url_for(".my_reviews"))
        except DomainError as exc:
            _fail(form, exc)
    return render_template("challenges/review_form.html", form=form, review=review, RUBRIC=RUBRIC)


# ---------------------------------------------------------------- 立项 and 验收


@bp.route("/projects/<int:project_id>")
def project_detail(project_id):
    project = _get(Project, project_id)
    return render_template("challenges/project.html", project=project, form=MilestoneForm())


@bp.route("/milestones/<int:milestone_id>/accept", methods=["POST"])
@roles_required("admin", "broker")
def milestone_accept(milestone_id):
    milestone = _get(Milestone, milestone_id)
    form = MilestoneForm()
    if not form.validate_on_submit():
        flash("请填写验收意见", "danger")
    else:
        try:
            services.accept_milestone(db.session, milestone, current_user, form.passed.data, form.note.data)
            db.session.commit()
            flash("验收记录已保存", "success")
        except DomainError as exc:
            _fail(form, exc)
    return redirect(url_for(".project_detail", project_id=milestone.project_id))


# ---------------------------------------------------------------- statistics


@bp.route("/stats")
@roles_required("admin", "broker")
def stats():
    data = reports.statistics(db.session)
    return render_template(
        "challenges/stats.html", stats=data, chart=json.dumps(reports.chart_data(data), ensure_ascii=False)
    )
