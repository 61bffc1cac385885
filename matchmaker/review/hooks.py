"""Automatic proposals (自动推荐) and their notifications: steps 2 and 3 of the post-commit
pipeline (`matchmaker.PIPELINE`), run for each batch of the index change log after the
index step, so the ranker already sees the changed postings.

They run in the background worker (or, in `JOBS=inline` mode, right after the writer's
commit), never inside the writer's transaction: one consumer proposes, so concurrent
writers no longer deadlock on each other's proposals. Both steps are idempotent, so a
batch replayed after a crash changes nothing twice.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.postings.models import Need, Result

log = logging.getLogger(__name__)
# Kept for callers that used to clear pending proposals (review.seed); the change log replaced it.
_KEY = "matchmaker.review.pending_proposals"
STATS = "proposals"


def propose_changes(app: Flask, session: Session, batch) -> None:
    """Re-run proposals for every need and result the batch inserted or changed."""
    if not app.config.get("AUTO_PROPOSE"):
        return
    from matchmaker.review.services import ProposeStats, propose_for_need, propose_for_result

    stats = ProposeStats()
    top = app.config.get("PROPOSE_TOP", 10)
    for kind, model, propose in (("need", Need, propose_for_need), ("result", Result, propose_for_result)):
        for obj_id in batch.upserted(kind):
            obj = session.get(model, obj_id)
            if obj is not None:
                stats.add(propose(session, obj, top))
    session.flush()
    batch.results[STATS] = stats


def notify_changes(app: Flask, session: Session, batch) -> None:
    """Tell the postings' organisations about the new proposals of this batch (新推荐)."""
    stats = batch.results.get(STATS)
    if stats is None:
        return
    from matchmaker.review.services import notify_new_proposals

    notify_new_proposals(session, stats)
