"""The embedded store (内置索引): FAISS + BM25 `PostingIndex` files, no server.

An adapter over `matchmaker.matching.index.PostingIndex` through its public methods only.
Filters are applied from a metadata map (status, organisation, text hash) the adapter keeps
beside each index file as `<kind>.meta.json`; an index file written by the engine without
one has no metadata, so a status filter leaves its postings out until `index migrate` or
the next upsert records it.

The upward import of `matching.index` is temporary: the index code belongs on this floor
and moves here once the live-index work (issue 10) has landed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matchmaker.matching.index import PostingIndex
from matchmaker.store.base import (
    NO_FILTERS,
    DocMeta,
    Document,
    Filters,
    Hits,
    Stats,
    check_batch,
    check_kind,
    ids_checksum,
)


class EmbeddedStore:
    """One `PostingIndex` per kind, in memory, saved under `directory` after each write
    (or kept in memory only when `directory` is None)."""

    def __init__(self, directory: Path | str | None = None, *, model: str = "", ann_threshold: int = 20000):
        self.directory = Path(directory) if directory is not None else None
        self.url = f"embedded://{self.directory}" if self.directory else "embedded://"
        self.model = model
        self.ann_threshold = ann_threshold
        self._indexes: dict[str, PostingIndex | None] = {}
        self._meta: dict[str, dict[int, DocMeta]] = {}
        self._version: dict[str, int] = {}
        self._lock = threading.RLock()

    # ---- files -------------------------------------------------------------------
    def _index(self, kind: str, dim: int | None = None) -> PostingIndex | None:
        check_kind(kind)
        with self._lock:
            if kind not in self._indexes:
                idx, meta, version = None, {}, 0
                if self.directory is not None and (self.directory / f"{kind}.index.npz").exists():
                    idx = PostingIndex.load(self.directory / f"{kind}.index.npz", self.ann_threshold)
                    idx.catch_up(self.directory)  # the live engine's delta segments since that base
                    meta_path = self.directory / f"{kind}.meta.json"
                    if meta_path.exists():
                        data = json.loads(meta_path.read_text("utf-8"))
                        version = int(data.get("version", 0))
                        meta = {int(i): DocMeta(m[0], m[1], m[2]) for i, m in data["meta"].items()}
                self._indexes[kind], self._meta[kind], self._version[kind] = idx, meta, version
            idx = self._indexes[kind]
            if idx is None and dim is not None:
                idx = PostingIndex(kind, self.model, int(dim), self.ann_threshold)
                self._indexes[kind] = idx
            return idx

    def _save(self, kind: str) -> None:
        if self.directory is None:
            return
        idx = self._indexes[kind]
        idx.save(self.directory)
        payload = {
            "version": self._version[kind],
            "meta": {str(i): [m.status, m.org_id, m.text_hash] for i, m in self._meta[kind].items()},
        }
        path = self.directory / f"{kind}.meta.json"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)

    # ---- writes ------------------------------------------------------------------
    def upsert(self, kind, ids, vectors, tokens, meta) -> None:
        vectors = check_batch(ids, vectors, tokens, meta)
        if not len(ids):
            return
        with self._lock:
            idx = self._index(kind, dim=vectors.shape[1])
            idx.upsert([int(i) for i in ids], vectors, [m.text_hash for m in meta], [list(t) for t in tokens])
            self._meta[kind].update((int(i), m) for i, m in zip(ids, meta))
            self._version[kind] += 1
            self._save(kind)

    def delete(self, kind, ids) -> int:
        with self._lock:
            idx = self._index(kind)
            if idx is None:
                return 0
            removed = idx.remove([int(i) for i in ids])
            for i in ids:
                self._meta[kind].pop(int(i), None)
            if removed:
                self._version[kind] += 1
                self._save(kind)
            return removed

    # ---- reads -------------------------------------------------------------------
    def _accepted(self, kind: str, ids: np.ndarray, filters: Filters) -> np.ndarray:
        meta = self._meta[kind]
        return np.fromiter(
            (filters.accepts(int(i), meta.get(int(i))) for i in ids), dtype=bool, count=len(ids)
        )

    def search_dense(self, kind: str, vector, k: int, filters: Filters = NO_FILTERS) -> Hits:
        idx = self._index(kind)
        if idx is None or len(idx) == 0 or k <= 0:
            return Hits.empty()
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if filters.ids is not None:  # a subset: exact cosines of just those ids
            cand = np.fromiter((i for i in filters.ids if i in idx.hashes), dtype=np.int64)
            cand = cand[self._accepted(kind, cand, filters)]
            scores = idx.dense_scores(q, cand)
            order = np.argsort(-scores, kind="stable")[:k]
            return Hits(cand[order], scores[order].astype(np.float32))
        n, want = len(idx), k
        while True:  # filters drop hits: widen the search until k pass or all were seen
            want = min(n, max(want, k))
            ids, scores = idx.dense_search(q, want)
            keep = self._accepted(kind, ids, filters)
            if keep.sum() >= k or want >= n:
                return Hits(ids[keep][:k], scores[keep][:k].astype(np.float32))
            want *= 4

    def search_sparse(self, kind: str, tokens: Sequence[str], k: int, filters: Filters = NO_FILTERS) -> Hits:
        idx = self._index(kind)
        if idx is None or len(idx) == 0 or k <= 0:
            return Hits.empty()
        ids, scores = idx.bm25_scores(list(tokens))
        keep = scores > 0
        keep[keep] = self._accepted(kind, ids[keep], filters)
        ids, scores = ids[keep], scores[keep]
        order = np.argsort(-scores, kind="stable")[:k]
        return Hits(ids[order], scores[order].astype(np.float32))

    def vectors(self, kind: str, ids) -> dict[int, np.ndarray]:
        idx = self._index(kind)
        if idx is None:
            return {}
        out = {}
        for i in ids:
            v = idx.vector(int(i))
            if v is not None:
                out[int(i)] = np.asarray(v, dtype=np.float32)
        return out

    def ids(self, kind: str) -> np.ndarray:
        idx = self._index(kind)
        return np.sort(idx.ids()) if idx is not None else np.zeros(0, np.int64)

    def documents(self, kind: str, ids) -> list[Document]:
        idx = self._index(kind)
        if idx is None:
            return []
        meta = self._meta[kind]
        out = []
        for i in ids:
            i = int(i)
            v = idx.vector(i)
            if v is None:
                continue
            m = meta.get(i) or DocMeta("", None, idx.hashes.get(i, ""))
            out.append(Document(i, np.asarray(v, dtype=np.float32), list(idx.tokens.get(i, [])), m))
        return out

    def version(self, kind: str) -> int:
        """The write version of a kind (0: never written)."""
        self._index(kind)
        return self._version.get(kind, 0)

    def stats(self, kind: str) -> Stats:
        idx = self._index(kind)
        if idx is None:
            return Stats(0, ids_checksum([]), self._version.get(kind, 0))
        return Stats(len(idx), ids_checksum(idx.ids()), self._version[kind])

    def close(self) -> None:
        with self._lock:
            self._indexes.clear()
            self._meta.clear()
