"""Presentation helpers shared by the web pages and the API (匹配结果展示).

No request context needed: callers pass the session and the asking user's organisation.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.matching import ranker
from matchmaker.postings.models import Expert, Need, Result
from matchmaker.security import is_db_id
from matchmaker.text.pipeline import normalize, synonyms

KIND_LABEL = {
    "result": "科技成果",
    "need": "技术需求",
    "expert": "专家人才",
    "provider": "科技服务机构",
    "scenario": "应用场景",
}
MODEL_OF = {"result": Result, "need": Need, "expert": Expert}
# One list length for search (检索) on the page and in the API.
SEARCH_TOP = 20


def get_posting(session: Session, kind: str, ident: str | int):
    """A posting by internal id (digits) or external id (e.g. TR00012)."""
    model = MODEL_OF[kind]
    ident = str(ident).strip()
    obj = None
    if is_db_id(ident):
        obj = session.get(model, int(ident))
    if obj is None and len(ident) <= 64:
        obj = session.scalar(select(model).where(model.external_id == ident))
    return obj


def matches_for(session: Session, posting, top: int = 5) -> dict[str, list[ranker.RankedItem]]:
    """What a posting's detail page shows: a need's results and experts, a result's needs."""
    if isinstance(posting, Need):
        return {
            "result": ranker.rank_results_for_need(session, posting, top),
            "expert": ranker.rank_experts_for_need(session, posting, top),
        }
    if isinstance(posting, Result):
        return {"need": ranker.rank_needs_for_result(session, posting, top)}
    return {}


def _variants(term: str) -> set[str]:
    """A canonical term and every surface form that maps to it (AGV ↔ 自动导引车)."""
    forms = {term}
    forms |= {v for v, c in synonyms().items() if c == term}
    return {f for f in forms if f}


def highlight(text: str, terms: list[str]) -> Markup:
    """Escape `text` and wrap the shared terms in <mark>, matching on the normalised text
    so 機床/机床 and ＡＧＶ/agv are found too."""
    text = text or ""
    norm = normalize(text)
    if len(norm) != len(text):  # rare length-changing conversion: match the raw text only
        norm = text
    forms = sorted({f for t in terms for f in _variants(t)}, key=len, reverse=True)
    if not forms:
        return Markup(escape(text))
    spans = [m.span() for m in re.finditer("|".join(re.escape(f) for f in forms), norm)]
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def title_of(obj) -> str:
    return obj.name if isinstance(obj, Expert) else obj.title


def item_to_dict(it: ranker.RankedItem) -> dict:
    """JSON shape of one match (no contact details: those are released through brokers)."""
    obj = it.item
    data = {
        "kind": it.kind,
        "id": it.id,
        "external_id": obj.external_id,
        "title": title_of(obj),
        "field": obj.field.name if obj.field else None,
        "organization": obj.organization.name if obj.organization else None,
        "region": obj.region,
        "status": obj.status,
        "score": it.score,
        "relevance": it.relevance,  # calibrated 相关度 0–100 (None when the model has no calibration)
        "relevance_label": it.label,
        "components": it.components,
        "explanation": it.explanation.to_dict(),
    }
    if isinstance(obj, Result):
        data.update(maturity=obj.maturity, price_wan=obj.price_wan)
    elif isinstance(obj, Need):
        data.update(budget_wan=obj.budget_wan, deadline=obj.deadline.isoformat() if obj.deadline else None)
    else:
        data.update(academic_title=obj.title, research_areas=obj.research_areas)
    return data
