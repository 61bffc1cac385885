"""`flask --app matchmaker worker`: the background worker (后台 worker)."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app

log = logging.getLogger("matchmaker.worker")


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_group)


@click.group("jobs")
def jobs_group():
    """定时任务：查看与手动运行。"""


@jobs_group.command("list")
def list_command():
    """列出 worker 的定时任务及其时间表（UTC）。"""
    from matchmaker import jobs

    for job in jobs.scheduled(current_app._get_current_object()):
        click.echo(f"{job.name:24s} {job.cron:14s} {job.fn.__module__}.{job.fn.__name__}")


@jobs_group.command("run")
@click.argument("name")
def run_command(name):
    """立即运行一个定时任务（与 worker 按时运行的完全相同）。"""
    from matchmaker import jobs

    app = current_app._get_current_object()
    found = {job.name: job for job in jobs.scheduled(app)}
    if name not in found:
        raise click.ClickException(f"没有名为 {name} 的定时任务；可选：{'、'.join(found)}")
    click.echo(jobs.run_scheduled(app, found[name]))


@click.command("worker")
@click.option("--once", is_flag=True, help="只处理完当前积压的索引变更就退出")
def worker_command(once):
    """运行后台 worker：消费索引变更日志（向量化、更新索引、自动推荐、通知）。"""
    from matchmaker import jobs, pipeline

    app = current_app._get_current_object()
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every rebuild at DEBUG
    from matchmaker.matching.engine import get_engine

    get_engine(app).embed(["预热"])  # load the model before the first change waits on it
    # Recover first: whatever committed while no worker ran is still in the change log.
    done = pipeline.drain(app)
    log.info("worker 启动：补处理 %d 条积压的索引变更（队列 %s）", done, jobs.backend(app))
    if once:
        click.echo(f"已处理 {done} 条索引变更")
        return
    huey = jobs.get_huey(app)
    # Several threads (a solve must not hold up indexing; jobs.DRAIN_LOCK keeps batches in log
    # order). A short max delay keeps the SQLite queue's polling within the 2 s freshness budget.
    consumer = huey.create_consumer(
        workers=jobs.CONSUMER_THREADS,
        worker_type="thread",
        periodic=True,
        max_delay=0.5,
        check_worker_health=True,
    )
    consumer.run()
