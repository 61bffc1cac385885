"""Hybrid ranker behaviour on a small real corpus (real model, real indexes)."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.matching import ranker
from matchmaker.text import normalize, tokenize
from tests import factories as f


def test_symptom_need_finds_method_result(app, corpus):
    items = ranker.rank_results_for_need(db.session, corpus["need"], 3)
    assert items[0].id == corpus["results"]["thermal"].id
    top = items[0]
    assert top.kind == "result" and top.item is corpus["results"]["thermal"]
    assert set(top.components) >= {"dense", "bm25", "field"}
    assert 0 < top.explanation.semantic_similarity <= 1
    assert any(s.name == "field" and s.contribution > 0 for s in top.explanation.signals)
    assert top.explanation.summary


def test_own_organisation_and_unpublished_are_filtered(app, corpus):
    ids = {it.id for it in ranker.rank_results_for_need(db.session, corpus["need"], 10)}
    assert corpus["results"]["own"].id not in ids  # the enterprise's own result
    corpus["results"]["thermal"].status = "archived"
    corpus["results"]["agv"].status = "draft"
    db.session.commit()
    ids = {it.id for it in ranker.rank_results_for_need(db.session, corpus["need"], 10)}
    assert corpus["results"]["thermal"].id not in ids and corpus["results"]["agv"].id not in ids
    # closed needs are not offered to results either
    corpus["need"].status = "closed"
    db.session.commit()
    assert ranker.rank_needs_for_result(db.session, corpus["results"]["wheat"], 10) == []


def test_field_is_soft_not_a_filter(app, corpus):
    need = f.need(
        "丘陵茶园打药飘移严重",
        "丘陵茶园地形起伏，打药时药液飘移严重，想找能贴着地形飞、稳定定高的方案。",
        field_name="现代农业",
        org=corpus["enterprise"],
    )
    db.session.commit()
    items = ranker.rank_results_for_need(db.session, need, 5)
    assert items[0].id == corpus["results"]["drone"].id  # filed under 无人机, not 现代农业


def test_traditional_and_simplified_queries_find_the_same(app, corpus):
    simp = [it.id for it in ranker.search(db.session, "机床热误差补偿", "result", 3)]
    trad = [it.id for it in ranker.search(db.session, "機床熱誤差補償", "result", 3)]
    assert simp == trad and simp[0] in {corpus["results"]["thermal"].id, corpus["results"]["own"].id}


def test_abbreviation_matches_chinese_term(app, corpus):
    items = ranker.search(db.session, "AGV 丢码", "result", 3)
    assert items[0].id == corpus["results"]["agv"].id
    assert "agv" in items[0].explanation.shared_terms  # the result only says 自动导引车
    items = ranker.search(db.session, "LiDAR 仿地飞行", "result", 3)
    assert items[0].id == corpus["results"]["drone"].id


def test_explanations_name_real_shared_terms(app, corpus):
    need = corpus["need"]
    for it in ranker.rank_results_for_need(db.session, need, 5):
        need_tokens, item_tokens = set(tokenize(need.text)), set(tokenize(it.item.text))
        for term in it.explanation.shared_terms:
            assert term in need_tokens and term in item_tokens
            assert term in normalize(need.text) or term in normalize(it.item.text) or term.isascii()
    thermal = ranker.rank_results_for_need(db.session, need, 1)[0]
    assert "机床" in thermal.explanation.shared_terms


def test_experts_for_need_and_needs_for_result(app, corpus):
    e1 = f.expert("王教授", areas=["数控机床", "热误差补偿", "精密加工"])
    f.expert("赵研究员", areas=["小麦育种", "赤霉病"], field_name="种业创新", bio="长期从事小麦抗病育种。")
    db.session.commit()
    experts = ranker.rank_experts_for_need(db.session, corpus["need"], 2)
    assert experts[0].id == e1.id and experts[0].kind == "expert"
    needs = ranker.rank_needs_for_result(db.session, corpus["results"]["thermal"], 3)
    assert needs[0].id == corpus["need"].id and needs[0].kind == "need"


def test_modes_and_empty_query(app, corpus):
    assert ranker.search(db.session, "   ", "result") == []
    for mode in ranker.MODES:
        items = ranker.rank_results_for_need(db.session, corpus["need"], 3, mode=mode)
        assert items and items[0].id == corpus["results"]["thermal"].id


def test_structured_signals():
    from datetime import date

    from matchmaker.accounts.models import Organization  # noqa: F401
    from matchmaker.postings.models import Field, Need, Result

    fa, fb = Field(id=1, name="无人机", related=["现代农业"]), Field(id=2, name="现代农业", related=[])
    need = Need(field=fa, region="郑州", budget_wan=10, deadline=date(2030, 1, 1))
    res = Result(field=fb, region="郑州", maturity="产业化", price_wan=50)
    sig = {s.name: s for s in ranker.structured_signals(need, res, today=date(2029, 12, 20))}
    assert sig["field"].label.startswith("相关领域") and sig["field"].contribution > 0
    assert sig["region"].value == 1.0
    assert sig["maturity"].value == 1.0
    assert sig["budget"].contribution < 0  # asking price far above the budget
    assert sig["deadline"].contribution > 0
