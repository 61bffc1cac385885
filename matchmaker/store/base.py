"""The index store interface (索引存储接口): what the ranker needs from a vector store.

Both implementations (embedded FAISS + BM25, Milvus through pymilvus) provide exactly
these operations, keyed by posting id, one collection per kind (result, need, expert, provider):

- `search_dense(kind, vector, k, filters)`: best cosines first;
- `search_sparse(kind, tokens, k, filters)`: BM25 over the project's tokens;
- `upsert(kind, ids, vectors, tokens, meta)` and `delete(kind, ids)`;
- `vectors(kind, ids)`: the stored vectors, without re-embedding;
- `stats(kind)`: count, checksum of the ids and a version, for `index verify`.

`ids(kind)` and `documents(kind, ids)` let `index migrate` copy a store without loss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

KINDS = ("result", "need", "expert", "provider", "scenario")


class StoreError(Exception):
    """A store cannot do what was asked (message in Chinese, shown to operators)."""


class StoreUnavailable(StoreError):
    """The configured store cannot be reached (e.g. the Milvus server is down)."""


@dataclass(frozen=True)
class DocMeta:
    """What filters read about a posting: status (可见性), owning organisation, text hash."""

    status: str
    org_id: int | None = None
    text_hash: str = ""


@dataclass(frozen=True)
class Filters:
    """Search filters. `status`: allowed statuses (visibility, e.g. ("published",));
    `exclude_org`: leave out the asking organisation's own postings; `ids`: only these ids;
    `exclude_ids`: never these ids. None means no restriction."""

    status: tuple[str, ...] | None = None
    exclude_org: int | None = None
    ids: frozenset[int] | None = None
    exclude_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def make(cls, status=None, exclude_org=None, ids=None, exclude_ids=()) -> Filters:
        return cls(
            status=tuple(status) if status is not None else None,
            exclude_org=None if exclude_org is None else int(exclude_org),
            ids=None if ids is None else frozenset(int(i) for i in ids),
            exclude_ids=frozenset(int(i) for i in exclude_ids),
        )

    def accepts(self, id_: int, meta: DocMeta | None) -> bool:
        """The one definition of a filter match; Milvus expressions mirror it."""
        if self.ids is not None and id_ not in self.ids:
            return False
        if id_ in self.exclude_ids:
            return False
        if self.status is not None and (meta is None or meta.status not in self.status):
            return False
        if self.exclude_org is not None and meta is not None and meta.org_id == self.exclude_org:
            return False
        return True


NO_FILTERS = Filters()


@dataclass
class Hits:
    """Search hits, best first: aligned ids and scores."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def as_list(self) -> list[tuple[int, float]]:
        return [(int(i), float(s)) for i, s in zip(self.ids, self.scores)]


@dataclass(frozen=True)
class Stats:
    """Count, checksum of the ids (sha1 of the sorted int64 ids, as the index manifests)
    and a version that changes with every write."""

    count: int
    checksum: str
    version: int


@dataclass(frozen=True)
class Document:
    """Everything a store holds about one posting, for copying between stores."""

    id: int
    vector: np.ndarray
    tokens: list[str]
    meta: DocMeta


def ids_checksum(ids: Iterable[int]) -> str:
    arr = np.sort(np.asarray(list(ids), dtype=np.int64))
    return hashlib.sha1(arr.tobytes()).hexdigest()


@runtime_checkable
class Store(Protocol):
    """The store interface; see the module docstring."""

    url: str

    def search_dense(self, kind: str, vector: np.ndarray, k: int, filters: Filters = NO_FILTERS) -> Hits: ...

    def search_sparse(
        self, kind: str, tokens: Sequence[str], k: int, filters: Filters = NO_FILTERS
    ) -> Hits: ...

    def upsert(
        self,
        kind: str,
        ids: Sequence[int],
        vectors: np.ndarray,
        tokens: Sequence[Sequence[str]],
        meta: Sequence[DocMeta],
    ) -> None: ...

    def delete(self, kind: str, ids: Sequence[int]) -> int: ...

    def vectors(self, kind: str, ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def stats(self, kind: str) -> Stats: ...

    def ids(self, kind: str) -> np.ndarray: ...

    def documents(self, kind: str, ids: Sequence[int]) -> list[Document]: ...

    def close(self) -> None: ...


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise StoreError(f"未知的索引类别：{kind!r}（应为 {'、'.join(KINDS)}）")
    return kind


def check_batch(ids, vectors, tokens, meta) -> np.ndarray:
    """One validation of an upsert batch for both stores."""
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(ids)
    if vectors.ndim != 2 or vectors.shape[0] != n or len(tokens) != n or len(meta) != n:
        raise StoreError(
            f"写入批次不一致：{n} 个 id、{vectors.shape[0] if vectors.ndim == 2 else '?'} 个向量、"
            f"{len(tokens)} 组词、{len(meta)} 条元数据"
        )
    if len(set(int(i) for i in ids)) != n:
        raise StoreError("写入批次中有重复的 id")
    return np.ascontiguousarray(vectors)
