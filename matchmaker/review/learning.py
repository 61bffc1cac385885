"""Learning from broker decisions (从经纪人决策中学习): feedback metrics and fusion weights.

Broker decisions on ranker proposals are labels: accepted = relevant, rejected = not.
`evaluate_feedback` scores the current ranking against them; `learn` fits a logistic
regression over the score components and keeps it only if it beats the current scores
on held-out decisions. `current_weights` is what the ranker (and proposals) consult.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.errors import DomainError
from matchmaker.review.models import LearnedWeights, Match

MIN_DECISIONS = 10
TEST_SHARE = 0.3


def labelled(session: Session) -> list[Match]:
    """Decided ranker proposals (manual additions have no ranker scores to learn from)."""
    return list(
        session.scalars(
            select(Match)
            .where(
                Match.decision.in_(("accept", "reject")),
                Match.source == "ranker",
                Match.result_id.is_not(None),
            )
            .order_by(Match.id)
        ).all()
    )


def current_weights(session: Session) -> dict | None:
    """The active learned fusion weights ({component: weight, "_intercept": b}), or None."""
    row = session.scalar(
        select(LearnedWeights)
        .where(LearnedWeights.active.is_(True))
        .order_by(LearnedWeights.version.desc())
        .limit(1)
    )
    if row is None:
        return None
    return {**row.weights, "_intercept": row.intercept}


def fused_score(components: dict, weights: dict) -> float:
    """A learned linear fusion of score components (logistic regression's logit)."""
    return float(weights.get("_intercept", 0.0)) + sum(
        float(w) * float(components.get(name, 0.0)) for name, w in weights.items() if name != "_intercept"
    )


def _current_score(match: Match, weights: dict | None) -> float:
    if weights:
        return fused_score(match.components or {}, weights)
    return float(match.score or 0.0)


def auc(labels: list[int], scores: list[float]) -> float | None:
    """ROC AUC: the chance an accepted match scores above a rejected one (ties count half)."""
    pos = [s for y, s in zip(labels, scores) if y]
    neg = [s for y, s in zip(labels, scores) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _ndcg(ranked_labels: list[int], k: int = 10) -> float | None:
    gains = ranked_labels[:k]
    ideal = sorted(ranked_labels, reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    if idcg == 0:
        return None
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains)) / idcg


def evaluate_feedback(session: Session) -> dict:
    """Ranking quality against broker decisions (经纪人反馈评估).

    auc: accepted vs rejected by score; precision: share of reviewed proposals accepted;
    ndcg@10: accepted matches' positions among each need's decided proposals;
    misses: manual additions (pairs the ranker did not propose).
    """
    weights = current_weights(session)
    rows = labelled(session)
    labels = [int(m.decision == "accept") for m in rows]
    scores = [_current_score(m, weights) for m in rows]
    # nDCG@10: where each need's accepted results sit among all of its ranker proposals
    # (undecided and rejected ones count as misses), ordered by the current scoring.
    decided_needs = {m.need_id for m in rows}
    by_need = defaultdict(list)
    for m in session.scalars(
        select(Match).where(
            Match.need_id.in_(decided_needs), Match.source == "ranker", Match.result_id.is_not(None)
        )
    ):
        by_need[m.need_id].append((_current_score(m, weights), int(m.decision == "accept")))
    ndcgs = [
        v
        for v in (_ndcg([y for _, y in sorted(items, key=lambda t: -t[0])]) for items in by_need.values())
        if v is not None
    ]
    manual = session.scalar(select(func.count(Match.id)).where(Match.source == "manual")) or 0
    pending = (
        session.scalar(select(func.count(Match.id)).where(Match.source == "ranker", Match.decision.is_(None)))
        or 0
    )
    accepted = sum(labels)
    return {
        "decisions": len(rows),
        "accepted": accepted,
        "rejected": len(rows) - accepted,
        "pending": pending,
        "manual_additions": manual,
        "precision": accepted / len(rows) if rows else None,
        "auc": auc(labels, scores),
        "ndcg@10": sum(ndcgs) / len(ndcgs) if ndcgs else None,
        "needs": len(by_need),
        "weights_version": _active_version(session),
    }


def _active_version(session: Session) -> int | None:
    return session.scalar(
        select(LearnedWeights.version)
        .where(LearnedWeights.active.is_(True))
        .order_by(LearnedWeights.version.desc())
        .limit(1)
    )


@dataclass
class LearnOutcome:
    version: int
    auc_current: float | None
    auc_learned: float | None
    adopted: bool
    weights: dict
    n_train: int
    n_test: int


def learn(session: Session, seed: int = 0) -> LearnOutcome:
    """Fit fusion weights on decisions, compare on held-out decisions, save a new version.

    The version becomes active only when its held-out AUC beats the current scoring's.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    rows = labelled(session)
    labels = [int(m.decision == "accept") for m in rows]
    if len(rows) < MIN_DECISIONS or len(set(labels)) < 2 or min(labels.count(0), labels.count(1)) < 2:
        raise DomainError(
            f"决策样本不足：需要至少 {MIN_DECISIONS} 条审核记录，且通过与不通过各至少 2 条"
            f"（当前 {labels.count(1)} 通过 / {labels.count(0)} 不通过）"
        )
    names = sorted({k for m in rows for k in (m.components or {})})
    if not names:
        raise DomainError("推荐记录没有分项得分，无法学习权重")
    X = [[float((m.components or {}).get(n, 0.0)) for n in names] for m in rows]
    idx = list(range(len(rows)))
    train, test = train_test_split(idx, test_size=TEST_SHARE, random_state=seed, stratify=labels)
    if len({labels[i] for i in test}) < 2:
        raise DomainError("留出集中通过与不通过须各至少 1 条")
    model = LogisticRegression(max_iter=1000)
    model.fit([X[i] for i in train], [labels[i] for i in train])
    weights_now = current_weights(session)
    test_labels = [labels[i] for i in test]
    auc_current = auc(test_labels, [_current_score(rows[i], weights_now) for i in test])
    auc_learned = auc(test_labels, list(model.decision_function([X[i] for i in test])))
    adopted = auc_learned is not None and (auc_current is None or auc_learned > auc_current + 1e-9)
    version = (session.scalar(select(func.max(LearnedWeights.version))) or 0) + 1
    weights = {n: float(w) for n, w in zip(names, model.coef_[0])}
    if adopted:
        for row in session.scalars(select(LearnedWeights).where(LearnedWeights.active.is_(True))):
            row.active = False
    session.add(
        LearnedWeights(
            version=version,
            weights=weights,
            intercept=float(model.intercept_[0]),
            auc_current=auc_current,
            auc_learned=auc_learned,
            n_train=len(train),
            n_test=len(test),
            active=adopted,
        )
    )
    session.flush()
    return LearnOutcome(version, auc_current, auc_learned, adopted, weights, len(train), len(test))
