"""`flask attachments sweep`: remove files left without a row by a crash before a commit."""

from __future__ import annotations

import time

import click
from flask import current_app

from matchmaker.extensions import db


def register(app) -> None:
    @app.cli.group("attachments", help="附件文件维护")
    def group():
        pass

    @group.command("sweep")
    @click.option("--min-age", default=3600, show_default=True, help="只删除早于此秒数的孤立文件")
    def sweep(min_age):
        """删除上传目录中没有对应记录的文件（上传中途崩溃留下的）。"""
        from matchmaker.attachments.services import orphans

        now = time.time()
        removed = 0
        for path in orphans(db.session, current_app.config["UPLOAD_DIR"]):
            if now - path.stat().st_mtime >= min_age:
                path.unlink(missing_ok=True)
                removed += 1
        click.echo(f"已删除 {removed} 个孤立文件")
