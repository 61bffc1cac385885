"""Hybrid ranker: the one entry point web, API and CLI use (混合排序).

INTERIM: this file fixes the interface other features build on. Its body is a plain
character-bigram overlap ranker, to be replaced by the dense + BM25 + structured-signal
ranker of the matching engine. Keep the signatures and dataclasses stable.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.postings.models import Expert, Need, Result

Kind = Literal["result", "need", "expert"]


@dataclass
class Signal:
    """One structured signal's part in a score, e.g. 同领域 +0.05."""
    name: str          # field, region, maturity, budget, deadline, ...
    label: str         # Chinese, for the UI
    value: float       # the raw signal (0..1)
    contribution: float  # what it added to the score


@dataclass
class Explanation:
    shared_terms: list[str] = field(default_factory=list)   # key terms both sides use
    semantic_similarity: float = 0.0                          # cosine of the embeddings
    signals: list[Signal] = field(default_factory=list)
    summary: str = ""                                         # one Chinese sentence

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RankedItem:
    kind: Kind
    id: int
    score: float
    components: dict[str, float]   # e.g. {"dense": .., "bm25": .., "field": ..}
    explanation: Explanation
    item: object = None            # the ORM object


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if not ch.isspace())
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _rank(query_text: str, candidates, kind: Kind, top: int) -> list[RankedItem]:
    q = _bigrams(query_text)
    scored = []
    for obj in candidates:
        grams = _bigrams(obj.text)
        overlap = len(q & grams) / (len(q) ** 0.5 * len(grams) ** 0.5 or 1)
        scored.append((overlap, obj))
    scored.sort(key=lambda t: (-t[0], t[1].id))
    return [RankedItem(kind, obj.id, s, {"lexical": s}, Explanation(summary="字面相似"), obj)
            for s, obj in scored[:top] if s > 0]


def rank_results_for_need(session: Session, need: Need, top: int = 10) -> list[RankedItem]:
    """need → results, excluding archived/draft results and the need's own organisation."""
    rows = session.scalars(select(Result).where(Result.status == "published",
                                                Result.organization_id != need.organization_id)).all()
    return _rank(need.text, rows, "result", top)


def rank_needs_for_result(session: Session, result: Result, top: int = 10) -> list[RankedItem]:
    rows = session.scalars(select(Need).where(Need.status == "open",
                                              Need.organization_id != result.organization_id)).all()
    return _rank(result.text, rows, "need", top)


def rank_experts_for_need(session: Session, need: Need, top: int = 10) -> list[RankedItem]:
    rows = session.scalars(select(Expert).where(Expert.status == "published",
                                                Expert.organization_id != need.organization_id)).all()
    return _rank(need.text, rows, "expert", top)


def search(session: Session, query: str, kind: Kind = "result", top: int = 10) -> list[RankedItem]:
    model = {"result": Result, "need": Need, "expert": Expert}[kind]
    status = {"result": "published", "need": "open", "expert": "published"}[kind]
    rows = session.scalars(select(model).where(model.status == status)).all()
    return _rank(query, rows, kind, top)
