"""Click commands for trading: `flask auctions close-due` (the worker also runs it every minute)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

auctions_group = AppGroup("auctions", help="挂牌交易与竞价拍卖。")


def register(app: Flask) -> None:
    app.cli.add_command(auctions_group)


@auctions_group.command("close-due")
def close_due_command():
    """结束已到期的竞价：成交公示（进入签约并安排回访）或流拍。每场单独提交。"""
    from matchmaker.extensions import db
    from matchmaker.trading.services import close_due_auctions

    click.echo(close_due_auctions(db.session))
