"""Roadshow JSON API (/api/v1/roadshows...)."""

from __future__ import annotations

import time

from matchmaker.extensions import db
from matchmaker.roadshow import services
from tests import factories


def test_public_edition_and_schedule(planned, client):
    rid = planned["roadshow"].id
    items = client.get("/api/v1/roadshows").get_json()["items"]
    assert items[0]["id"] == rid and items[0]["published_version"] == planned["version"].number
    edition = client.get(f"/api/v1/roadshows/{rid}").get_json()
    assert edition["sessions"][0]["capacity"] == 3 and edition["rules"]["lambda"] == 0.3
    sched = client.get(f"/api/v1/roadshows/{rid}/schedule").get_json()
    assert len(sched["talks"]) == 4 and sched["status"] == "published"
    assert client.get(f"/api/v1/roadshows/{rid}/schedule?version=draft").status_code == 401
    err = client.get("/api/v1/roadshows/999").get_json()["error"]
    assert err["field"] == "roadshow_id" and err["status"] == 404


def test_plan_and_publish_via_api(world, client, login):
    rid = world["roadshow"].id
    login(world["enterprises"][0])
    assert client.post(f"/api/v1/roadshows/{rid}/plan", json={}).status_code == 403
    login(world["broker"])
    bad = client.post(f"/api/v1/roadshows/{rid}/plan", json={"time_limit": "soon"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "time_limit"
    resp = client.post(f"/api/v1/roadshows/{rid}/plan", json={"time_limit": 5})
    assert resp.status_code == 202
    url = resp.get_json()["status_url"]
    deadline = time.time() + 60
    while time.time() < deadline:
        state = client.get(url).get_json()
        if state["job_status"] == "done":
            break
        time.sleep(0.3)
    assert state["job_status"] == "done" and state["conflicts"] == [] and len(state["talks"]) == 4
    pub = client.post(url + "/publish")
    assert pub.status_code == 200 and pub.get_json()["notified"]["changed"] == 4
    again = client.post(url + "/publish")
    assert again.status_code == 409 and again.get_json()["error"]["field"] == "version"


def test_registrations_and_intents_via_api(planned, client, login):
    sid = planned["session"].id
    users = planned["enterprises"] + [factories.user("enterprise")]
    db.session.commit()
    for u in users[:3]:
        login(u)
        assert client.post(f"/api/v1/roadshows/sessions/{sid}/registrations").status_code == 201
    login(users[3])
    full = client.post(f"/api/v1/roadshows/sessions/{sid}/registrations")
    assert full.status_code == 409 and "名额已满" in full.get_json()["error"]["message"]
    login(planned["broker"])
    assert len(client.get(f"/api/v1/roadshows/sessions/{sid}/registrations").get_json()["items"]) == 3
    need_id = services.agenda(db.session, planned["roadshow"], users[0].organization_id)[0][1].need_id
    cand_id = services.agenda(db.session, planned["roadshow"], users[0].organization_id)[0][0].candidate_id
    bad = client.post(f"/api/v1/roadshows/sessions/{sid}/intents", json={"candidate_id": cand_id})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "need_id"
    ok = client.post(
        f"/api/v1/roadshows/sessions/{sid}/intents",
        json={"candidate_id": cand_id, "need_id": need_id, "note": "约定下周考察"},
    )
    assert ok.status_code == 201 and ok.get_json()["stage"] == "negotiation"
    assert len(client.get(f"/api/v1/roadshows/sessions/{sid}/intents").get_json()["items"]) == 1


def test_agenda_api(planned, client, login):
    login(planned["enterprises"][1])
    data = client.get(f"/api/v1/roadshows/{planned['roadshow'].id}/agenda").get_json()
    assert data["items"] and all(i["score"] >= 0.1 for i in data["items"])
    assert data["ics"].endswith("agenda.ics")
