"""`flask --app matchmaker following digest`: the weekly subscription digest (每周订阅摘要)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

following = AppGroup("following", help="收藏与订阅")


@following.command("digest")
def digest_command():
    """发送每周订阅摘要（同一周内重复运行不会重复发送）。"""
    from matchmaker.extensions import db
    from matchmaker.following.services import send_digests

    n = send_digests(db.session, current_app.config)
    db.session.commit()
    click.echo(f"已发送每周订阅摘要 {n} 份")


def register(app: Flask) -> None:
    app.cli.add_command(following)
