"""Automatic proposals (自动推荐): whenever a need or result is published or changed.

Every path that writes postings (forms, API, import) commits a SQLAlchemy session, so we
watch the session instead of each caller: `after_flush` notes needs/results whose ranking
text, field, region or status changed; `after_commit` runs proposals for them in a fresh
session. A handful of postings (one form or API call) runs inline, so the poster's next
page already shows the effect; a bulk import runs in a background thread with its own
app context.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app, has_app_context, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from matchmaker.postings.models import Need, Result

log = logging.getLogger(__name__)

WATCHED = (
    "title",
    "description",
    "keywords",
    "field_id",
    "region",
    "status",
    "maturity",
    "transfer_modes",
    "price_wan",
    "budget_wan",
    "deadline",
)
INLINE_MAX = 5
_KEY = "matchmaker.review.pending_proposals"
_installed = False
threads: list[threading.Thread] = []  # background runs, so tests and shutdown can join them


def init_app(app: Flask) -> None:
    global _installed
    app.config.setdefault("AUTO_PROPOSE", True)
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True


def _changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in WATCHED if name in state.attrs)


def _after_flush(session: Session, flush_context) -> None:
    if not has_app_context() or not current_app.config.get("AUTO_PROPOSE"):
        return
    pending = session.info.setdefault(_KEY, set())
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, (Need, Result)) and (obj in session.new or _changed(obj)):
            pending.add((obj.kind, obj.id))


def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()
    # Inline for a single posting, and always outside requests (CLI import, seed): a daemon
    # thread would die with the command, and a second writer would contend with the caller.
    if len(pending) <= INLINE_MAX or not has_request_context():
        run(app, pending)
    else:
        thread = threading.Thread(target=run, args=(app, pending), daemon=True, name="auto-propose")
        threads.append(thread)
        thread.start()


def run(app: Flask, pending: set[tuple[str, int]]) -> None:
    """Propose for the changed postings in a separate app context (hence a separate session)."""
    from matchmaker.extensions import db
    from matchmaker.review.services import (
        ProposeStats,
        notify_new_proposals,
        propose_for_need,
        propose_for_result,
    )

    with app.app_context():
        try:
            stats = ProposeStats()
            top = app.config.get("PROPOSE_TOP", 10)
            for kind, obj_id in sorted(pending):
                obj = db.session.get(Need if kind == "need" else Result, obj_id)
                if obj is None:
                    continue
                stats.add(
                    propose_for_need(db.session, obj, top)
                    if kind == "need"
                    else propose_for_result(db.session, obj, top)
                )
            notify_new_proposals(db.session, stats)
            db.session.commit()
        except Exception:  # a failed proposal run must not break the posting that triggered it
            db.session.rollback()
            log.exception("自动推荐失败: %s", sorted(pending))
        finally:
            db.session.remove()
