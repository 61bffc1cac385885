"""Auction pages: list, live room, new listing form, Excel export and their permissions."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from matchmaker.extensions import utcnow
from matchmaker.trading import services
from matchmaker.trading.models import Auction
from tests.trading.conftest import auction_body


def _auction(db, market, **kw):
    auction = services.create_auction(db.session, market.broker, auction_body(market.result.id, **kw))
    db.session.commit()
    return auction


def test_list_and_room_render_for_anyone(db, client, market):
    auction = _auction(db, market)
    page = client.get("/trading/auctions").get_data(as_text=True)
    assert market.result.title in page and "竞价中" in page
    room = client.get(f"/trading/auctions/{auction.id}").get_data(as_text=True)
    assert 'data-testid="current-price"' in room and "js/trading.js" in room and "<script>" not in room
    assert "登录</a>后" in room
    assert client.get("/trading/auctions/999").status_code == 404


def test_broker_creates_listing_through_the_form(db, client, login, market):
    login(market.bidders[0])
    assert client.get("/trading/auctions/new").status_code == 403
    login(market.broker)
    ends = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        "/trading/auctions/new",
        data={"result_id": market.result.id, "mode": "listing", "reserve_wan": "0", "ends_at": ends},
    )
    assert resp.status_code == 200 and "挂牌价须大于 0" in resp.get_data(as_text=True)
    resp = client.post(
        "/trading/auctions/new",
        data={"result_id": market.result.id, "mode": "listing", "reserve_wan": "88.5", "ends_at": ends},
    )
    assert resp.status_code == 302
    auction = db.session.query(Auction).one()
    assert auction.mode == "listing" and auction.reserve_wan == 88.5 and auction.increment_wan == 0


def test_excel_export_lists_auctions_and_bids(db, client, login, market):
    auction = _auction(db, market)
    services.place_bid(db.session, auction.id, market.bidders[0], 100)
    db.session.commit()
    services.place_bid(db.session, auction.id, market.bidders[1], 110)
    db.session.commit()
    login(market.bidders[0])
    assert client.get("/trading/auctions/export.xlsx").status_code == 403
    login(market.broker)
    resp = client.get("/trading/auctions/export.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    rows = list(wb["挂牌与竞价"].values)
    assert rows[1][4] == market.result.title and rows[1][13] == 2 and rows[1][14] == 110
    bids = list(wb["出价记录"].values)[1:]
    assert [(b[1], b[2], b[3], b[4]) for b in bids] == [
        (1, "竞买人 1", "竞买企业0", 100),
        (2, "竞买人 2", "竞买企业1", 110),
    ]
