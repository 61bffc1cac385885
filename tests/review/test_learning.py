"""Learning fusion weights from broker decisions; feedback metrics; CLI figures."""

from __future__ import annotations

import json
import random

import pytest

from matchmaker.errors import DomainError
from matchmaker.review.learning import current_weights, evaluate_feedback, learn
from matchmaker.review.models import LearnedWeights, Match
from tests import factories as f


def _decisions(db, label_from: str, n: int = 40):
    """n decided proposals; score is the `dense` component; the label follows `label_from`."""
    rng = random.Random(7)
    broker = f.user("broker")
    need = f.need()
    for i in range(n):
        dense, field = rng.random(), rng.random()
        accepted = (dense if label_from == "dense" else field) > 0.5
        db.session.add(
            Match(
                need_id=need.id,
                result_id=f.result(title=f"成果{i}").id,
                source="ranker",
                score=dense,
                components={"dense": dense, "field": field},
                decision="accept" if accepted else "reject",
                decided_by_id=broker.id,
                stage="confirmation" if accepted else "closed",
            )
        )
    db.session.commit()


def test_learned_weights_adopted_only_when_better(db):
    _decisions(db, label_from="field")
    out = learn(db.session)
    db.session.commit()
    assert out.adopted and out.auc_learned > out.auc_current
    weights = current_weights(db.session)
    assert weights["field"] > weights["dense"] and "_intercept" in weights
    # Learning again: the current scoring now is the learned one, which a refit cannot beat.
    again = learn(db.session)
    db.session.commit()
    assert not again.adopted and again.version == out.version + 1
    assert current_weights(db.session)["field"] == pytest.approx(weights["field"])


def test_learned_weights_not_used_when_not_better(db):
    _decisions(db, label_from="dense")
    out = learn(db.session)
    db.session.commit()
    assert not out.adopted and out.auc_current == 1.0
    assert current_weights(db.session) is None
    assert db.session.query(LearnedWeights).one().active is False


def test_learn_needs_enough_decisions(db):
    _decisions(db, label_from="dense", n=4)
    with pytest.raises(DomainError, match="决策样本不足"):
        learn(db.session)


def test_evaluate_feedback_reports_quality(db):
    _decisions(db, label_from="dense")
    report = evaluate_feedback(db.session)
    assert report["decisions"] == 40 and report["accepted"] + report["rejected"] == 40
    assert report["auc"] == 1.0 and report["ndcg@10"] == 1.0
    assert 0 < report["precision"] < 1


def test_learned_weights_reorder_proposals(db, deal):
    from sqlalchemy import select

    from matchmaker.review.services import propose_for_need

    # A close competitor in meaning that shares fewer exact terms with the needs.
    f.result("数控机床主轴热变形在线补偿", description="数控机床主轴温升导致的热变形在线测量与补偿。")
    plain, learned = f.need("数控机床热误差补偿"), f.need("数控机床热误差补偿方案")
    db.session.commit()  # the index follows committed postings
    propose_for_need(db.session, plain, top=1)
    # A (deliberately perverse) active version that prefers low lexical overlap.
    db.session.add(LearnedWeights(version=1, weights={"lexical": -1.0}, intercept=0.0, active=True))
    db.session.flush()
    propose_for_need(db.session, learned, top=1)
    top_plain = db.session.scalar(select(Match.result_id).where(Match.need_id == plain.id))
    top_learned = db.session.scalar(select(Match.result_id).where(Match.need_id == learned.id))
    assert top_plain == deal.result.id and top_learned != deal.result.id


def test_cli_learn_and_evaluate_print_figures(app, db):
    _decisions(db, label_from="field")
    runner = app.test_cli_runner()
    for args in (["evaluate-feedback"], ["evaluate", "--feedback"]):
        out = runner.invoke(args=args)
        assert out.exit_code == 0 and "AUC" in out.output and "nDCG@10" in out.output
    out = runner.invoke(args=["evaluate", "--feedback", "--json"])
    assert json.loads(out.output)["decisions"] > 0
    # Files come as a set of three (without any, evaluate runs the dev and test sets).
    out = runner.invoke(args=["evaluate", "--needs", __file__])
    assert out.exit_code == 2 and "--qrels" in out.output
    out = runner.invoke(args=["learn"])
    assert out.exit_code == 0, out.output
    assert "当前权重 AUC" in out.output and "学习权重 AUC" in out.output and "已启用" in out.output
