"""One bidding process for the gunicorn race test: signs its bidders in, says `ready`, waits for
`go` on stdin, then each bidder (one thread, one HTTP session) reads the auction and bids the
minimum next price, sometimes one increment more, ROUNDS times. Prints one JSON line per answer.

    python -m tests.trading.race_client URL AUCTION_ID INCREMENT ROUNDS PASSWORD EMAIL...
"""

from __future__ import annotations

import json
import re
import sys
import threading

import requests


def login(url: str, email: str, password: str) -> requests.Session:
    s = requests.Session()
    page = s.get(url + "/login", timeout=120).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = s.post(
        url + "/login",
        data={"email": email, "password": password, "csrf_token": token},
        timeout=120,
        allow_redirects=False,
    )
    assert resp.status_code == 302, resp.text[:300]
    return s


def main(argv: list[str]) -> None:
    url, auction_id, increment, rounds, password, *emails = argv
    path = f"{url}/api/v1/auctions/{auction_id}"
    sessions = [login(url, e, password) for e in emails]
    print("ready", flush=True)
    sys.stdin.readline()
    lock = threading.Lock()

    def run(i: int, s: requests.Session) -> None:
        for r in range(int(rounds)):
            state = s.get(path, timeout=120).json()
            amount = round(state["minimum_bid_wan"] + (float(increment) if (i + r) % 5 == 0 else 0), 2)
            resp = s.post(path + "/bids", json={"amount_wan": amount}, timeout=120)
            with lock:
                print(
                    json.dumps({"code": resp.status_code, "amount": amount, "body": resp.json()}), flush=True
                )

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(sys.argv[1:])
