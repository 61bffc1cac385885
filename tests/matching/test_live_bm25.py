"""The in-place BM25 scores exactly as bm25s does on the same corpus, after edits too."""

from __future__ import annotations

import bm25s
import numpy as np

from matchmaker.matching.index import PostingIndex

DOCS = {
    3: ["数控", "机床", "热误差", "补偿", "机床"],
    7: ["光伏", "组件", "清洗", "机器人"],
    9: ["小麦", "赤霉病", "抗性"],
    12: ["机床", "主轴", "热变形"],
    20: [],
    25: ["光伏", "逆变器", "光伏", "并网"],
}


def _bm25s(docs: dict[int, list[str]], query: list[str]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array(sorted(docs), dtype=np.int64)
    vocab: dict[str, int] = {"": 0}
    corpus = [[vocab.setdefault(t, len(vocab)) for t in docs[int(i)]] or [0] for i in ids]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)
    terms = [t for t in query if t in vocab and t]
    if not terms:
        return ids, np.zeros(len(ids), np.float32)
    return ids, np.asarray(retriever.get_scores(terms), dtype=np.float32)


def _index(docs) -> PostingIndex:
    idx = PostingIndex("result", "test", 4)
    ids = sorted(docs)
    vecs = np.eye(4, dtype=np.float32)[np.arange(len(ids)) % 4]
    idx.upsert(ids, vecs, [str(i) for i in ids], [docs[i] for i in ids])
    return idx


def test_same_scores_as_bm25s_before_and_after_edits():
    docs = dict(DOCS)
    idx = _index(docs)
    for query in (["机床", "热误差"], ["光伏"], ["光伏", "光伏", "机器人"], ["没有的词"]):
        ids, scores = idx.bm25_scores(query)
        want_ids, want = _bm25s(docs, query)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-6)
    # edit one, add one, remove one: statistics follow without a rebuild
    live = idx._bm25
    docs[7] = ["光伏", "清洗", "无人机"]
    docs[30] = ["机床", "导轨", "热误差"]
    del docs[9]
    idx.upsert([7, 30], np.eye(4, dtype=np.float32)[:2], ["x", "y"], [docs[7], docs[30]])
    idx.remove([9])
    assert idx._bm25 is live, "updated in place"
    for query in (["机床", "热误差"], ["光伏", "无人机"], ["小麦"]):
        ids, scores = idx.bm25_scores(query)
        want_ids, want = _bm25s(docs, query)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_allclose(scores, want, rtol=1e-5, atol=1e-6)
    assert idx.idf("小麦") > idx.idf("机床")
