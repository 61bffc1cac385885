"""`flask --app matchmaker worker`: the background worker (后台 worker)."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app

log = logging.getLogger("matchmaker.worker")


def register(app: Flask) -> None:
    app.cli.add_command(worker_command)


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
    # One consumer thread: batches apply in log order. A short max delay keeps the SQLite
    # queue's polling within the 2 s freshness budget.
    consumer = huey.create_consumer(workers=1, periodic=True, max_delay=0.5, check_worker_health=True)
    consumer.run()
