"""The checks of issue 14 on the seeded data: providers list, trl on results, next steps with
the stage as a hard filter for every seeded result."""

from __future__ import annotations

from matchmaker.constants import MATURITY_TRL
from matchmaker.providers.models import PROVIDER_TYPES


def test_providers_list_the_seeded_ones(seeded, client):
    body = client.get("/api/v1/providers?per_page=100").get_json()
    assert body["total"] >= 10
    assert {p["type"] for p in body["items"]} == set(PROVIDER_TYPES)
    for p in body["items"]:
        assert 1 <= p["stage_from"] <= p["stage_to"] <= 9
        assert p["field"] and p["type"] in PROVIDER_TYPES
        assert "contact" not in p  # gated: anonymous users see no contact


def test_provider_filters(seeded, client):
    items = client.get("/api/v1/providers?trl=8&per_page=100").get_json()["items"]
    assert items and all(p["stage_from"] <= 8 <= p["stage_to"] for p in items)
    items = client.get("/api/v1/providers?type=中试基地&per_page=100").get_json()["items"]
    assert items and {p["type"] for p in items} == {"中试基地"}
    bad = client.get("/api/v1/providers?trl=10")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "trl"


def test_every_result_carries_trl_from_its_maturity(seeded, client, seeded_results):
    body = client.get("/api/v1/results?per_page=100&status=all").get_json()
    assert body["total"] == len(seeded_results)
    by_id = {r["id"]: r for r in seeded_results}
    for item in body["items"]:
        assert "trl" in item
        assert item["trl"] == MATURITY_TRL[by_id[item["id"]]["maturity"]]


def test_next_steps_never_propose_a_provider_outside_its_stage(seeded, client, seeded_results):
    offered = 0
    for r in seeded_results:
        body = client.get(f"/api/v1/results/{r['id']}/next-steps?top=50").get_json()
        trl = body["trl"]
        assert trl is not None
        scores = [p["score"] for p in body["items"]]
        for p in body["items"]:
            assert p["stage_from"] <= trl <= p["stage_to"], (r["id"], trl, p["name"])
            assert p["explanation"]["summary"]
        field_first = [r["field"] in p["fields"] for p in body["items"]]
        assert field_first == sorted(field_first, reverse=True)  # the result's field first
        same = [p["score"] for p in body["items"] if r["field"] in p["fields"]]
        assert same == sorted(same, reverse=True)  # best first within the group
        offered += bool(scores)
    assert offered >= len(seeded_results) // 2  # most results have somewhere to go


def test_next_steps_follow_the_result_when_its_level_changes(seeded, client, db):
    from matchmaker.postings.models import Result

    r = db.session.query(Result).filter_by(external_id="SR001").one()
    before = {p["id"] for p in client.get("/api/v1/results/SR001/next-steps?top=50").get_json()["items"]}
    r.trl = 2
    db.session.commit()
    after = client.get("/api/v1/results/SR001/next-steps?top=50").get_json()["items"]
    assert all(p["stage_from"] <= 2 for p in after)
    assert before != {p["id"] for p in after}
