"""Explanations a broker can check: the highlighted sentence and the weighted terms."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.matching import ranker
from matchmaker.matching.explain import best_sentence, sentence_scores, sentences, weighted_terms
from matchmaker.text import tokenize


def test_sentences_split_on_chinese_and_latin_marks():
    assert sentences("第一句。第二句！Third? 第四句；\n第五句") == [
        "第一句。",
        "第二句！",
        "Third?",
        "第四句；",
        "第五句",
    ]


def test_best_sentence_is_the_best_scoring_one():
    idf = {"热误差": 3.0, "补偿": 2.5, "机床": 1.0, "的": 0.1}.get
    text = "本团队长期从事机床研究。建立主轴热误差模型并实时补偿。成果已在多家企业应用。"
    q = tokenize("机床热误差补偿")
    scored = sentence_scores(q, text, lambda t: idf(t, 1.0), tokenize)
    sent, score = best_sentence(q, text, lambda t: idf(t, 1.0), tokenize)
    assert score == max(s for _, s in scored) > 0
    assert sent == "建立主轴热误差模型并实时补偿。"
    assert best_sentence(tokenize("小麦赤霉病"), text, lambda t: 1.0, tokenize) == ("", 0.0)


def test_weighted_terms_put_the_most_telling_first():
    out = weighted_terms(["机床", "热误差"], {"机床": 0.5, "热误差": 2.0}.get)
    assert [t["term"] for t in out] == ["热误差", "机床"] and out[0]["weight"] == 2.0


def test_ranked_explanations_highlight_the_best_sentence(app, corpus):
    need = corpus["need"]
    items = ranker.rank_results_for_need(db.session, need, 3)
    engine = ranker._engine(None)
    idf = engine.index("result").idf
    q = tokenize(need.text)
    for it in items:
        scored = sentence_scores(q, it.item.description, idf, tokenize)
        best = max((s for _, s in scored), default=0.0)
        if best > 0:
            assert it.explanation.best_sentence in [s for s, v in scored if v == best]
        else:
            assert it.explanation.best_sentence == ""
        weights = [t["weight"] for t in it.explanation.term_weights]
        assert weights == sorted(weights, reverse=True)
        assert {t["term"] for t in it.explanation.term_weights} == set(it.explanation.shared_terms)
    assert items[0].explanation.best_sentence  # the thermal result shares telling terms
