"""Only same-site relative `next` targets (开放重定向): parsed, not string-matched."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from matchmaker.security import safe_next
from tests import factories as f
from tests.factories import PASSWORD

EVIL = [
    "%2F%09%2Fevil.example",
    "//evil.example",
    "%2F%5Cevil.example",
    "%5C%5Cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%2F%0A%2Fevil.example",
    "%2F%0D%2Fevil.example",
    "%20//evil.example",
    "/%E3%80%80/evil.example",
]


def _lands_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and not location.startswith("//")


@pytest.mark.parametrize("raw", EVIL)
def test_login_next_never_leaves_the_site(client, db, raw):
    user = f.user("enterprise")
    db.session.commit()
    resp = client.post(f"/login?next={raw}", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    assert _lands_on_site(resp.headers["Location"]), resp.headers["Location"]
    assert "evil" not in resp.headers["Location"]


def test_login_next_keeps_a_local_path(client, db):
    user = f.user("enterprise")
    db.session.commit()
    resp = client.post("/login?next=/settings%3Fa%3D1", data={"email": user.email, "password": PASSWORD})
    assert resp.headers["Location"] == "/settings?a=1"


def test_review_decide_next_never_leaves_the_site(as_user, db):
    broker = f.user("broker")
    db.session.commit()
    resp = as_user(broker).post("/review/decide", data={"next": "/\t/evil.example", "decision": "accept"})
    assert resp.status_code == 302
    assert "evil" not in resp.headers["Location"]


@pytest.mark.parametrize(
    "target,ok",
    [
        ("/needs/1", True),
        ("/review/?status=pending", True),
        ("/\x00/x", False),
        ("/\\evil", False),
        ("", False),
    ],
)
def test_safe_next(target, ok):
    assert (safe_next(target, "/home") == target) is ok
