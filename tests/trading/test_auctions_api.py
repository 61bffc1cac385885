"""Listing and auction through the API: create, bid, refuse, withdraw, extend, close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.extensions import utcnow
from matchmaker.review.models import FollowUp, Match
from matchmaker.trading.models import Auction, Bid
from tests import factories as f
from tests.trading.conftest import auction_body


def _client(app, user):
    client = app.test_client()
    resp = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert resp.status_code == 302
    return client


def _create(app, market, **kw):
    resp = _client(app, market.broker).post("/api/v1/auctions", json=auction_body(market.result.id, **kw))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_broker_creates_auction_and_bids_are_ordered(app, db, market):
    auction = _create(app, market)
    assert auction["current_wan"] is None and auction["minimum_bid_wan"] == 100
    a, b = (_client(app, u) for u in market.bidders)
    url = f"/api/v1/auctions/{auction['id']}/bids"
    assert a.post(url, json={"amount_wan": 100}).status_code == 201
    assert b.post(url, json={"amount_wan": 105}).status_code == 201
    assert a.post(url, json={"amount_wan": 112.5}).status_code == 201
    body = a.get(f"/api/v1/auctions/{auction['id']}").get_json()
    assert [x["amount_wan"] for x in body["bids"]] == [100, 105, 112.5]
    assert [x["seq"] for x in body["bids"]] == [1, 2, 3]
    assert [x["bidder"] for x in body["bids"]] == ["竞买人 1", "竞买人 2", "竞买人 1"]
    assert [x["mine"] for x in body["bids"]] == [True, False, True]
    assert body["current_wan"] == 112.5 and body["minimum_bid_wan"] == 117.5
    assert 3500 < body["time_left_seconds"] <= 3600
    stamps = [datetime.fromisoformat(x["at"].rstrip("Z")) for x in body["bids"]]
    assert stamps == sorted(stamps)
    # Every accepted bid is audited.
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "auction.bid")).all()
    assert len(audited) == 3 and all(e.target == f"auction:{auction['id']}" for e in audited)


def test_refused_bids_name_the_field_in_chinese(app, db, market):
    auction = _create(app, market)
    url = f"/api/v1/auctions/{auction['id']}/bids"
    a, b = (_client(app, u) for u in market.bidders)
    resp = a.post(url, json={"amount_wan": 99})
    assert resp.status_code == 409
    err = resp.get_json()["error"]
    assert err["field"] == "amount_wan" and "起拍价 100" in err["message"]
    assert a.post(url, json={"amount_wan": 100}).status_code == 201
    # Below current price + increment, and an equal amount, are both refused.
    for amount in (100, 104.99):
        resp = b.post(url, json={"amount_wan": amount})
        assert resp.status_code == 409
        assert "至少为 105" in resp.get_json()["error"]["message"]
    for bad in ("十万", None, -5, True, 100.001):
        resp = b.post(url, json={"amount_wan": bad})
        assert resp.status_code == 400, bad
        assert resp.get_json()["error"]["field"] == "amount_wan"
    # Researchers, brokers and anonymous users cannot bid.
    assert _client(app, market.seller).post(url, json={"amount_wan": 200}).status_code == 403
    assert _client(app, market.broker).post(url, json={"amount_wan": 200}).status_code == 403
    assert app.test_client().post(url, json={"amount_wan": 200}).status_code == 401
    assert len(db.session.scalars(select(Bid)).all()) == 1
    refused = db.session.scalars(select(AuditLog).where(AuditLog.action == "auction.bid_rejected")).all()
    assert len(refused) == 1 + 2 + 5 + 2  # anonymous users are refused before anything is read


def test_create_validation_and_permissions(app, db, market):
    broker = _client(app, market.broker)
    resp = broker.post("/api/v1/auctions", json=auction_body(market.result.id, reserve_wan="abc"))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "reserve_wan"
    now = utcnow()
    resp = broker.post(
        "/api/v1/auctions",
        json=auction_body(market.result.id, ends_at=(now - timedelta(hours=2)).isoformat()),
    )
    assert resp.get_json()["error"]["field"] == "ends_at"
    resp = broker.post("/api/v1/auctions", json=auction_body(market.result.id, extend_minutes=-1))
    assert resp.get_json()["error"]["field"] == "extend_minutes"
    resp = broker.post("/api/v1/auctions", json=auction_body(999999))
    assert resp.status_code == 404 and resp.get_json()["error"]["field"] == "result_id"
    ent = _client(app, market.bidders[0])
    assert ent.post("/api/v1/auctions", json=auction_body(market.result.id)).status_code == 403
    assert broker.post("/api/v1/auctions", json=auction_body(market.result.id)).status_code == 201
    resp = broker.post("/api/v1/auctions", json=auction_body(market.result.id))
    assert resp.status_code == 409 and resp.get_json()["error"]["field"] == "result_id"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "auction.create")) is not None


def test_late_bid_extends_the_end(app, db, market):
    now = utcnow()
    auction = _create(app, market, ends_at=(now + timedelta(minutes=2)).isoformat(), extend_minutes=5)
    before = datetime.fromisoformat(auction["ends_at"].rstrip("Z"))
    resp = _client(app, market.bidders[0]).post(
        f"/api/v1/auctions/{auction['id']}/bids", json={"amount_wan": 100}
    )
    assert resp.status_code == 201
    body = resp.get_json()
    after = datetime.fromisoformat(body["ends_at"].rstrip("Z"))
    bid_at = datetime.fromisoformat(body["bids"][0]["at"].rstrip("Z"))
    assert after > before and after == bid_at + timedelta(minutes=5)
    assert body["extensions"] == 1 and body["bids"][0]["extended"] is True
    # A bid well before the window leaves the end alone.
    db.session.get(Auction, auction["id"]).ends_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    resp = _client(app, market.bidders[1]).post(
        f"/api/v1/auctions/{auction['id']}/bids", json={"amount_wan": 105}
    )
    assert resp.get_json()["extensions"] == 1 and resp.get_json()["bids"][1]["extended"] is False


def test_withdrawn_listing_takes_no_bids(app, db, market):
    auction = _create(app, market, mode="listing", reserve_wan=80, increment_wan=None)
    broker = _client(app, market.broker)
    resp = broker.post(f"/api/v1/auctions/{auction['id']}/withdraw", json={})
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "reason"
    resp = broker.post(f"/api/v1/auctions/{auction['id']}/withdraw", json={"reason": "成果方撤回挂牌"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    resp = _client(app, market.bidders[0]).post(
        f"/api/v1/auctions/{auction['id']}/bids", json={"amount_wan": 80}
    )
    assert resp.status_code == 409 and "撤牌" in resp.get_json()["error"]["message"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "auction.withdraw")) is not None
    runner = app.test_cli_runner()
    assert "成交 0，流拍 0" in runner.invoke(args=["auctions", "close-due"]).output


def test_listing_is_taken_at_the_listed_price(app, db, market):
    auction = _create(app, market, mode="listing", reserve_wan=80)
    a, b = (_client(app, u) for u in market.bidders)
    url = f"/api/v1/auctions/{auction['id']}/bids"
    assert a.post(url, json={"amount_wan": 90}).status_code == 400
    resp = a.post(url, json={"amount_wan": 80})
    assert resp.status_code == 201 and resp.get_json()["status"] == "sold"
    assert b.post(url, json={"amount_wan": 80}).status_code == 409
    body = b.get(f"/api/v1/auctions/{auction['id']}").get_json()
    assert body["winner"] == {"organization": "竞买企业0", "price_wan": 80, "bid_seq": 1}
    # Once taken, the broker can no longer withdraw it.
    resp = _client(app, market.broker).post(
        f"/api/v1/auctions/{auction['id']}/withdraw", json={"reason": "x"}
    )
    assert resp.status_code == 409


def test_no_bid_at_reserve_is_unsold(app, db, market):
    auction = _create(app, market)
    row = db.session.get(Auction, auction["id"])
    row.ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = _client(app, market.bidders[0]).post(
        f"/api/v1/auctions/{auction['id']}/bids", json={"amount_wan": 100}
    )
    assert resp.status_code == 409 and "已结束" in resp.get_json()["error"]["message"]
    out = app.test_cli_runner().invoke(args=["auctions", "close-due"]).output
    assert "流拍 1" in out
    body = app.test_client().get(f"/api/v1/auctions/{auction['id']}").get_json()
    assert body["status"] == "unsold" and body["winner"] is None and body["match_id"] is None
    assert db.session.scalar(select(Match)) is None


def test_close_publishes_winner_and_enters_pipeline_at_signing(app, db, market):
    auction = _create(app, market)
    url = f"/api/v1/auctions/{auction['id']}/bids"
    a, b = (_client(app, u) for u in market.bidders)
    assert a.post(url, json={"amount_wan": 100}).status_code == 201
    assert b.post(url, json={"amount_wan": 120}).status_code == 201
    broker = _client(app, market.broker)
    resp = broker.post(f"/api/v1/auctions/{auction['id']}/close")
    assert resp.status_code == 409 and "尚未结束" in resp.get_json()["error"]["message"]
    db.session.get(Auction, auction["id"]).ends_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    out = app.test_cli_runner().invoke(args=["auctions", "close-due"]).output
    assert "成交 1" in out
    body = app.test_client().get(f"/api/v1/auctions/{auction['id']}").get_json()
    assert body["status"] == "sold"
    assert body["winner"] == {"organization": "竞买企业1", "price_wan": 120, "bid_seq": 2}
    match = db.session.get(Match, body["match_id"])
    assert match.stage == "signed" and match.source == "auction"
    assert match.contract.amount_wan == 120 and match.contract.buyer == "竞买企业1"
    assert match.contract.seller == "郑州大学材料学院"
    assert [c.to_stage for c in match.changes] == ["negotiation", "signed"]
    fu = db.session.scalar(select(FollowUp).where(FollowUp.match_id == match.id))
    assert fu.kind == "signing" and fu.broker_id == market.broker.id
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "auction.sold")) is not None
    # The winner is told (成交公示 in the inbox).
    from matchmaker.notifications.models import Notification

    titles = [
        n.title
        for n in db.session.scalars(select(Notification).where(Notification.user_id == market.bidders[1].id))
    ]
    assert any(t.startswith("成交公示") for t in titles)
    # Closing twice changes nothing.
    assert "成交 0" in app.test_cli_runner().invoke(args=["auctions", "close-due"]).output


def test_deposit_required_before_bidding(app, db, market):
    auction = _create(app, market, deposit_required=True)
    a = _client(app, market.bidders[0])
    url = f"/api/v1/auctions/{auction['id']}/bids"
    resp = a.post(url, json={"amount_wan": 100})
    assert resp.status_code == 403 and "保证金" in resp.get_json()["error"]["message"]
    broker = _client(app, market.broker)
    org_id = market.bidders[0].organization_id
    assert (
        broker.post(
            f"/api/v1/auctions/{auction['id']}/deposits", json={"organization_id": org_id}
        ).status_code
        == 201
    )
    assert a.post(url, json={"amount_wan": 100}).status_code == 201


def test_auction_attached_to_roadshow_session(app, db, market):
    from datetime import date, time

    from matchmaker.roadshow.models import Roadshow, Session

    show = Roadshow(title="龙子湖科创路演 2026")
    db.session.add(show)
    db.session.flush()
    sess = Session(
        roadshow_id=show.id,
        title="超硬材料专场",
        city="郑州",
        date=date(2026, 12, 20),
        start_time=time(9),
        end_time=time(12),
    )
    db.session.add(sess)
    db.session.commit()
    auction = _create(app, market, session_id=sess.id)
    assert auction["session_id"] == sess.id
    resp = _client(app, market.broker).post(
        "/api/v1/auctions", json=auction_body(f.result().id, session_id=987654)
    )
    assert resp.status_code == 404 and resp.get_json()["error"]["field"] == "session_id"
