"""Record every change of a result, need or expert in the index change log (索引变更日志).

A SQLAlchemy `after_flush` listener, not calls from the writers, so every write path (web
forms, API, `flask import`, shell) is covered: for each flushed posting it inserts an
`index_changes` row on the flush's own connection, i.e. in the same transaction. A rollback
drops the rows with the change; a commit makes them the worker's to-do list. What runs after
the commit is the ordered pipeline declared in `create_app` (see `matchmaker.pipeline`).
"""

from __future__ import annotations

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from matchmaker.matching.models import IndexChange

WROTE = "matchmaker.index_changes_written"  # session.info flag: this transaction logged changes


def kind_of(obj) -> str | None:
    from matchmaker.matching.engine import KIND_OF

    return KIND_OF.get(type(obj))


def _after_flush(session: Session, flush_context) -> None:
    rows: dict[tuple[str, int], str] = {}
    for obj in session.new:
        kind = kind_of(obj)
        if kind and obj.id is not None:
            rows[(kind, obj.id)] = "upsert"
    for obj in session.dirty:
        kind = kind_of(obj)
        if kind and obj.id is not None and session.is_modified(obj, include_collections=False):
            rows[(kind, obj.id)] = "upsert"
    for obj in session.deleted:
        kind = kind_of(obj)
        if kind and obj.id is not None:
            rows[(kind, obj.id)] = "delete"
    if not rows:
        return
    session.connection().execute(
        insert(IndexChange.__table__),
        [{"kind": k, "posting_id": i, "op": op, "done": False} for (k, i), op in rows.items()],
    )
    session.info[WROTE] = True


def install() -> None:
    """Idempotent: listeners are process-wide, `create_app` calls this for every app."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def index_changes(app, session: Session, batch) -> None:
    """Pipeline step 1 (索引): embed the batch's upserted postings in batches, drop deleted ones.
    Texts come from the database as it is now, so a replayed batch converges to the truth.
    A store that cannot be written (Milvus down) raises: the batch stays pending and is retried."""
    from matchmaker.matching.engine import MODELS, get_engine

    engine = get_engine(app)
    for kind, items in batch.changes.items():
        model = MODELS.get(kind)
        if model is None:
            continue
        with session.no_autoflush:
            rows = session.scalars(select(model).where(model.id.in_(list(items)))).all()
            found = {obj.id: obj.text for obj in rows}
        engine.apply({kind: {i: found.get(i) for i in items}}, session=session)
