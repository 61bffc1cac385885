"""`flask --app matchmaker exchange ...`: partners, keys and sync (沿黄交换)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(exchange_group)


@click.group("exchange", cls=AppGroup)
def exchange_group():
    """沿黄省份成果交换：签发密钥、添加伙伴、同步、撤销。"""


def _fail(exc) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(exc.message)


@exchange_group.command("issue-key")
@click.argument("code")
@click.option("--name", help="伙伴名称（如 山东省科技成果转化平台）")
def issue_key_command(code, name):
    """为伙伴 CODE 签发读取本平台数据源的密钥（只显示一次）。"""
    from matchmaker.errors import DomainError
    from matchmaker.exchange.services import issue_key

    try:
        _, key = issue_key(db.session, code, name=name)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(key)
    click.echo(f"请把以上密钥安全地交给伙伴 {code}；对方执行 exchange add-partner 时使用。", err=True)


@exchange_group.command("add-partner")
@click.argument("code")
@click.argument("base_url")
@click.argument("key")
@click.option("--name", help="伙伴名称")
def add_partner_command(code, base_url, key, name):
    """添加（或更新）伙伴 CODE：对方平台地址 BASE_URL 与对方签发的密钥 KEY。"""
    from matchmaker.errors import DomainError
    from matchmaker.exchange.services import add_partner

    try:
        partner = add_partner(db.session, code, base_url, key, name=name)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"已添加伙伴 {partner.code}：{partner.base_url}")


@exchange_group.command("sync")
@click.argument("code", required=False)
def sync_command(code):
    """从伙伴的数据源拉取新增、修改与撤下的成果和需求（不指定 CODE 时同步全部伙伴）。"""
    from matchmaker.errors import DomainError
    from matchmaker.exchange.services import _partner, sync_all, sync_partner

    try:
        reports = (
            {code: sync_partner(db.session, _partner(db.session, code))} if code else sync_all(db.session)
        )
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    if not reports:
        click.echo("没有可同步的伙伴（先执行 exchange add-partner）")
    failed = False
    for partner_code, report in reports.items():
        click.echo(f"{partner_code}：{report.summary()}")
        for err in report.errors:
            click.echo(
                f"  条目 {err['kind']}/{err['ref']}（字段 {err['field']}）：{err['message']}", err=True
            )
        failed = failed or report.error is not None
    if failed:
        raise click.ClickException("部分伙伴同步失败，已导入的内容已保存，游标停在失败之前")


@exchange_group.command("revoke")
@click.argument("code")
def revoke_command(code):
    """撤销伙伴 CODE：密钥失效，撤下从它导入的成果与需求。"""
    from matchmaker.errors import DomainError
    from matchmaker.exchange.services import revoke

    try:
        withdrawn = revoke(db.session, code)
    except DomainError as exc:
        raise _fail(exc) from None
    db.session.commit()
    click.echo(f"已撤销伙伴 {code}，撤下 {withdrawn} 条导入的成果与需求")


@exchange_group.command("list")
def list_command():
    """列出交换伙伴及其同步状态。"""
    from matchmaker.exchange.services import list_partners

    for p in list_partners(db.session):
        state = "已撤销" if p.revoked_at else "有效"
        click.echo(
            f"{p.code}\t{p.name}\t{state}\t{p.base_url or '-'}\t游标 {p.cursor}\t{p.last_summary or ''}"
        )
