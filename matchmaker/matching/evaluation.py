"""Offline evaluation of the ranker on a labelled set (评测).

Imports needs and results into a fresh temporary database and index directory, ranks
results for every need with the production ranker (hybrid) and, on the same index and
tokens, with BM25 only and dense only. Metrics follow shared/docs/posting-format.md.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

MODES = ("hybrid", "bm25", "dense")
CUTOFF = 10


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


def evaluate(
    needs_path: Path, results_path: Path, qrels_path: Path, *, model: str | None = None, progress=None
) -> dict:
    """Run the evaluation in a throw-away app; returns {mode: metrics}."""
    from sqlalchemy import select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.matching import ranker
    from matchmaker.matching.engine import get_engine
    from matchmaker.postings.importer import import_postings
    from matchmaker.postings.models import Need

    qrels = load_qrels(qrels_path)
    with tempfile.TemporaryDirectory(prefix="mm-eval-") as tmp:
        tmp = Path(tmp)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'eval.db'}",
                "SECRET_KEY": "evaluation",
                "INSTANCE_PATH": tmp / "instance",
                "INDEX_DIR": tmp / "indexes",
                "EMBEDDING_MODEL": model or "",
            }
        )
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
            engine = _store_engine(app, engine, db.session)
            needs = db.session.scalars(select(Need).order_by(Need.id)).all()
            out = {}
            for mode in MODES:
                rankings = {}
                for need in needs:
                    items = ranker.rank_results_for_need(db.session, need, CUTOFF, engine=engine, mode=mode)
                    rankings[need.external_id] = [it.item.external_id for it in items]
                out[mode] = metrics(rankings, qrels)
            db.session.remove()
            db.engine.dispose()
        return out


def _store_engine(app, engine, session):
    """With MATCHMAKER_VECTOR_STORE set to another store (e.g. milvus-lite), copy the freshly
    built indexes into it (no re-embedding) and rank through it; else the engine itself."""
    url = app.config.get("VECTOR_STORE") or "embedded"
    if url == "embedded":
        return engine
    from matchmaker.matching.store_view import StoreEngine
    from matchmaker.store import open_store
    from matchmaker.store.cli import migrate

    source = open_store("embedded", index_dir=app.config["INDEX_DIR"])
    target = open_store(url, index_dir=app.config["INDEX_DIR"])
    migrate(source, target, session, ("result", "need"))
    return StoreEngine(engine, target)
