"""The ranker over any index store (排序接入索引存储), without changing the ranker.

`ranker._rank` takes an `engine` and reads, from `engine.ensure_fresh(...)`, an index with
`len`, `dense_search`, `dense_scores`, `bm25_scores`, `idf`, `tokens`, `hashes` and
`vector`. `StoreEngine` gives it exactly that, answered by a `matchmaker.store.Store`
(Milvus or embedded), while embedding stays with the real engine. `flask evaluate` uses it
when `MATCHMAKER_VECTOR_STORE` names another store; the live ranker switches to the store
once the live-index work (issue 10) has landed.
"""

from __future__ import annotations

import math

import numpy as np

from matchmaker.store import Filters, Store

MAX_K = 16384  # Milvus's largest top-k


class StoreIndexView:
    """One kind of a store, shaped like `PostingIndex` for the ranker's reads."""

    def __init__(self, store: Store, kind: str):
        self.store, self.kind = store, kind
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
            scores[pos] = hits.scores
        return self._ids, scores

    def idf(self, term: str) -> float:
        return float(math.log(1 + max(self._n, 1) / (1 + self._df.get(term, 0))))


class StoreEngine:
    """An engine whose indexes are read from `store`; `engine` embeds and keeps the database sync."""

    def __init__(self, engine, store: Store):
        self.engine, self.store = engine, store
        self._views: dict[str, StoreIndexView] = {}

    def embed(self, texts, *, query: bool = False, progress: bool = False):
        return self.engine.embed(texts, query=query, progress=progress)

    def index(self, kind: str) -> StoreIndexView:
        if kind not in self._views:
            self._views[kind] = StoreIndexView(self.store, kind)
        return self._views[kind]

    def ensure_fresh(self, session, kind: str) -> StoreIndexView:
        return self.index(kind)

    def refresh(self) -> None:
        self._views.clear()

    def __getattr__(self, name: str):
        # model name, dimension and the rest come from the real engine
        return getattr(self.engine, name)
