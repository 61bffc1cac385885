"""The change log and the ordered post-commit pipeline (索引 → 推荐 → 通知)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from matchmaker import PIPELINE, pipeline
from matchmaker.matching.models import IndexChange, WorkerState
from matchmaker.review.models import Match
from tests import factories as f
from tests.conftest import _empty_tables, make_test_app


def _log(db):
    return [
        (c.kind, c.posting_id, c.op, c.done)
        for c in db.session.scalars(select(IndexChange).order_by(IndexChange.seq))
    ]


def test_every_change_writes_a_log_row_in_the_same_transaction(app, db):
    app.config["JOBS"] = "worker"  # keep the rows pending so we can read them
    r = f.result("锂电池极片涂布厚度在线检测")
    n = f.need("极片厚度不均")
    e = f.expert("王研究员", areas=["涂布"])
    db.session.commit()
    assert sorted(_log(db)) == sorted(
        [
            ("result", r.id, "upsert", False),
            ("need", n.id, "upsert", False),
            ("expert", e.id, "upsert", False),
        ]
    )
    r.description = "激光测厚闭环控制。"
    db.session.commit()
    rid = r.id
    db.session.delete(r)
    db.session.commit()
    assert _log(db)[-2:] == [("result", rid, "upsert", False), ("result", rid, "delete", False)]
    seqs = list(db.session.scalars(select(IndexChange.seq).order_by(IndexChange.seq)))
    assert seqs == sorted(set(seqs))


def test_rollback_leaves_no_change_row(app, db):
    f.result("氢燃料电池冷启动")
    db.session.flush()  # the row is written by the flush...
    assert db.session.scalar(select(func.count()).select_from(IndexChange)) == 1
    db.session.rollback()  # ...and goes with the rollback
    assert db.session.scalar(select(func.count()).select_from(IndexChange)) == 0


def test_drain_marks_done_and_moves_the_cursor(app, db, tmp_path):
    app.config["JOBS"] = "worker"
    f.result("数控机床主轴热误差建模")
    f.result("植保无人机仿地飞行")
    db.session.commit()
    assert pipeline.lag(db.session)["pending"] == 2
    assert pipeline.drain(app, batch_size=1) == 2
    lag = pipeline.lag(db.session)
    assert lag["pending"] == 0 and lag["lag"] == 0 and lag["cursor"] == lag["max_seq"] == 2
    assert db.session.get(WorkerState, "worker").processed == 2


def test_pipeline_order_holds_whatever_the_import_order(tmp_path):
    """A fresh interpreter importing review before matching, with the CLI list reversed."""
    code = (
        "import matchmaker.review.hooks, matchmaker.review.cli, matchmaker.matching.hooks\n"
        "import matchmaker\n"
        "matchmaker.CLI_MODULES.reverse()\n"
        "from matchmaker import create_app, pipeline\n"
        f"app = create_app({{'SECRET_KEY': 'x', 'INSTANCE_PATH': {str(tmp_path)!r},"
        f" 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db'}})\n"
        "print([f'{s.__module__}:{s.__name__}' for s in pipeline.steps(app)])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == repr(PIPELINE)


def test_new_need_gets_proposals_with_cli_modules_reversed(database_url, tmp_path, monkeypatch):
    import matchmaker

    monkeypatch.setattr(matchmaker, "CLI_MODULES", list(reversed(matchmaker.CLI_MODULES)))
    other = make_test_app(database_url, tmp_path, AUTO_PROPOSE=True)
    assert [f"{s.__module__}:{s.__name__}" for s in pipeline.steps(other)] == PIPELINE
    with other.app_context():
        from matchmaker.extensions import db

        try:
            researcher = f.user("researcher")
            result = f.result(
                "数控机床主轴热误差建模与实时补偿", keywords=["热误差"], org=researcher.organization
            )
            db.session.commit()
            need = f.need("数控机床热误差导致尺寸漂移", keywords=["热误差"])
            db.session.commit()
            pairs = select(func.count()).select_from(Match)
            assert db.session.scalar(pairs.where(Match.need_id == need.id, Match.result_id == result.id)) == 1
        finally:
            db.session.remove()
            _empty_tables()
