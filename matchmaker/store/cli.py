"""Store commands on `flask index`: `migrate --to URL`, `verify-store`, `compact` (索引存储运维).

`index migrate` copies every vector and document (tokens, text hash) from one store to
another without re-embedding; status and organisation are taken from the database, the
truth for visibility. Afterwards the target mirrors the source (postings the source no
longer has are removed from the target) and its drift against the database is reported.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click
import numpy as np
from flask import Flask, current_app

from matchmaker.store import KINDS, DocMeta, StoreError, configured_store, open_store

KIND_LABEL = {
    "result": "科技成果",
    "need": "技术需求",
    "expert": "人才",
    "provider": "科技服务机构",
    "scenario": "应用场景",
}
BATCH = 500


def register(app: Flask) -> None:
    """Add the store commands to the `index` group (created by matching.cli, else here)."""
    group = app.cli.commands.get("index")
    if group is None:
        group = click.Group("index", help="向量与 BM25 索引。")
        app.cli.add_command(group)
    for cmd in (migrate_cmd, verify_store_cmd, compact_cmd):
        group.add_command(cmd)


@dataclass
class StoreDrift:
    missing: list[int]  # in the database, not in the store
    extra: list[int]  # in the store, no longer in the database
    changed: list[int]  # text changed since it was stored

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.changed)


def db_postings(session, kind: str) -> dict[int, tuple[DocMeta, str]]:
    """id → (metadata, text hash of the current text) for every posting of a kind."""
    from sqlalchemy import select

    from matchmaker.matching.engine import MODELS
    from matchmaker.matching.index import text_hash

    model = MODELS[kind]
    with session.no_autoflush:
        return {
            o.id: (DocMeta(o.status, o.organization_id, text_hash(o.text)), text_hash(o.text))
            for o in session.scalars(select(model))
        }


def store_drift(store, session, kind: str) -> StoreDrift:
    truth = db_postings(session, kind)
    ids = [int(i) for i in store.ids(kind)]
    hashes = {}
    for start in range(0, len(ids), BATCH):
        hashes.update((d.id, d.meta.text_hash) for d in store.documents(kind, ids[start : start + BATCH]))
    return StoreDrift(
        missing=sorted(set(truth) - set(hashes)),
        extra=sorted(set(hashes) - set(truth)),
        changed=sorted(i for i, h in hashes.items() if i in truth and truth[i][1] != h),
    )


def migrate(source, target, session, kinds=KINDS, progress=None) -> dict[str, int]:
    """Copy every document of `kinds` from `source` to `target`; returns {kind: copied}."""
    copied = {}
    for kind in kinds:
        truth = db_postings(session, kind)
        ids = [int(i) for i in source.ids(kind)]
        for start in range(0, len(ids), BATCH):
            docs = source.documents(kind, ids[start : start + BATCH])
            if not docs:
                continue
            meta = [
                DocMeta(truth[d.id][0].status, truth[d.id][0].org_id, d.meta.text_hash)
                if d.id in truth
                else d.meta
                for d in docs
            ]
            target.upsert(
                kind,
                [d.id for d in docs],
                np.vstack([d.vector for d in docs]),
                [d.tokens for d in docs],
                meta,
            )
            if progress:
                progress(kind, len(docs))
        gone = sorted(set(int(i) for i in target.ids(kind)) - set(ids))
        if gone:
            target.delete(kind, gone)
        if hasattr(target, "maintain"):
            target.maintain(kind)
        copied[kind] = len(ids)
    return copied


def _open(url: str | None):
    try:
        if url:
            return open_store(url, index_dir=current_app.config["INDEX_DIR"])
        return configured_store()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _report(store, kind: str, drift: StoreDrift) -> None:
    s = store.stats(kind)
    sample = (drift.missing + drift.extra + drift.changed)[:5]
    click.echo(
        f"{kind:7s} {KIND_LABEL[kind]}: {s.count} 条，ids {s.checksum[:12]}，版本 {s.version}；"
        f"缺失 {len(drift.missing)}，多余 {len(drift.extra)}，内容变化 {len(drift.changed)}"
        + (f"（如 {sample}）" if sample else "")
    )


@click.command(
    "migrate", help="把索引从一个存储复制到另一个（不重新向量化），如 --to milvus-lite:///data/mm.db。"
)
@click.option(
    "--to",
    "to_url",
    required=True,
    help="目标存储地址：embedded:///目录、milvus-lite:///文件.db、milvus://主机:19530",
)
@click.option("--from", "from_url", help="源存储地址（默认：当前配置的 MATCHMAKER_VECTOR_STORE）")
@click.option("--kind", type=click.Choice(KINDS))
def migrate_cmd(to_url, from_url, kind):
    from matchmaker.extensions import db

    source, target = _open(from_url), _open(to_url)
    if source.url == target.url:
        raise click.ClickException("源存储与目标存储相同")
    kinds = [kind] if kind else list(KINDS)
    copied = migrate(source, target, db.session, kinds, progress=None)
    click.echo(
        f"已从 {source.url} 复制到 {target.url}：" + "，".join(f"{k} {n} 条" for k, n in copied.items())
    )
    total = 0
    for k in kinds:
        a, b = source.stats(k), target.stats(k)
        same = (a.count, a.checksum) == (b.count, b.checksum)
        click.echo(f"{k:7s} 源 {a.count} 条 / 目标 {b.count} 条，ids {'一致' if same else '不一致'}")
        total += 0 if same else 1
    for st in {id(source): source, id(target): target}.values():
        st.close()
    if total:
        sys.exit(1)


@click.command("verify-store", help="报告一个存储的条数、校验和、版本及与数据库的偏差。")
@click.option("--store", "url", help="存储地址（默认：当前配置的 MATCHMAKER_VECTOR_STORE）")
@click.option("--kind", type=click.Choice(KINDS))
def verify_store_cmd(url, kind):
    from matchmaker.extensions import db

    store = _open(url)
    click.echo(f"存储：{store.url}")
    total = 0
    for k in [kind] if kind else KINDS:
        drift = store_drift(store, db.session, k)
        _report(store, k, drift)
        total += drift.total
    store.close()
    click.echo(f"偏差合计：{total}")
    if total:
        sys.exit(1)


@click.command("compact", help="Milvus：刷新并合并小段，使检索落在已建索引的段上。")
@click.option("--store", "url", help="存储地址（默认：当前配置的 MATCHMAKER_VECTOR_STORE）")
def compact_cmd(url):
    store = _open(url)
    if not hasattr(store, "maintain"):
        click.echo("内置索引无需合并。")
        return
    for k in KINDS:
        store.maintain(k)
    click.echo(f"已刷新并合并：{store.url}")
    store.close()
