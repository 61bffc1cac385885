"""Click commands for admins: create-user (创建账号)."""

from __future__ import annotations

import click
from flask import Flask

from matchmaker.constants import ROLES
from matchmaker.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True, help="登录邮箱")
    @click.option("--name", required=True, help="姓名")
    @click.option("--role", type=click.Choice(list(ROLES)), default="admin", show_default=True)
    @click.option("--org", "org_name", required=True, help="所属机构名称（不存在时创建）")
    @click.option("--org-type", default=None, help="新机构的类型，如 政府部门、技术转移机构")
    @click.option("--region", default=None, help="地区，如 郑州")
    @click.password_option("--password", help="密码（至少 10 位，含字母和数字）")
    def create_user_command(email, name, role, org_name, org_type, region, password):
        """创建账号（管理员、技术经纪人等），并记入审计日志。"""
        from matchmaker.admin.services import create_user
        from matchmaker.errors import DomainError

        try:
            user = create_user(
                db.session,
                None,
                email=email,
                name=name,
                role=role,
                password=password,
                org_name=org_name,
                org_type=org_type,
                region=region,
            )
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"{exc.message}（{exc.field}）") from None
        db.session.commit()
        click.echo(f"已创建{ROLES[role]} {user.email}（{user.organization.name}）")
