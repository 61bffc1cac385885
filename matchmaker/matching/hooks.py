"""Keep indexes in step with every write path (web forms, API, `flask import`, shell).

SQLAlchemy session events, not calls from the writers: after each flush we note which
results, needs and experts were inserted, updated or deleted (with their text at that
moment); after the commit the engine applies them; a rollback drops them. So the index
never learns about a change that did not commit, and never keeps a deleted posting.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from matchmaker.postings.models import Expert, Need, Result
from matchmaker.providers.models import Provider

log = logging.getLogger(__name__)
_KEY = "matching_changes"
_KIND = {Result: "result", Need: "need", Expert: "expert", Provider: "provider"}
_installed = False


def _after_flush(session: Session, flush_context) -> None:
    changes = session.info.setdefault(_KEY, {})
    for obj in list(session.new) + list(session.dirty):
        kind = _KIND.get(type(obj))
        if kind and obj.id is not None:
            try:
                changes.setdefault(kind, {})[obj.id] = obj.text
            except Exception:  # an unloaded attribute must not break the writer's flush
                changes.setdefault(kind, {})[obj.id] = ""
    for obj in session.deleted:
        kind = _KIND.get(type(obj))
        if kind and obj.id is not None:
            changes.setdefault(kind, {})[obj.id] = None


def _after_commit(session: Session) -> None:
    changes = session.info.pop(_KEY, None)
    if not changes:
        return
    from flask import current_app, has_app_context

    if not has_app_context():
        return
    from matchmaker.matching.engine import get_engine

    try:
        get_engine(current_app._get_current_object()).apply(changes)
    except Exception:  # the commit already happened; verify/rebuild will repair the index
        log.exception("updating the matching index failed")


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True
