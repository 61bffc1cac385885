"""Registration, login, lockout, security headers and the audit log."""

from sqlalchemy import select

from matchmaker.accounts.models import AuditLog, Organization, User
from tests import factories


def test_register_creates_organization_and_first_user(client, db):
    resp = client.post(
        "/register",
        data={
            "role": "enterprise",
            "org_name": "郑州测试机械有限公司",
            "org_type": "企业",
            "region": "郑州",
            "name": "王工",
            "email": "wang@example.cn",
            "password": "Abcdef12345",
            "password2": "Abcdef12345",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "wang@example.cn"))
    assert user.role == "enterprise"
    assert user.organization.name == "郑州测试机械有限公司"
    assert user.password_hash != "Abcdef12345"


def test_register_form_defaults_org_type_to_match_default_role(client, db):
    """默认身份是企业，机构类型默认也须是“企业”，否则照填即报错。"""
    html = client.get("/register").get_data(as_text=True)
    assert '<option selected value="企业">' in html or '<option value="企业" selected>' in html


def test_weak_password_is_rejected_and_nothing_saved(client, db):
    resp = client.post(
        "/register",
        data={
            "role": "enterprise",
            "org_name": "弱密码公司",
            "org_type": "企业",
            "region": "郑州",
            "name": "李工",
            "email": "li@example.cn",
            "password": "short",
            "password2": "short",
        },
    )
    assert resp.status_code == 200
    assert "密码至少 10 位" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Organization).where(Organization.name == "弱密码公司")) is None


def test_account_locks_after_repeated_failures(client, db, app):
    user = factories.user("enterprise")
    db.session.commit()
    for _ in range(app.config["MAX_FAILED_LOGINS"]):
        last = client.post("/login", data={"email": user.email, "password": "wrong-password1"})
    assert "分钟后再试" in last.get_data(as_text=True)  # the locking attempt says how long
    resp = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert resp.status_code == 200
    assert "锁定" in resp.get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "account_locked" in actions


def test_login_is_audited_and_headers_are_set(client, db, login):
    user = factories.user("researcher")
    db.session.commit()
    login(user)
    resp = client.get("/mine")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "login", AuditLog.user_id == user.id))


def test_idle_session_times_out(client, db, login, app):
    user = factories.user("enterprise")
    db.session.commit()
    login(user)
    with client.session_transaction() as sess:
        sess["last_seen"] -= int(app.config["IDLE_TIMEOUT"].total_seconds()) + 5
    resp = client.get("/mine")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
