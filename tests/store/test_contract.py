"""One contract for every store (embedded FAISS + BM25, milvus-lite with either BM25 mode):
filters, upsert/delete, freshness, vectors by id, stats/checksum and drift."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.store import DocMeta, Filters, StoreError, StoreUnavailable, ids_checksum, open_store
from tests.store.conftest import make_store

DIM = 16

# id → (tokens, status, organisation)
DOCS = {
    1: (["数控机床", "机床", "热误差", "补偿"], "published", 10),
    2: (["锂电池", "正极", "材料", "锂电池"], "published", 10),
    3: (["小麦", "育种", "抗旱"], "draft", 11),
    4: (["机床", "主轴", "精度", "机床"], "published", 11),
    5: (["智能", "电网", "调度", "机床", "故障", "诊断", "振动", "轴承", "监测"], "published", 12),
    6: (["煤矿", "瓦斯", "监测"], "archived", 12),
}


def unit(rng, n):
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def vecs():
    return dict(zip(DOCS, unit(np.random.default_rng(7), len(DOCS))))


def load(store, vecs, ids=None, kind="result"):
    ids = list(ids or DOCS)
    store.upsert(
        kind,
        ids,
        np.vstack([vecs[i] for i in ids]),
        [DOCS[i][0] for i in ids],
        [DocMeta(DOCS[i][1], DOCS[i][2], f"h{i}") for i in ids],
    )


def figures(stats):
    return stats.count, stats.checksum


def exact(vecs, q, ids):
    return sorted(ids, key=lambda i: -float(vecs[i] @ q))


def test_dense_search_is_exact_best_first(store, vecs):
    load(store, vecs)
    q = vecs[4] + 0.3 * vecs[1]
    q /= np.linalg.norm(q)
    hits = store.search_dense("result", q, 6)
    assert list(hits.ids) == exact(vecs, q, DOCS)
    np.testing.assert_allclose(hits.scores, [vecs[i] @ q for i in hits.ids], atol=1e-5)
    assert list(store.search_dense("result", q, 2).ids) == exact(vecs, q, DOCS)[:2]


@pytest.mark.parametrize(
    "filters, allowed",
    [
        (Filters.make(status=["published"]), {1, 2, 4, 5}),
        (Filters.make(status=["published", "draft"], exclude_org=10), {3, 4, 5}),
        (Filters.make(ids=[2, 3, 6]), {2, 3, 6}),
        (Filters.make(status=["published"], exclude_ids=[4, 5]), {1, 2}),
        (Filters.make(status=["published"], exclude_org=11, ids=[1, 3, 4, 5]), {1, 5}),
    ],
)
def test_filters_apply_to_dense_search(store, vecs, filters, allowed):
    load(store, vecs)
    q = vecs[3]
    hits = store.search_dense("result", q, 10, filters)
    assert list(hits.ids) == exact(vecs, q, allowed)
    # k smaller than what passes the filter: the best k that pass, not fewer
    assert list(store.search_dense("result", q, 1, filters).ids) == exact(vecs, q, allowed)[:1]


def test_sparse_search_ranks_by_bm25_and_filters(store, vecs):
    load(store, vecs)
    hits = store.search_sparse("result", ["机床"], 10)
    # 机床 twice in a short posting beats once in a short one beats once in a long one
    assert list(hits.ids) == [4, 1, 5]
    assert np.all(np.diff(hits.scores) <= 0) and np.all(hits.scores > 0)
    only_other_orgs = store.search_sparse("result", ["机床"], 10, Filters.make(exclude_org=11))
    assert list(only_other_orgs.ids) == [1, 5]
    assert list(store.search_sparse("result", ["瓦斯"], 10, Filters.make(status=["published"])).ids) == []
    assert list(store.search_sparse("result", ["瓦斯"], 10).ids) == [6]
    assert len(store.search_sparse("result", ["不存在的词"], 10)) == 0
    assert len(store.search_sparse("result", [], 10)) == 0


def test_upsert_replaces_and_delete_removes(store, vecs):
    load(store, vecs)
    before = store.stats("result")
    new = unit(np.random.default_rng(99), 1)[0]
    store.upsert("result", [4], new[None, :], [["氢能", "储氢"]], [DocMeta("published", 11, "h4b")])
    assert store.stats("result").count == 6
    assert list(store.search_sparse("result", ["机床"], 10).ids) == [1, 5]  # old tokens gone
    assert list(store.search_sparse("result", ["储氢"], 10).ids) == [4]
    assert store.search_dense("result", new, 1).ids[0] == 4
    np.testing.assert_allclose(store.vectors("result", [4])[4], new, atol=1e-6)
    assert store.documents("result", [4])[0].meta == DocMeta("published", 11, "h4b")
    assert store.stats("result").version != before.version

    assert store.delete("result", [4, 5, 404]) == 2
    assert store.delete("result", [404]) == 0
    assert 4 not in store.search_dense("result", new, 6).ids
    assert list(store.search_sparse("result", ["机床"], 10).ids) == [1]
    assert store.vectors("result", [4, 5]) == {}
    assert list(store.ids("result")) == [1, 2, 3, 6]


def test_an_upsert_is_searchable_at_once(store, vecs):
    load(store, vecs)
    if hasattr(store, "maintain"):
        store.maintain("result")  # flushed and compacted: the new row lands in a fresh segment
    v = unit(np.random.default_rng(5), 1)[0]
    store.upsert("result", [77], v[None, :], [["超硬", "金刚石"]], [DocMeta("published", 13, "h77")])
    assert store.search_dense("result", v, 1, Filters.make(status=["published"])).ids[0] == 77
    assert list(store.search_sparse("result", ["金刚石"], 5).ids) == [77]
    store.delete("result", [77])
    assert 77 not in store.search_dense("result", v, 10).ids


def test_vectors_by_id(store, vecs):
    load(store, vecs)
    got = store.vectors("result", [2, 5, 999])
    assert sorted(got) == [2, 5]
    for i, v in got.items():
        assert v.dtype == np.float32
        np.testing.assert_allclose(v, vecs[i], atol=1e-6)


def test_kinds_are_separate(store, vecs):
    load(store, vecs, [1, 2])
    load(store, vecs, [3], kind="need")
    assert list(store.ids("result")) == [1, 2]
    assert list(store.ids("need")) == [3]
    assert store.stats("expert").count == 0
    assert len(store.search_dense("expert", vecs[1], 5)) == 0
    with pytest.raises(StoreError):
        store.stats("project")


def test_stats_checksum_and_drift(store, vecs, milvus_db, tmp_path):
    empty = store.stats("result")
    assert empty.count == 0 and empty.checksum == ids_checksum([])
    load(store, vecs)
    s = store.stats("result")
    assert s.count == 6 and s.checksum == ids_checksum(DOCS)
    # another store holding the same postings reports the same figures; one deletion apart, not
    other = make_store("embedded", milvus_db, tmp_path / "other")
    load(other, vecs)
    assert other.stats("result").checksum == s.checksum
    other.delete("result", [3])
    drifted = other.stats("result")
    assert (drifted.count, drifted.checksum) == (5, ids_checksum([1, 2, 4, 5, 6]))
    assert set(store.ids("result")) - set(other.ids("result")) == {3}


def test_a_bad_batch_is_refused(store, vecs):
    with pytest.raises(StoreError):
        store.upsert("result", [1, 2], vecs[1][None, :], [["a"], ["b"]], [DocMeta("published")] * 2)
    with pytest.raises(StoreError):
        store.upsert(
            "result", [1, 1], np.vstack([vecs[1], vecs[2]]), [["a"], ["b"]], [DocMeta("published")] * 2
        )
    assert store.stats("result").count == 0


def test_documents_copy_to_another_store_without_loss(store, vecs, milvus_db, tmp_path):
    """What `index migrate` does: every vector, token list and metadata, both directions."""
    load(store, vecs)
    for target_name in ("embedded", "milvus-tokens"):
        target = make_store(target_name, milvus_db, tmp_path / target_name)
        docs = store.documents("result", store.ids("result"))
        target.upsert(
            "result",
            [d.id for d in docs],
            np.vstack([d.vector for d in docs]),
            [d.tokens for d in docs],
            [d.meta for d in docs],
        )
        assert figures(target.stats("result")) == figures(store.stats("result"))
        for a, b in zip(docs, target.documents("result", target.ids("result"))):
            assert (a.id, a.tokens, a.meta) == (b.id, b.tokens, b.meta)
            np.testing.assert_allclose(a.vector, b.vector, atol=1e-6)
        q = vecs[2]
        assert list(target.search_dense("result", q, 6).ids) == list(store.search_dense("result", q, 6).ids)


def test_a_store_reopens_with_its_content(store, vecs, milvus_db, tmp_path):
    load(store, vecs)
    if store.url.startswith("embedded"):
        again = open_store("embedded", index_dir=store.directory)
    else:
        again = open_store(store.url, prefix=store.prefix)
    assert figures(again.stats("result")) == figures(store.stats("result"))
    assert list(again.search_sparse("result", ["机床"], 10).ids) == [4, 1, 5]
    assert again.search_dense("result", vecs[6], 1, Filters.make(status=["archived"])).ids[0] == 6


def test_open_store_errors_are_clear():
    with pytest.raises(StoreError, match="MATCHMAKER_VECTOR_STORE"):
        open_store("faiss://somewhere")
    with pytest.raises(StoreUnavailable, match="无法连接 Milvus"):
        open_store("milvus://127.0.0.1:9", timeout=1)
