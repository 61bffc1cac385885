"""Next steps for a result (下一步): providers ranked by the hybrid ranker, stage as a hard filter.

The stage range is a filter, never a preference: a provider whose levels exclude the result's
TRL is not a candidate at all (it never reaches the ranker). Field is a strong preference:
providers serving the result's field come first, others after, each group by hybrid score.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from matchmaker.matching import ranker
from matchmaker.matching.ranker import WEIGHTS, RankedItem, Signal, Weights
from matchmaker.postings.models import Result
from matchmaker.providers.models import Provider


def excluded_by_stage(session: Session, trl: int) -> set[int]:
    return set(
        session.scalars(select(Provider.id).where(or_(Provider.stage_from > trl, Provider.stage_to < trl)))
    )


def rank_providers_for_result(
    session: Session,
    result: Result,
    top: int = 10,
    *,
    engine=None,
    mode: str = "hybrid",
    weights: Weights = WEIGHTS,
    field_first: bool = True,
) -> list[RankedItem]:
    """result → providers (成果找服务机构): only those serving the result's TRL, best first."""
    if result.trl is None or top <= 0:
        return []
    eng = ranker._engine(engine)
    items = ranker._rank(
        session,
        "provider",
        query_text=result.text,
        query_vec=ranker._stored_vector(eng, "result", result),
        source=result,
        top=max(top, 50),  # few providers: rank them all, then group by field
        engine=eng,
        exclude_ids=excluded_by_stage(session, result.trl),
        mode=mode,
        weights=weights,
    )
    field_name = result.field.name if result.field else None
    for it in items:
        p = it.item
        stage = Signal(
            "stage", f"服务 TRL {p.stage_from}–{p.stage_to} 级，覆盖当前 {result.trl} 级", 1.0, 0.0
        )
        it.explanation.signals.append(stage)
        it.explanation.summary = f"{stage.label}；{it.explanation.summary}"
        if field_name in p.field_names:
            it.explanation.signals.append(Signal("field_served", f"服务领域含{field_name}", 1.0, 0.0))
    if mode == "hybrid" and field_first:
        items.sort(key=lambda it: (field_name not in it.item.field_names, -it.score, it.id))
    return items[:top]


def item_dict(it: RankedItem) -> dict:
    p = it.item
    return {
        "id": p.external_id,
        "internal_id": p.id,
        "name": p.name,
        "type": p.type,
        "field": p.field.name,
        "fields": p.field_names,
        "stage_from": p.stage_from,
        "stage_to": p.stage_to,
        "region": p.region,
        "lead_time_days": p.lead_time_days,
        "fee_min_wan": p.fee_min_wan,
        "fee_max_wan": p.fee_max_wan,
        "score": it.score,
        "components": it.components,
        "explanation": it.explanation.to_dict(),
        "url": f"/providers/{p.id}",
    }
