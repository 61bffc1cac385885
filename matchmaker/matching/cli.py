"""Click commands for matching: `flask index status|verify|rebuild`, `flask evaluate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from matchmaker.matching.index import KINDS

KIND_LABEL = {"result": "科技成果", "need": "技术需求", "expert": "人才"}


def register(app: Flask) -> None:
    """Add this feature's commands to `flask --app matchmaker`."""
    app.cli.add_command(index_group)
    app.cli.add_command(evaluate_cmd)


@click.group("index", help="向量与 BM25 索引：状态、校验、重建。")
def index_group():
    pass


def _kinds(kind: str | None):
    return [kind] if kind else list(KINDS)


@index_group.command("status", help="显示各索引的模型、维度、条数与类型。")
def status_cmd():
    from matchmaker.matching.engine import get_engine

    eng = get_engine()
    for kind in KINDS:
        path = eng.path(kind)
        if not path.exists():
            click.echo(f"{kind:7s} {KIND_LABEL[kind]}: 尚未建立（{path}）")
            continue
        m = eng.index(kind).manifest()
        click.echo(
            f"{kind:7s} {KIND_LABEL[kind]}: {m['count']} 条, 模型 {m['model']}, {m['dimension']} 维, "
            f"{m['index_type']}, {'待同步' if m['stale'] else '已同步'}, ids {m['ids_checksum'][:12]}"
        )


@index_group.command("verify", help="对比索引与数据库，报告偏差；--fix 则同步。")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--fix", is_flag=True, help="发现偏差时同步索引")
def verify_cmd(kind, fix):
    from matchmaker.extensions import db
    from matchmaker.matching.engine import get_engine

    eng = get_engine()
    total = 0
    for k in _kinds(kind):
        drift = eng.drift(db.session, k)
        total += drift.total
        click.echo(
            f"{k:7s} 缺失 {len(drift.missing)}，多余 {len(drift.extra)}，内容变化 {len(drift.changed)}"
            + (f"（如 {(drift.missing + drift.extra + drift.changed)[:5]}）" if drift.total else "")
        )
        if fix and drift.total:
            _sync(eng, db.session, k, force=False)
    click.echo(f"偏差合计：{total}")
    if total and not fix:
        sys.exit(1)


def _sync(eng, session, kind, force):
    from sqlalchemy import func, select

    from matchmaker.matching.engine import MODELS

    count = session.scalar(select(func.count()).select_from(MODELS[kind]))
    label = f"{kind} 向量化"
    with click.progressbar(length=count, label=label, file=sys.stderr) as bar:
        drift = eng.sync(session, kind, force=force, progress=bar.update)
    return drift


@index_group.command("rebuild", help="从数据库重建索引（嵌入全部文本）。")
@click.option("--kind", type=click.Choice(KINDS))
def rebuild_cmd(kind):
    from matchmaker.extensions import db
    from matchmaker.matching.engine import get_engine

    eng = get_engine()
    for k in _kinds(kind):
        _sync(eng, db.session, k, force=True)
        m = eng.index(k).manifest()
        click.echo(f"{k:7s} 已重建：{m['count']} 条，{m['model']}，{m['dimension']} 维，{m['index_type']}")


@click.command(
    "evaluate",
    help="评测排序：在临时数据库上按相关性标注计算 nDCG@10、recall@10、MRR@10；"
    "或用 --feedback 以经纪人审核结论评测。",
)
@click.option("--needs", "needs_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--results", "results_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--qrels", "qrels_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--feedback", is_flag=True, help="以经纪人的通过/不通过结论为标注，评测当前数据库中的推荐")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
def evaluate_cmd(needs_path, results_path, qrels_path, feedback, as_json):
    if feedback:
        from matchmaker.extensions import db
        from matchmaker.review.cli import format_feedback
        from matchmaker.review.learning import evaluate_feedback

        report = evaluate_feedback(db.session)
        click.echo(json.dumps(report, ensure_ascii=False) if as_json else format_feedback(report))
        return
    if not (needs_path and results_path and qrels_path):
        raise click.UsageError("需要 --needs、--results 和 --qrels，或使用 --feedback")
    from matchmaker.matching.evaluation import evaluate
    from matchmaker.postings.importer import ImportFailed

    with click.progressbar(length=0, label="向量化", file=sys.stderr) as bar:

        def progress(n):
            bar.length += n
            bar.update(n)

        try:
            out = evaluate(
                Path(needs_path),
                Path(results_path),
                Path(qrels_path),
                model=current_app.config.get("EMBEDDING_MODEL") or None,
                progress=progress,
            )
        except ImportFailed as exc:
            errors = "\n".join(str(e) for e in exc.report.errors[:10])
            raise click.ClickException(f"导入评测数据失败：\n{errors}") from None
        except ValueError as exc:  # malformed qrels
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({m: {k: v for k, v in out[m].items() if k != "needs"} for m in out}))
        return
    click.echo(f"{'方法':8s} nDCG@10  recall@10  MRR@10   (需求数 {out['hybrid']['needs']})")
    for mode, label in (("hybrid", "hybrid"), ("bm25", "bm25"), ("dense", "dense")):
        m = out[mode]
        click.echo(f"{label:8s} {m['ndcg@10']:.4f}   {m['recall@10']:.4f}     {m['mrr@10']:.4f}")
