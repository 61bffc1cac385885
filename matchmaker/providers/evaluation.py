"""Offline evaluation of the transfer-chain rankings (评测): result → provider and
scenario → result, on the labelled set in seed_data/eval/chain/ (rules of
shared/docs/posting-format.md: grade 2 directly serves, 1 partial or alternative).

Loads the seed fields, results, providers and scenarios into a throw-away database and index
directory, then ranks with the hybrid ranker and, on the same indexes, BM25 only and dense only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from matchmaker.config import PROJECT_ROOT
from matchmaker.matching.evaluation import CUTOFF, MODES, load_qrels, metrics

SEED = PROJECT_ROOT / "seed_data"
LABELS = SEED / "eval" / "chain"


def evaluate(seed_dir: Path = SEED, labels_dir: Path = LABELS, *, model: str | None = None) -> dict:
    """{"result→provider": {mode: metrics}, "scenario→result": {mode: metrics}}."""
    from sqlalchemy import select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.matching.engine import get_engine
    from matchmaker.postings.importer import import_postings
    from matchmaker.postings.models import Result
    from matchmaker.postings.seed import seed_fields
    from matchmaker.providers.ranking import rank_providers_for_result
    from matchmaker.providers.seed import seed as seed_providers
    from matchmaker.scenarios.models import Scenario
    from matchmaker.scenarios.ranking import rank_results_for_scenario
    from matchmaker.scenarios.seed import seed as seed_scenarios

    provider_qrels = load_qrels(Path(labels_dir) / "provider_qrels.tsv")
    scenario_qrels = load_qrels(Path(labels_dir) / "scenario_qrels.tsv")
    with tempfile.TemporaryDirectory(prefix="mm-chain-eval-") as tmp:
        tmp = Path(tmp)
        app = create_app(
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
        with app.app_context():
            db.create_all()
            seed_fields(db.session, Path(seed_dir) / "fields.json")
            with (Path(seed_dir) / "postings.jsonl").open(encoding="utf-8") as fh:
                import_postings(db.session, (line for line in fh if '"kind": "result"' in line))
            seed_providers(db.session, seed_dir)
            seed_scenarios(db.session, seed_dir)
            db.session.commit()
            engine = get_engine(app)
            for kind in ("result", "provider"):
                engine.sync(db.session, kind)
            results = {r.external_id: r for r in db.session.scalars(select(Result))}
            scenarios = {s.external_id: s for s in db.session.scalars(select(Scenario))}
            out: dict[str, dict] = {"result→provider": {}, "scenario→result": {}}
            for mode in MODES:
                rankings = {
                    q: [
                        it.item.external_id
                        for it in rank_providers_for_result(
                            db.session, results[q], CUTOFF, engine=engine, mode=mode
                        )
                    ]
                    for q in provider_qrels
                }
                out["result→provider"][mode] = metrics(rankings, provider_qrels)
                rankings = {
                    q: [
                        it.item.external_id
                        for it in rank_results_for_scenario(
                            db.session, scenarios[q], CUTOFF, engine=engine, mode=mode
                        )
                    ]
                    for q in scenario_qrels
                }
                out["scenario→result"][mode] = metrics(rankings, scenario_qrels)
            db.session.remove()
            db.engine.dispose()
        return out


def format_table(report: dict) -> str:
    lines = ["| task | ranker | nDCG@10 | recall@10 | MRR@10 | queries |", "|---|---|---|---|---|---|"]
    for task, modes in report.items():
        for mode, m in modes.items():
            lines.append(
                f"| {task} | {mode} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['mrr@10']:.4f} | {m['needs']} |"
            )
    return "\n".join(lines)
