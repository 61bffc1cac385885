"""API contract and error bodies."""

from __future__ import annotations


def test_need_matches_by_internal_and_external_id(client, corpus):
    need = corpus["need"]
    for ident in (need.id, need.external_id):
        resp = client.get(f"/api/v1/needs/{ident}/matches?top=2")
        assert resp.status_code == 200
        body = resp.get_json()
        assert body["source"] == {"kind": "need", "id": need.id, "external_id": need.external_id}
        assert body["count"] == len(body["items"]) == 2
        first = body["items"][0]
        assert first["id"] == corpus["results"]["thermal"].id
        assert first["kind"] == "result" and first["title"].startswith("数控机床")
        assert {"shared_terms", "semantic_similarity", "signals", "summary", "relevance", "label"} <= set(
            first["explanation"]
        )
        assert first["relevance"] == first["explanation"]["relevance"] and 0 <= first["relevance"] <= 100
        assert first["relevance_label"] in ("较高", "中等", "较低")
        assert {"name", "label", "value", "contribution"} <= set(first["explanation"]["signals"][0])
        assert "contact_phone" not in first


def test_result_matches_and_need_experts(client, corpus):
    from matchmaker.extensions import db
    from tests import factories as f

    f.expert("王教授", areas=["数控机床", "热误差"])
    db.session.commit()
    r = corpus["results"]["thermal"]
    body = client.get(f"/api/v1/results/{r.external_id}/matches").get_json()
    assert body["items"][0]["kind"] == "need"
    body = client.get(f"/api/v1/needs/{corpus['need'].id}/experts").get_json()
    assert body["items"][0]["kind"] == "expert"


def test_search_api(client, corpus):
    body = client.get("/api/v1/search?q=自动导引车丢码&kind=result&top=1").get_json()
    assert body["kind"] == "result" and body["query"] == "自动导引车丢码"
    assert body["items"][0]["id"] == corpus["results"]["agv"].id


def _error(resp, status, field):
    assert resp.status_code == status
    err = resp.get_json()["error"]
    assert err["status"] == status and err["field"] == field and err["message"]
    return err


def test_error_bodies(client, corpus):
    _error(client.get("/api/v1/needs/NOPE/matches"), 404, "id")
    _error(client.get("/api/v1/results/999999/matches"), 404, "id")
    _error(client.get(f"/api/v1/needs/{corpus['need'].id}/matches?top=abc"), 400, "top")
    _error(client.get(f"/api/v1/needs/{corpus['need'].id}/experts?top=0"), 400, "top")
    _error(client.get("/api/v1/search?kind=result"), 400, "q")
    err = _error(client.get("/api/v1/search?q=机床&kind=patent"), 400, "kind")
    assert "kind" in err["message"]
    _error(client.get("/api/v1/search?q=" + "长" * 501), 400, "q")
