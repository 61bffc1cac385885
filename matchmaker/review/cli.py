"""Click commands for the broker workspace: propose, followups, learn, evaluate-feedback, mail."""

from __future__ import annotations

import json
import smtplib

import click
from flask import Flask, current_app
from sqlalchemy import func, select


def register(app: Flask) -> None:
    """Add this feature's commands to `flask --app matchmaker` (auto-proposals are a step of
    the post-commit pipeline declared in create_app)."""
    for command in (propose_command, followups_command, learn_command, evaluate_feedback_command, mail):
        app.cli.add_command(command)


@click.command("propose")
@click.option("--need", "need_id", type=int, help="只为这一条需求（数据库 id）生成推荐")
@click.option(
    "--top", default=10, show_default=True, type=click.IntRange(1, 100), help="每条需求保留的推荐数"
)
def propose_command(need_id, top):
    """为技术需求生成推荐撮合（幂等；不会改动经纪人已审核的撮合）。"""
    from matchmaker.extensions import db
    from matchmaker.postings.models import Need
    from matchmaker.review.services import propose

    if need_id is not None and db.session.get(Need, need_id) is None:
        raise click.ClickException(f"需求 {need_id} 不存在")
    ids = [need_id] if need_id is not None else None
    total = 1 if ids else db.session.scalar(select(func.count(Need.id)).where(Need.status == "open"))
    with click.progressbar(length=total, label="生成推荐") as bar:
        stats = propose(db.session, ids, top=top, progress=bar.update)
    db.session.commit()
    click.echo(
        f"需求 {stats.needs} 条：新增推荐 {stats.created}，更新得分 {stats.refreshed}，"
        f"移除落榜 {stats.removed}，保留已审核 {stats.kept_decided}"
    )


@click.command("followups")
def followups_command():
    """提醒到期的回访任务（对接后 7 天、签约后 30 天）。"""
    from matchmaker.extensions import db
    from matchmaker.review.services import due_follow_ups, notify_due_follow_ups

    sent = notify_due_follow_ups(db.session)
    db.session.commit()
    due = due_follow_ups(db.session)
    click.echo(f"到期未完成的回访 {len(due)} 条，本次新发提醒 {sent} 条")
    for fu in due:
        click.echo(f"  #{fu.match_id} {fu.label} 应于 {fu.due_at:%Y-%m-%d}")


@click.command("learn")
@click.option("--seed", default=0, show_default=True, help="划分留出集的随机种子")
def learn_command(seed):
    """从经纪人审核结果学习融合权重；只有在留出集上优于当前权重时才启用。"""
    from matchmaker.errors import DomainError
    from matchmaker.extensions import db
    from matchmaker.review.learning import learn

    try:
        out = learn(db.session, seed=seed)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    fmt = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
    click.echo(f"训练 {out.n_train} 条，留出 {out.n_test} 条")
    click.echo(f"当前权重 AUC（留出集）: {fmt(out.auc_current)}")
    click.echo(f"学习权重 AUC（留出集）: {fmt(out.auc_learned)}")
    click.echo("权重: " + json.dumps({k: round(v, 4) for k, v in out.weights.items()}, ensure_ascii=False))
    click.echo(
        f"版本 {out.version}：" + ("已启用（优于当前权重）" if out.adopted else "未启用（未优于当前权重）")
    )


@click.command("evaluate-feedback")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def evaluate_feedback_command(as_json):
    """以经纪人审核结果为标注，评估当前排序质量（AUC、通过率、nDCG@10）。"""
    from matchmaker.extensions import db
    from matchmaker.review.learning import evaluate_feedback

    report = evaluate_feedback(db.session)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(format_feedback(report))


def format_feedback(report: dict) -> str:
    fmt = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
    return "\n".join(
        [
            f"经纪人审核 {report['decisions']} 条（通过 {report['accepted']}，不通过 {report['rejected']}），"
            f"待审核 {report['pending']}，手工添加（推荐遗漏）{report['manual_additions']}",
            f"通过率 precision: {fmt(report['precision'])}",
            f"AUC（通过 vs 不通过）: {fmt(report['auc'])}",
            f"nDCG@10（{report['needs']} 条需求）: {fmt(report['ndcg@10'])}",
            f"权重版本: {report['weights_version'] or '排序器默认'}",
        ]
    )


@click.group("mail")
def mail():
    """邮件发件箱。"""


@mail.command("send")
@click.option("--digest/--no-digest", default=False, help="先把每周摘要用户的消息合并为一封（每周运行一次）")
def mail_send(digest):
    """发送发件箱中的邮件（需配置 MATCHMAKER_SMTP_HOST，默认关闭）。"""
    from matchmaker.extensions import db
    from matchmaker.notifications.mail import bundle_digests, send_pending

    if digest:
        click.echo(f"合并每周摘要 {bundle_digests(db.session)} 封")
        db.session.commit()
    if not current_app.config.get("SMTP_HOST"):
        click.echo("未配置 MATCHMAKER_SMTP_HOST，邮件发送已关闭；消息保留在发件箱中")
        return
    try:
        sent, failed = send_pending(db.session, current_app.config)
    except (OSError, smtplib.SMTPException) as exc:  # server down or refused login: keep the outbox
        db.session.commit()  # attempts already counted stay counted
        raise click.ClickException(
            f"无法通过 SMTP 服务器 {current_app.config['SMTP_HOST']} 发送：{exc}"
        ) from None
    db.session.commit()
    click.echo(f"已发送 {sent} 封，失败 {failed} 封")
