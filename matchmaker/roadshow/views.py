"""龙子湖科创路演 views: thin wrappers over roadshow.services."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from matchmaker import jobs
from matchmaker.accounts.permissions import roles_required
from matchmaker.accounts.services import audit
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from matchmaker.postings.models import Field, Need, Result
from matchmaker.roadshow import services
from matchmaker.roadshow.forms import (
    CandidateForm,
    IntentForm,
    PlaceForm,
    RoadshowForm,
    SessionForm,
    SolveForm,
)
from matchmaker.roadshow.models import (
    Candidate,
    Intent,
    Registration,
    Roadshow,
    ScheduleVersion,
    Session,
    Talk,
)
from matchmaker.submissions import web as submissions

bp = Blueprint("roadshow", __name__, url_prefix="/roadshow")
STAFF = ("broker", "admin")


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.role in STAFF


def _edition(roadshow_id: int) -> Roadshow:
    return db.session.get(Roadshow, roadshow_id) or abort(404)


def _version(roadshow: Roadshow, version_id: int) -> ScheduleVersion:
    version = db.session.get(ScheduleVersion, version_id)
    if version is None or version.roadshow_id != roadshow.id:
        abort(404)
    return version


def _flash_errors(form) -> None:
    flash("；".join(f"{form[k].label.text}：{v[0]}" for k, v in form.errors.items()), "danger")


def _refused(exc: DomainError) -> None:
    db.session.rollback()
    flash(exc.message, "danger")


@bp.route("/")
def index():
    editions = db.session.scalars(select(Roadshow).order_by(Roadshow.id.desc())).all()
    form = RoadshowForm() if _is_staff() else None
    return render_template(
        "roadshow/index.html",
        editions=editions,
        form=form,
        published={r.id: services.latest(r, "published") for r in editions},
    )


@bp.route("/new", methods=["POST"])
@roles_required(*STAFF)
@submissions.once("路演届次")
def create():
    form = RoadshowForm()
    if not form.validate_on_submit():
        editions = db.session.scalars(select(Roadshow).order_by(Roadshow.id.desc())).all()
        return render_template("roadshow/index.html", editions=editions, form=form, published={}), 400
    roadshow = Roadshow(created_by_id=current_user.id)
    form.populate_obj(roadshow)
    db.session.add(roadshow)
    db.session.flush()
    audit(db.session, "roadshow.create", current_user, f"roadshow:{roadshow.id}", roadshow.title)
    submissions.claim(url_for("roadshow.edition", roadshow_id=roadshow.id))
    db.session.commit()
    flash("已创建路演届次，请添加专场与候选项目", "success")
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


def _session_form(formdata=None) -> SessionForm:
    form = SessionForm(formdata=formdata) if formdata is not None else SessionForm()
    fields = db.session.scalars(select(Field).where(Field.active).order_by(Field.sort_order, Field.id)).all()
    form.field_id.choices = [(0, "不限领域（走进地方专场）")] + [(f.id, f.name) for f in fields]
    return form


@bp.route("/<int:roadshow_id>")
def edition(roadshow_id):
    roadshow = _edition(roadshow_id)
    if not _is_staff():
        return redirect(url_for("roadshow.timetable", roadshow_id=roadshow.id))
    suggest_for = request.args.get("suggest", type=int)
    suggestions, suggest_session = [], None
    if suggest_for:
        suggest_session = db.session.get(Session, suggest_for)
        if suggest_session is None or suggest_session.roadshow_id != roadshow.id:
            abort(404)
        suggestions = services.suggest(db.session, roadshow, suggest_session)
    return render_template(
        "roadshow/edition.html",
        roadshow=roadshow,
        session_form=_session_form(),
        candidate_form=CandidateForm(),
        solve_form=SolveForm(),
        settings_form=RoadshowForm(obj=roadshow),
        suggestions=suggestions,
        suggest_session=suggest_session,
        draft=services.latest(roadshow, "draft"),
        published=services.latest(roadshow, "published"),
    )


@bp.route("/<int:roadshow_id>/settings", methods=["POST"])
@roles_required(*STAFF)
def settings(roadshow_id):
    roadshow = _edition(roadshow_id)
    form = RoadshowForm()
    if form.validate_on_submit():
        form.populate_obj(roadshow)
        db.session.commit()
        flash("规则已保存", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/sessions", methods=["POST"])
@roles_required(*STAFF)
def add_session(roadshow_id):
    roadshow = _edition(roadshow_id)
    form = _session_form(request.form)
    if not form.validate():
        _flash_errors(form)
        return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))
    s = Session(
        roadshow=roadshow,
        kind=form.kind.data,
        title=form.title.data.strip(),
        field_id=form.field_id.data or None,
        city=form.city.data.strip(),
        venue=form.venue.data or "",
        date=form.date.data,
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        slot_minutes=form.slot_minutes.data,
        rooms=form.parsed_rooms,
    )
    db.session.add(s)
    db.session.commit()
    flash(f"已添加专场：{s.title}", "success")
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/candidates", methods=["POST"])
@roles_required(*STAFF)
def nominate(roadshow_id):
    roadshow = _edition(roadshow_id)
    form = CandidateForm()
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))
    result = db.session.get(Result, form.result_id.data)
    if result is None:
        flash("成果编号不存在", "danger")
        return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))
    try:
        services.nominate(
            db.session,
            roadshow,
            result,
            current_user,
            presenter=form.presenter.data,
            minutes=form.minutes.data,
            availability=form.parsed_windows,
            cities=form.parsed_cities,
        )
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(f"已提名：{result.title}", "success")
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/suggestions/<int:result_id>", methods=["POST"])
@roles_required(*STAFF)
def accept_suggestion(roadshow_id, result_id):
    roadshow = _edition(roadshow_id)
    result = db.session.get(Result, result_id) or abort(404)
    try:
        services.nominate(db.session, roadshow, result, current_user, source="suggested")
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(f"已采纳推荐：{result.title}", "success")
    return redirect(request.referrer or url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/candidates/<int:candidate_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def remove_candidate(roadshow_id, candidate_id):
    roadshow = _edition(roadshow_id)
    cand = db.session.get(Candidate, candidate_id)
    if cand is None or cand.roadshow_id != roadshow.id:
        abort(404)
    try:
        services.remove_candidate(db.session, cand)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash("已移除候选项目", "success")
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/sessions/<int:session_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def remove_session(roadshow_id, session_id):
    roadshow = _edition(roadshow_id)
    session = db.session.get(Session, session_id)
    if session is None or session.roadshow_id != roadshow.id:
        abort(404)
    try:
        services.remove_session(db.session, session)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash("已删除专场", "success")
    return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/solve", methods=["POST"])
@roles_required(*STAFF)
def solve(roadshow_id):
    roadshow = _edition(roadshow_id)
    form = SolveForm()
    if not form.validate_on_submit():
        flash("求解时限应在 1 到 120 秒之间", "danger")
        return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))
    try:
        version = services.queue_solve(db.session, roadshow, current_user, float(form.time_limit.data))
    except DomainError as exc:
        _refused(exc)
        return redirect(url_for("roadshow.edition", roadshow_id=roadshow.id))
    audit(db.session, "roadshow.solve", current_user, f"roadshow:{roadshow.id}", f"version {version.number}")
    db.session.commit()  # the job reads the committed draft
    jobs.submit(current_app._get_current_object(), "roadshow.solve", version.id)
    return redirect(url_for("roadshow.version", roadshow_id=roadshow.id, version_id=version.id))


@bp.route("/<int:roadshow_id>/versions/<int:version_id>")
@roles_required(*STAFF)
def version(roadshow_id, version_id):
    roadshow = _edition(roadshow_id)
    version = _version(roadshow, version_id)
    place_form = PlaceForm()
    place_form.session_id.choices = [(s.id, f"{s.title}（{s.date} {s.city}）") for s in roadshow.sessions]
    scheduled = {t.candidate_id for t in version.talks}
    done = version.job_status == "done"
    return render_template(
        "roadshow/version.html",
        roadshow=roadshow,
        version=version,
        place_form=place_form,
        problems=services.conflicts(roadshow, version) if done else [],
        unscheduled=[c for c in roadshow.candidates if c.id not in scheduled],
        reasons={u["candidate"]: u for u in version.solve.get("unscheduled") or []},
        by_session=_by_session(roadshow, version.talks),
    )


def _by_session(roadshow: Roadshow, talks) -> list[tuple[Session, list[Talk]]]:
    return [
        (s, sorted((t for t in talks if t.session_id == s.id), key=lambda t: (t.start_time, t.room)))
        for s in roadshow.sessions
    ]


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/status")
@roles_required(*STAFF)
def version_status(roadshow_id, version_id):
    version = _version(_edition(roadshow_id), version_id)
    db.session.refresh(version)  # the job writes progress from another transaction
    return jsonify(services.job_state(version))


def _place_args(roadshow: Roadshow, form: PlaceForm):
    cand = db.session.get(Candidate, form.candidate_id.data)
    session = db.session.get(Session, form.session_id.data)
    if (
        cand is None
        or session is None
        or cand.roadshow_id != roadshow.id
        or session.roadshow_id != roadshow.id
    ):
        raise DomainError("项目或专场不存在", "candidate_id")
    return cand, session


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/talks", methods=["POST"])
@roles_required(*STAFF)
def place(roadshow_id, version_id):
    roadshow = _edition(roadshow_id)
    version = _version(roadshow, version_id)
    form = PlaceForm()
    form.session_id.choices = [(s.id, s.title) for s in roadshow.sessions]
    if not form.validate_on_submit():
        _flash_errors(form)
    else:
        try:
            cand, session = _place_args(roadshow, form)
            services.place_talk(
                db.session,
                version,
                cand,
                session,
                form.room.data.strip(),
                form.start.data.strip(),
                pinned=form.pinned.data,
            )
        except DomainError as exc:
            _refused(exc)
        else:
            problems = services.conflicts(roadshow, version)
            db.session.commit()
            flash(
                f"已保存；当前有 {len(problems)} 处冲突" if problems else "已保存，无冲突",
                "warning" if problems else "success",
            )
    return redirect(url_for("roadshow.version", roadshow_id=roadshow.id, version_id=version.id))


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/check", methods=["POST"])
@roles_required(*STAFF)
def check(roadshow_id, version_id):
    """Live conflict warnings for a proposed move (JSON; nothing is saved)."""
    roadshow = _edition(roadshow_id)
    version = _version(roadshow, version_id)
    data = request.get_json(silent=True) or request.form
    try:
        cand = next(c for c in roadshow.candidates if str(c.id) == str(data.get("candidate")))
        session = next(s for s in roadshow.sessions if str(s.id) == str(data.get("session")))
        if data.get("room") not in {r["id"] for r in session.rooms}:
            return jsonify(
                {
                    "conflicts": [
                        {"constraint": "unknown", "label": "会场不存在", "detail": "该专场没有这个会场"}
                    ]
                }
            )
        services.to_time(data.get("start", ""))
        change = {"candidate": cand.id, "session": session.id, "room": data["room"], "start": data["start"]}
    except StopIteration:
        return jsonify({"error": {"message": "项目或专场不存在", "field": "candidate"}}), 400
    except DomainError as exc:
        return jsonify({"error": {"message": exc.message, "field": exc.field}}), 400
    return jsonify({"conflicts": services.conflicts(roadshow, version, change)})


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/talks/<int:talk_id>/delete", methods=["POST"])
@roles_required(*STAFF)
def unplace(roadshow_id, version_id, talk_id):
    roadshow = _edition(roadshow_id)
    version = _version(roadshow, version_id)
    talk = db.session.get(Talk, talk_id)
    if talk is None or talk.version_id != version.id:
        abort(404)
    try:
        services.remove_talk(db.session, version, talk)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash("已从草稿中移除", "success")
    return redirect(url_for("roadshow.version", roadshow_id=roadshow.id, version_id=version.id))


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/copy", methods=["POST"])
@roles_required(*STAFF)
def copy(roadshow_id, version_id):
    roadshow = _edition(roadshow_id)
    source = _version(roadshow, version_id)
    draft = services.new_version(db.session, roadshow, current_user, copy_from=source)
    db.session.commit()
    flash(f"已基于第 {source.number} 版创建草稿第 {draft.number} 版", "success")
    return redirect(url_for("roadshow.version", roadshow_id=roadshow.id, version_id=draft.id))


@bp.route("/<int:roadshow_id>/versions/<int:version_id>/publish", methods=["POST"])
@roles_required(*STAFF)
def publish(roadshow_id, version_id):
    roadshow = _edition(roadshow_id)
    version = _version(roadshow, version_id)
    try:
        summary = services.publish(db.session, version, current_user)
    except DomainError as exc:
        _refused(exc)
        return redirect(url_for("roadshow.version", roadshow_id=roadshow.id, version_id=version.id))
    audit(
        db.session, "roadshow.publish", current_user, f"roadshow:{roadshow.id}", f"version {version.number}"
    )
    db.session.commit()
    flash(
        f"已发布第 {version.number} 版：{summary['changed']} 个新增或调整、{summary['dropped']} 个取消，"
        f"已通知 {summary['enterprises']} 位企业用户",
        "success",
    )
    return redirect(url_for("roadshow.timetable", roadshow_id=roadshow.id))


@bp.route("/<int:roadshow_id>/timetable")
def timetable(roadshow_id):
    """公开日程: the published schedule of an edition."""
    roadshow = _edition(roadshow_id)
    talks = services.published_talks(roadshow)
    registered = set()
    if current_user.is_authenticated:
        registered = set(
            db.session.scalars(select(Registration.session_id).where(Registration.user_id == current_user.id))
        )
    return render_template(
        "roadshow/timetable.html",
        roadshow=roadshow,
        by_session=_by_session(roadshow, talks),
        grids={
            s.id: services.timetable_grid(s, [t for t in talks if t.session_id == s.id])
            for s in roadshow.sessions
        },
        published=services.latest(roadshow, "published"),
        registered=registered,
        seats={s.id: services.seats_taken(db.session, s) for s in roadshow.sessions},
    )


@bp.route("/<int:roadshow_id>/agenda")
@login_required
def agenda(roadshow_id):
    """个人议程 of the signed-in user's organisation."""
    roadshow = _edition(roadshow_id)
    rows = services.agenda(db.session, roadshow, current_user.organization_id)
    registered = set(
        db.session.scalars(select(Registration.session_id).where(Registration.user_id == current_user.id))
    )
    return render_template(
        "roadshow/agenda.html",
        roadshow=roadshow,
        rows=rows,
        registered=registered,
        seats={s.id: services.seats_taken(db.session, s) for s in roadshow.sessions},
    )


def _ics_response(body: bytes, filename: str) -> Response:
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


@bp.route("/<int:roadshow_id>/agenda.ics")
@login_required
def agenda_ics(roadshow_id):
    roadshow = _edition(roadshow_id)
    talks = [t for t, _ in services.agenda(db.session, roadshow, current_user.organization_id)]
    return _ics_response(
        services.ics(talks, f"{roadshow.title} · 个人议程"), f"roadshow-{roadshow.id}-agenda.ics"
    )


@bp.route("/talks/<int:talk_id>.ics")
def talk_ics(talk_id):
    talk = db.session.get(Talk, talk_id) or abort(404)
    if talk.version.status != "published" and not _is_staff():
        abort(404)
    return _ics_response(services.ics([talk], talk.version.roadshow.title), f"roadshow-talk-{talk.id}.ics")


def _seat(session_id: int, action, done: str):
    """Register or unregister the current user (报名 / 取消报名) and go back."""
    session = db.session.get(Session, session_id) or abort(404)
    try:
        action(db.session, session, current_user)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(done.format(title=session.title), "success")
    return redirect(request.referrer or url_for("roadshow.timetable", roadshow_id=session.roadshow_id))


@bp.route("/sessions/<int:session_id>/register", methods=["POST"])
@login_required
def register(session_id):
    return _seat(session_id, services.register, "已报名：{title}")


@bp.route("/sessions/<int:session_id>/unregister", methods=["POST"])
@login_required
def unregister(session_id):
    return _seat(session_id, services.unregister, "已取消报名：{title}")


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def session_page(session_id):
    """专场页: registrations and attendance; brokers record intents (意向) after the event."""
    session = db.session.get(Session, session_id) or abort(404)
    roadshow = session.roadshow
    talks = [t for t in services.published_talks(roadshow) if t.session_id == session.id]
    form = IntentForm()
    form.candidate_id.choices = [(t.candidate_id, f"{hhmm(t)} {t.candidate.result.title}") for t in talks]
    form.need_id.choices = [
        (n.id, f"{n.organization.name}：{n.title}") for n in services.intent_needs(db.session, session)
    ]
    if request.method == "POST" and form.validate_on_submit():
        cand = db.session.get(Candidate, form.candidate_id.data)
        need = db.session.get(Need, form.need_id.data) if form.need_id.data else None
        if cand is None or cand.roadshow_id != roadshow.id:
            form.candidate_id.errors.append("请选择本专场的路演项目")
        elif need is None:
            form.need_id.errors.append("请选择有效的技术需求")
        else:
            try:
                services.record_intent(db.session, session, cand, need, form.note.data or "", current_user)
            except DomainError as exc:
                db.session.rollback()
                getattr(form, exc.field, form.need_id).errors.append(exc.message)
            else:
                db.session.commit()
                flash("已登记意向，并进入经纪人工作台的“对接洽谈”阶段", "success")
                return redirect(url_for("roadshow.session_page", session_id=session.id))
    registrations = db.session.scalars(
        select(Registration).where(Registration.session_id == session.id).order_by(Registration.created_at)
    ).all()
    intents = db.session.scalars(
        select(Intent).where(Intent.session_id == session.id).order_by(Intent.created_at.desc())
    ).all()
    return render_template(
        "roadshow/session.html",
        session=session,
        roadshow=roadshow,
        talks=talks,
        form=form,
        registrations=registrations,
        intents=intents,
        investors=services.session_investors(db.session, session),
    )


def hhmm(talk: Talk) -> str:
    return services.hhmm(talk.start_time)


@bp.route("/registrations/<int:registration_id>/attended", methods=["POST"])
@roles_required(*STAFF)
def attended(registration_id):
    reg = db.session.get(Registration, registration_id) or abort(404)
    reg.attended = not reg.attended
    db.session.commit()
    return redirect(url_for("roadshow.session_page", session_id=reg.session_id))


@bp.route("/<int:roadshow_id>/report")
@roles_required(*STAFF)
def report(roadshow_id):
    roadshow = _edition(roadshow_id)
    return render_template(
        "roadshow/report.html", roadshow=roadshow, report=services.report(db.session, roadshow)
    )
