"""Offline evaluation of the ranker on a labelled set (评测).

Imports needs and results into a fresh temporary database and index directory, ranks
results for every need with the production ranker (hybrid) and, on the same index and
tokens, with BM25 only and dense only. Metrics follow shared/docs/posting-format.md; the
hybrid also reports `ece`, the expected calibration error of the displayed 相关度 over
each need's top 10 (10 bins, relevant = grade ≥ 1).

Every fitted constant is reported under k-fold cross-validation over needs
(`cross_validate`): fit on the other folds, score the held-out fold, mean ± spread.
`fit_and_save` fits the shipped constants on all judged needs; those are never reported
as a result.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MODES = ("hybrid", "bm25", "dense")
CUTOFF = 10
FOLDS = 5
SEED = 0


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"qrels 第 {n} 行应为 need_id<TAB>result_id<TAB>grade")
        qrels.setdefault(parts[0].strip(), {})[parts[1].strip()] = int(parts[2])
    return qrels


def metrics(rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int = CUTOFF) -> dict:
    """nDCG@k (gain 2^grade−1), recall@k (grade ≥ 1), MRR@k, averaged over needs with a judged result."""
    ndcg, recall, mrr = [], [], []
    for need_id, judged in qrels.items():
        relevant = {r for r, g in judged.items() if g >= 1}
        if not relevant:
            continue
        ranked = rankings.get(need_id, [])[:k]
        dcg = sum((2 ** judged.get(r, 0) - 1) / math.log2(i + 2) for i, r in enumerate(ranked))
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg.append(dcg / idcg if idcg else 0.0)
        recall.append(len(relevant & set(ranked)) / len(relevant))
        mrr.append(next((1 / (i + 1) for i, r in enumerate(ranked) if r in relevant), 0.0))
    n = len(ndcg) or 1
    return {
        f"ndcg@{k}": round(sum(ndcg) / n, 4),
        f"recall@{k}": round(sum(recall) / n, 4),
        f"mrr@{k}": round(sum(mrr) / n, 4),
        "needs": len(ndcg),
    }


def calibration_pairs(
    shown: dict[str, list[tuple[str, float | None]]], qrels: dict[str, dict[str, int]]
) -> tuple[list[float], list[int]]:
    """(displayed probability, relevant) over each judged need's top 10; a need's unjudged
    results count as not relevant."""
    probs, rel = [], []
    for need_id, items in shown.items():
        judged = qrels.get(need_id)
        if judged is None:
            continue
        for rid, p in items[:CUTOFF]:
            if p is not None:
                probs.append(p)
                rel.append(1 if judged.get(rid, 0) >= 1 else 0)
    return probs, rel


@dataclass
class NeedFeatures:
    """Everything the fusion reads for one need over every result of the set."""

    need_id: str
    result_ids: list[str]
    dense: np.ndarray
    bm25: np.ndarray
    field_rel: np.ndarray  # 1 same field, 0.5 related, 0
    tiebreak: np.ndarray  # region/maturity/budget/deadline contributions (cosine units)


@dataclass
class Collected:
    model: str
    qrels: dict[str, dict[str, int]]
    features: list[NeedFeatures]
    production: dict = field(default_factory=dict)  # {mode: metrics} of the production ranker
    shown: dict = field(default_factory=dict)  # need → [(result, displayed probability)]


def _app(tmp: Path, model: str | None):
    from matchmaker import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'eval.db'}",
            "SECRET_KEY": "evaluation",
            "INSTANCE_PATH": tmp / "instance",
            "INDEX_DIR": tmp / "indexes",
            "EMBEDDING_MODEL": model or "",
            # a throw-away database to measure ranking: no automatic proposals on import
            "AUTO_PROPOSE": False,
        }
    )


def collect(
    needs_path: Path, results_path: Path, qrels_path: Path, *, model: str | None = None, progress=None
) -> Collected:
    """Import a labelled set into a throw-away app, run the production ranker in each mode
    and gather the per-need feature arrays cross-validation refits on."""
    from sqlalchemy import select

    from matchmaker.extensions import db
    from matchmaker.matching import ranker
    from matchmaker.matching.engine import get_engine
    from matchmaker.postings.importer import import_postings
    from matchmaker.postings.models import Need, Result
    from matchmaker.text import tokenize

    qrels = load_qrels(qrels_path)
    with tempfile.TemporaryDirectory(prefix="mm-eval-") as tmp:
        app = _app(Path(tmp), model)
        with app.app_context():
            db.create_all()
            # the taxonomy a fresh install starts with, so an importer that only links to
            # existing fields finds them (related fields stay empty: no cross-field hints)
            from matchmaker.constants import DEFAULT_FIELDS
            from matchmaker.postings.models import Field

            db.session.add_all(Field(name=name, sort_order=i) for i, name in enumerate(DEFAULT_FIELDS))
            db.session.flush()
            for path in (results_path, needs_path):
                with open(path, encoding="utf-8") as fh:
                    import_postings(db.session, fh)
            db.session.commit()
            engine = get_engine(app)
            for kind in ("result", "need"):
                engine.sync(db.session, kind, progress=progress)
            needs = db.session.scalars(select(Need).order_by(Need.id)).all()
            out = Collected(model=engine.model, qrels=qrels, features=[])
            for mode in MODES:
                rankings = {}
                for need in needs:
                    items = ranker.rank_results_for_need(db.session, need, CUTOFF, engine=engine, mode=mode)
                    rankings[need.external_id] = [it.item.external_id for it in items]
                    if mode == "hybrid":
                        out.shown[need.external_id] = [
                            (it.item.external_id, None if it.relevance is None else it.relevance / 100)
                            for it in items
                        ]
                out.production[mode] = metrics(rankings, qrels)
            probs, rel = calibration_pairs(out.shown, qrels)
            out.production["hybrid"]["ece"] = _ece(probs, rel)

            r_idx, n_idx = engine.index("result"), engine.index("need")
            results = db.session.scalars(select(Result).order_by(Result.id)).all()
            ids = np.array([r.id for r in results], dtype=np.int64)
            ties = ranker.Weights()  # tie-breakers only: the field part is refitted
            for need in needs:
                vec = n_idx.vector(need.id)
                bm_ids, bm = r_idx.bm25_scores(tokenize(need.text))
                pos = np.searchsorted(bm_ids, ids)
                fr, tb = [], []
                for r in results:
                    sig = ranker.structured_signals(need, r, ties)
                    fr.append(next((s.value for s in sig if s.name == "field"), 0.0))
                    tb.append(sum(s.contribution for s in sig if s.name != "field"))
                out.features.append(
                    NeedFeatures(
                        need.external_id,
                        [r.external_id for r in results],
                        r_idx.dense_scores(vec, ids).astype(np.float64),
                        bm[pos].astype(np.float64),
                        np.array(fr),
                        np.array(tb),
                    )
                )
            db.session.remove()
            db.engine.dispose()
    return out


def _ece(probs, rel) -> float | None:
    from matchmaker.matching.calibration import reliability

    return reliability(probs, rel)["ece"] if probs else None


def evaluate(
    needs_path: Path, results_path: Path, qrels_path: Path, *, model: str | None = None, progress=None
) -> dict:
    """The production ranker on a labelled set: {mode: metrics}, hybrid with `ece`."""
    return collect(needs_path, results_path, qrels_path, model=model, progress=progress).production


# ---- cross-validation of the fitted constants ------------------------------------------
def hybrid_scores(f: NeedFeatures, fusion: dict) -> np.ndarray:
    """The production hybrid score (ranker.fuse + field signal + tie-breakers) from features."""
    from matchmaker.matching.ranker import spread

    if not fusion.get("enabled"):
        return f.dense + f.tiebreak
    top = f.bm25.max() if f.bm25.size else 0.0
    bn = f.bm25 / top if top > 0 else np.zeros_like(f.bm25)
    field_w = np.where(
        f.field_rel >= 1, fusion["field_same"], np.where(f.field_rel > 0, fusion["field_related"], 0)
    )
    return f.dense + spread(f.dense) * (fusion["lexical"] * bn + field_w) + f.tiebreak


def _relevant(f: NeedFeatures, qrels) -> np.ndarray:
    judged = qrels.get(f.need_id, {})
    return np.array([1 if judged.get(r, 0) >= 1 else 0 for r in f.result_ids])


def _top(f: NeedFeatures, scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind="stable")[:CUTOFF]


def _calibration_data(feats, fusion, qrels):
    dense, gap, rel = [], [], []
    for f in feats:
        s = hybrid_scores(f, fusion)
        top = _top(f, s)
        dense += list(f.dense[top])
        gap += list(s[top] - s[top[0]])
        rel += list(_relevant(f, qrels)[top])
    return np.array(dense), np.array(gap), np.array(rel)


def fit_constants(feats: list[NeedFeatures], qrels) -> tuple[dict, dict]:
    """Fusion weights and calibration fitted on these needs only."""
    from matchmaker.matching.calibration import fit_calibration, fit_fusion

    judged = [f for f in feats if f.need_id in qrels]
    fusion = fit_fusion([(f.dense, f.bm25, f.field_rel, _relevant(f, qrels)) for f in judged])
    calib = fit_calibration(*_calibration_data(judged, fusion, qrels))
    return fusion, calib


def _rankings(feats, scorer) -> dict[str, list[str]]:
    return {f.need_id: [f.result_ids[i] for i in _top(f, scorer(f))] for f in feats}


def cross_validate(data: Collected, folds: int = FOLDS, seed: int = SEED) -> dict:
    """k-fold CV over needs: per fold, fit fusion + calibration on the other folds and score
    the held-out fold. Returns mean and spread (std over folds) per mode, pooled ECE and
    its reliability bins, and whether the fitted fusion beat dense on held-out folds."""
    from matchmaker.matching.calibration import Fitted, reliability

    feats = [f for f in data.features if f.need_id in data.qrels]
    order = np.random.default_rng(seed).permutation(len(feats))
    parts = [p for p in np.array_split(order, folds) if len(p)]
    per_fold: dict[str, list[dict]] = {m: [] for m in (*MODES, "fused")}
    probs, rel = [], []
    for k, test in enumerate(parts):
        train = [feats[i] for j, p in enumerate(parts) if j != k for i in p]
        held = [feats[i] for i in test]
        fusion, calib = fit_constants(train, data.qrels)
        fitted = Fitted(coef=tuple(calib["coef"]), intercept=calib["intercept"])
        # "fused" always applies the fold's fit, so the switch below can be judged fairly
        forced = {**fusion, "enabled": fusion.get("lexical") is not None}
        scorers = {
            "hybrid": lambda f, fu=fusion: hybrid_scores(f, fu),
            "fused": lambda f, fu=forced: hybrid_scores(f, fu),
            "dense": lambda f: f.dense,
            "bm25": lambda f: f.bm25,
        }
        held_qrels = {f.need_id: data.qrels[f.need_id] for f in held}
        for mode, scorer in scorers.items():
            per_fold[mode].append(metrics(_rankings(held, scorer), held_qrels))
        for f in held:
            s = hybrid_scores(f, fusion)
            top = _top(f, s)
            y = _relevant(f, data.qrels)
            for i in top:
                probs.append(
                    round(100 * fitted.probability(float(f.dense[i]), float(s[i] - s[top[0]]))) / 100
                )
                rel.append(int(y[i]))
    out = {}
    for mode, rows in per_fold.items():
        out[mode] = {
            key: {
                "mean": round(float(np.mean([r[key] for r in rows])), 4),
                "std": round(float(np.std([r[key] for r in rows])), 4),
            }
            for key in ("ndcg@10", "recall@10", "mrr@10")
        }
    diag = reliability(probs, rel)
    out["hybrid"]["ece"] = diag["ece"]
    out["reliability"] = diag
    out["folds"], out["needs"], out["seed"] = len(parts), len(feats), seed
    out["fusion_helps"] = out["fused"]["ndcg@10"]["mean"] > out["dense"]["ndcg@10"]["mean"]
    return out


def fit_and_save(data: Collected, source: str, cv: dict) -> Path:
    """Fit the shipped constants on all judged needs and write fitted/<model>.json. Fusion is
    switched off when it did not beat dense alone on the held-out folds."""
    from datetime import date

    from matchmaker.matching.calibration import save

    feats = [f for f in data.features if f.need_id in data.qrels]
    fusion = fit_constants(feats, data.qrels)[0]
    if not cv["fusion_helps"]:
        fusion = {**fusion, "enabled": False}
    # calibrate the ranker that will actually run (fusion possibly switched off)
    from matchmaker.matching.calibration import fit_calibration

    calib = fit_calibration(*_calibration_data(feats, fusion, data.qrels))
    summary = {m: cv[m] for m in (*MODES, "fused")}
    return save(
        data.model,
        fusion,
        calib,
        fitted_on=source,
        date=date.today().isoformat(),
        cv=summary,
        reliability=cv["reliability"],
    )
