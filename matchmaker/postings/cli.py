"""Click commands for postings: import, export and seed (导入、导出、演示数据)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from tqdm import tqdm

from matchmaker.extensions import db

# Show a progress bar only when the input is big enough to wait for.
PROGRESS_MIN_LINES = 500


def _progress(total: int, desc: str):
    if total < PROGRESS_MIN_LINES:
        return None
    return lambda it: tqdm(it, total=total, desc=desc, unit="行", file=sys.stderr)


def register(app: Flask) -> None:
    """Add this feature's commands to `flask --app matchmaker`."""

    @app.cli.command("import")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
    @click.option("--skip-invalid", is_flag=True, help="导入有效行，列出并跳过无效行")
    def import_command(file, skip_invalid):
        """导入成果与需求（JSON Lines 或 Excel .xlsx；FILE 为 - 时读标准输入）。"""
        from matchmaker.errors import DomainError
        from matchmaker.postings.importer import ImportFailed, import_records, read_records

        try:
            data = click.get_binary_stream("stdin").read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise click.ClickException(f"无法读取文件 {file}：{exc.strerror}") from None
        try:
            records = read_records(data, file)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            report = import_records(
                db.session, records, skip_invalid=skip_invalid, progress=_progress(len(records), "校验")
            )
        except ImportFailed as exc:
            db.session.rollback()
            for warning in exc.report.warnings:
                click.echo(f"警告：{warning}", err=True)
            for error in exc.report.errors:
                click.echo(str(error), err=True)
            raise click.ClickException(
                f"{len(exc.report.errors)} 行有错误，未导入任何数据（可加 --skip-invalid 只导入有效行）"
            ) from None
        db.session.commit()
        for warning in report.warnings:
            click.echo(f"警告：{warning}", err=True)
        for error in report.errors:
            click.echo(f"已跳过 {error}", err=True)
        click.echo(report.summary())

    @app.cli.command("export")
    @click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
    @click.option("--kind", type=click.Choice(["result", "need"]), help="只导出科技成果或技术需求")
    def export_command(file, kind):
        """导出成果与需求：文件名以 .xlsx 结尾时为 Excel，否则为 JSON Lines（- 为标准输出）。"""
        from matchmaker.postings.importer import export_postings, export_xlsx

        if file.lower().endswith(".xlsx"):
            Path(file).write_bytes(export_xlsx(db.session, kind))
            click.echo(f"已导出 Excel：{file}", err=True)
            return
        count = 0
        with click.open_file(file, "w", encoding="utf-8") as out:
            for row in export_postings(db.session, kind):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        click.echo(f"已导出 {count} 条", err=True)

    @app.cli.group("needs")
    def needs_group():
        """技术需求的维护任务。"""

    @needs_group.command("close-expired")
    def close_expired_command():
        """关闭已过截止日期的征集中需求，并通知发布人（每日运行一次）。"""
        from matchmaker.postings.services import close_expired_needs_job

        summary = close_expired_needs_job(db.session)
        db.session.commit()
        click.echo(summary)

    @app.cli.command("seed")
    def seed_command():
        """加载 seed_data/ 中的领域、演示账号、成果需求、专家与立题（可重复运行）。"""
        from matchmaker.postings.importer import ImportFailed
        from matchmaker.postings.seed import SeedError, seed_all

        seed_dir = current_app.config["SEED_DIR"]
        try:
            report = seed_all(
                db.session,
                seed_dir,
                progress=lambda it: tqdm(it, desc="成果与需求", unit="行", file=sys.stderr, mininterval=1),
            )
        except ImportFailed as exc:
            db.session.rollback()
            for error in exc.report.errors:
                click.echo(f"postings.jsonl {error}", err=True)
            raise click.ClickException("postings.jsonl 有错误，未加载任何演示数据") from None
        except SeedError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        for warning in report.warnings:
            click.echo(f"警告：{warning}", err=True)
        postings = report.postings.summary() if report.postings else "无 postings.jsonl"
        click.echo(
            f"领域 {report.fields} 个；成果与需求：{postings}；专家 {report.experts} 位；"
            f"立题 {report.topics} 项" + (f"；另加载：{'、'.join(report.areas)}" if report.areas else "")
        )
        if report.accounts:
            click.echo("\n演示账号（密码均为下列密码）：")
            for acc in report.accounts:
                click.echo(
                    f"  {acc['role']:<6} {acc['email']:<24} {acc['password']}  "
                    f"{acc['name']} · {acc['organization']}"
                )
