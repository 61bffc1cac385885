"""Click commands for roadshow (路演): `flask --app matchmaker roadshow plan|generate`.

`plan` is a stable contract used by other tools (docs/roadshow.md): keep its options and
its JSON output unchanged.
"""

from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.errors import DomainError
from matchmaker.roadshow.instance import DEFAULT_TIME_LIMIT

roadshow_cli = AppGroup("roadshow", help="龙子湖科创路演：排程与实例生成")


def _fail(message: str, field: str | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"error": {"message": message, "field": field}}, ensure_ascii=False))
    else:
        click.echo(f"错误：{field + '：' if field else ''}{message}", err=True)
    sys.exit(2)


@roadshow_cli.command("plan")
@click.option(
    "--instance",
    "path",
    required=True,
    type=click.Path(dir_okay=False),
    help="实例 JSON 文件（格式见 docs/roadshow.md）",
)
@click.option(
    "--time-limit", type=float, default=DEFAULT_TIME_LIMIT, show_default=True, help="CP-SAT 求解时限（秒）"
)
@click.option("--workers", type=int, default=None, help="CP-SAT 线程数（默认按 CPU 核数）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出排程结果")
def plan_command(path: str, time_limit: float, workers: int | None, as_json: bool) -> None:
    """求解路演排程实例并输出日程。"""
    from matchmaker.roadshow.scheduler import plan

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        _fail(f"找不到实例文件 {path}", "instance", as_json)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"实例文件不是合法的 JSON：{exc}", "instance", as_json)
    if time_limit <= 0:
        _fail("求解时限必须大于 0 秒", "time_limit", as_json)
    try:
        answer = plan(data, time_limit=time_limit, workers=workers)
    except DomainError as exc:
        _fail(exc.message, exc.field, as_json)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"状态 {answer['status']}  目标值 {answer['objective']}  贪心基线 {answer['greedy_objective']}"
        f"  上界 {answer['bound']}  差距 {answer['gap']}  用时 {answer['solve_seconds']} 秒"
    )
    for a in answer["assignments"]:
        click.echo(
            f"  {a['session']:>6} {a['room']:>4} {a['date']} {a['start']}–{a['end']}  {a['candidate']}"
        )
    for u in answer["unscheduled"]:
        click.echo(f"  未安排 {u['candidate']}: {u['reason']}（{u['detail']}）")
    if answer["explanation"].get("violations"):
        for v in answer["explanation"]["violations"]:
            click.echo(f"  冲突 [{v['constraint']}] {v['detail']}")


@roadshow_cli.command("generate")
@click.option("--candidates", type=click.IntRange(1, 5000), default=60, show_default=True)
@click.option("--sessions", type=click.IntRange(1, 200), default=6, show_default=True)
@click.option("--rooms", type=click.IntRange(1, 10), default=2, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--lambda", "lam", type=float, default=0.3, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="输出文件（默认标准输出）")
def generate_command(
    candidates: int, sessions: int, rooms: int, seed: int, lam: float, out: str | None
) -> None:
    """生成随机排程实例（同一种子结果相同），供测试与基准使用。"""
    from matchmaker.roadshow.generate import generate

    text = json.dumps(generate(candidates, sessions, rooms, seed, lam=lam), ensure_ascii=False, indent=1)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"已写入 {out}", err=True)
    else:
        click.echo(text)


def register(app: Flask) -> None:
    """Add this feature's commands to `flask --app matchmaker`."""
    app.cli.add_command(roadshow_cli)
