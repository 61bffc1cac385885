"""The Milvus store (Milvus 向量库): the same operations through pymilvus `MilvusClient`.

The same code serves `milvus-lite:///path/file.db` (embedded, used in CI) and
`milvus://host:19530` (a standalone server or a cluster).

One collection per kind, `<prefix><kind>_tok` (BM25 from the project's tokenizer, the
default) or `<prefix><kind>` (BM25 through Milvus's own function), with:
- `id` INT64 primary key (the posting id), `dense` FLOAT_VECTOR (HNSW, inner product);
- `text`: the posting's tokens joined by spaces (the stored document);
- `sparse`: SPARSE_FLOAT_VECTOR, either
  - `bm25="jieba"`: produced by Milvus's own BM25 function from `text` with the jieba
    analyzer; queries are the project's tokens joined by spaces, or
  - `bm25="tokens"`: BM25 document weights computed here from `matchmaker.text.tokenize`
    tokens (k1 1.5, b 0.75, hashed term ids), searched by inner product with the query's
    IDF weights; document frequencies are read from the collection and refreshed when
    another process has written;
- `status`, `org_id` (−1: none), `text_hash`: scalar fields the filters read.

Flush policy: rows not yet flushed are searched by brute force in a growing segment, which
becomes slow as it grows (1.8 s p50 at 20k unflushed rows, 8 ms once flushed; issue 17).
So every write that leaves `flush_rows` or more rows unflushed flushes at once, and
`maintain()` (the worker, after a batch; `flask index compact`) flushes what is left and
asks Milvus to compact small segments, so searches run on indexed segments.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np

from matchmaker.store.base import (
    NO_FILTERS,
    DocMeta,
    Document,
    Filters,
    Hits,
    Stats,
    StoreError,
    StoreUnavailable,
    check_batch,
    check_kind,
    ids_checksum,
)

log = logging.getLogger(__name__)

BM25_MODES = ("jieba", "tokens")
# By measurement (docs/BENCHMARKS.md, "Store"): the project's tokens give exactly the embedded
# store's BM25 (dev nDCG@10 0.767, CSL MRR@10 0.986); Milvus's jieba analyzer 0.756 / 0.972.
DEFAULT_BM25 = "tokens"
K1, B = 1.5, 0.75  # Milvus's BM25 defaults, so both modes score alike
TEXT_MAX = 60000  # bytes; VARCHAR holds at most 65,535
FLUSH_ROWS = 1000
HNSW = {"M": 16, "efConstruction": 200}
PAGE = 1000  # rows per query page (Milvus caps offset + limit at 16,384)
DF_REFRESH_SECONDS = 5.0
META = "meta"  # one small collection: the write version of each kind


def term_id(term: str) -> int:
    """A stable 31-bit id for a token (sparse vector dimension)."""
    return (
        int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") & 0x7FFFFFFF
    )


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def filter_expr(filters: Filters) -> str:
    """The Milvus boolean expression for `filters` (mirrors `Filters.accepts`)."""
    parts = []
    if filters.ids is not None:
        parts.append(f"id in {sorted(filters.ids)}")
    if filters.exclude_ids:
        parts.append(f"id not in {sorted(filters.exclude_ids)}")
    if filters.status is not None:
        parts.append(f"status in [{', '.join(_quote(s) for s in filters.status)}]")
    if filters.exclude_org is not None:
        parts.append(f"org_id != {int(filters.exclude_org)}")
    return " and ".join(parts)


def _join(tokens: Sequence[str]) -> str:
    text = " ".join(tokens)
    raw = text.encode("utf-8")
    if len(raw) > TEXT_MAX:
        text = raw[:TEXT_MAX].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return text


class _TermStats:
    """Document frequencies of one kind, for BM25 weights computed client-side."""

    def __init__(self):
        self.df: Counter = Counter()
        self.n = 0
        self.total_len = 0
        self.version = None
        self.checked = 0.0

    def add(self, tokens: list[str], sign: int) -> None:
        self.df.update({t: sign for t in set(tokens)})
        self.n += sign
        self.total_len += sign * len(tokens)

    @property
    def avgdl(self) -> float:
        return self.total_len / self.n if self.n > 0 else 1.0

    def idf(self, term: str) -> float:
        df = max(self.df.get(term, 0), 0)
        return math.log(1 + (max(self.n, 0) - df + 0.5) / (df + 0.5))

    def doc_vector(self, tokens: list[str]) -> dict[int, float]:
        tf = Counter(tokens)
        norm = K1 * (1 - B + B * len(tokens) / self.avgdl)
        return {term_id(t): c * (K1 + 1) / (c + norm) for t, c in tf.items()}

    def query_vector(self, tokens: Sequence[str]) -> dict[int, float]:
        out: dict[int, float] = {}
        for t, c in Counter(tokens).items():
            if self.df.get(t, 0) > 0:
                out[term_id(t)] = out.get(term_id(t), 0.0) + c * self.idf(t)
        return out


def parse_url(url: str) -> tuple[str, dict]:
    """`milvus-lite:///path/file.db?bm25=tokens` → ("/path/file.db", {...});
    `milvus://host:19530?prefix=mm_` → ("http://host:19530", {...})."""
    parts = urlsplit(url)
    opts = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if parts.scheme == "milvus-lite":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path.endswith(".db"):
            raise StoreError(f"milvus-lite 的路径须以 .db 结尾：{url}")
        return path, opts
    if parts.scheme in ("milvus", "milvus+https"):
        scheme = "https" if parts.scheme.endswith("https") else "http"
        return f"{scheme}://{parts.hostname}:{parts.port or 19530}", opts
    raise StoreError(f"不是 Milvus 地址：{url}")


class MilvusStore:
    def __init__(
        self,
        url: str,
        *,
        bm25: str | None = None,
        prefix: str | None = None,
        flush_rows: int | None = None,
        timeout: float = 10.0,
        user: str = "",
        password: str = "",
    ):
        from pymilvus import MilvusClient

        target, opts = parse_url(url)
        self.url = url
        self.lite_path = target if url.startswith("milvus-lite:") else None
        if self.lite_path:
            Path(self.lite_path).parent.mkdir(parents=True, exist_ok=True)
        self.bm25 = bm25 or opts.get("bm25", DEFAULT_BM25)
        if self.bm25 not in BM25_MODES:
            raise StoreError(f"bm25 须为 {' 或 '.join(BM25_MODES)}，而不是 {self.bm25!r}")
        self.prefix = prefix if prefix is not None else opts.get("prefix", "mm_")
        self.flush_rows = int(flush_rows if flush_rows is not None else opts.get("flush_rows", FLUSH_ROWS))
        self.timeout = timeout
        try:
            self.client = MilvusClient(uri=target, user=user, password=password, timeout=timeout)
            self.client.list_collections(timeout=timeout)
        except Exception as exc:
            raise StoreUnavailable(
                f"无法连接 Milvus 向量库（{url}）：{exc}。请检查 MATCHMAKER_VECTOR_STORE 的地址和 Milvus 服务是否在运行。"
            ) from exc
        self._ready: set[str] = set()
        self._unflushed: dict[str, int] = {}
        self._terms: dict[str, _TermStats] = {}
        self._lock = threading.RLock()

    # ---- collections -------------------------------------------------------------
    def collection(self, kind: str) -> str:
        return f"{self.prefix}{check_kind(kind)}" + ("_tok" if self.bm25 == "tokens" else "")

    def _meta_name(self) -> str:
        return f"{self.prefix}{META}"

    def _exists(self, kind: str) -> bool:
        name = self.collection(kind)
        if name in self._ready:
            return True
        if self.client.has_collection(name):
            self._load(name)
            return True
        return False

    def _load(self, name: str) -> None:
        # a collection of a restarted server (or reopened milvus-lite file) starts released
        state = self.client.get_load_state(name).get("state")
        if getattr(state, "name", str(state)) != "Loaded":
            self.client.load_collection(name)
        self._ready.add(name)

    def _create(self, kind: str, dim: int) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        name = self.collection(kind)
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(dim))
        if self.bm25 == "jieba":
            schema.add_field(
                "text",
                DataType.VARCHAR,
                max_length=65535,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "jieba"},
            )
        else:
            schema.add_field("text", DataType.VARCHAR, max_length=65535)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("status", DataType.VARCHAR, max_length=20)
        schema.add_field("org_id", DataType.INT64)
        schema.add_field("text_hash", DataType.VARCHAR, max_length=64)
        if self.bm25 == "jieba":
            schema.add_function(
                Function(
                    name="text_bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["text"],
                    output_field_names=["sparse"],
                )
            )
        index = self.client.prepare_index_params()
        index.add_index("dense", index_type="HNSW", metric_type="IP", params=HNSW)
        index.add_index(
            "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25" if self.bm25 == "jieba" else "IP"
        )
        # Session consistency: a process sees its own writes at once (freshness), others catch up.
        self.client.create_collection(name, schema=schema, index_params=index, consistency_level="Session")
        self._ready.add(name)

    def _ensure_meta(self) -> str:
        from pymilvus import DataType, MilvusClient

        name = self._meta_name()
        if name in self._ready:
            return name
        if self.client.has_collection(name):
            self._load(name)
            return name
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("version", DataType.INT64)
        schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
        index = self.client.prepare_index_params()
        index.add_index("v", index_type="FLAT", metric_type="L2")
        self.client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong")
        self._ready.add(name)
        return name

    def _bump(self, kind: str) -> int:
        version = time.time_ns()
        self.client.upsert(
            self._ensure_meta(), [{"id": self.collection(kind), "version": version, "v": [0.0, 0.0]}]
        )
        return version

    def version(self, kind: str) -> int:
        """The write version of a kind (0: never written): one small read."""
        return self._version(kind)

    def _version(self, kind: str) -> int:
        if self._meta_name() not in self._ready:
            if not self.client.has_collection(self._meta_name()):
                return 0
            self._load(self._meta_name())
        rows = self.client.get(self._meta_name(), ids=[self.collection(kind)], output_fields=["version"])
        return int(rows[0]["version"]) if rows else 0

    # ---- term statistics (bm25="tokens") -------------------------------------------
    def _term_stats(self, kind: str, *, refresh: bool = False) -> _TermStats:
        with self._lock:
            ts = self._terms.get(kind)
            now = time.monotonic()
            if ts is not None and not refresh and now - ts.checked < DF_REFRESH_SECONDS:
                return ts
            version = self._version(kind)
            if ts is None or ts.version != version:
                ts = _TermStats()
                for rows in self._pages(kind, ["text"]):
                    for r in rows:
                        ts.add(r["text"].split(), +1)
                ts.version = version
                self._terms[kind] = ts
            ts.checked = now
            return ts

    # ---- writes ------------------------------------------------------------------
    def upsert(self, kind, ids, vectors, tokens, meta) -> None:
        vectors = check_batch(ids, vectors, tokens, meta)
        if not len(ids):
            return
        with self._lock:
            if not self._exists(kind):
                self._create(kind, vectors.shape[1])
            name = self.collection(kind)
            texts = [_join(t) for t in tokens]
            rows = []
            if self.bm25 == "tokens":
                ts = self._term_stats(kind, refresh=True)
                old = self.client.get(name, ids=[int(i) for i in ids], output_fields=["text"])
                for r in old:
                    ts.add(r["text"].split(), -1)
                for t in texts:
                    ts.add(t.split(), +1)
            for i, (id_, text, m) in enumerate(zip(ids, texts, meta)):
                row = {
                    "id": int(id_),
                    "dense": vectors[i].tolist(),
                    "text": text,
                    "status": m.status,
                    "org_id": -1 if m.org_id is None else int(m.org_id),
                    "text_hash": m.text_hash,
                }
                if self.bm25 == "tokens":
                    row["sparse"] = ts.doc_vector(text.split()) or {term_id(""): 0.0}
                rows.append(row)
            self.client.upsert(name, rows)
            version = self._bump(kind)
            if self.bm25 == "tokens":
                ts.version = version
            self._after_write(kind, len(rows))

    def delete(self, kind, ids) -> int:
        ids = [int(i) for i in ids]
        with self._lock:
            if not ids or not self._exists(kind):
                return 0
            name = self.collection(kind)
            present = self.client.get(name, ids=ids, output_fields=["text"])
            if not present:
                return 0
            self.client.delete(name, ids=[int(r["id"]) for r in present])
            version = self._bump(kind)
            if self.bm25 == "tokens" and kind in self._terms:
                ts = self._terms[kind]
                for r in present:
                    ts.add(r["text"].split(), -1)
                ts.version = version
            self._after_write(kind, len(present))
            return len(present)

    def _after_write(self, kind: str, n: int) -> None:
        self._unflushed[kind] = self._unflushed.get(kind, 0) + n
        if self._unflushed[kind] >= self.flush_rows:
            self.flush(kind)

    def flush(self, kind: str) -> None:
        if self._exists(kind):
            self.client.flush(self.collection(kind))
        self._unflushed[kind] = 0

    def maintain(self, kind: str, *, compact: bool = True) -> None:
        """Flush what is left and compact small segments (the worker, after a batch)."""
        if not self._exists(kind):
            return
        self.flush(kind)
        if compact:
            try:
                self.client.compact(self.collection(kind))
            except Exception:  # compaction is an optimisation; a busy server may refuse it
                log.warning("Milvus compaction of %s refused", self.collection(kind), exc_info=True)

    # ---- reads -------------------------------------------------------------------
    def _search(self, kind: str, data, field: str, k: int, filters: Filters, params: dict) -> Hits:
        if k <= 0 or not self._exists(kind):
            return Hits.empty()
        res = self.client.search(
            self.collection(kind),
            data=[data],
            anns_field=field,
            limit=int(k),
            filter=filter_expr(filters),
            output_fields=["id"],
            search_params=params,
        )
        hits = res[0] if res else []
        ids = np.fromiter((int(h["id"]) for h in hits), dtype=np.int64, count=len(hits))
        scores = np.fromiter((float(h["distance"]) for h in hits), dtype=np.float32, count=len(hits))
        return Hits(ids, scores)

    def search_dense(self, kind: str, vector, k: int, filters: Filters = NO_FILTERS) -> Hits:
        q = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        return self._search(
            kind, q, "dense", k, filters, {"metric_type": "IP", "params": {"ef": max(64, int(k))}}
        )

    def search_sparse(self, kind: str, tokens: Sequence[str], k: int, filters: Filters = NO_FILTERS) -> Hits:
        tokens = [t for t in tokens if t]
        if not tokens or not self._exists(kind):
            return Hits.empty()
        if self.bm25 == "jieba":
            hits = self._search(kind, _join(tokens), "sparse", k, filters, {"metric_type": "BM25"})
        else:
            q = self._term_stats(kind).query_vector(tokens)
            if not q:
                return Hits.empty()
            hits = self._search(kind, q, "sparse", k, filters, {"metric_type": "IP"})
        # milvus-lite reports BM25 as a negative distance, a server as a positive score
        hits.scores = np.abs(hits.scores)
        keep = hits.scores > 0
        order = np.argsort(-hits.scores[keep], kind="stable")
        return Hits(hits.ids[keep][order], hits.scores[keep][order])

    def _pages(self, kind: str, fields: list[str], expr: str = "id >= 0"):
        if not self._exists(kind):
            return
        it = self.client.query_iterator(
            self.collection(kind), batch_size=PAGE, filter=expr, output_fields=["id", *fields]
        )
        try:
            while True:
                rows = it.next()
                if not rows:
                    break
                yield rows
        finally:
            it.close()

    def ids(self, kind: str) -> np.ndarray:
        out = [int(r["id"]) for rows in self._pages(kind, []) for r in rows]
        return np.sort(np.asarray(out, dtype=np.int64))

    def _get(self, kind: str, ids, fields: list[str]) -> list[dict]:
        ids = [int(i) for i in ids]
        if not ids or not self._exists(kind):
            return []
        out = []
        for start in range(0, len(ids), PAGE):
            out += self.client.get(self.collection(kind), ids=ids[start : start + PAGE], output_fields=fields)
        return out

    def vectors(self, kind: str, ids) -> dict[int, np.ndarray]:
        return {
            int(r["id"]): np.asarray(r["dense"], dtype=np.float32) for r in self._get(kind, ids, ["dense"])
        }

    def documents(self, kind: str, ids) -> list[Document]:
        rows = self._get(kind, ids, ["dense", "text", "status", "org_id", "text_hash"])
        return [
            Document(
                int(r["id"]),
                np.asarray(r["dense"], dtype=np.float32),
                r["text"].split(),
                DocMeta(r["status"], None if r["org_id"] < 0 else int(r["org_id"]), r["text_hash"]),
            )
            for r in sorted(rows, key=lambda r: int(r["id"]))
        ]

    def stats(self, kind: str) -> Stats:
        ids = self.ids(kind)
        return Stats(len(ids), ids_checksum(ids), self._version(kind))

    def close(self) -> None:
        """Close the connection; for milvus-lite also stop its in-process server (the data stays)."""
        self.client.close()
        if self.lite_path:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.lite_path)
