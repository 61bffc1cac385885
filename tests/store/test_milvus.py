"""Milvus-only behaviour: the flush policy keeps search on indexed (sealed) segments."""

from __future__ import annotations

import time

import numpy as np

from matchmaker.store import DocMeta, open_store


def segment_files(db_path, collection, pattern):
    return sorted((db_path / "collections" / collection).rglob(pattern))


def test_flush_policy_seals_and_indexes_segments(tmp_path):
    db_path = tmp_path / "m.db"
    st = open_store(f"milvus-lite://{db_path}?flush_rows=3&prefix=fp_")
    v = np.eye(8, dtype=np.float32)
    name = st.collection("result")

    st.upsert("result", [1, 2], v[:2], [["机床"], ["电池"]], [DocMeta("published")] * 2)
    assert segment_files(db_path, name, "*.parquet") == []  # below the policy: still growing
    assert list(st.search_dense("result", v[1], 1).ids) == [2]  # ... and searchable already

    st.upsert("result", [3], v[2:3], [["小麦"]], [DocMeta("published")])
    assert len(segment_files(db_path, name, "*.parquet")) == 1  # 3 unflushed rows: flushed
    st.maintain("result")  # the worker's call; milvus-lite builds the segment's index in the background
    deadline = time.monotonic() + 30
    while not segment_files(db_path, name, "*.hnsw.idx") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert segment_files(db_path, name, "*.hnsw.idx")

    st.upsert("result", [4], v[3:4], [["电网"]], [DocMeta("published")])
    st.maintain("result")  # flushes the rest
    assert st.stats("result").count == 4
    assert list(st.search_sparse("result", ["电网"], 3).ids) == [4]
    st.close()
