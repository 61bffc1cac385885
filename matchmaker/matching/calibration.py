"""Fitted ranking constants and the displayed relevance (相关度校准).

Two small models per embedding model, fitted offline by `flask evaluate --fit` on judged
dev pairs and shipped as `matchmaker/matching/fitted/<model>.json` (nothing is fitted at
run time):

- fusion: how much BM25 and a shared field add to the dense cosine, in units of the
  spread (σ) of the query's cosines, so the weights carry over between corpora whose
  cosines are compressed differently. Learned by a regularised logistic regression;
  `enabled` is false when it did not beat dense alone on held-out folds.
- calibration: Platt scaling from (cosine, distance to the list's best score) to
  P(relevant). The UI shows that probability as 相关度 0–100 and a label.

The file is versioned: a file of another version or model is ignored (no fusion, no
relevance) rather than misread.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

FITTED_DIR = Path(__file__).parent / "fitted"
VERSION = 1
# Display thresholds on the calibrated probability (a definition, not a tuned constant):
# 较高 = most such pairs are judged relevant, 较低 = few are.
LABELS = ((0.6, "较高"), (0.3, "中等"), (0.0, "较低"))
CALIBRATION_FEATURES = ("dense", "gap")
SIGMA_FLOOR = 1e-3  # cosines of a one-posting corpus have no spread


@dataclass(frozen=True)
class Fitted:
    """What the ranker reads from the shipped file (defaults: plain dense, no relevance)."""

    model: str = ""
    fusion_enabled: bool = False
    lexical: float = 0.0  # × σ × BM25/best BM25
    field_same: float = 0.0  # × σ
    field_related: float = 0.0  # × σ
    coef: tuple[float, ...] = ()
    intercept: float = 0.0
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def calibrated(self) -> bool:
        return len(self.coef) == len(CALIBRATION_FEATURES)

    def probability(self, dense: float, gap: float) -> float | None:
        """P(relevant) for a candidate with cosine `dense`, `gap` below the list's best score."""
        if not self.calibrated:
            return None
        z = self.intercept + self.coef[0] * dense + self.coef[1] * gap
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def path_for(model: str) -> Path:
    return FITTED_DIR / f"{Path(model).name}.json"


@lru_cache(maxsize=8)
def load(model: str) -> Fitted:
    """The fitted constants for an embedding model name (as recorded in index manifests)."""
    p = path_for(model)
    if not p.exists():
        return Fitted(model=model)
    data = json.loads(p.read_text("utf-8"))
    if data.get("version") != VERSION or data.get("model") != Path(model).name:
        return Fitted(model=model)
    fu, ca = data.get("fusion", {}), data.get("calibration", {})
    return Fitted(
        model=model,
        fusion_enabled=bool(fu.get("enabled")),
        lexical=float(fu.get("lexical", 0.0)),
        field_same=float(fu.get("field_same", 0.0)),
        field_related=float(fu.get("field_related", 0.0)),
        coef=tuple(float(c) for c in ca.get("coef", ())),
        intercept=float(ca.get("intercept", 0.0)),
        meta={k: data[k] for k in ("fitted_on", "date", "cv", "reliability") if k in data},
    )


def save(model: str, fusion: dict, calibration: dict, **meta) -> Path:
    p = path_for(model)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": VERSION,
        "model": Path(model).name,
        "fusion": fusion,
        "calibration": calibration,
        **meta,
    }
    p.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    load.cache_clear()
    return p


def label(probability: float | None) -> str:
    if probability is None:
        return ""
    return next(name for floor, name in LABELS if probability >= floor)


# ---- fitting (offline only) ----------------------------------------------------------
def fusion_features(dense: np.ndarray, bm25: np.ndarray, field_rel: np.ndarray) -> np.ndarray:
    """Per-candidate features of one query, in the units the fusion weights use:
    dense z-score, BM25 / best BM25, same field (1) / related field (0.5)."""
    sigma = max(float(dense.std()), SIGMA_FLOOR)
    top = float(bm25.max()) if bm25.size else 0.0
    bn = bm25 / top if top > 0 else np.zeros_like(bm25)
    return np.stack([(dense - dense.mean()) / sigma, bn, field_rel], 1)


def fit_fusion(queries: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], c: float = 1.0) -> dict:
    """Logistic regression over (dense z, BM25 share, field) on judged queries
    [(dense, bm25, field_rel, relevant 0/1)], expressed as bonuses in σ units."""
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([fusion_features(d, b, f) for d, b, f, _ in queries])
    y = np.concatenate([r for *_, r in queries])
    m = LogisticRegression(C=c, max_iter=2000).fit(X, y)
    wd, wb, wf = (float(v) for v in m.coef_[0])
    if wd <= 0:  # degenerate fit: no usable fusion
        return {"enabled": False, "lexical": 0.0, "field_same": 0.0, "field_related": 0.0}
    return {
        "enabled": True,
        "lexical": round(max(wb, 0.0) / wd, 4),
        "field_same": round(max(wf, 0.0) / wd, 4),
        "field_related": round(max(wf, 0.0) / wd * 0.5, 4),
    }


def fit_calibration(dense: np.ndarray, gap: np.ndarray, relevant: np.ndarray) -> dict:
    """Platt scaling over the displayed pairs (each query's top 10)."""
    from sklearn.linear_model import LogisticRegression

    X = np.stack([dense, gap], 1)
    # features live on a ~0.1 scale: a weak penalty, or it flattens the fit to the base rate
    m = LogisticRegression(C=1000.0, max_iter=5000).fit(X, relevant)
    return {
        "features": list(CALIBRATION_FEATURES),
        "coef": [round(float(v), 4) for v in m.coef_[0]],
        "intercept": round(float(m.intercept_[0]), 4),
    }


def reliability(probabilities, relevant, bins: int = 10) -> dict:
    """Expected calibration error and the reliability diagram's bins (equal width)."""
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(relevant, dtype=float)
    rows, ece = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if not sel.any():
            continue
        conf, acc = float(p[sel].mean()), float(y[sel].mean())
        ece += sel.sum() / max(len(p), 1) * abs(conf - acc)
        rows.append(
            {"lo": lo, "hi": hi, "n": int(sel.sum()), "confidence": round(conf, 4), "accuracy": round(acc, 4)}
        )
    return {"ece": round(float(ece), 4), "bins": rows, "pairs": len(p)}
