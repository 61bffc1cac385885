"""Vector (FAISS) and BM25 indexes of postings, kept in step with the database (索引).

One index per kind (results, needs, experts) under INDEX_DIR, persisted as a base snapshot
plus append-only delta segments:
- `<kind>.index.npz`, the base: the FAISS index, the BM25 tokens and the text hash of every
  posting, plus a JSON manifest (model, dimension, count, checksum of the ids, the last
  segment folded in). One file means one atomic rename: a save interrupted half-way leaves
  the previous file intact. `<kind>.json` repeats the manifest for people and `index status`.
- `<kind>.seg/<n>.npz`, one per applied batch of changes: the upserted ids with their
  vectors, hashes and tokens, and the removed ids. An edit writes bytes in proportion to the
  change; every process catches up by applying the segments newer than its own.
  Compaction writes a new base (folding the segments in) and deletes the folded segments.

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

import faiss
import numpy as np

log = logging.getLogger(__name__)

# One query at a time: a single thread avoids OpenMP spin contention on a shared 2-core box.
faiss.omp_set_num_threads(1)

KINDS = ("result", "need", "expert", "provider", "scenario")
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
    segment: int = 0  # the last delta segment applied (0: the base alone)
    base_segment: int = 0  # the last segment folded into the loaded/saved base
    trained_size: int = 0  # corpus size when the IVF was trained (0: flat)
    _bm25: LiveBM25 | None = None
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
        self.trained_size = len(ids) if self.index_type == "ivf" else 0

    def needs_retrain(self) -> bool:
        """IVF centroids trained on half the corpus or less no longer fit it."""
        return self.index_type == "ivf" and len(self) >= 2 * max(self.trained_size, 1)

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
                i = int(i)
                toks = [sys.intern(x) for x in t]
                if self._bm25 is not None:
                    self._bm25.discard(i, self.tokens.get(i), keep_slot=True)
                    self._bm25.add(i, toks)
                self.hashes[i] = h
                self.tokens[i] = toks
            self.restructure()

    def remove(self, ids: list[int]) -> int:
        with self._lock:
            ids = [int(i) for i in ids if int(i) in self.hashes]
            if not ids:
                return 0
            self.faiss_index.remove_ids(np.asarray(ids, dtype=np.int64))
            for i in ids:
                self.hashes.pop(i, None)
                toks = self.tokens.pop(i, None)
                if self._bm25 is not None:
                    self._bm25.discard(i, toks)
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

    def _ensure_bm25(self) -> LiveBM25:
        """Built once per process from the tokens; then kept up to date by upsert/remove."""
        if self._bm25 is None:
            with self._lock:
                if self._bm25 is None:
                    live = LiveBM25()
                    for i, toks in self.tokens.items():
                        live.add(i, toks)
                    self._bm25 = live
        return self._bm25

    def bm25_scores(self, query_tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sorted ids, BM25 scores) over every indexed posting, with corpus-wide statistics
        as they are now (no rebuild after an edit)."""
        with self._lock:
            return self._ensure_bm25().scores([t for t in query_tokens if t])

    def idf(self, term: str) -> float:
        """Inverse document frequency, to order shared terms by how telling they are."""
        live = self._ensure_bm25()
        n = max(len(self.tokens), 1)
        return float(np.log(1 + n / (1 + live.df(term))))

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
            "segment": self.segment,
            "trained_size": self.trained_size,
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
            self.base_segment = self.segment
            return path

    # ---- delta segments ------------------------------------------------------------
    def segment_dir(self, directory: Path) -> Path:
        return Path(directory) / f"{self.kind}.seg"

    def write_segment(self, directory: Path, upserted: list[int], removed: list[int]) -> int:
        """Append one segment with these changes (already applied in memory); returns its size
        in bytes. The number is claimed with a hard link, so two writers never share one."""
        with self._lock:
            ids = np.asarray([i for i in upserted if int(i) in self.hashes], dtype=np.int64)
            vectors = (
                np.vstack([self.faiss_index.reconstruct(int(i)) for i in ids])
                if len(ids)
                else np.zeros((0, self.dim), np.float32)
            )
            docs = {str(int(i)): [self.hashes[int(i)], self.tokens.get(int(i), [])] for i in ids}
            buf = io.BytesIO()
            np.savez(
                buf,
                ids=ids,
                vectors=vectors.astype(np.float32),
                removed=np.asarray(removed, dtype=np.int64),
                docs=np.frombuffer(json.dumps(docs, ensure_ascii=False).encode(), dtype=np.uint8),
            )
            payload = buf.getvalue()
            seg_dir = self.segment_dir(directory)
            seg_dir.mkdir(parents=True, exist_ok=True)
            tmp = seg_dir / f".{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "wb") as fh:
                _write_payload(fh, payload)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                number = max(self.segment, _last_segment(seg_dir)) + 1
                while True:
                    try:
                        os.link(tmp, seg_dir / f"{number:012d}.npz")
                        break
                    except FileExistsError:
                        number += 1
            finally:
                tmp.unlink()
            self.segment = number
            return len(payload)

    def catch_up(self, directory: Path) -> int:
        """Apply the segments newer than ours (another process wrote them); returns how many."""
        seg_dir = self.segment_dir(directory)
        if not seg_dir.is_dir():
            return 0
        applied = 0
        with self._lock:
            for number, path in _segments(seg_dir, after=self.segment):
                if number != self.segment + 1:
                    raise SegmentGap(f"{self.kind}: segment {self.segment + 1} missing (compacted)")
                try:
                    with np.load(path, allow_pickle=False) as data:
                        ids, vectors, removed = data["ids"], data["vectors"], data["removed"]
                        docs = json.loads(bytes(data["docs"]).decode())
                except FileNotFoundError:  # compacted meanwhile: the caller reloads the base
                    break
                self.remove([int(i) for i in removed])
                if len(ids):
                    keys = [str(int(i)) for i in ids]
                    self.upsert(
                        [int(i) for i in ids], vectors, [docs[k][0] for k in keys], [docs[k][1] for k in keys]
                    )
                self.segment = number
                applied += 1
        return applied

    def drop_segments(self, directory: Path, upto: int) -> None:
        """After compaction: delete the segments folded into the base."""
        seg_dir = self.segment_dir(directory)
        if seg_dir.is_dir():
            for number, path in _segments(seg_dir, after=0):
                if number <= upto:
                    path.unlink(missing_ok=True)

    @staticmethod
    def base_manifest(path: Path) -> dict:
        """The base's manifest alone (one small member of the npz, not the whole file)."""
        with np.load(path, allow_pickle=False) as data:
            return json.loads(bytes(data["manifest"]).decode())

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
        obj.segment = obj.base_segment = int(manifest.get("segment", 0))
        obj.trained_size = int(manifest.get("trained_size", 0))
        if int(index.ntotal) != len(obj.hashes) or manifest["ids_checksum"] != ids_checksum(obj.hashes):
            log.warning("index %s inconsistent with its manifest; marking stale", path)
            obj.stale = True
        return obj


class SegmentGap(RuntimeError):
    """Segments we have not applied were folded into a newer base: reload the base."""


def _segments(seg_dir: Path, after: int) -> list[tuple[int, Path]]:
    out = []
    for entry in os.scandir(seg_dir):
        name = entry.name
        if name.endswith(".npz") and name[:-4].isdigit() and int(name[:-4]) > after:
            out.append((int(name[:-4]), Path(entry.path)))
    return sorted(out)


def _last_segment(seg_dir: Path) -> int:
    found = _segments(seg_dir, after=0)
    return found[-1][0] if found else 0


class LiveBM25:
    """BM25 that updates in place (倒排索引): per-term postings, document frequencies and
    lengths change with each upsert/remove, so a search after an edit scores with the
    corpus-wide statistics of that moment without rebuilding anything. Same formula as
    bm25s's default (Lucene variant, k1=1.5, b=0.75; an empty document counts as one token)."""

    K1, B = 1.5, 0.75

    def __init__(self):
        self.postings: dict[str, dict[int, int]] = {}
        self.length: dict[int, int] = {}
        self.total = 0
        self._ids: np.ndarray | None = None  # sorted ids, rebuilt only when membership changes
        self._lengths: np.ndarray | None = None
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term → (ids, tf), per changed term

    def df(self, term: str) -> int:
        return len(self.postings.get(term, ()))

    def add(self, i: int, tokens: list[str] | None) -> None:
        toks = tokens or [""]
        counts: dict[str, int] = {}
        for t in toks:
            counts[t] = counts.get(t, 0) + 1
        for t, c in counts.items():
            self.postings.setdefault(t, {})[i] = c
            self._arrays.pop(t, None)
        self.length[i] = len(toks)
        self.total += len(toks)
        if self._ids is not None:
            pos = int(np.searchsorted(self._ids, i))
            if pos < len(self._ids) and self._ids[pos] == i:
                self._lengths[pos] = len(toks)  # an edit: same member, new length
            else:
                self._ids = None

    def discard(self, i: int, tokens: list[str] | None, keep_slot: bool = False) -> None:
        """Forget a document; `keep_slot` when add() re-adds it at once (an edit)."""
        if i not in self.length:
            return
        for t in set(tokens or [""]):
            posting = self.postings.get(t)
            if posting is not None:
                posting.pop(i, None)
                if not posting:
                    del self.postings[t]
                self._arrays.pop(t, None)
        self.total -= self.length.pop(i)
        if not keep_slot:
            self._ids = None

    def scores(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if self._ids is None:
            self._ids = np.fromiter(sorted(self.length), dtype=np.int64, count=len(self.length))
            self._lengths = np.fromiter((self.length[int(i)] for i in self._ids), np.float32, len(self._ids))
        ids, n = self._ids, len(self._ids)
        out = np.zeros(n, np.float32)
        if n == 0:
            return ids, out
        norm = self.K1 * (1 - self.B + self.B * self._lengths / (self.total / n))
        for t in terms:
            posting = self.postings.get(t)
            if not posting:
                continue
            if t not in self._arrays:
                self._arrays[t] = (
                    np.fromiter(posting.keys(), np.int64, len(posting)),
                    np.fromiter(posting.values(), np.float32, len(posting)),
                )
            pid, tf = self._arrays[t]
            pos = np.searchsorted(ids, pid)
            idf = np.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            out[pos] += idf * tf / (tf + norm[pos])
        return ids, out


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
