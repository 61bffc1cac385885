"""The matching engine over an index store (索引存储上的匹配引擎), without changing the ranker.

`ranker._rank` takes an `engine` and reads, from `engine.ensure_fresh(...)`, an index with
`len`, `dense_search`, `dense_scores`, `bm25_scores`, `idf`, `tokens`, `hashes` and
`vector`. `StoreEngine` gives it exactly that, answered by a `matchmaker.store.Store`
(Milvus or embedded), and does the writes the embedded `Engine` does (`apply` for the
pipeline, `sync`/`drift` for `index verify|rebuild`) against the store; embedding stays with
the real engine. `get_engine()` returns one when `MATCHMAKER_VECTOR_STORE` names a store
other than `embedded`, so every caller runs on it.

An unreachable store raises `StoreUnavailable` (a Chinese message naming the store) from
any read or write; the store is reopened on the next use, at most every `RETRY_SECONDS`,
so a down server costs one connection attempt, not one per request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from matchmaker.store import DocMeta, Filters, Store, StoreError, StoreUnavailable, open_store

log = logging.getLogger(__name__)

MAX_K = 16384  # Milvus's largest top-k
RETRY_SECONDS = 30.0
SYNC_CHUNK = 256


class StoreIndexView:
    """One kind of a store, shaped like `PostingIndex` for the ranker's reads."""

    def __init__(self, store: Store, kind: str, version: int = 0):
        self.store, self.kind, self.version = store, kind, version
        ids = store.ids(kind)
        docs = store.documents(kind, ids)
        self.tokens = {d.id: d.tokens for d in docs}
        self.hashes = {d.id: d.meta.text_hash for d in docs}
        self._n = len(docs)
        self._ids = np.sort(np.asarray(list(self.tokens), dtype=np.int64))
        df: dict[str, int] = {}
        for toks in self.tokens.values():
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        self._df = df

    def __len__(self) -> int:
        return self._n

    def ids(self) -> np.ndarray:
        return self._ids

    def vector(self, id_: int):
        return self.store.vectors(self.kind, [int(id_)]).get(int(id_))

    def dense_search(self, query, k: int):
        hits = self.store.search_dense(self.kind, query, min(int(k), MAX_K))
        return hits.ids, hits.scores

    def dense_scores(self, query, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        hits = self.store.search_dense(self.kind, query, len(ids), Filters.make(ids=ids.tolist()))
        got = dict(zip(hits.ids.tolist(), hits.scores.tolist()))
        return np.asarray([got.get(int(i), 0.0) for i in ids], dtype=np.float32)

    def bm25_scores(self, query_tokens):
        """(sorted ids, BM25 scores) over every posting, as `PostingIndex` gives them: the store
        returns those sharing a term with the query, every other one scores 0."""
        scores = np.zeros(len(self._ids), np.float32)
        if self._n:
            hits = self.store.search_sparse(self.kind, list(query_tokens), min(self._n, MAX_K))
            pos = np.searchsorted(self._ids, hits.ids)
            ok = (pos < len(self._ids)) & (self._ids[np.minimum(pos, len(self._ids) - 1)] == hits.ids)
            scores[pos[ok]] = hits.scores[ok]
        return self._ids, scores

    def idf(self, term: str) -> float:
        return float(math.log(1 + max(self._n, 1) / (1 + self._df.get(term, 0))))

    def manifest(self) -> dict:
        from matchmaker.store import ids_checksum

        return {
            "kind": self.kind,
            "count": self._n,
            "store": self.store.url,
            "version": self.version,
            "ids_checksum": ids_checksum(self._ids),
        }


class _Guarded:
    """A store whose connection failures surface as `StoreUnavailable` (and drop the
    connection, so the next use reconnects)."""

    def __init__(self, owner: StoreEngine, store: Store):
        self._owner, self._store = owner, store
        self.url = store.url

    def __getattr__(self, name: str):
        attr = getattr(self._store, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            try:
                return attr(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                if not _is_connection_error(exc):
                    raise
                self._owner._lost(exc)
                raise StoreUnavailable(
                    f"向量库（{self.url}）暂时不可用：{exc}。搜索与匹配已降级，请检查 Milvus 服务。"
                ) from exc

        return call


def _is_connection_error(exc: Exception) -> bool:
    """Errors of the server or the connection (pymilvus, gRPC), not programming errors."""
    types: list[type] = [ConnectionError, TimeoutError]
    try:
        from pymilvus.exceptions import MilvusException

        types.append(MilvusException)
    except ImportError:  # pragma: no cover - pymilvus is a dependency
        pass
    try:
        import grpc

        types.append(grpc.RpcError)
    except ImportError:  # pragma: no cover
        pass
    return isinstance(exc, tuple(types))


class StoreEngine:
    """An engine whose indexes live in a store; `engine` embeds (model, dimension, cache)."""

    def __init__(
        self,
        engine,
        store: Store | None = None,
        *,
        url: str | None = None,
        index_dir: Path | None = None,
        timeout: float = 5.0,
    ):
        if store is None and url is None:
            raise ValueError("StoreEngine needs a store or its url")
        self.engine = engine
        self.store_url = url or store.url
        self.index_dir = index_dir
        self.timeout = timeout
        self._store = _Guarded(self, store) if store is not None else None
        self._failed: tuple[float, StoreUnavailable] | None = None
        self._views: dict[str, StoreIndexView] = {}
        self.lock = threading.RLock()

    # ---- the store -----------------------------------------------------------------
    @property
    def store(self) -> _Guarded:
        """The open store; raises StoreUnavailable (cached for RETRY_SECONDS) when unreachable."""
        with self.lock:
            if self._store is not None:
                return self._store
            if self._failed and time.monotonic() - self._failed[0] < RETRY_SECONDS:
                raise self._failed[1]
            options = {"timeout": self.timeout} if self.store_url.startswith("milvus") else {}
            try:
                self._store = _Guarded(self, open_store(self.store_url, index_dir=self.index_dir, **options))
            except StoreUnavailable as exc:
                log.error("%s", exc)
                self._failed = (time.monotonic(), exc)
                raise
            self._failed = None
            return self._store

    def _lost(self, exc: Exception) -> None:
        log.error("向量库 %s 连接中断：%s", self.store_url, exc)
        with self.lock:
            self._store, self._views = None, {}
            self._failed = (
                time.monotonic(),
                StoreUnavailable(f"向量库（{self.store_url}）暂时不可用：{exc}。搜索与匹配已降级。"),
            )

    def available(self) -> tuple[bool, str]:
        """(reachable, message) for /healthz."""
        try:
            self.store.version("result") if hasattr(self.store, "version") else self.store.ids("result")
            return True, ""
        except StoreUnavailable as exc:
            return False, str(exc)

    # ---- model (the real engine) -------------------------------------------------------
    def embed(self, texts, *, query: bool = False, progress: bool = False):
        return self.engine.embed(texts, query=query, progress=progress)

    def __getattr__(self, name: str):
        # model name, dimension and the rest come from the real engine
        return getattr(self.engine, name)

    # ---- reads ---------------------------------------------------------------------
    def _version(self, kind: str) -> int:
        store = self.store
        return int(store.version(kind)) if hasattr(store, "version") else int(store.stats(kind).version)

    def index(self, kind: str) -> StoreIndexView:
        """The view of one kind, re-read when the store's write version moved (another
        process wrote); one small read per call otherwise."""
        with self.lock:
            version = self._version(kind)
            view = self._views.get(kind)
            if view is None or view.version != version:
                view = StoreIndexView(self.store, kind, version)
                self._views[kind] = view
            return view

    def ensure_fresh(self, session, kind: str) -> StoreIndexView:
        """Like the embedded engine: a kind the store never received is filled from the
        database on first use (switching stores needs no extra step on a small site)."""
        view = self.index(kind)
        if view.version == 0 and len(view) == 0 and self.db_texts(session, kind):
            self.sync(session, kind)
            view = self.index(kind)
        return view

    def count(self, kind: str) -> int:
        return len(self.index(kind))

    def refresh(self) -> None:
        self._views.clear()

    # ---- database sync ---------------------------------------------------------------
    @staticmethod
    def _rows(session, kind: str, ids=None) -> dict[int, tuple[str, DocMeta]]:
        from matchmaker.matching.engine import MODELS
        from matchmaker.matching.index import text_hash

        model = MODELS[kind]
        q = select(model) if ids is None else select(model).where(model.id.in_(list(ids)))
        with session.no_autoflush:
            return {
                o.id: (
                    o.text,
                    DocMeta(
                        str(getattr(o, "status", "") or "")[:20],
                        getattr(o, "organization_id", None),
                        text_hash(o.text),
                    ),
                )
                for o in session.scalars(q)
            }

    def db_texts(self, session, kind: str) -> dict[int, str]:
        return self.engine.db_texts(session, kind)

    def drift(self, session, kind: str):
        from matchmaker.matching.engine import Drift
        from matchmaker.matching.index import text_hash

        texts = self.db_texts(session, kind)
        hashes = self.index(kind).hashes
        return Drift(
            missing=sorted(i for i in texts if i not in hashes),
            extra=sorted(i for i in hashes if i not in texts),
            changed=sorted(i for i, t in texts.items() if i in hashes and hashes[i] != text_hash(t)),
        )

    def _write(self, kind: str, ids: list[int], rows: dict[int, tuple[str, DocMeta]]) -> None:
        from matchmaker.text import tokenize

        for start in range(0, len(ids), SYNC_CHUNK):
            chunk = ids[start : start + SYNC_CHUNK]
            texts = [rows[i][0] for i in chunk]
            # needs are embedded as e5 queries, like the embedded engine does
            vectors = self.embed(texts, query=kind == "need")
            self.store.upsert(kind, chunk, vectors, [tokenize(t) for t in texts], [rows[i][1] for i in chunk])

    def sync(self, session, kind: str, *, force: bool = False, progress=None):
        """Bring the store in line with the database; embeds only what changed (all if force)."""
        from matchmaker.matching.engine import Drift

        with self.lock:
            rows = self._rows(session, kind)
            if force:
                stored = [int(i) for i in self.store.ids(kind)]
                extra = sorted(set(stored) - set(rows))
                drift = Drift(missing=sorted(rows), extra=extra, changed=[])
            else:
                drift = self.drift(session, kind)
            if drift.extra:
                self.store.delete(kind, drift.extra)
            todo = drift.missing + drift.changed
            for start in range(0, len(todo), SYNC_CHUNK):
                chunk = todo[start : start + SYNC_CHUNK]
                self._write(kind, chunk, rows)
                if progress:
                    progress(len(chunk))
            if hasattr(self.store, "maintain"):
                self.store.maintain(kind)
            self._views.pop(kind, None)
            return drift

    def apply(self, changes: dict[str, dict[int, str | None]], session=None) -> None:
        """Apply committed changes ({kind: {id: text or None when deleted}}) to the store.
        Idempotent like `Engine.apply`. Any store failure propagates, so the pipeline keeps
        the change-log rows pending and retries them."""
        from matchmaker.matching.index import text_hash

        with self.lock:
            for kind, items in changes.items():
                if not items:
                    continue
                hashes = self.index(kind).hashes
                gone = [i for i, t in items.items() if t is None and i in hashes]
                upd = [i for i, t in items.items() if t is not None and hashes.get(i) != text_hash(t)]
                if gone:
                    self.store.delete(kind, gone)
                if upd:
                    rows = self._rows(session, kind, upd) if session is not None else {}
                    for i in upd:  # the text the pipeline read wins; metadata from the row
                        meta = rows[i][1] if i in rows else DocMeta("", None, text_hash(items[i]))
                        rows[i] = (items[i], DocMeta(meta.status, meta.org_id, text_hash(items[i])))
                    self._write(kind, upd, rows)
                if gone or upd:
                    self._views.pop(kind, None)


def maintain_job(session) -> str:
    """Scheduled (worker): flush what the store's own flush_rows policy left unflushed and
    compact small segments, so searches keep running on indexed segments. Nothing to do
    on the embedded store."""
    from flask import current_app

    from matchmaker.matching.engine import get_engine

    engine = get_engine(current_app._get_current_object())
    if not isinstance(engine, StoreEngine) or not hasattr(engine.store, "maintain"):
        return "内置索引，无需整理"
    from matchmaker.store import KINDS

    for kind in KINDS:
        engine.store.maintain(kind)
    return f"已刷写并整理 {engine.store_url.split('://', 1)[0]} 的 {len(KINDS)} 个集合"
