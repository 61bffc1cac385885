"""Permission matrix of a contact request: who may view, accept, decline and post messages."""

from __future__ import annotations

from matchmaker.contact import services
from tests import factories as f

# role → (view, accept, decline, message after consent)
EXPECTED = {
    "requester": (True, False, False, True),
    "owner": (True, True, True, True),
    "broker_in_scope": (True, True, False, False),
    "broker_out_of_scope": (False, False, False, False),
    "outsider": (False, False, False, False),
    "anonymous": (False, False, False, False),
}


def test_contact_request_permission_matrix(db, parties, app):
    p = parties
    users = {
        "requester": p.enterprise,
        "owner": p.researcher,
        "broker_in_scope": p.broker,
        "broker_out_of_scope": f.user("broker", broker_regions=["洛阳"]),
        "outsider": p.outsider,
        "anonymous": None,
    }
    db.session.commit()
    clients = {}
    for role, user in users.items():
        c = app.test_client()
        if user is not None:
            assert c.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
        clients[role] = c
    problems = []
    for role, expected in EXPECTED.items():
        c = clients[role]
        asker = p.enterprise
        if role == "outsider":
            asker = f.user("enterprise")  # someone else asks; the outsider only looks on

        def ask():
            req = services.create_request(db.session, asker, p.result, "x", daily_limit=0)
            db.session.commit()
            return req, f"/api/v1/contact-requests/{req.id}"

        first, base = ask()
        got_view = c.get(base).status_code == 200
        got_decline = c.post(f"{base}/decline", json={}).status_code == 200
        first.status = "withdrawn"
        db.session.commit()
        second, base = ask()
        got_accept = c.post(f"{base}/accept").status_code == 200
        db.session.refresh(second)
        if second.status == "pending":
            services.accept(db.session, second, p.researcher)
            db.session.commit()
        got_message = c.post(f"{base}/messages", json={"body": "你好"}).status_code == 201
        second.status = "withdrawn"
        db.session.commit()
        got = (got_view, got_accept, got_decline, got_message)
        if got != expected:
            problems.append(f"{role}: {got} != {expected}")
    assert not problems, "\n".join(problems)
