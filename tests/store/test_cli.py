"""`flask index migrate --to`, `index verify-store` and `index compact` on a real app:
postings committed through the ORM (the engine embeds them once), then copied to
milvus-lite and back without re-embedding."""

from __future__ import annotations

import numpy as np
import pytest

from matchmaker.extensions import db
from matchmaker.matching.engine import get_engine
from matchmaker.store import Filters, open_store
from tests import factories as f


@pytest.fixture
def postings(app):
    uni = f.organization("高校", "郑州精机大学")
    ent = f.organization("企业", "新乡精密机械有限公司")
    results = [
        f.result("数控机床主轴热误差建模与实时补偿", org=uni, keywords=["热误差", "数控机床"]),
        f.result("自动导引车二维码导航抗丢码技术", field_name="人工智能", org=uni),
        f.result("小麦抗旱品种选育", field_name="现代农业", org=uni, status="draft"),
    ]
    need = f.need("机床加工尺寸随温度漂移", org=ent)
    db.session.commit()
    get_engine(app).sync(db.session, "result")
    get_engine(app).sync(db.session, "need")
    return results, need


def test_migrate_copies_every_vector_and_verify_reports_drift(app, postings, tmp_path):
    results, need = postings
    runner = app.test_cli_runner()
    url = f"milvus-lite://{tmp_path / 'mm.db'}?prefix=cli_"
    out = runner.invoke(args=["index", "migrate", "--to", url])
    assert out.exit_code == 0, out.output
    assert "result  源 3 条 / 目标 3 条，ids 一致" in out.output

    target = open_store(url)
    engine_index = get_engine(app).index("result")
    for r in results:  # the very vectors the engine computed: nothing was re-embedded
        np.testing.assert_array_equal(target.vectors("result", [r.id])[r.id], engine_index.vector(r.id))
    assert (tmp_path / "mm.db").exists()
    # status and organisation came from the database: the draft is filtered out
    q = engine_index.vector(results[2].id)
    assert results[2].id not in target.search_dense("result", q, 5, Filters.make(status=["published"])).ids
    assert target.documents("need", [need.id])[0].meta.org_id == need.organization_id
    target.close()

    ok = runner.invoke(args=["index", "verify-store", "--store", url])
    assert ok.exit_code == 0, ok.output
    assert "偏差合计：0" in ok.output

    db.session.delete(results[1])  # the engine follows the commit, the Milvus copy does not
    db.session.commit()
    drift = runner.invoke(args=["index", "verify-store", "--store", url, "--kind", "result"])
    assert drift.exit_code == 1
    assert "多余 1" in drift.output and "偏差合计：1" in drift.output

    # and back: a fresh embedded directory rebuilt from Milvus, without loss
    back = tmp_path / "back"
    out = runner.invoke(args=["index", "migrate", "--from", url, "--to", f"embedded://{back}"])
    assert out.exit_code == 0, out.output
    restored = open_store(f"embedded://{back}")
    assert restored.stats("result").count == 3 and restored.stats("need").count == 1
    np.testing.assert_array_equal(
        restored.vectors("result", [results[0].id])[results[0].id], engine_index.vector(results[0].id)
    )

    # migrating again mirrors the source: the deleted posting leaves the target
    again = runner.invoke(args=["index", "migrate", "--to", url])
    assert again.exit_code == 0, again.output
    mirrored = runner.invoke(args=["index", "verify-store", "--store", url])
    assert mirrored.exit_code == 0, mirrored.output
    assert runner.invoke(args=["index", "compact", "--store", url]).exit_code == 0


def test_unreachable_milvus_is_a_clear_error(app):
    out = app.test_cli_runner().invoke(args=["index", "verify-store", "--store", "milvus://127.0.0.1:9"])
    assert out.exit_code != 0
    assert "无法连接 Milvus 向量库" in out.output
