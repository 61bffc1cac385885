"""Index stores (索引存储): one interface, two implementations (see `base.Store`).

`open_store(url)` picks one by `MATCHMAKER_VECTOR_STORE` (config `VECTOR_STORE`):
- `embedded` (default): FAISS + BM25 files under `MATCHMAKER_INDEX_DIR`, no server;
- `milvus-lite:///path/file.db`: embedded Milvus in a local file (CI, one machine);
- `milvus://host:19530`: a Milvus standalone server or cluster.
Milvus URLs take `?bm25=jieba|tokens` (how BM25 is computed) and `?prefix=mm_`.
"""

from __future__ import annotations

from pathlib import Path

from matchmaker.store.base import (
    KINDS,
    NO_FILTERS,
    DocMeta,
    Document,
    Filters,
    Hits,
    Stats,
    Store,
    StoreError,
    StoreUnavailable,
    ids_checksum,
)

DEFAULT_URL = "embedded"


def open_store(url: str | None = None, *, index_dir: Path | str | None = None, **options) -> Store:
    """The store at `url` (default: `embedded`). `index_dir` is where the embedded store
    keeps its files (`embedded:///path` names it in the URL instead; neither: memory only).
    Raises StoreUnavailable, with a Chinese message, when Milvus cannot be reached."""
    url = (url or DEFAULT_URL).strip()
    if url == "embedded" or url.startswith("embedded:"):
        from matchmaker.store.embedded import EmbeddedStore

        path = url.partition("://")[2] if "://" in url else ""
        return EmbeddedStore(path or index_dir, **options)
    if url.startswith(("milvus-lite:", "milvus:", "milvus+https:")):
        from matchmaker.store.milvus import MilvusStore

        return MilvusStore(url, **options)
    raise StoreError(
        f"无法识别的向量库地址：{url!r}。MATCHMAKER_VECTOR_STORE 应为 embedded、"
        "milvus-lite:///路径/文件.db 或 milvus://主机:19530"
    )


def configured_store(app=None) -> Store:
    """The store the app is configured for (VECTOR_STORE, INDEX_DIR)."""
    if app is None:
        from flask import current_app

        app = current_app
    return open_store(app.config.get("VECTOR_STORE") or DEFAULT_URL, index_dir=app.config["INDEX_DIR"])


def backend(url: str | None) -> str:
    """The store's kind without host or path (safe to show): embedded, milvus-lite, milvus."""
    url = (url or DEFAULT_URL).strip()
    return url.split(":", 1)[0] if ":" in url else url


def degraded_notice(url: str | None) -> str:
    """What users are told when the store is unreachable (no host or path in it)."""
    name = "Milvus 向量库" if backend(url).startswith("milvus") else "检索索引"
    return (
        f"搜索服务已降级：{name}暂时无法连接，智能检索与匹配暂不可用；"
        "成果、需求等信息仍可正常浏览，请稍后再试。"
    )


__all__ = [
    "backend",
    "degraded_notice",
    "KINDS",
    "NO_FILTERS",
    "DocMeta",
    "Document",
    "Filters",
    "Hits",
    "Stats",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "ids_checksum",
    "open_store",
    "configured_store",
]
