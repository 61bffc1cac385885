"""Click commands for matching: `flask index status|verify|rebuild`, `flask evaluate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from matchmaker.matching.index import KINDS

KIND_LABEL = {"result": "科技成果", "need": "技术需求", "expert": "人才", "provider": "科技服务机构"}


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
    if _on_store(eng):
        for kind in KINDS:
            m = _store_call(lambda k=kind: eng.index(k).manifest())
            click.echo(
                f"{kind:7s} {KIND_LABEL[kind]}: {m['count']} 条, 存储 {m['store']}, 模型 {eng.model}, "
                f"版本 {m['version']}, ids {m['ids_checksum'][:12]}"
            )
        return
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
    if _on_store(eng):
        click.echo(f"索引存储：{eng.store_url}")
    total = 0
    for k in _kinds(kind):
        drift = _store_call(lambda k=k: eng.drift(db.session, k))
        total += drift.total
        click.echo(
            f"{k:7s} 缺失 {len(drift.missing)}，多余 {len(drift.extra)}，内容变化 {len(drift.changed)}"
            + (f"（如 {(drift.missing + drift.extra + drift.changed)[:5]}）" if drift.total else "")
        )
        if fix and drift.total:
            _store_call(lambda k=k: _sync(eng, db.session, k, force=False))
    click.echo(f"偏差合计：{total}")
    if total and not fix:
        sys.exit(1)


def _on_store(eng) -> bool:
    """The engine runs on an index store (MATCHMAKER_VECTOR_STORE), not the embedded files."""
    return hasattr(eng, "store_url")


def _store_call(fn):
    """Run fn; an unreachable store is a clear CLI error, not a traceback."""
    from matchmaker.store import StoreUnavailable

    try:
        return fn()
    except StoreUnavailable as exc:
        raise click.ClickException(str(exc)) from None


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
        _store_call(lambda k=k: _sync(eng, db.session, k, force=True))
        if _on_store(eng):
            click.echo(f"{k:7s} 已重建：{len(eng.index(k))} 条，{eng.model}，存储 {eng.store_url}")
            continue
        m = eng.index(k).manifest()
        click.echo(f"{k:7s} 已重建：{m['count']} 条，{m['model']}，{m['dimension']} 维，{m['index_type']}")


def _default_sets() -> dict[str, Path]:
    """The shared dev set (../shared/eval/dev) and the project's own test set, when present."""
    import os

    root = Path(current_app.root_path).parent
    # a checkout sits beside shared/ (main) or one level deeper (wt/<branch>)
    dev = [Path(os.environ["MATCHMAKER_DEV_SET"])] if os.environ.get("MATCHMAKER_DEV_SET") else []
    dev += [root.parent / "shared" / "eval" / "dev", root.parent.parent / "shared" / "eval" / "dev"]
    sets = {"dev": next((d for d in dev if (d / "qrels.tsv").exists()), None)}
    sets["test"] = root / "seed_data" / "eval" / "test"
    return {name: d for name, d in sets.items() if d is not None and (d / "qrels.tsv").exists()}


def _files(d: Path) -> tuple[Path, Path, Path]:
    return d / "needs.jsonl", d / "results.jsonl", d / "qrels.tsv"


def _collect(needs_path, results_path, qrels_path):
    from matchmaker.matching.evaluation import collect
    from matchmaker.postings.importer import ImportFailed

    with click.progressbar(length=0, label="向量化", file=sys.stderr) as bar:

        def progress(n):
            bar.length += n
            bar.update(n)

        try:
            return collect(
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


def _public(out: dict) -> dict:
    return {m: {k: v for k, v in out[m].items() if k != "needs"} for m in ("hybrid", "bm25", "dense")}


@click.command(
    "evaluate",
    help="评测排序：在临时数据库上按相关性标注计算 nDCG@10、recall@10、MRR@10 与相关度校准误差（ECE）；"
    "不给文件时并列输出开发集（5 折交叉验证）与项目测试集；或用 --feedback 以经纪人审核结论评测。",
)
@click.option("--needs", "needs_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--results", "results_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--qrels", "qrels_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--feedback", is_flag=True, help="以经纪人的通过/不通过结论为标注，评测当前数据库中的推荐")
@click.option(
    "--fit", is_flag=True, help="在开发集上交叉验证并拟合融合权重与相关度校准，写入 fitted/<模型>.json"
)
@click.option("--json", "as_json", is_flag=True, help="最后一行输出一个 JSON 对象")
def evaluate_cmd(needs_path, results_path, qrels_path, feedback, fit, as_json):
    if feedback:
        from matchmaker.extensions import db
        from matchmaker.review.cli import format_feedback
        from matchmaker.review.learning import evaluate_feedback

        report = evaluate_feedback(db.session)
        click.echo(json.dumps(report, ensure_ascii=False) if as_json else format_feedback(report))
        return
    given = (needs_path, results_path, qrels_path)
    if any(given) and not all(given):
        raise click.UsageError("需要同时给出 --needs、--results 和 --qrels（或都不给，评测开发集与测试集）")
    from matchmaker.matching.evaluation import cross_validate, fit_and_save

    if fit:
        data = _collect(*(given if all(given) else _files(_default_sets().get("dev", Path("缺少开发集")))))
        cv = cross_validate(data)
        path = fit_and_save(data, "dev" if not all(given) else str(Path(qrels_path).parent.name), cv)
        click.echo(
            f"已写入 {path}（交叉验证 hybrid nDCG@10 {cv['hybrid']['ndcg@10']['mean']:.4f}，"
            f"融合{'启用' if cv['fusion_helps'] else '停用'}）"
        )
        return
    if all(given):
        out = _collect(*given).production
        if as_json:
            click.echo(json.dumps(_public(out)))
            return
        _print_table(out)
        return
    sets = _default_sets()
    if not sets:
        raise click.UsageError("找不到开发集或测试集：请给出 --needs、--results 和 --qrels")
    report = {}
    for name, d in sets.items():
        data = _collect(*_files(d))
        entry = {"production": _public(data.production), "needs": data.production["hybrid"]["needs"]}
        if name == "dev":  # the constants were fitted on dev: only held-out folds count
            entry["cv"] = cross_validate(data)
        report[name] = entry
    if as_json:
        for e in report.values():
            if "cv" in e:
                e["cv"].pop("reliability", None)
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    for name, e in report.items():
        click.echo(
            f"== {'开发集' if name == 'dev' else '测试集（从不用于调参）'} {name}（需求数 {e['needs']}）"
        )
        if "cv" in e:
            cv = e["cv"]
            click.echo(f"  {cv['folds']} 折交叉验证（种子 {cv['seed']}），均值 ± 折间标准差：")
            for mode in ("hybrid", "bm25", "dense"):
                row = "  ".join(
                    f"{k} {cv[mode][k]['mean']:.4f}±{cv[mode][k]['std']:.4f}"
                    for k in ("ndcg@10", "recall@10", "mrr@10")
                )
                click.echo(f"  {mode:8s} {row}")
            click.echo(f"  hybrid ECE（留出折合并）{cv['hybrid']['ece']:.4f}")
        else:
            _print_table(e["production"])


def _print_table(out: dict) -> None:
    click.echo(f"{'方法':8s} nDCG@10  recall@10  MRR@10   ECE")
    for mode in ("hybrid", "bm25", "dense"):
        m = out[mode]
        ece = m.get("ece")
        click.echo(
            f"{mode:8s} {m['ndcg@10']:.4f}   {m['recall@10']:.4f}     {m['mrr@10']:.4f}"
            + (f"   {ece:.4f}" if ece is not None else "")
        )
