"""Click commands for 揭榜挂帅: topic suggestions, invitations and statistics."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    """Add `flask --app matchmaker challenges ...`."""
    group = AppGroup("challenges", help="揭榜挂帅：题目建议、揭榜邀请与统计")

    @group.command("suggest")
    @click.option("--field", "field_name", help="只看该领域的需求，如 超硬材料")
    @click.option("--region", help="只看该地市的需求，如 郑州")
    @click.option("--min-size", default=2, show_default=True, help="最小簇大小")
    @click.option(
        "--granularity",
        type=click.Choice(["loose", "medium", "strict"]),
        default="medium",
        show_default=True,
        help="聚类粒度",
    )
    def suggest_command(field_name, region, min_size, granularity):
        """从征集中的需求聚类，给出候选产业立题。"""
        from sqlalchemy import select

        from matchmaker.challenges.suggest import suggest_topics
        from matchmaker.extensions import db
        from matchmaker.postings.models import Field

        field_id = None
        if field_name:
            fld = db.session.scalar(select(Field).where(Field.name == field_name))
            if fld is None:
                raise click.BadParameter(f"领域“{field_name}”不存在", param_hint="--field")
            field_id = fld.id
        with click.progressbar(length=1, label="向量化并聚类") as bar:
            suggestions = suggest_topics(
                db.session, field_id, region, min_size=min_size, granularity=granularity
            )
            bar.update(1)
        if not suggestions:
            click.echo("暂无建议（需求太少或彼此不相似）")
        for n, s in enumerate(suggestions, 1):
            click.echo(
                f"{n}. {s.title}  [{s.size} 个需求，{s.field_name} {s.field_share:.0%}，凝聚度 {s.cohesion:.2f}]"
            )
            for need in s.samples:
                click.echo(f"     - {need.title}")

    @group.command("invite")
    @click.argument("challenge_id", type=int)
    @click.option("--top", default=10, show_default=True)
    def invite_command(challenge_id, top):
        """补发揭榜邀请（已邀请的不会重复邀请）。"""
        from matchmaker.challenges.models import Challenge
        from matchmaker.challenges.services import invite_for_challenge
        from matchmaker.extensions import db

        challenge = db.session.get(Challenge, challenge_id)
        if challenge is None:
            raise click.BadParameter("榜单不存在", param_hint="CHALLENGE_ID")
        if challenge.status not in ("published", "bidding"):
            raise click.ClickException(f"榜单状态为“{challenge.status_label}”，张榜后才能邀请")
        created = invite_for_challenge(db.session, challenge, top=top)
        db.session.commit()
        click.echo(f"新发出 {len(created)} 份邀请")

    @group.command("stats")
    def stats_command():
        """打印揭榜挂帅统计。"""
        from matchmaker.challenges.reports import statistics
        from matchmaker.extensions import db

        data = statistics(db.session)
        for key, value in data["totals"].items():
            click.echo(f"{key}: {value}")

    app.cli.add_command(group)
