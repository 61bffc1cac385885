"""The issue's check as an operator runs it: gunicorn with several web workers on the test
database (SQLite or PostgreSQL through TEST_DATABASE_URL), and 20 bidders posting at once from
several processes. The accepted bids strictly increase by at least the increment, no two share
an amount, and there are exactly as many as 201 answers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from matchmaker.trading.models import Bid
from tests import factories as f
from tests.jobs.conftest import ROOT, Procs, login_session
from tests.trading.conftest import auction_body

PROCESSES, PER_PROCESS, ROUNDS = 4, 5, 3
INCREMENT = 2.5


@pytest.fixture
def procs(app, database_url, tmp_path):
    p = Procs(app, database_url, tmp_path)
    yield p
    p.stop_all()


@pytest.mark.slow
def test_twenty_bidders_in_four_processes_against_three_gunicorn_workers(app, db, market, procs):
    users = [
        f.user("enterprise", org=f.organization("企业", name=f"进程竞买企业{i}"), email=f"proc{i}@example.cn")
        for i in range(PROCESSES * PER_PROCESS)
    ]
    db.session.commit()
    url = procs.start_web(workers=3)
    broker = login_session(url, market.broker.email, f.PASSWORD)
    resp = broker.post(
        url + "/api/v1/auctions", json=auction_body(market.result.id, increment_wan=INCREMENT), timeout=120
    )
    assert resp.status_code == 201, resp.text
    auction_id = resp.json()["id"]

    clients = []
    for k in range(PROCESSES):
        emails = [u.email for u in users[k * PER_PROCESS : (k + 1) * PER_PROCESS]]
        clients.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.trading.race_client", url, str(auction_id), str(INCREMENT)]
                + [str(ROUNDS), f.PASSWORD, *emails],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for c in clients:  # every bidder signed in before anyone bids
            assert c.stdout.readline().strip() == "ready"
        for c in clients:
            c.stdin.write("go\n")
            c.stdin.flush()
        answers = []
        for c in clients:
            out, _ = c.communicate(timeout=600)
            assert c.returncode == 0
            answers += [json.loads(line) for line in out.splitlines() if line.strip()]
    finally:
        for c in clients:
            if c.poll() is None:
                c.kill()
    assert len(answers) == PROCESSES * PER_PROCESS * ROUNDS
    codes = [a["code"] for a in answers]
    assert set(codes) <= {201, 409}, [a for a in answers if a["code"] not in (201, 409)][:3]
    for a in answers:
        if a["code"] == 409:
            assert a["body"]["error"]["field"] == "amount_wan" and a["body"]["error"]["message"]
    accepted = codes.count(201)
    assert accepted >= ROUNDS  # contention refuses many, never all
    assert len(procs.pids(2)) >= 2  # more than one web worker was serving

    final = broker.get(f"{url}/api/v1/auctions/{auction_id}", timeout=120).json()
    amounts = [b["amount_wan"] for b in final["bids"]]
    assert len(amounts) == accepted == final["bid_count"]
    assert len(set(amounts)) == len(amounts)
    assert amounts[0] >= 100
    assert all(
        round((b - a) * 100) >= round(INCREMENT * 100) for a, b in zip(amounts, amounts[1:], strict=False)
    )
    assert sorted(a["amount"] for a in answers if a["code"] == 201) == sorted(amounts)
    db.session.expire_all()
    assert len(db.session.scalars(select(Bid).where(Bid.auction_id == auction_id)).all()) == accepted
