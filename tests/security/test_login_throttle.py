"""Login throttling (登录限速) in the database: per account and address, and per address;
no account enumeration, and no stranger can lock someone else out."""

from __future__ import annotations

from matchmaker.accounts.services import IP_FAILURE_LIMIT
from tests import factories as f
from tests.factories import PASSWORD


def _try(client, email, password="wrong-password1", ip="10.0.0.1"):
    resp = client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )
    return resp.status_code, resp.get_data(as_text=True)


def test_known_and_unknown_accounts_answer_alike(client, db, app):
    user = f.user("enterprise")
    db.session.commit()
    limit = app.config["MAX_FAILED_LOGINS"]
    known = [_try(client, user.email)[1] for _ in range(limit + 1)]
    unknown = [_try(client, "nobody@example.cn")[1] for _ in range(limit + 1)]
    for k, u in zip(known, unknown, strict=True):
        assert ("邮箱或密码错误" in k) == ("邮箱或密码错误" in u)
        assert ("分钟后再试" in k) == ("分钟后再试" in u)
    assert "分钟后再试" in known[-1]


def test_stranger_cannot_lock_the_owner_out(client, db, app):
    admin = f.user("admin")
    db.session.commit()
    for _ in range(app.config["MAX_FAILED_LOGINS"] + 2):
        _try(client, admin.email, ip="10.6.6.6")
    assert "分钟后再试" in _try(client, admin.email, password=PASSWORD, ip="10.6.6.6")[1]
    status, _ = _try(client, admin.email, password=PASSWORD, ip="10.1.2.3")
    assert status == 302


def test_one_address_is_throttled_across_accounts(client, db):
    user = f.user("enterprise")
    db.session.commit()
    for i in range(IP_FAILURE_LIMIT):
        _try(client, f"guess{i}@example.cn", ip="10.9.9.9")
    assert "分钟后再试" in _try(client, user.email, password=PASSWORD, ip="10.9.9.9")[1]
    assert _try(client, user.email, password=PASSWORD, ip="10.9.9.10")[0] == 302
