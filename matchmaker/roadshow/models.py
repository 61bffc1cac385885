"""龙子湖科创路演 models: editions, sessions, candidates, schedule versions, talks,
registrations and intents."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from matchmaker.trading.investors import Investor

from matchmaker.accounts.models import Organization, User
from matchmaker.extensions import db, utcnow
from matchmaker.postings.models import Field, Need, Result
from matchmaker.review.models import Match

SESSION_KINDS = {"chain": "产业链群专场", "local": "走进地方专场"}


class Roadshow(db.Model):
    """路演 / 龙子湖科创路演: one edition, with its planning rules."""

    __tablename__ = "roadshows"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    min_interest: Mapped[float] = mapped_column(default=0.2)
    max_per_organization: Mapped[int | None] = mapped_column(default=2)
    conflict_weight: Mapped[float] = mapped_column(default=0.3)  # λ
    displacement_weight: Mapped[float] = mapped_column(default=10.0)  # μ
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sessions: Mapped[list[Session]] = relationship(
        back_populates="roadshow",
        cascade="all, delete-orphan",
        order_by="(Session.date, Session.start_time, Session.id)",
    )
    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="roadshow", cascade="all, delete-orphan", order_by="Candidate.id"
    )
    versions: Mapped[list[ScheduleVersion]] = relationship(
        back_populates="roadshow", cascade="all, delete-orphan", order_by="ScheduleVersion.number"
    )


class Session(db.Model):
    """专场: 产业链群专场 or 走进地方专场 with theme, city, date, hours, slot length and rooms."""

    __tablename__ = "roadshow_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    roadshow_id: Mapped[int] = mapped_column(ForeignKey("roadshows.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="chain")
    title: Mapped[str] = mapped_column(String(200))
    # The theme field; None (a 走进地方专场 open to every field) accepts any field.
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id"))
    city: Mapped[str] = mapped_column(String(20))
    venue: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int] = mapped_column(default=10)
    rooms: Mapped[list] = mapped_column(JSON, default=list)  # [{"id": "A厅", "capacity": 80}]

    roadshow: Mapped[Roadshow] = relationship(back_populates="sessions")
    field: Mapped[Field | None] = relationship()

    @property
    def theme(self) -> str:
        return self.field.name if self.field else "综合"

    @property
    def capacity(self) -> int:
        """报名名额: the seats of all rooms."""
        return sum(int(r.get("capacity", 0)) for r in self.rooms or [])

    @property
    def kind_label(self) -> str:
        return SESSION_KINDS.get(self.kind, self.kind)


class Candidate(db.Model):
    """路演候选项目: a result with presenter, talk length, availability and travel cities."""

    __tablename__ = "roadshow_candidates"
    __table_args__ = (UniqueConstraint("roadshow_id", "result_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roadshow_id: Mapped[int] = mapped_column(ForeignKey("roadshows.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    presenter: Mapped[str] = mapped_column(String(100))
    presenter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    minutes: Mapped[int] = mapped_column(default=20)
    # [{"date": "YYYY-MM-DD", "start": "HH:MM", "end": "HH:MM"}]; None: always available
    availability: Mapped[list | None] = mapped_column(JSON)
    cities: Mapped[list | None] = mapped_column(JSON)  # None: any city
    source: Mapped[str] = mapped_column(String(20), default="nominated")  # nominated | suggested
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    demand: Mapped[float] = mapped_column(default=0.0)  # 需求值 at the last demand computation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roadshow: Mapped[Roadshow] = relationship(back_populates="candidates")
    result: Mapped[Result] = relationship()
    presenter_user: Mapped[User | None] = relationship(foreign_keys=[presenter_user_id])
    interests: Mapped[list[CandidateInterest]] = relationship(
        cascade="all, delete-orphan", back_populates="candidate"
    )


class CandidateInterest(db.Model):
    """An organisation's interest in a candidate, counted in its demand (需求值): an enterprise's
    best open need (`need_id`) with its match score, or an investor's (`investor_id`) ranking
    score weighted by services.INVESTOR_WEIGHT; the explanation says which and why."""

    __tablename__ = "roadshow_interests"
    __table_args__ = (UniqueConstraint("candidate_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_candidates.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    investor_id: Mapped[int | None] = mapped_column(ForeignKey("investors.id", ondelete="CASCADE"))
    score: Mapped[float]
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)

    candidate: Mapped[Candidate] = relationship(back_populates="interests")
    organization: Mapped[Organization] = relationship()
    need: Mapped[Need | None] = relationship()
    investor: Mapped[Investor | None] = relationship("Investor")


class ScheduleVersion(db.Model):
    """A schedule: a draft written by a solve or by hand, then published (发布)."""

    __tablename__ = "roadshow_schedule_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    roadshow_id: Mapped[int] = mapped_column(ForeignKey("roadshows.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published | superseded
    # Background solve: queued | running | done | failed
    job_status: Mapped[str] = mapped_column(String(20), default="done")
    job_error: Mapped[str | None] = mapped_column(Text)
    solve: Mapped[dict] = mapped_column(JSON, default=dict)  # status, objective, greedy, bound, gap, ...
    # Live solve progress ({phase, objective, bound, seconds}), written by the job in its own
    # short transactions so that every web worker reads the same state.
    progress: Mapped[dict | None] = mapped_column(JSON)
    progress_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    roadshow: Mapped[Roadshow] = relationship(back_populates="versions")
    talks: Mapped[list[Talk]] = relationship(
        back_populates="version",
        cascade="all, delete-orphan",
        order_by="(Talk.session_id, Talk.start_time, Talk.room)",
    )


class Talk(db.Model):
    """路演项目: a candidate scheduled in a session: room, start, end."""

    __tablename__ = "roadshow_talks"
    __table_args__ = (UniqueConstraint("version_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_schedule_versions.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(ForeignKey("roadshow_candidates.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_sessions.id", ondelete="CASCADE"), index=True
    )
    room: Mapped[str] = mapped_column(String(50))
    start_time: Mapped[time]
    end_time: Mapped[time]
    pinned: Mapped[bool] = mapped_column(default=False)

    version: Mapped[ScheduleVersion] = relationship(back_populates="talks")
    candidate: Mapped[Candidate] = relationship()
    session: Mapped[Session] = relationship()

    @property
    def uid(self) -> str:
        """Stable across versions: one calendar event per presented result and edition."""
        return f"roadshow-{self.version.roadshow_id}-candidate-{self.candidate_id}@matchmaker.henan"


class Registration(db.Model):
    """报名: an enterprise's seat in a session."""

    __tablename__ = "roadshow_registrations"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    attended: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[Session] = relationship()
    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()


class Intent(db.Model):
    """意向: an enterprise's declared interest after a talk; becomes a Match at 对接洽谈."""

    __tablename__ = "roadshow_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("roadshow_sessions.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int] = mapped_column(ForeignKey("roadshow_candidates.id", ondelete="CASCADE"))
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[Session] = relationship()
    candidate: Mapped[Candidate] = relationship()
    need: Mapped[Need] = relationship()
    match: Mapped[Match | None] = relationship()
