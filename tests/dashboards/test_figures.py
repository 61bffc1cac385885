"""Dashboard figures equal the hand-counted records of the fixture (tests/dashboards/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from matchmaker.dashboards import services as s
from matchmaker.dashboards.services import Filters
from matchmaker.errors import DomainError
from matchmaker.extensions import db
from tests.dashboards.conftest import BASE, MATERIAL


def _funnel(flt: Filters | None = None):
    flt = flt or Filters()
    return {row["step"]: row["count"] for row in s.funnel(db.session, flt)}


def test_funnel_counts_each_step(world):
    assert _funnel() == {
        "posting": 7,
        "proposed": 5,  # n1 n2 n3 n5 n7 (n2's two matches count once)
        "released": 3,  # n1 n2 n7
        "contact": 2,  # n1 n2
        "negotiation": 2,
        "signed": 1,
        "registered": 1,
    }


def test_unmet_heatmap_cells(world):
    heat = s.unmet(db.session, Filters(days=30))
    cells = {(c["field"], c["city"]): c["count"] for c in heat["cells"]}
    # n3 (100 days) and n4 (60 days); n5 too young, n6 closed, n1 n2 n7 have an accepted match.
    assert cells == {(MATERIAL, "郑州"): 1, (MATERIAL, "洛阳"): 1}
    assert heat["total"] == 2
    assert {(c["field"], c["city"]): c["count"] for c in s.unmet(db.session, Filters(days=90))["cells"]} == {
        (MATERIAL, "郑州"): 1
    }
    assert s.unmet(db.session, Filters(days=0))["total"] == 3  # n5 joins when N = 0


def test_durations_median_p90_and_buckets(world):
    by_kind = {d["kind"]: d for d in s.durations(db.session, Filters())}
    first = by_kind["first_match"]  # 0.5, 1.5, 2, 3, 5 days
    assert (first["n"], first["median_days"], first["p90_days"]) == (5, 2.0, 5.0)
    assert [b["count"] for b in first["buckets"]] == [1, 4, 0, 0, 0]
    contact = by_kind["contact"]  # 10 and 120 days
    assert (contact["n"], contact["median_days"], contact["p90_days"]) == (2, 10.0, 120.0)
    assert [b["count"] for b in contact["buckets"]] == [0, 0, 1, 0, 1]
    contract = by_kind["contract"]  # n1 signed on day 40
    assert (contract["n"], contract["median_days"], contract["p90_days"]) == (1, 40.0, 40.0)


def test_efficiency_is_contact_within_90_days(world):
    eff = s.efficiency(db.session, Filters())
    # Needs published >= 90 days ago: n1 n2 n3 n6 n7; only n1 reached contact within 90 days.
    assert (eff["needs"], eff["reached"], eff["rate"]) == (5, 1, 0.2)


def test_broker_and_centre_performance(world):
    brokers = {b["broker_id"]: b for b in s.brokers(db.session, Filters())}
    bz, bl = brokers[world.brokers["bz"].id], brokers[world.brokers["bl"].id]
    assert {k: bz[k] for k in s.PERF_KEYS} == {
        "decided": 3,
        "accepted": 2,
        "contact": 1,
        "signed": 1,
        "registered": 1,
        "amount_wan": 100.0,
    }
    assert (bl["decided"], bl["accepted"], bl["contact"], bl["signed"]) == (1, 1, 1, 0)
    assert world.brokers["bx"].id not in brokers
    centres = {c["centre"]: c for c in s.centres(db.session, Filters())}
    assert centres["国家技术转移郑州中心"]["signed"] == 1
    assert centres["国家技术转移郑州中心洛阳分中心"]["decided"] == 1
    assert centres["国家技术转移郑州中心新乡分中心"]["decided"] == 0  # a centre without decisions shows zeros
    # With a filter on the needs: 新材料 needs are n3 (rejected by bz) and n7 (accepted by bz).
    material = {b["broker_id"]: b for b in s.brokers(db.session, Filters(field_id=world.fields[MATERIAL]))}
    assert list(material) == [world.brokers["bz"].id]
    assert {k: material[world.brokers["bz"].id][k] for k in ("decided", "accepted", "signed")} == {
        "decided": 2,
        "accepted": 1,
        "signed": 0,
    }
    city = {c["centre"]: c for c in s.centres(db.session, Filters(city="郑州"))}
    assert (city["国家技术转移郑州中心"]["signed"], city["国家技术转移郑州中心"]["amount_wan"]) == (1, 100.0)
    own = s.centres(db.session, Filters(), centre_id=world.centres["l"].id)
    assert [c["centre"] for c in own] == ["国家技术转移郑州中心洛阳分中心"]


def test_activity_counts(world):
    act = {a["kind"]: a for a in s.activity(db.session, Filters())}
    assert act["scenarios"]["total"] == 1
    assert act["applications"]["by_status"] == {"applied": 1, "shortlisted": 1}
    assert act["service_requests"]["total"] == 1
    assert act["interests"]["total"] == 1
    # The service provider is in 洛阳, the scenario in 郑州.
    act = {a["kind"]: a["total"] for a in s.activity(db.session, Filters(city="洛阳"))}
    assert act == {"scenarios": 0, "applications": 0, "service_requests": 1, "interests": 0}


def test_filters_field_city_period(world):
    assert _funnel(Filters(field_id=world.fields[MATERIAL])) == {
        "posting": 3,
        "proposed": 2,
        "released": 1,
        "contact": 0,
        "negotiation": 0,
        "signed": 0,
        "registered": 0,
    }
    luoyang = _funnel(Filters(city="洛阳"))
    assert (luoyang["posting"], luoyang["proposed"], luoyang["contact"], luoyang["negotiation"]) == (
        2,
        1,
        1,
        1,
    )
    # Local dates: needs are published at 08:00 Beijing time on their day.
    period = Filters(start=(BASE - timedelta(days=130)).date(), end=(BASE - timedelta(days=90)).date())
    assert _funnel(period)["posting"] == 3  # n3 n6 n7
    assert s.efficiency(db.session, period)["needs"] == 3
    assert s.unmet(db.session, period)["total"] == 1  # n3


def test_parse_filters_names_the_argument():
    flt = s.parse_filters(
        MultiDict({"from": "2026-01-01", "to": "2026-03-31", "field": "3", "city": "洛阳", "days": "60"})
    )
    assert flt.args() == {"from": "2026-01-01", "to": "2026-03-31", "field": 3, "city": "洛阳", "days": 60}
    for args, name in (
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "from"),
        ({"field": "x"}, "field"),
        ({"days": "-1"}, "days"),
        ({"days": "99999"}, "days"),
    ):
        with pytest.raises(DomainError) as exc:
            s.parse_filters(MultiDict(args))
        assert exc.value.field == name


def _need_keys(world, drill):
    by_ext = {n.external_id: k for k, n in world.needs.items()}
    return {by_ext[row[0]] for row in drill.rows}


FUNNEL_NEEDS = {
    "posting": {"n1", "n2", "n3", "n4", "n5", "n6", "n7"},
    "proposed": {"n1", "n2", "n3", "n5", "n7"},
    "released": {"n1", "n2", "n7"},
    "contact": {"n1", "n2"},
    "negotiation": {"n1", "n2"},
    "signed": {"n1"},
    "registered": {"n1"},
}


def test_funnel_drill_down_lists_the_counted_needs(world):
    counts = _funnel()
    for step, expected in FUNNEL_NEEDS.items():
        d = s.drill(db.session, "funnel", Filters(), {"step": step}, world.admin)
        assert _need_keys(world, d) == expected, step
        assert d.total == len(expected) == counts[step], step


def test_other_drill_downs_match_their_figures(world):
    admin = world.admin
    d = s.drill(db.session, "unmet", Filters(days=30), {}, admin)
    assert _need_keys(world, d) == {"n3", "n4"}
    cell = Filters(days=30, field_id=world.fields[MATERIAL], city="洛阳")
    assert _need_keys(world, s.drill(db.session, "unmet", cell, {}, admin)) == {"n4"}
    d = s.drill(db.session, "duration", Filters(), {"kind": "first_match", "bucket": "0"}, admin)
    assert _need_keys(world, d) == {"n5"}
    d = s.drill(db.session, "duration", Filters(), {"kind": "contact", "bucket": "4"}, admin)
    assert _need_keys(world, d) == {"n2"}
    assert _need_keys(world, s.drill(db.session, "efficiency", Filters(), {"reached": "1"}, admin)) == {"n1"}
    assert _need_keys(world, s.drill(db.session, "efficiency", Filters(), {"reached": "0"}, admin)) == {
        "n2",
        "n3",
        "n6",
        "n7",
    }
    d = s.drill(db.session, "brokers", Filters(), {"broker": str(world.brokers["bz"].id)}, admin)
    assert {r[0] for r in d.rows} == {world.matches[k].id for k in ("m1", "m3", "m7")}
    d = s.drill(db.session, "activity", Filters(), {"kind": "applications", "status": "applied"}, admin)
    assert d.total == 1


def test_broker_drill_is_limited_to_its_centre(world):
    bl = world.brokers["bl"]
    d = s.drill(db.session, "centres", Filters(), {}, bl)
    assert {r[0] for r in d.rows} == {world.matches["m2"].id}
    with pytest.raises(DomainError) as exc:
        s.drill(db.session, "brokers", Filters(), {"broker": str(world.brokers["bz"].id)}, bl)
    assert exc.value.status == 403


def test_facts_follow_the_records(world):
    """NeedFact is kept in step on every flush: it equals a rebuild from the records, also after a
    broker's decision through the review service, a new stage change and a deleted match."""
    from sqlalchemy import select

    from matchmaker.dashboards.facts import COLUMNS, facts_select
    from matchmaker.dashboards.models import NeedFact
    from matchmaker.review import services as review
    from matchmaker.review.models import StageChange

    def kept():
        return sorted(
            tuple(r) for r in db.session.execute(select(*[getattr(NeedFact, c) for c in COLUMNS])).all()
        )

    def fresh():
        return sorted(tuple(r) for r in db.session.execute(facts_select()).all())

    assert len(kept()) == 5 and kept() == fresh()
    m5 = world.matches["m5"]
    review.decide(db.session, m5, world.brokers["bz"], "accept", None)
    db.session.add(StageChange(match_id=m5.id, from_stage="confirmation", to_stage="negotiation"))
    db.session.delete(world.matches["m3"])
    db.session.commit()
    assert kept() == fresh()
    counts = _funnel()
    assert (counts["proposed"], counts["released"], counts["negotiation"]) == (4, 4, 3)
    assert _need_keys(
        world, s.drill(db.session, "funnel", Filters(), {"step": "negotiation"}, world.admin)
    ) == {
        "n1",
        "n2",
        "n5",
    }


def test_rebuild_command_recomputes_the_facts(world, app):
    from matchmaker.dashboards.models import NeedFact

    db.session.query(NeedFact).delete()
    db.session.commit()
    assert _funnel()["proposed"] == 0
    result = app.test_cli_runner().invoke(args=["dashboards", "rebuild"])
    assert result.exit_code == 0 and "已重算 5 条" in result.output
    assert _funnel()["proposed"] == 5
