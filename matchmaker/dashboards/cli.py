"""`flask --app matchmaker dashboards rebuild`: recompute the dashboard facts from the records."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.extensions import db

group = AppGroup("dashboards", help="数据看板")


@group.command("rebuild")
def rebuild_command() -> None:
    """重算看板事实表（批量导入绕过应用写入记录之后）。"""
    from matchmaker.dashboards.facts import rebuild

    n = rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"已重算 {n} 条需求的撮合进展")


def register(app: Flask) -> None:
    app.cli.add_command(group)
