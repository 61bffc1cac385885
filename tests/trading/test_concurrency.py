"""20 bidders posting concurrently to a live server (threads, one session each).

Runs on the test database: on PostgreSQL (TEST_DATABASE_URL) it exercises SELECT … FOR UPDATE,
on SQLite the write-locking transaction. Either way the final state must be consistent: bids
strictly increase by at least the increment, no amount repeats, and every 201 is one bid.
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog
from matchmaker.trading.models import Bid
from tests import factories as f
from tests.trading.conftest import auction_body

BIDDERS = 20
ROUNDS = 4


class Bidder:
    def __init__(self, base: str, email: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        data = urllib.parse.urlencode({"email": email, "password": f.PASSWORD}).encode()
        self.opener.open(f"{base}/login", data=data, timeout=30).read()

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        req = urllib.request.Request(
            f"{self.base}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def test_twenty_concurrent_bidders_keep_a_consistent_ladder(app, db, market, live_server):
    users = [
        f.user("enterprise", org=f.organization("企业", name=f"并发竞买企业{i}"), email=f"race{i}@example.cn")
        for i in range(BIDDERS)
    ]
    db.session.commit()
    broker = Bidder(live_server, market.broker.email)
    status, auction = broker.call(
        "POST", "/api/v1/auctions", auction_body(market.result.id, increment_wan=2.5)
    )
    assert status == 201, auction
    path = f"/api/v1/auctions/{auction['id']}"
    clients = [Bidder(live_server, u.email) for u in users]
    answers: list[tuple[int, dict, float]] = []
    lock = threading.Lock()
    start = threading.Barrier(BIDDERS)

    def run(client: Bidder, i: int):
        start.wait()
        for r in range(ROUNDS):
            _, state = client.call("GET", path)
            # Everyone aims at the same next price; some also jump, to mix amounts.
            amount = state["minimum_bid_wan"] + (2.5 if (i + r) % 5 == 0 else 0)
            code, body = client.call("POST", f"{path}/bids", {"amount_wan": amount})
            with lock:
                answers.append((code, body, amount))

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(answers) == BIDDERS * ROUNDS
    codes = [c for c, _, _ in answers]
    assert set(codes) <= {201, 409}, [b for c, b, _ in answers if c not in (201, 409)][:3]
    for code, body, _ in answers:
        if code == 409:
            assert body["error"]["field"] == "amount_wan" and body["error"]["message"]
    accepted = codes.count(201)
    assert accepted >= ROUNDS  # contention refuses many, never all

    _, final = broker.call("GET", path)
    bids = final["bids"]
    assert len(bids) == accepted == final["bid_count"]
    amounts = [b["amount_wan"] for b in bids]
    assert len(set(amounts)) == len(amounts)
    assert amounts[0] >= 100
    assert all(round((b - a) * 100) >= 250 for a, b in zip(amounts, amounts[1:], strict=False))
    assert [b["seq"] for b in bids] == list(range(1, accepted + 1))
    stamps = [datetime.fromisoformat(b["at"].rstrip("Z")) for b in bids]
    assert stamps == sorted(stamps)
    assert final["current_wan"] == amounts[-1]
    # The amounts of the 201 answers are exactly the stored ladder: none lost, none duplicated.
    assert sorted(a for c, _, a in answers if c == 201) == sorted(amounts)
    db.session.expire_all()
    assert len(db.session.scalars(select(Bid)).all()) == accepted
    audited = db.session.scalars(
        select(AuditLog).where(AuditLog.action.in_(["auction.bid", "auction.bid_rejected"]))
    ).all()
    assert len(audited) == BIDDERS * ROUNDS
