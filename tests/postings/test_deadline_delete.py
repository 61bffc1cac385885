"""Needs' deadlines (截止日期) and deleting postings that already have proposals."""

from datetime import date, timedelta

from sqlalchemy import func, select

from matchmaker.localtime import local_today
from matchmaker.notifications.models import Notification
from matchmaker.postings.models import Need
from matchmaker.postings.services import close_expired_needs
from matchmaker.review.models import Match
from tests import factories
from tests.postings.conftest import field_errors

NEED = {
    "title": "接口发布的截止需求",
    "description": "通过接口发布的一条技术需求，描述足够长。",
    "field": "高端装备制造",
    "keywords": ["热误差"],
}


def test_api_refuses_a_past_deadline(client, login, people, db):
    login(people["enterprise"])
    resp = client.post("/api/v1/needs", json=NEED | {"deadline": "2020-01-01"})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "deadline"
    assert "已过" in resp.get_json()["error"]["message"]
    today = local_today().isoformat()
    assert client.post("/api/v1/needs", json=NEED | {"deadline": today}).status_code == 201


def test_api_patch_to_a_past_deadline_is_refused(client, login, people, db):
    login(people["enterprise"])
    need_id = people["need"].id
    resp = client.patch(f"/api/v1/needs/{need_id}", json={"deadline": "2020-01-01"})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "deadline"
    # A closed need may keep an old date (e.g. re-importing an export).
    assert (
        client.patch(
            f"/api/v1/needs/{need_id}", json={"deadline": "2020-01-01", "status": "closed"}
        ).status_code
        == 200
    )


def test_form_refuses_a_past_deadline_on_create_and_edit(client, login, people, db):
    login(people["enterprise"])
    form = {
        "title": "表单发布的截止需求",
        "description": "表单发布的一条技术需求，描述足够长。",
        "field": "高端装备制造",
        "status": "open",
        "deadline": "2020-01-01",
    }
    resp = client.post("/needs/new", data=form)
    assert resp.status_code == 200
    assert "已过" in field_errors(resp)["deadline"]
    assert db.session.scalar(select(func.count(Need.id)).where(Need.title == form["title"])) == 0
    resp = client.post(f"/needs/{people['need'].id}/edit", data=form)
    assert "已过" in field_errors(resp)["deadline"]
    db.session.expire_all()
    assert people["need"].deadline is None


def test_close_expired_needs_closes_and_tells_the_owner(app, db, people):
    owner = people["enterprise"]
    today = date(2027, 5, 10)
    late = factories.need(
        "过期的需求", org=owner.organization, owner_id=owner.id, deadline=today - timedelta(1)
    )
    due_today = factories.need("今天截止的需求", deadline=today)
    db.session.commit()
    closed = close_expired_needs(db.session, today)
    db.session.commit()
    assert [n.id for n in closed] == [late.id]
    assert late.status == "closed" and due_today.status == "open"
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert note.kind == "need_closed" and "已自动关闭" in note.title
    assert close_expired_needs(db.session, today) == []  # idempotent


def test_close_expired_command(app, db, people):
    factories.need("早已过期的需求", deadline=date(2020, 1, 1))
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["needs", "close-expired"])
    assert out.exit_code == 0, out.output
    assert "已关闭 1 条" in out.output
    assert db.session.scalar(select(Need).where(Need.title == "早已过期的需求")).status == "closed"


def test_api_delete_after_automatic_proposals(app, client, login, people, db):
    app.config["AUTO_PROPOSE"] = True
    factories.result("数控机床主轴热误差建模与实时补偿", keywords=["热误差"])
    db.session.commit()
    login(people["enterprise"])
    resp = client.post("/api/v1/needs", json=NEED | {"title": "数控机床热误差导致尺寸漂移"})
    assert resp.status_code == 201
    need_id = resp.get_json()["internal_id"]
    assert db.session.scalar(select(func.count(Match.id)).where(Match.need_id == need_id)) >= 1
    assert client.delete(f"/api/v1/needs/{need_id}").status_code == 204
    assert client.get(f"/api/v1/needs/{need_id}").status_code == 404
    assert db.session.scalar(select(func.count(Match.id)).where(Match.need_id == need_id)) == 0


def test_api_delete_archives_when_reviewed(client, login, people, db):
    need = people["need"]
    db.session.add(Match(need_id=need.id, result_id=people["result"].id, stage="broker_review"))
    db.session.commit()
    login(people["enterprise"])
    resp = client.delete(f"/api/v1/needs/{need.id}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["archived"] is True and "已改为关闭" in body["message"]
    assert client.get(f"/api/v1/needs/{need.id}").get_json()["status"] == "closed"
