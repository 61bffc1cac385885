"""Base snapshot + delta segments: edits write bytes in proportion to the change, other
processes catch up from the segments, compaction swaps in a new base and retrains IVF."""

from __future__ import annotations

import numpy as np

from matchmaker.matching import engine as engine_mod
from matchmaker.matching.engine import Engine
from matchmaker.matching.index import PostingIndex


def _vectors(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _add(engine: Engine, ids: list[int], seed: int) -> int:
    """Apply synthetic postings in memory and persist them as the writer does."""
    idx = engine.index("result")
    idx.upsert(
        ids, _vectors(len(ids), idx.dim, seed), [f"h{i}" for i in ids], [["光伏", f"词{i}"] for i in ids]
    )
    return engine.append("result", ids, [])


def _other_process(engine: Engine) -> Engine:
    return Engine(engine.index_dir, engine.model_path, engine.ann_threshold)


def test_an_edit_writes_a_small_segment_and_readers_catch_up_without_reloading(app, engine, monkeypatch):
    _add(engine, list(range(1, 301)), seed=1)  # the first write is the base
    base = engine.path("result")
    base_bytes = base.stat().st_size
    reader = _other_process(engine)
    seen = reader.index("result")
    assert len(seen) == 300

    loads = []
    original = PostingIndex.load
    monkeypatch.setattr(
        PostingIndex, "load", classmethod(lambda cls, *a, **k: loads.append(a) or original(*a, **k))
    )
    written = _add(engine, [301], seed=2)
    assert written < base_bytes / 50, (written, base_bytes)
    assert base.stat().st_size == base_bytes  # the base was not rewritten
    engine.index("result").remove([5])
    engine.append("result", [], [5])

    caught = reader.index("result")
    assert caught is seen and loads == [], "caught up from segments, no reload of the base"
    assert 301 in caught.hashes and 5 not in caught.hashes and len(caught) == 300
    np.testing.assert_allclose(caught.vector(301), engine.index("result").vector(301))
    ids, scores = caught.bm25_scores(["词301"])
    assert ids[np.argmax(scores)] == 301


def test_compaction_folds_segments_into_a_new_base(app, engine, monkeypatch):
    monkeypatch.setattr(engine_mod, "COMPACT_SEGMENTS", 3)
    _add(engine, list(range(1, 51)), seed=1)
    reader = _other_process(engine)
    assert len(reader.index("result")) == 50
    for n in range(4):  # the third segment triggers compaction
        _add(engine, [100 + n], seed=10 + n)
    seg_dir = engine.index("result").segment_dir(engine.index_dir)
    assert len(list(seg_dir.glob("*.npz"))) == 1, "folded segments are deleted"
    manifest = PostingIndex.base_manifest(engine.path("result"))
    assert manifest["count"] == 53 and manifest["segment"] == 3
    # The reader applied none of them: the segments it lacks are gone, so it reloads the base.
    caught = reader.index("result")
    assert len(caught) == 54 and all(100 + n in caught.hashes for n in range(4))
    assert _other_process(engine).index("result").hashes == engine.index("result").hashes


def test_compaction_retrains_ivf_when_the_corpus_has_doubled(app, engine):
    small = Engine(engine.index_dir, engine.model_path, ann_threshold=100)
    _add(small, list(range(1, 131)), seed=1)
    idx = small.index("result")
    assert idx.index_type == "ivf" and idx.trained_size == 130
    _add(small, list(range(131, 201)), seed=2)
    assert not small.index("result").needs_retrain()
    _add(small, list(range(201, 271)), seed=3)
    assert small.index("result").needs_retrain()
    small.save("result")
    assert small.index("result").trained_size == 270
    assert PostingIndex.base_manifest(small.path("result"))["trained_size"] == 270
    ids, _ = small.index("result").dense_search(small.index("result").vector(250), 1)
    assert ids[0] == 250
