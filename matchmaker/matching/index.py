"""Vector (FAISS) and BM25 indexes of postings, kept in step with the database (索引).

One index per kind (results, needs, experts) under INDEX_DIR. Each is a single file
`<kind>.index.npz` holding the FAISS index, the BM25 tokens and the text hash of every
posting, plus a JSON manifest (model, dimension, count, checksum of the ids). One file
means one atomic rename: a save interrupted half-way leaves the previous file intact.
`<kind>.json` repeats the manifest for people and for `index status`.

Vectors are keyed by database id, never by position:
- below ANN_THRESHOLD vectors: `IndexIDMap2(IndexFlatIP)`, exact search;
- above: `IndexIVFFlat` (inner product) with ids and a hash-table direct map, which
  supports remove_ids and reconstruct by id (HNSW cannot remove). nprobe is configurable.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

log = logging.getLogger(__name__)

# One query at a time: a single thread avoids OpenMP spin contention on a shared 2-core box.
faiss.omp_set_num_threads(1)

KINDS = ("result", "need", "expert", "provider")
FORMAT_VERSION = 1
IVF_NPROBE = 24


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def ids_checksum(ids) -> str:
    arr = np.sort(np.asarray(list(ids), dtype=np.int64))
    return hashlib.sha1(arr.tobytes()).hexdigest()


@dataclass
class PostingIndex:
    """Dense + sparse index of one kind of posting."""

    kind: str
    model: str
    dim: int
    ann_threshold: int = 20000
    faiss_index: object = None
    hashes: dict[int, str] = field(default_factory=dict)  # id → text hash
    tokens: dict[int, list[str]] = field(default_factory=dict)  # id → BM25 tokens
    stale: bool = False  # bulk changes pending: sync before trusting
    _bm25: object = None
    _bm25_ids: np.ndarray | None = None
    _bm25_vocab: dict | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        if self.faiss_index is None:
            self.faiss_index = self._flat()

    # ---- structure -------------------------------------------------------------
    def _flat(self):
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    @property
    def index_type(self) -> str:
        return "ivf" if isinstance(self.faiss_index, faiss.IndexIVF) else "flat"

    def __len__(self) -> int:
        return int(self.faiss_index.ntotal)

    def ids(self) -> np.ndarray:
        return np.fromiter(self.hashes.keys(), dtype=np.int64, count=len(self.hashes))

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids()
        if len(ids) == 0:
            return ids, np.zeros((0, self.dim), dtype=np.float32)
        return ids, np.vstack([self.faiss_index.reconstruct(int(i)) for i in ids])

    def restructure(self, force: bool = False) -> None:
        """Switch flat ↔ IVF when the size crosses the threshold (or force a fresh build)."""
        want_ivf = len(self) >= self.ann_threshold
        if not force and want_ivf == (self.index_type == "ivf"):
            return
        ids, vecs = self._all_vectors()
        self.faiss_index = self.build_faiss(ids, vecs, self.dim, self.ann_threshold)

    @staticmethod
    def build_faiss(ids: np.ndarray, vecs: np.ndarray, dim: int, ann_threshold: int):
        if len(ids) < ann_threshold:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            nlist = int(min(4096, max(64, 4 * np.sqrt(len(ids)))))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vecs[rng.choice(len(vecs), size=min(len(vecs), nlist * 40), replace=False)]
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
            index.nprobe = IVF_NPROBE
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), ids.astype(np.int64))
        return index

    # ---- changes -----------------------------------------------------------------
    def upsert(self, ids: list[int], vectors: np.ndarray, hashes: list[str], tokens: list[list[str]]) -> None:
        with self._lock:
            arr = np.asarray(ids, dtype=np.int64)
            present = np.array([i in self.hashes for i in ids], dtype=bool)
            if present.any():
                self.faiss_index.remove_ids(arr[present])
            self.faiss_index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), arr)
            for i, h, t in zip(ids, hashes, tokens):
                self.hashes[int(i)] = h
                self.tokens[int(i)] = [sys.intern(x) for x in t]
            self._bm25 = None
            self.restructure()

    def remove(self, ids: list[int]) -> int:
        with self._lock:
            ids = [int(i) for i in ids if int(i) in self.hashes]
            if not ids:
                return 0
            self.faiss_index.remove_ids(np.asarray(ids, dtype=np.int64))
            for i in ids:
                self.hashes.pop(i, None)
                self.tokens.pop(i, None)
            self._bm25 = None
            return len(ids)

    def clear(self) -> None:
        with self._lock:
            self.faiss_index = self._flat()
            self.hashes.clear()
            self.tokens.clear()
            self._bm25 = None

    # ---- search ------------------------------------------------------------------
    def vector(self, id_: int) -> np.ndarray | None:
        if int(id_) not in self.hashes:
            return None
        return self.faiss_index.reconstruct(int(id_))

    def dense_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines), best first."""
        n = len(self)
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self.faiss_index.search(q, min(k, n))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def dense_scores(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosines for given ids (candidates found by BM25 only)."""
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        vecs = np.vstack([self.faiss_index.reconstruct(int(i)) for i in ids])
        return vecs @ query.reshape(-1).astype(np.float32)

    def _ensure_bm25(self) -> None:
        if self._bm25 is not None:
            return
        with self._lock:
            ids = np.sort(self.ids())  # sorted, so callers can look scores up by searchsorted
            vocab: dict[str, int] = {"": 0}
            corpus = [[vocab.setdefault(t, len(vocab)) for t in self.tokens[int(i)]] or [0] for i in ids]
            retriever = bm25s.BM25()
            if len(ids):
                retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)
            self._bm25_ids, self._bm25_vocab, self._bm25 = ids, vocab, retriever

    def bm25_scores(self, query_tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sorted ids, BM25 scores) over every indexed posting."""
        self._ensure_bm25()
        ids = self._bm25_ids
        terms = [t for t in query_tokens if t in self._bm25_vocab and t]
        if not terms or len(ids) == 0:
            return ids, np.zeros(len(ids), np.float32)
        return ids, np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def idf(self, term: str) -> float:
        """Inverse document frequency, to order shared terms by how telling they are."""
        self._ensure_bm25()
        n = max(len(self.tokens), 1)
        if not hasattr(self, "_df") or self._df_for is not self._bm25:
            df: dict[str, int] = {}
            for toks in self.tokens.values():
                for t in set(toks):
                    df[t] = df.get(t, 0) + 1
            self._df, self._df_for = df, self._bm25
        return float(np.log(1 + n / (1 + self._df.get(term, 0))))

    # ---- persistence -------------------------------------------------------------
    def manifest(self) -> dict:
        return {
            "kind": self.kind,
            "model": self.model,
            "dimension": self.dim,
            "count": len(self),
            "ids_checksum": ids_checksum(self.hashes.keys()),
            "index_type": self.index_type,
            "format": FORMAT_VERSION,
            "stale": self.stale,
        }

    def save(self, directory: Path) -> Path:
        """Atomic: write a temporary file, fsync, rename over the old one."""
        with self._lock:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{self.kind}.index.npz"
            manifest = self.manifest()
            docs = {str(i): [self.hashes[i], self.tokens.get(i, [])] for i in self.hashes}
            buf = io.BytesIO()
            np.savez(
                buf,
                faiss=faiss.serialize_index(self.faiss_index),
                manifest=np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8),
                docs=np.frombuffer(json.dumps(docs, ensure_ascii=False).encode(), dtype=np.uint8),
            )
            _atomic_write(path, buf.getvalue())
            _atomic_write(
                directory / f"{self.kind}.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            )
            return path

    @classmethod
    def load(cls, path: Path, ann_threshold: int = 20000) -> PostingIndex:
        with np.load(path, allow_pickle=False) as data:
            manifest = json.loads(bytes(data["manifest"]).decode())
            docs = json.loads(bytes(data["docs"]).decode())
            index = faiss.deserialize_index(np.ascontiguousarray(data["faiss"]))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = IVF_NPROBE
        obj = cls(
            kind=manifest["kind"],
            model=manifest["model"],
            dim=int(manifest["dimension"]),
            ann_threshold=ann_threshold,
            faiss_index=index,
        )
        obj.hashes = {int(k): v[0] for k, v in docs.items()}
        obj.tokens = {int(k): [sys.intern(t) for t in v[1]] for k, v in docs.items()}
        obj.stale = bool(manifest.get("stale"))
        if int(index.ntotal) != len(obj.hashes) or manifest["ids_checksum"] != ids_checksum(obj.hashes):
            log.warning("index %s inconsistent with its manifest; marking stale", path)
            obj.stale = True
        return obj


def _atomic_write(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            _write_payload(fh, payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_payload(fh, payload: bytes) -> None:
    """Separate so tests can interrupt a save half-way."""
    fh.write(payload)
