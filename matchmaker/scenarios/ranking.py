"""Results for a scenario (场景找成果) through the hybrid ranker's generic core."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.matching import ranker
from matchmaker.matching.ranker import WEIGHTS, RankedItem, Weights
from matchmaker.scenarios.models import Scenario


def rank_results_for_scenario(
    session: Session,
    scenario: Scenario,
    top: int = 10,
    *,
    engine=None,
    mode: str = "hybrid",
    weights: Weights = WEIGHTS,
) -> list[RankedItem]:
    """Published results of other organisations, ranked for the scenario's text as a query."""
    return ranker._rank(
        session,
        "result",
        query_text=scenario.text,
        query_vec=None,  # scenarios are not indexed: embedded per request as an e5 query
        source=scenario,
        top=top,
        engine=engine,
        exclude_org=scenario.organization_id,
        mode=mode,
        weights=weights,
    )


def item_dict(it: RankedItem) -> dict:
    r = it.item
    return {
        "id": r.external_id,
        "internal_id": r.id,
        "title": r.title,
        "field": r.field.name,
        "organization": r.organization.name,
        "region": r.region,
        "trl": r.trl,
        "score": it.score,
        "components": it.components,
        "explanation": it.explanation.to_dict(),
        "url": f"/results/{r.id}",
    }
