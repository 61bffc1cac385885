"""The post-commit pipeline (提交后流水线): index, then proposals, then notifications.

Writers only commit; the `index_changes` rows their transaction wrote (see
`matchmaker.matching.hooks`) say what changed. `drain()` consumes that log in batches and
runs, for each batch, the steps that `create_app` declares in one ordered list
(`matchmaker.PIPELINE`), so import order never decides what runs first. A batch's steps,
the rows marked done and the worker's cursor commit together; steps are idempotent, so a
process killed half-way replays the batch without losing or duplicating anything.

Who drains: with `JOBS=worker` the background worker (`flask worker`, see
`matchmaker.jobs`), woken by a job after each commit; with `JOBS=inline` (tests,
`make dev`) the committing process itself, right after its commit.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from matchmaker.matching import hooks
from matchmaker.matching.models import IndexChange, WorkerState

log = logging.getLogger(__name__)
KEY = "matchmaker.pipeline"
DRAINING = "matchmaker.pipeline.draining"
BATCH = 256
RETRIES = 5


@dataclass
class Batch:
    """One batch of the change log: {kind: {posting id: "upsert" | "delete"}} (last op wins)."""

    changes: dict[str, dict[int, str]] = field(default_factory=dict)
    first_seq: int = 0
    last_seq: int = 0
    results: dict[str, object] = field(default_factory=dict)  # what a step hands to later ones

    @classmethod
    def from_rows(cls, rows) -> Batch:
        batch = cls(first_seq=rows[0].seq, last_seq=rows[-1].seq)
        for row in rows:
            batch.changes.setdefault(row.kind, {})[row.posting_id] = row.op
        return batch

    def upserted(self, kind: str) -> list[int]:
        return sorted(i for i, op in self.changes.get(kind, {}).items() if op == "upsert")

    def deleted(self, kind: str) -> list[int]:
        return sorted(i for i, op in self.changes.get(kind, {}).items() if op == "delete")


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def init_app(app: Flask, steps: list[str]) -> None:
    app.extensions[KEY] = [_resolve(s) for s in steps]
    app.config.setdefault("JOBS", "inline")
    hooks.install()
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def steps(app: Flask) -> list:
    return list(app.extensions[KEY])


def _after_rollback(session: Session) -> None:
    session.info.pop(hooks.WROTE, None)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        # a SAVEPOINT released (SQLAlchemy fires after_commit for it too): nothing is
        # committed yet, so draining now would miss the rows; the outer commit drains
        return
    if not session.info.pop(hooks.WROTE, False) or session.info.get(DRAINING):
        return
    if not has_app_context() or KEY not in current_app.extensions:
        return  # a bare session (scripts, benches): the worker's next poll picks the rows up
    wake(current_app._get_current_object())


def wake(app: Flask) -> None:
    """After a commit that logged changes: drain now (inline) or wake the worker."""
    if app.config.get("JOBS") == "inline":
        try:
            drain(app)
        except Exception:  # the commit stands; the change log keeps the work for later
            log.exception("处理索引变更失败，变更已保留在 index_changes 中")
        return
    from matchmaker import jobs

    jobs.wake_worker(app)


def drain(
    app: Flask, *, batch_size: int | None = None, max_batches: int | None = None, name: str = "worker"
) -> int:
    """Process the change log until it is empty (or `max_batches`); returns the rows processed.
    Runs in its own app context, hence its own session."""
    total = batches = 0
    batch_size = batch_size or int(app.config.get("INDEX_BATCH") or BATCH)
    from matchmaker.extensions import db

    with app.app_context():
        session = db.session
        session.info[DRAINING] = True
        try:
            while max_batches is None or batches < max_batches:
                n = _with_retry(lambda: process_batch(app, session, batch_size, name), session)
                if not n:
                    break
                total += n
                batches += 1
        finally:
            session.info.pop(DRAINING, None)
            db.session.remove()
    return total


def _with_retry(fn, session: Session):
    for attempt in range(1, RETRIES + 1):
        try:
            return fn()
        except DBAPIError as exc:  # deadlock / serialization failure: retried, never dropped
            session.rollback()
            if attempt == RETRIES or not _retryable(exc):
                raise
            log.warning("处理索引变更时数据库冲突（第 %d 次），重试：%s", attempt, exc.orig)
            time.sleep(0.2 * attempt)


def _retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(
        s in text
        for s in ("deadlock", "could not serialize", "database is locked", "unique", "duplicate key")
    )


def process_batch(app: Flask, session: Session, batch_size: int = BATCH, name: str = "worker") -> int:
    rows = session.scalars(
        select(IndexChange)
        .where(IndexChange.done.is_(False))
        .order_by(IndexChange.seq)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        heartbeat(session, name)
        session.commit()
        return 0
    started = time.perf_counter()
    batch = Batch.from_rows(rows)
    for step in steps(app):
        step(app, session, batch)
    session.execute(update(IndexChange).where(IndexChange.seq.in_([r.seq for r in rows])).values(done=True))
    state = heartbeat(session, name)
    state.cursor = max(state.cursor or 0, batch.last_seq)
    state.processed = (state.processed or 0) + len(rows)
    session.commit()
    log.info(
        "索引变更 seq %d–%d：%d 条，用时 %.0f ms",
        batch.first_seq,
        batch.last_seq,
        len(rows),
        (time.perf_counter() - started) * 1000,
    )
    return len(rows)


def heartbeat(session: Session, name: str = "worker") -> WorkerState:
    from matchmaker.extensions import utcnow

    state = session.get(WorkerState, name)
    if state is None:
        state = WorkerState(name=name, cursor=0, processed=0)
        session.add(state)
    state.heartbeat_at = utcnow()
    return state


def lag(session: Session, name: str = "worker") -> dict:
    """Index lag: the newest seq minus the worker's cursor, and the rows still pending."""
    max_seq = session.scalar(select(func.max(IndexChange.seq))) or 0
    pending = session.scalar(select(func.count()).select_from(IndexChange).where(IndexChange.done.is_(False)))
    state = session.get(WorkerState, name)
    cursor = state.cursor if state else 0
    return {
        "max_seq": int(max_seq),
        "cursor": int(cursor or 0),
        "lag": int(max(max_seq - (cursor or 0), 0)),
        "pending": int(pending or 0),
        "heartbeat_at": state.heartbeat_at.isoformat() + "Z" if state and state.heartbeat_at else None,
    }
