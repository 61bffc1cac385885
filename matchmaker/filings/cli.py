"""`flask filings remind | import | export`: 成果登记汇交 from the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app

from matchmaker.errors import DomainError


def register(app) -> None:
    @app.cli.group("filings", help="成果登记汇交：逾期提醒、Excel 导入、汇交导出。")
    def filings_group():
        pass

    @filings_group.command(
        "remind", help="向逾期未登记的承担单位发送提醒（站内消息 + 邮件；同一天不重复发送）。"
    )
    def remind_cmd():
        from matchmaker.extensions import db
        from matchmaker.filings.services import remind_overdue

        days = current_app.config["FILING_DEADLINE_DAYS"]
        sent = remind_overdue(db.session, days)
        db.session.commit()
        click.echo(f"已提醒 {sent} 项逾期成果登记（期限：项目验收后 {days} 天）")

    @filings_group.command("import", help="以管理员或科研人员身份从 Excel 导入成果登记（全部无误才写入）。")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--as", "email", required=True, help="导入人的登录邮箱")
    def import_cmd(path, email):
        from sqlalchemy import select

        from matchmaker.accounts.models import User
        from matchmaker.extensions import db
        from matchmaker.filings import exchange

        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            raise click.ClickException(f"用户 {email} 不存在")
        try:
            rows = exchange.read_workbook(path.read_bytes())
            created = exchange.import_filings(db.session, user, rows)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(
                "未导入：\n" + "\n".join(exc.extra.get("errors", [exc.message]))
            ) from None
        db.session.commit()
        click.echo(f"已导入并提交 {len(created)} 项成果登记")

    @filings_group.command("export", help="汇交导出：某一时期（按登记日期）已登记的成果，xlsx / json / xml。")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--start", help="开始日期 YYYY-MM-DD（含）")
    @click.option("--end", help="结束日期 YYYY-MM-DD（含）")
    def export_cmd(path, start, end):
        from matchmaker.extensions import db
        from matchmaker.filings import exchange, services

        try:
            lo = date.fromisoformat(start) if start else None
            hi = date.fromisoformat(end) if end else None
        except ValueError:
            raise click.ClickException("日期格式应为 YYYY-MM-DD") from None
        filings = db.session.scalars(services.period_query(lo, hi)).all()
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            content = exchange.workbook_bytes(filings)
        elif suffix == ".json":
            content = exchange.json_bytes(filings, lo, hi)
        elif suffix == ".xml":
            content = exchange.xml_bytes(filings, lo, hi)
        else:
            raise click.ClickException("文件扩展名须为 .xlsx、.json 或 .xml")
        path.write_bytes(content)
        click.echo(f"已导出 {len(filings)} 项成果登记到 {path}")
