"""`flask chain evaluate`: ranking quality of the transfer-chain rankings on seed_data/eval/chain/."""

from __future__ import annotations

import json

import click


def register(app) -> None:
    @app.cli.group("chain", help="成果转化链条：服务机构与应用场景。")
    def chain_group():
        pass

    @chain_group.command("evaluate", help="成果→服务机构、场景→成果排序质量（混合 / BM25 / 稠密）。")
    @click.option("--json", "as_json", is_flag=True, help="输出 JSON")
    def evaluate_cmd(as_json):
        from matchmaker.providers.evaluation import evaluate, format_table

        report = evaluate(model=app.config.get("EMBEDDING_MODEL") or None)
        click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_table(report))
