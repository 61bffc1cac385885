"""Results for a scenario (场景找成果) through the hybrid ranker's generic core."""

from __future__ import annotations

from sqlalchemy.orm import Session

from matchmaker.matching import ranker
from matchmaker.matching.ranker import WEIGHTS, RankedItem, Weights
from matchmaker.scenarios.models import Scenario


def _query_vec(session: Session, scenario: Scenario, engine=None):
    """The scenario's vector from the live index (kind `scenario`, embedded as an e5 query when
    committed); None (embedded per request) when the index does not hold its current text."""
    eng = ranker._engine(engine)
    eng.ensure_fresh(session, "scenario")
    return ranker._stored_vector(eng, "scenario", scenario)


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
        query_vec=_query_vec(session, scenario, engine),
        source=scenario,
        top=top,
        engine=engine,
        exclude_org=scenario.organization_id,
        mode=mode,
        weights=weights,
    )


def rank_enterprises_for_scenario(
    session: Session, scenario: Scenario, top: int = 5, *, engine=None, needs_per_org: int = 3
) -> list[dict]:
    """场景找企业: organisations whose open needs (征集中) fit the scenario, each with its
    best-fitting needs; ranked by their best need through the same hybrid ranker."""
    items = ranker._rank(
        session,
        "need",
        query_text=scenario.text,
        query_vec=_query_vec(session, scenario, engine),
        source=scenario,
        top=top * needs_per_org * 2,
        engine=engine,
        exclude_org=scenario.organization_id,
    )
    by_org: dict[int, dict] = {}
    for it in items:  # best first, so the first need of an organisation is its best
        entry = by_org.setdefault(
            it.item.organization_id, {"organization": it.item.organization, "score": it.score, "needs": []}
        )
        if len(entry["needs"]) < needs_per_org:
            entry["needs"].append(it)
    return list(by_org.values())[:top]


def enterprise_dict(entry: dict) -> dict:
    org = entry["organization"]
    return {
        "organization": org.name,
        "type": org.type,
        "region": org.region,
        "score": entry["score"],
        "needs": [
            {
                "id": it.item.external_id,
                "title": it.item.title,
                "score": it.score,
                "explanation": it.explanation.to_dict(),
                "url": f"/needs/{it.item.id}",
            }
            for it in entry["needs"]
        ],
    }


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
