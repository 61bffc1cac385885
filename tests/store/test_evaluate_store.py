"""`flask evaluate` with MATCHMAKER_VECTOR_STORE=milvus-lite ranks through Milvus (the same
ranker, reading the store) and matches the embedded store's figures on a small labelled set."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchmaker.matching.evaluation import evaluate
from matchmaker.store import open_store

DATA = Path(__file__).parent.parent / "matching" / "data"


@pytest.mark.slow
def test_evaluate_through_milvus_matches_the_embedded_store(monkeypatch, tmp_path):
    args = (DATA / "needs.jsonl", DATA / "results.jsonl", DATA / "qrels.tsv")
    monkeypatch.delenv("MATCHMAKER_VECTOR_STORE", raising=False)
    embedded = evaluate(*args)
    url = f"milvus-lite://{tmp_path / 'eval.db'}"
    monkeypatch.setenv("MATCHMAKER_VECTOR_STORE", url)
    milvus = evaluate(*args)
    for mode in ("hybrid", "dense", "bm25"):
        assert milvus[mode]["needs"] == embedded[mode]["needs"] > 0
        assert abs(milvus[mode]["ndcg@10"] - embedded[mode]["ndcg@10"]) <= 0.01, (mode, milvus, embedded)
    # the Milvus run really used Milvus: its file holds the postings
    assert (tmp_path / "eval.db").is_dir()
    store = open_store(url)
    assert store.stats("result").count == sum(1 for line in open(DATA / "results.jsonl") if line.strip())
    store.close()
