"""`/healthz` (健康检查): index lag, queue depth and per-kind counts, as JSON for operators."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select

from matchmaker.extensions import db, utcnow

bp = Blueprint("jobs", __name__)
# Pending changes with no worker heartbeat for this long mean the worker is down.
STALE_WORKER = timedelta(minutes=2)


@bp.get("/healthz")
def healthz():
    from matchmaker import jobs, pipeline
    from matchmaker.matching.engine import MODELS, get_engine
    from matchmaker.matching.models import WorkerState
    from matchmaker.store import StoreUnavailable, backend

    app = current_app._get_current_object()
    lag = pipeline.lag(db.session)
    engine = get_engine(app)
    problems = []
    url = app.config.get("VECTOR_STORE")
    store = {"backend": backend(url), "available": True}
    counts = {}
    for kind, model in MODELS.items():
        counts[kind] = {"database": int(db.session.scalar(select(func.count()).select_from(model)) or 0)}
        try:
            counts[kind]["index"] = engine.count(kind) if store["available"] else None
        except StoreUnavailable:
            store["available"], counts[kind]["index"] = False, None
    if not store["available"]:
        problems.append(f"向量库（{store['backend']}）无法连接：搜索与匹配已降级，变更保留在队列中待重试")
    depth = None
    if app.config.get("JOBS") != "inline":
        depth = jobs.queue_depth(app)
        if depth is None:
            problems.append(f"任务队列（{jobs.backend(app)}）不可用；搜索仍使用最近的索引")
        state = db.session.get(WorkerState, "worker")
        seen = state.heartbeat_at if state else None
        if lag["pending"] and (seen is None or utcnow() - seen > STALE_WORKER):
            problems.append("后台 worker 未在运行：有索引变更等待处理")
    body = {
        "status": "ok" if not problems else "degraded",
        "jobs": app.config.get("JOBS"),
        "pid": os.getpid(),  # which web worker answered
        "index": lag,
        "queue": {"backend": jobs.backend(app), "depth": depth},
        "store": store,
        "counts": counts,
        "problems": problems,
    }
    return jsonify(body), 200
