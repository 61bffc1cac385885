"""The index change log (索引变更日志) and the worker's cursor.

Every insert, update or delete of a result, need or expert writes one `IndexChange` row in
the same transaction (see `matchmaker.matching.hooks`), so the log is the source of truth
for what the indexes still have to learn: a rollback leaves no row, and a process killed
after its commit leaves a row that the worker picks up later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.extensions import db, utcnow

# SQLite autoincrements only an INTEGER PRIMARY KEY.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class IndexChange(db.Model):
    """One change of a posting: kind, id, op ("upsert" | "delete"), a monotonically increasing seq."""

    __tablename__ = "index_changes"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    posting_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(10))
    # Done rows stay for the lag figures; a writer whose commit lands after a later seq
    # was processed is still picked up, because the worker reads "not done", not "seq > cursor".
    done: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerState(db.Model):
    """The worker's cursor (highest processed seq) and heartbeat, one row per consumer name."""

    __tablename__ = "worker_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[int] = mapped_column(SeqType, default=0)
    processed: Mapped[int] = mapped_column(SeqType, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column()
