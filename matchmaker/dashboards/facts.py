"""Keep `NeedFact` in step with the records (看板事实表同步).

After every flush that adds, changes or deletes a Match, StageChange or Contract (or deletes a
Need), the facts of the needs concerned are recomputed from their records with one aggregate
statement, in the same transaction: a rollback takes the facts back with the records.
`rebuild(connection)` recomputes every need (CLI `dashboards rebuild`, the bench after COPY).
"""

from __future__ import annotations

from sqlalchemy import case, delete, event, func, insert, select
from sqlalchemy.orm import Session

from matchmaker.dashboards.models import NeedFact
from matchmaker.postings.models import Need
from matchmaker.review.models import Contract, Match, StageChange

COLUMNS = [
    "need_id",
    "matches",
    "first_match_at",
    "accepted",
    "first_contact_at",
    "negotiation",
    "signed",
    "registered",
    "first_signed_on",
]


def _flag(stage: str):
    return func.max(case((StageChange.to_stage == stage, 1), else_=0))


def facts_select(need_ids=None):
    """One row per need with matches (all needs when need_ids is None), in COLUMNS order."""

    def only(q):
        return q if need_ids is None else q.where(Match.need_id.in_(need_ids))

    base = only(
        select(
            Match.need_id.label("need_id"),
            func.count().label("matches"),
            func.min(Match.created_at).label("first_match_at"),
            func.max(case((Match.decision == "accept", 1), else_=0)).label("accepted"),
            func.min(Match.released_at).label("first_contact_at"),
        ).group_by(Match.need_id)
    ).subquery()
    stages = only(
        select(
            Match.need_id.label("need_id"),
            _flag("negotiation").label("negotiation"),
            _flag("signed").label("signed"),
            _flag("registered").label("registered"),
        )
        .join(StageChange, StageChange.match_id == Match.id)
        .where(StageChange.to_stage.in_(("negotiation", "signed", "registered")))
        .group_by(Match.need_id)
    ).subquery()
    signed = only(
        select(Match.need_id.label("need_id"), func.min(Contract.signed_on).label("first_signed_on"))
        .join(Contract, Contract.match_id == Match.id)
        .group_by(Match.need_id)
    ).subquery()
    return (
        select(
            base.c.need_id,
            base.c.matches,
            base.c.first_match_at,
            base.c.accepted,
            base.c.first_contact_at,
            func.coalesce(stages.c.negotiation, 0),
            func.coalesce(stages.c.signed, 0),
            func.coalesce(stages.c.registered, 0),
            signed.c.first_signed_on,
        )
        .join(Need, Need.id == base.c.need_id)  # orphans (a need deleted without FK cascade) drop out
        .outerjoin(stages, stages.c.need_id == base.c.need_id)
        .outerjoin(signed, signed.c.need_id == base.c.need_id)
    )


def refresh(connection, need_ids) -> None:
    """Recompute the facts of these needs (delete, then insert what their records say)."""
    ids = sorted({int(i) for i in need_ids if i is not None})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        connection.execute(delete(NeedFact).where(NeedFact.need_id.in_(chunk)))
        connection.execute(insert(NeedFact).from_select(COLUMNS, facts_select(chunk)))


def rebuild(connection) -> int:
    """Recompute every need's facts; returns the number of rows."""
    connection.execute(delete(NeedFact))
    connection.execute(insert(NeedFact).from_select(COLUMNS, facts_select()))
    return connection.scalar(select(func.count()).select_from(NeedFact)) or 0


def _touched(session: Session) -> set[int]:
    need_ids, match_ids = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Match):
            need_ids.add(obj.need_id)
            match_ids.discard(obj.id)
        elif isinstance(obj, StageChange | Contract):
            match_ids.add(obj.match_id)
        elif isinstance(obj, Need) and obj in session.deleted:
            need_ids.add(obj.id)
    match_ids -= {None}
    if match_ids:
        rows = session.connection().execute(select(Match.need_id).where(Match.id.in_(match_ids)))
        need_ids.update(r[0] for r in rows)
    return need_ids


def _after_flush(session: Session, _context) -> None:
    need_ids = _touched(session)
    if need_ids:
        refresh(session.connection(), need_ids)


def init() -> None:
    """Keep the facts in step on every flush (called by create_app, FLUSH_HOOKS)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
