"""Click commands for trading: `flask auctions close-due` (a worker job can call it)."""

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
    from matchmaker.trading import services

    ids = [a.id for a in services.due_auctions(db.session)]
    db.session.rollback()
    sold = unsold = 0
    for auction_id in ids:
        auction = services.lock_auction(db.session, auction_id)
        try:
            services.close_auction(db.session, auction)
        except services.TradingError as exc:
            db.session.rollback()
            click.echo(f"竞价 {auction_id} 未能结束：{exc.message}", err=True)
            continue
        db.session.commit()
        if auction.status == "sold":
            sold += 1
        elif auction.status == "unsold":
            unsold += 1
    click.echo(f"已结束 {sold + unsold} 场：成交 {sold}，流拍 {unsold}")
