"""Store fixtures: every contract test runs against each store implementation.

The Milvus stores are real milvus-lite databases in a temporary directory (one per run and
BM25 mode, a fresh collection prefix per test); nothing here touches the SQL database, so
the suite runs the same under SQLite and PostgreSQL runs.
"""

from __future__ import annotations

import itertools

import pytest

from matchmaker.store import open_store

STORES = ("embedded", "milvus-jieba", "milvus-tokens")
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def milvus_db(tmp_path_factory):
    pytest.importorskip("milvus_lite")
    return tmp_path_factory.mktemp("milvus") / "store.db"


def make_store(name: str, milvus_db, tmp_path, prefix: str | None = None):
    if name == "embedded":
        return open_store("embedded", index_dir=tmp_path / "indexes")
    mode = name.split("-", 1)[1]
    return open_store(f"milvus-lite://{milvus_db}?bm25={mode}", prefix=prefix or f"t{next(_prefixes)}_")


@pytest.fixture(params=STORES)
def store(request, milvus_db, tmp_path):
    st = make_store(request.param, milvus_db, tmp_path)
    yield st
    if request.param != "embedded":
        for kind in ("result", "need", "expert"):
            if st.client.has_collection(st.collection(kind)):
                st.client.drop_collection(st.collection(kind))
    # the milvus-lite server is shared by the run: stopped at exit, not per test
