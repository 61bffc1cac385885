"""/api/v1/ for topics, challenges, answers, reviews and projects: the whole flow and its errors."""

from datetime import date, timedelta

from matchmaker.challenges.models import Challenge, Topic
from tests.challenges.conftest import raise_and_publish

DUE = (date.today() + timedelta(days=200)).isoformat()


def _err(resp, status, field=None):
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()["error"]
    if field:
        assert body["field"] == field, body
    return body["message"]


def test_flow_through_the_api(db, world, client, login):
    db.session.commit()
    login(world.enterprise)
    resp = client.post(
        "/api/v1/challenges",
        json={
            "need_id": world.need.id,
            "type": "common",
            "reward_wan": 300,
            "targets": ["生长速率 ≥ 20 μm/h"],
            "deadline": DUE,
        },
    )
    assert resp.status_code == 201, resp.get_json()
    cid = resp.get_json()["id"]
    assert resp.get_json()["min_units"] == 3 and resp.get_json()["status"] == "collecting"
    _err(client.post(f"/api/v1/challenges/{cid}/transition", json={"to_status": "assessing"}), 403)
    client.post("/logout")

    login(world.broker)
    msg = _err(
        client.post(f"/api/v1/challenges/{cid}/transition", json={"to_status": "published"}), 400, "to_status"
    )
    assert "不能从“征集”变更为“张榜”" in msg
    for to in ("assessing", "published"):
        assert (
            client.post(
                f"/api/v1/challenges/{cid}/transition", json={"to_status": to, "reason": "ok"}
            ).status_code
            == 200
        )
    detail = client.get(f"/api/v1/challenges/{cid}").get_json()
    assert detail["status"] == "published" and detail["invitations"]
    assert [t["to"] for t in detail["transitions"]] == ["collecting", "assessing", "published"]
    client.post("/logout")

    login(world.researcher)
    answer = {
        "title": "联合体方案",
        "approach": "高功率 MPCVD 与氮掺杂协同，台阶流生长抑制位错增殖，三家分工。",
        "milestones": [{"due": DUE, "title": "完成中试"}],
        "budget_wan": 280,
        "consortium": ["河南省科学院测试"],
    }
    assert "不少于 3 家" in _err(
        client.post(f"/api/v1/challenges/{cid}/answers", json=answer), 400, "consortium"
    )
    answer["consortium"].append("黄河旋风测试")
    resp = client.post(f"/api/v1/challenges/{cid}/answers", json=answer)
    assert resp.status_code == 201, resp.get_json()
    aid = resp.get_json()["id"]
    assert len(resp.get_json()["organizations"]) == 3
    client.post("/logout")

    login(world.admin)
    assert (
        client.post(f"/api/v1/challenges/{cid}/transition", json={"to_status": "reviewing"}).status_code
        == 200
    )
    resp = client.post(f"/api/v1/challenges/{cid}/reviewers", json={"per_answer": 2, "max_load": 3})
    assert resp.status_code == 201 and len(resp.get_json()["items"]) == 2
    client.post("/logout")

    for user in world.reviewers:
        login(user)
        for r in client.get("/api/v1/reviews").get_json()["items"]:
            assert _err(
                client.post(f"/api/v1/reviews/{r['id']}", json={"scores": {"advancement": 90}}),
                400,
                "feasibility",
            )
            resp = client.post(
                f"/api/v1/reviews/{r['id']}",
                json={
                    "scores": {"advancement": 90, "feasibility": 85, "team": 80, "economic": 75},
                    "comment": "可行",
                },
            )
            assert resp.status_code == 200 and resp.get_json()["total"] == 83.5
        client.post("/logout")

    login(world.admin)
    ranking = client.get(f"/api/v1/challenges/{cid}/ranking").get_json()["items"]
    assert ranking[0]["answer_id"] == aid and ranking[0]["reviews"] == 2 and ranking[0]["std"] == 0
    resp = client.post(f"/api/v1/challenges/{cid}/award", json={"answer_id": aid, "funding_wan": 250})
    assert resp.status_code == 201, resp.get_json()
    project = resp.get_json()
    assert project["funding_wan"] == 250 and project["milestones"][0]["title"] == "完成中试"
    mid = project["milestones"][0]["id"]
    assert _err(client.post(f"/api/v1/milestones/{mid}/accept", json={"passed": True}), 400, "note")
    resp = client.post(f"/api/v1/milestones/{mid}/accept", json={"passed": True, "note": "指标达到"})
    assert resp.get_json()["milestones"][0]["status"] == "passed"
    assert (
        client.post(f"/api/v1/challenges/{cid}/transition", json={"to_status": "accepted"}).status_code == 200
    )
    assert client.get(f"/api/v1/projects/{project['id']}").get_json()["id"] == project["id"]
    trace = client.get(f"/api/v1/topics/{world.topic.id}/trace").get_json()
    assert trace["counts"]["projects"] == 1 and trace["counts"]["milestones_passed"] == 1


def test_topics_api(db, world, client, login):
    db.session.commit()
    assert client.get("/api/v1/topics").get_json()["items"][0]["title"] == "大尺寸金刚石单晶制备"
    assert client.get(f"/api/v1/topics/{world.topic.id}").get_json()["progress"]["questions"] == 1
    _err(client.post("/api/v1/topics", json={"title": "x"}), 401)
    login(world.broker)
    _err(client.post("/api/v1/topics", json={"title": "x"}), 403)
    client.post("/logout")
    login(world.admin)
    assert _err(
        client.post(
            "/api/v1/topics", json={"title": "新题", "industry_chain": "超硬材料产业链", "field": "不存在"}
        ),
        400,
        "field",
    )
    _err(client.post("/api/v1/topics", json={"title": "新题"}), 400, "industry_chain")
    _err(client.post("/api/v1/topics", data="not json", content_type="text/plain"), 400, "body")
    resp = client.post(
        "/api/v1/topics",
        json={
            "title": "新题",
            "industry_chain": "超硬材料产业链",
            "field": "超硬材料",
            "lead_department": "高新处",
            "need_ids": [world.need.id],
        },
    )
    assert resp.status_code == 201 and resp.get_json()["field"] == "超硬材料"
    assert db.session.query(Topic).count() == 2
    assert client.get("/api/v1/topics/suggestions").status_code == 200
    _err(client.get("/api/v1/topics/suggestions?granularity=huge"), 400, "granularity")
    _err(client.get("/api/v1/topics/suggestions?field=火星"), 400, "field")


def test_validation_errors_name_the_field(db, world, client, login):
    db.session.commit()
    login(world.enterprise)
    _err(client.post("/api/v1/challenges", json={}), 400, "need_id")
    _err(
        client.post("/api/v1/challenges", json={"need_id": world.need.id, "targets": "一项"}), 400, "targets"
    )
    _err(
        client.post(
            "/api/v1/challenges", json={"need_id": world.need.id, "targets": ["x"], "deadline": "明年"}
        ),
        400,
        "deadline",
    )
    _err(
        client.post(
            "/api/v1/challenges", json={"need_id": world.need.id, "targets": ["x"], "reward_wan": "多"}
        ),
        400,
        "reward_wan",
    )
    _err(
        client.post("/api/v1/challenges", json={"need_id": world.need.id, "targets": ["x"], "type": "别的"}),
        400,
        "type",
    )
    assert db.session.query(Challenge).count() == 0


def test_permissions(db, world, client, login):
    c = raise_and_publish(db, world)
    db.session.commit()
    _err(client.post(f"/api/v1/challenges/{c.id}/transition", json={"to_status": "bidding"}), 401)
    login(world.researcher)
    _err(client.post(f"/api/v1/challenges/{c.id}/transition", json={"to_status": "bidding"}), 403)
    _err(client.post("/api/v1/challenges", json={"need_id": world.need.id, "targets": ["x"]}), 403)
    _err(client.get("/api/v1/challenges/9999"), 404)
    client.post("/logout")
    login(world.enterprise)
    own = {
        "title": "自己揭榜",
        "approach": "出题企业想自己揭自己的榜，这不应被允许，无论方案写得多好。",
        "milestones": [{"due": DUE, "title": "完成"}],
    }
    assert "出题企业不能揭自己的榜" in _err(
        client.post(f"/api/v1/challenges/{c.id}/answers", json=own), 400, "consortium"
    )
    # Drafts stay with staff and the owner.
    c.status = "collecting"
    db.session.commit()
    assert client.get(f"/api/v1/challenges/{c.id}").status_code == 200
    client.post("/logout")
    assert client.get(f"/api/v1/challenges/{c.id}").status_code == 404
    assert client.get("/api/v1/challenges").get_json()["items"] == []
