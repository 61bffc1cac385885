"""The vector cache returns exactly what the model computes, and the model runs once per text."""

from __future__ import annotations

import numpy as np

from matchmaker.matching import embeddings


def test_cached_vectors_equal_fresh_ones_and_skip_the_model(monkeypatch):
    texts = ["数控机床主轴热误差补偿", "低糖速冻水饺面皮配方", "数控机床主轴热误差补偿"]
    embeddings.VECTORS.clear()
    model = embeddings.get_model()
    calls = []
    real_encode = model.encode

    def counting_encode(sentences, **kwargs):
        calls.append(list(sentences))
        return real_encode(sentences, **kwargs)

    monkeypatch.setattr(model, "encode", counting_encode)
    first = embeddings.embed(texts)
    again = embeddings.embed(texts[:2])
    query = embeddings.embed(texts[:1], query=True)  # another prompt: another vector
    assert calls == [texts, texts[:1]]
    np.testing.assert_array_equal(first[:2], again)
    np.testing.assert_array_equal(first[0], first[2])
    assert not np.array_equal(query[0], first[0])
    again[0, 0] = 42.0  # callers get their own copy
    np.testing.assert_array_equal(embeddings.embed(texts[:1])[0], first[0])

    embeddings.VECTORS.enabled = False
    try:
        fresh = embeddings.embed(texts[:2])
    finally:
        embeddings.VECTORS.enabled = True
    assert len(calls) == 3
    np.testing.assert_allclose(fresh, first[:2], rtol=0, atol=1e-6)
