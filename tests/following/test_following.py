"""收藏、订阅与提醒: favourites, instant alerts from the pipeline, weekly digest, unsubscribe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from matchmaker import PIPELINE
from matchmaker.following import services
from matchmaker.following.models import Alert, Favourite, Subscription
from matchmaker.notifications.models import EmailOutbox, Notification
from tests import factories as f


def _notes(db, user, kind="subscription"):
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    ).all()


def test_alert_step_runs_after_the_existing_pipeline_steps():
    assert PIPELINE[-1] == "matchmaker.following.hooks:alert_subscribers"
    assert PIPELINE.index("matchmaker.following.hooks:alert_subscribers") > PIPELINE.index(
        "matchmaker.review.hooks:notify_changes"
    )


def test_favourites_page_and_api(db, login, client, app):
    ent = f.user("enterprise")
    result = f.result("超硬材料金刚石线锯切割工艺", field_name="超硬材料")
    draft = f.result("未发布的成果", status="draft")
    db.session.commit()
    login(ent)
    assert "☆ 收藏" in client.get(f"/results/{result.id}").get_data(as_text=True)
    client.post(f"/following/favourite/result/{result.id}", data={"action": "add"})
    client.post(f"/following/favourite/result/{result.id}", data={"action": "add"})  # idempotent
    assert db.session.scalar(select(Favourite).where(Favourite.user_id == ent.id)).posting_id == result.id
    assert len(db.session.scalars(select(Favourite)).all()) == 1
    assert "★ 已收藏" in client.get(f"/results/{result.id}").get_data(as_text=True)
    assert result.title in client.get("/following/favourites").get_data(as_text=True)
    # Cannot favourite what one may not see.
    assert client.post(f"/following/favourite/result/{draft.id}").status_code == 403
    api = client.get("/api/v1/favourites").get_json()["items"]
    assert api == [{"kind": "result", "id": result.id, "title": result.title}]
    assert client.delete(f"/api/v1/favourites/result/{result.id}").get_json()["removed"] is True
    assert client.get("/following/favourites").get_data(as_text=True).count(result.title) == 0
    assert client.post("/api/v1/favourites", json={"kind": "result", "id": result.id}).status_code == 201
    assert client.post("/api/v1/favourites", json={"kind": "expert", "id": 1}).status_code == 400
    assert app.test_client().get("/api/v1/favourites").status_code == 401


def test_instant_alert_on_a_new_matching_posting_not_on_others(db, app):
    ent = f.user("enterprise")
    f.field("超硬材料")
    sub = services.create_subscription(
        db.session,
        ent,
        {"kinds": ["result"], "field": "超硬材料", "keywords": "金刚石、线锯", "frequency": "instant"},
    )
    db.session.commit()
    f.result("金刚石线锯高效切割单晶硅", field_name="超硬材料", region="郑州")
    f.result("深度学习缺陷检测", field_name="人工智能")  # other field
    f.result("立方氮化硼刀具涂层", field_name="超硬材料")  # right field, no keyword
    db.session.commit()  # the inline pipeline runs the alert step after indexing
    notes = _notes(db, ent)
    assert [n.title for n in notes] == ["新科技成果：金刚石线锯高效切割单晶硅"]
    mail = db.session.scalar(select(EmailOutbox).where(EmailOutbox.user_id == ent.id))
    assert "/following/unsubscribe/" in mail.body and "/following/unsubscribe/" not in notes[0].body
    # Replaying the same batch (an edit of the posting) does not alert twice.
    post = db.session.scalar(select(Alert)).posting_id
    services.alert_new_postings(db.session, app.config, "result", [post])
    assert len(_notes(db, ent)) == 1
    assert sub.active


def test_no_alert_for_own_posting_or_unlisted(db):
    uni = f.user("researcher")
    services.create_subscription(db.session, uni, {"kinds": ["result", "need"], "region": "洛阳"})
    db.session.commit()
    f.result("洛阳轴承精密加工", org=uni.organization, region="洛阳")  # own organisation
    f.need("洛阳某厂耐磨材料需求", region="洛阳", status="draft")  # not listed
    db.session.commit()
    assert _notes(db, uni) == []


def test_weekly_digest_is_idempotent_per_week(db, app):
    ent = f.user("enterprise")
    sub = services.create_subscription(db.session, ent, {"keywords": ["热误差"], "frequency": "weekly"})
    db.session.commit()
    f.result("机床热误差补偿系统")
    db.session.commit()
    assert _notes(db, ent) == []  # weekly: nothing instant
    alert = db.session.scalar(select(Alert))
    assert alert.sent_at is None
    monday = datetime(2026, 12, 7, 1, 0)
    assert services.send_digests(db.session, app.config, now=monday) == 1
    assert services.send_digests(db.session, app.config, now=monday.replace(hour=5)) == 0
    digests = _notes(db, ent, "subscription_digest")
    assert len(digests) == 1 and "机床热误差补偿系统" in digests[0].body
    assert sub.last_digest_week == "2026-W50" and alert.digest_week == "2026-W50"
    # The CLI is the same function: a second run in the same week sends nothing.
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["following", "digest"])
    assert out.exit_code == 0 and "已发送每周订阅摘要" in out.output


def test_unsubscribe_token_valid_and_tampered(db, app, client):
    ent = f.user("enterprise")
    sub = services.create_subscription(db.session, ent, {"region": "郑州"})
    db.session.commit()
    token = services.unsubscribe_token(app.config["SECRET_KEY"], sub)
    bad = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    resp = client.get(f"/following/unsubscribe/{bad}")
    assert resp.status_code == 400 and "退订链接无效" in resp.get_data(as_text=True)
    db.session.refresh(sub)
    assert sub.active
    other_key = services.unsubscribe_token("another-secret", sub)
    assert client.get(f"/following/unsubscribe/{other_key}").status_code == 400
    resp = client.get(f"/following/unsubscribe/{token}")  # no login needed
    assert resp.status_code == 200 and "已退订" in resp.get_data(as_text=True)
    db.session.refresh(sub)
    assert not sub.active


def test_subscriptions_page_validation_and_unsubscribe_button(db, login, client, app):
    ent, other = f.user("enterprise"), f.user("enterprise")
    field = f.field("超硬材料")
    db.session.commit()
    login(ent)
    resp = client.post("/following/subscriptions", data={"kinds": ["need"], "frequency": "instant"})
    assert "请至少选择领域、地区或填写一个关键词" in resp.get_data(as_text=True)
    client.post(
        "/following/subscriptions",
        data={
            "kinds": ["need", "result"],
            "field": str(field.id),
            "keywords": "金刚石",
            "frequency": "weekly",
        },
    )
    sub = db.session.scalar(select(Subscription).where(Subscription.user_id == ent.id))
    assert sub.field_id == field.id and sub.frequency == "weekly" and sub.keywords == ["金刚石"]
    assert "退订" in client.get("/following/subscriptions").get_data(as_text=True)
    api = client.get("/api/v1/subscriptions").get_json()["items"]
    assert api[0]["field"] == "超硬材料"
    bad = client.post("/api/v1/subscriptions", json={"region": "火星"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "region"
    made = client.post("/api/v1/subscriptions", json={"keywords": ["激光"], "frequency": "instant"})
    assert made.status_code == 201
    # Someone else cannot unsubscribe it, page or API.
    client.post("/logout")
    login(other)
    assert client.post(f"/following/subscriptions/{sub.id}/unsubscribe").status_code == 403
    assert client.delete(f"/api/v1/subscriptions/{sub.id}").status_code == 403
    client.post("/logout")
    login(ent)
    client.post(f"/following/subscriptions/{sub.id}/unsubscribe")
    db.session.refresh(sub)
    assert not sub.active
    assert client.delete(f"/api/v1/subscriptions/{made.get_json()['id']}").get_json()["active"] is False


def test_high_match_alert_for_subscribers(db, app):
    from matchmaker.review.models import Match

    uni = f.user("researcher")
    need = f.need("金刚石刀具磨损快", field_name="超硬材料")
    result = f.result("聚晶金刚石刀具", field_name="超硬材料")
    sub = services.create_subscription(db.session, uni, {"kinds": ["need"], "field": "超硬材料"})
    low = f.result("普通硬质合金刀具", field_name="超硬材料")
    db.session.add_all(
        [
            Match(need_id=need.id, result_id=result.id, score=0.9),
            Match(need_id=need.id, result_id=low.id, score=0.2),
        ]
    )
    db.session.flush()
    made = services.alert_high_matches(db.session, app.config, [(need.id, result.id), (need.id, low.id)])
    assert made == 1
    alert = db.session.scalar(select(Alert).where(Alert.reason == "match", Alert.subscription_id == sub.id))
    assert "聚晶金刚石刀具" in alert.title and alert.sent_at is not None


def test_weekly_digest_is_a_periodic_worker_job(db, app):
    from matchmaker.jobs import get_huey

    ent = f.user("enterprise")
    services.create_subscription(db.session, ent, {"keywords": ["激光"], "frequency": "weekly"})
    db.session.commit()
    f.result("激光熔覆修复轧辊")
    db.session.commit()
    task = get_huey(app).matchmaker_tasks["following.digest"]
    assert task.call_local() == "已发送 1 份订阅周报"
    assert task.call_local() == "已发送 0 份订阅周报"  # same week: nothing twice
