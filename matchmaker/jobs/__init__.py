"""Background jobs (后台任务) on huey: the worker drains the index change log and runs the
scheduled jobs that `create_app` declares (SCHEDULE).

The queue only carries wake-ups; the change log in the database stays the source of truth,
so a lost wake-up (Redis down, worker killed) costs latency, never data: the worker drains
everything pending when it starts and polls once a minute.

Storage: `RedisHuey` when `REDIS_URL` is set, else `SqliteHuey` in the instance folder.
The huey instance and its tasks are built per app by `get_huey(app)`, not at import.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from huey import RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)
KEY = "matchmaker.huey"
SCHEDULE_KEY = "matchmaker.schedule"
TASKS_KEY = "matchmaker.tasks"
# The consumer has several threads so a long task (a solve) never holds up indexing; drains
# still run one at a time, so change-log batches apply in order.
DRAIN_LOCK = threading.Lock()
CONSUMER_THREADS = 3


@dataclass(frozen=True)
class ScheduledJob:
    """定时任务: `fn(session) -> summary` run by the worker at `cron` (UTC)."""

    name: str
    cron: str
    fn: Callable

    def crontab(self):
        minute, hour, day, month, day_of_week = self.cron.split()
        return crontab(minute, hour, day, month, day_of_week)


def _resolve(target: str) -> Callable:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def init_app(app: Flask, schedule: list[tuple[str, str, str]], tasks: list[tuple[str, str]]) -> None:
    jobs = []
    for name, cron, target in schedule:
        job = ScheduledJob(name, cron, _resolve(target))
        job.crontab()  # a malformed cron fails at start-up, not at 00:05
        jobs.append(job)
    app.extensions[SCHEDULE_KEY] = jobs
    app.extensions[TASKS_KEY] = {name: _resolve(target) for name, target in tasks}


def wait_inline(timeout: float = 120) -> None:
    """Wait for the JOBS=inline threads started so far (tests)."""
    while INLINE_THREADS:
        INLINE_THREADS.pop().join(timeout)


def run_task(app: Flask, name: str, *args) -> None:
    """Run one long action in its own app context; the function commits its own work."""
    from matchmaker.extensions import db

    with app.app_context():
        try:
            app.extensions[TASKS_KEY][name](db.session, *args)
        except Exception:
            db.session.rollback()
            log.exception("后台任务 %s%s 失败", name, args)
        finally:
            db.session.remove()


INLINE_THREADS: list[threading.Thread] = []  # JOBS=inline runs, so tests can wait for them


def submit(app: Flask, name: str, *args) -> None:
    """Hand a long action to the worker. With JOBS=inline (development, tests) it runs in a
    thread of this process. If the queue is down the action stays recorded as queued in the
    database, and the worker's scheduled resume picks it up."""
    if name not in app.extensions[TASKS_KEY]:
        raise KeyError(name)
    if app.config.get("JOBS") == "inline":
        thread = threading.Thread(target=run_task, args=(app, name, *args), name=f"job-{name}", daemon=True)
        INLINE_THREADS.append(thread)
        thread.start()
        return
    try:
        get_huey(app).matchmaker_tasks[name](*args)
    except Exception as exc:
        log.warning(
            "无法把后台任务 %s 交给 worker（%s 队列不可用：%s）；worker 恢复后补做", name, backend(app), exc
        )


def scheduled(app: Flask) -> list[ScheduledJob]:
    return list(app.extensions.get(SCHEDULE_KEY, []))


def run_scheduled(app: Flask, job: ScheduledJob) -> str:
    """Run one scheduled job in its own app context and commit; a failure rolls back and is
    logged with its name, and the next run tries again."""
    from matchmaker.extensions import db

    with app.app_context():
        try:
            summary = job.fn(db.session)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("定时任务 %s 失败", job.name)
            raise
        finally:
            db.session.remove()
    log.info("定时任务 %s：%s", job.name, summary)
    return summary


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

        with DRAIN_LOCK:
            return pipeline.drain(app)

    @huey.periodic_task(crontab(minute="*"), name="index.poll")
    def poll_task():
        # Catches changes whose wake-up never arrived (enqueue failed, process killed).
        from matchmaker import pipeline

        with DRAIN_LOCK:
            return pipeline.drain(app)

    tasks["index.drain"], tasks["index.poll"] = drain_task, poll_task
    for name in app.extensions.get(TASKS_KEY, {}):
        tasks[name] = huey.task(name=name)(lambda *args, name=name: run_task(app, name, *args))
    for job in scheduled(app):
        tasks[job.name] = huey.periodic_task(job.crontab(), name=job.name)(
            lambda job=job: run_scheduled(app, job)
        )
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
