"""Sessions are revoked server-side (会话吊销): a cookie copied before logout no longer works."""

from __future__ import annotations

from tests import factories as f
from tests.factories import PASSWORD


def test_cookie_copied_before_logout_is_dead(app, db):
    user = f.user("enterprise")
    db.session.commit()
    first = app.test_client()
    first.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = first.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/settings").status_code == 200
    first.post("/logout")
    resp = thief.get("/settings")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_logout_elsewhere_ends_other_devices_too(app, db):
    user = f.user("enterprise")
    db.session.commit()
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/login", data={"email": user.email, "password": PASSWORD})
    phone.post("/logout")
    assert laptop.get("/settings").status_code == 302
    laptop.post("/login", data={"email": user.email, "password": PASSWORD})
    assert laptop.get("/settings").status_code == 200
