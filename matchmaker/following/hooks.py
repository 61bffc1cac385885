"""Subscription alerts (订阅提醒): the last step of the post-commit pipeline (matchmaker.PIPELINE).

Runs after indexing and proposals, for each batch of the index change log: new needs and
results that fit a subscription, and the batch's new high proposals, become alerts. Idempotent
(one alert per subscription, reason and posting), so a replayed batch sends nothing twice.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.review.hooks import STATS


def alert_subscribers(app: Flask, session: Session, batch) -> None:
    from matchmaker.following import services

    config = app.config
    for kind in ("need", "result"):
        ids = batch.upserted(kind)
        if ids:
            services.alert_new_postings(session, config, kind, ids)
    stats = batch.results.get(STATS)
    if stats is not None and stats.new_pairs:
        services.alert_high_matches(session, config, stats.new_pairs)
    session.flush()
