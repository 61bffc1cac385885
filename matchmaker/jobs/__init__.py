"""Background jobs (后台任务) on huey: the worker drains the index change log.

The queue only carries wake-ups; the change log in the database stays the source of truth,
so a lost wake-up (Redis down, worker killed) costs latency, never data: the worker drains
everything pending when it starts and polls once a minute.

Storage: `RedisHuey` when `REDIS_URL` is set, else `SqliteHuey` in the instance folder.
The huey instance and its tasks are built per app by `get_huey(app)`, not at import.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)
KEY = "matchmaker.huey"


def get_huey(app: Flask):
    """The app's huey instance with its tasks registered (`huey.matchmaker_tasks[name]`)."""
    if KEY in app.extensions:
        return app.extensions[KEY]
    url = app.config.get("REDIS_URL") or ""
    if url:
        huey = RedisHuey("matchmaker", url=url, results=False)
    else:
        path = Path(app.config.get("QUEUE_FILE") or Path(app.instance_path) / "huey.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("matchmaker", filename=str(path), results=False)
    tasks = {}

    @huey.task(name="index.drain")
    def drain_task():
        from matchmaker import pipeline

        return pipeline.drain(app)

    @huey.periodic_task(crontab(minute="*"), name="index.poll")
    def poll_task():
        # Catches changes whose wake-up never arrived (enqueue failed, process killed).
        from matchmaker import pipeline

        return pipeline.drain(app)

    @huey.periodic_task(crontab(minute="*/15"), name="exchange.sync")
    def exchange_sync_task():
        # 沿黄交换: pull every active partner's feed (same as `flask exchange sync`).
        from matchmaker.exchange.services import run_scheduled_sync

        return run_scheduled_sync(app)

    tasks["index.drain"], tasks["index.poll"] = drain_task, poll_task
    tasks["exchange.sync"] = exchange_sync_task
    huey.matchmaker_tasks = tasks
    app.extensions[KEY] = huey
    return huey


def backend(app: Flask) -> str:
    return "redis" if app.config.get("REDIS_URL") else "sqlite"


def wake_worker(app: Flask) -> bool:
    """Enqueue a drain. A failure is logged, not raised: the commit already stands and the
    change log keeps the work until the worker runs."""
    try:
        get_huey(app).matchmaker_tasks["index.drain"]()
        return True
    except Exception as exc:
        log.warning(
            "无法通知后台 worker（%s 队列不可用：%s）；变更已记录在 index_changes，worker 恢复后会处理",
            backend(app),
            exc,
        )
        return False


def queue_depth(app: Flask) -> int | None:
    """Jobs waiting in the queue, or None when the queue is unreachable."""
    try:
        return int(get_huey(app).pending_count())
    except Exception as exc:
        log.warning("无法读取任务队列（%s）：%s", backend(app), exc)
        return None
