"""Admin area: admins only, every action audited, bad input shows an error and saves nothing."""

import re

import pytest
from sqlalchemy import func, select

from matchmaker.accounts.models import AuditLog, User
from matchmaker.postings.models import Field, Need
from tests.postings.conftest import field_errors

PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/fields", "/admin/audit"]


def audited(db, action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


@pytest.mark.parametrize("who", ["researcher", "enterprise", "broker"])
def test_non_admins_get_403(client, login, people, who):
    login(people[who])
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/users/{people['admin'].id}/active", data={"active": "0"}).status_code == 403
    assert client.post("/admin/fields", data={"name": "偷加领域"}).status_code == 403


def test_anonymous_goes_to_login(client, people):
    resp = client.get("/admin/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_dashboard_shows_figures_and_chart_data(client, login, people):
    login(people["admin"])
    html = client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="figure-needs">1<' in html
    assert html.count('class="admin-chart"') == 2 and "chart.umd.min.js" in html and "js/admin.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts


def test_create_broker_is_audited(client, login, people, db):
    login(people["admin"])
    resp = client.post(
        "/admin/users/new",
        data={
            "role": "broker",
            "name": "周经纪",
            "email": "zhou@example.cn",
            "org_name": "新乡技术转移中心",
            "org_type": "技术转移机构",
            "region": "新乡",
            "password": "Broker12345",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "zhou@example.cn"))
    assert user.role == "broker" and user.organization.type == "技术转移机构"
    assert user.check_password("Broker12345")
    [entry] = audited(db, "admin_create_user")
    assert entry.user_id == people["admin"].id and entry.target == f"user:{user.id}"


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"password": "short"}, "password", "密码至少 10 位"),
        ({"email": "dup"}, "email", "邮箱格式不正确"),
        ({"name": ""}, "name", "请输入姓名"),
    ],
)
def test_bad_user_input_saves_nothing(client, login, people, db, change, field, message):
    login(people["admin"])
    before = db.session.scalar(select(func.count(User.id)))
    data = {
        "role": "admin",
        "name": "新管理员",
        "email": "new@example.cn",
        "org_name": "河南省科学技术厅",
        "org_type": "政府部门",
        "region": "郑州",
        "password": "Admin123456",
        **change,
    }
    resp = client.post("/admin/users/new", data=data)
    assert resp.status_code == 200
    assert message in field_errors(resp)[field]
    assert db.session.scalar(select(func.count(User.id))) == before
    assert not audited(db, "admin_create_user")


def test_duplicate_email_is_refused(client, login, people, db):
    login(people["admin"])
    resp = client.post(
        "/admin/users/new",
        data={
            "role": "broker",
            "name": "重复",
            "email": people["broker"].email,
            "org_name": "某中心",
            "org_type": "技术转移机构",
            "region": "郑州",
            "password": "Broker12345",
        },
    )
    assert "该邮箱已注册" in resp.get_data(as_text=True)


def test_disable_enable_and_unlock(client, login, people, db, app):
    target = people["enterprise"]
    login(people["admin"])
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(User, target.id).active is False
    other = app.test_client()
    resp = other.post("/login", data={"email": target.email, "password": "Passw0rd-Test"})
    assert "账号已停用" in resp.get_data(as_text=True)
    client.post(f"/admin/users/{target.id}/active", data={"active": "1"})
    for _ in range(app.config["MAX_FAILED_LOGINS"]):
        other.post("/login", data={"email": target.email, "password": "wrong-password"})
    locked = other.post("/login", data={"email": target.email, "password": "Passw0rd-Test"})
    assert locked.status_code == 200 and "已暂时锁定" in locked.get_data(as_text=True)
    assert "已锁定" in client.get("/admin/users").get_data(as_text=True)
    client.post(f"/admin/users/{target.id}/unlock")
    assert "已锁定" not in client.get("/admin/users").get_data(as_text=True)
    assert other.post("/login", data={"email": target.email, "password": "Passw0rd-Test"}).status_code == 302
    assert [
        len(audited(db, a)) for a in ("admin_disable_user", "admin_enable_user", "admin_unlock_user")
    ] == [1, 1, 1]


def test_admin_cannot_disable_self(client, login, people, db):
    login(people["admin"])
    resp = client.post(
        f"/admin/users/{people['admin'].id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "不能停用自己的账号" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, people["admin"].id).active


def test_broker_scope(client, login, people, db):
    login(people["admin"])
    broker = people["broker"]
    resp = client.post(
        f"/admin/users/{broker.id}/scope",
        data={"broker_fields": ["人工智能", "无人机"], "broker_regions": ["洛阳"]},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    broker = db.session.get(User, broker.id)
    assert broker.broker_fields == ["人工智能", "无人机"] and broker.broker_regions == ["洛阳"]
    [entry] = audited(db, "admin_broker_scope")
    assert "人工智能" in entry.detail
    resp = client.post(f"/admin/users/{broker.id}/scope", data={"broker_fields": ["火星农业"]})
    assert resp.status_code == 200 and "不存在" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, broker.id).broker_fields == ["人工智能", "无人机"]
    assert client.get(f"/admin/users/{people['enterprise'].id}/scope").status_code == 404


def test_taxonomy_add_rename_deactivate(client, login, people, db):
    login(people["admin"])
    assert (
        client.post(
            "/admin/fields", data={"name": "低空经济", "description": "低空飞行服务", "related": ["无人机"]}
        ).status_code
        == 302
    )
    new = db.session.scalar(select(Field).where(Field.name == "低空经济"))
    assert new.related == ["无人机"] and new.active
    resp = client.post("/admin/fields", data={"name": "无人机"})
    assert "已存在" in resp.get_data(as_text=True)

    drone = db.session.scalar(select(Field).where(Field.name == "无人机"))
    resp = client.post(
        f"/admin/fields/{drone.id}",
        data={"name": "无人机与低空", "description": "改名", "active": "y", "related": ["智能传感"]},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Field, new.id).related == ["无人机与低空"]  # related names follow the rename

    ai = db.session.scalar(select(Field).where(Field.name == "人工智能"))
    client.post(f"/admin/fields/{ai.id}", data={"name": "人工智能", "related": []})  # active unticked
    db.session.expire_all()
    assert db.session.get(Field, ai.id).active is False
    login(people["enterprise"])
    form = client.get("/needs/new").get_data(as_text=True)
    assert 'value="人工智能"' not in form and 'value="无人机与低空"' in form
    assert len(audited(db, "admin_add_field")) == 1 and len(audited(db, "admin_update_field")) == 2


def test_audit_log_viewer_filters(client, login, people, db):
    login(people["admin"])
    client.post(f"/admin/users/{people['enterprise'].id}/unlock")
    html = client.get("/admin/audit?action=admin_unlock_user").get_data(as_text=True)
    rows = re.findall(r"<tr><td class=\"text-nowrap\">", html)
    assert len(rows) == 1 and f"user:{people['enterprise'].id}" in html
    html = client.get(f"/admin/audit?user={people['admin'].email}").get_data(as_text=True)
    assert "admin_unlock_user" in html and "login" in html
    html = client.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录" in html
    assert "格式应为" in client.get("/admin/audit?since=昨天").get_data(as_text=True)


def test_audit_log_shows_chinese_action_names(client, login, people, db):
    login(people["admin"])
    client.post(f"/admin/users/{people['enterprise'].id}/unlock")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert '<td title="admin_unlock_user">解锁账号</td>' in html
    assert '<option value="login" >登录</option>' in html or ">登录</option>" in html


def test_create_user_cli(app, db, fields):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "ops@example.cn",
            "--name",
            "运维管理员",
            "--role",
            "admin",
            "--org",
            "河南省科学技术厅",
            "--org-type",
            "政府部门",
            "--region",
            "郑州",
            "--password",
            "Opsadmin123",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ops@example.cn"))
    assert user.role == "admin" and user.check_password("Opsadmin123")
    assert audited(db, "admin_create_user")
    bad = app.test_cli_runner().invoke(
        args=["create-user", "--email", "x@example.cn", "--name", "x", "--org", "某", "--password", "weak"]
    )
    assert bad.exit_code == 1 and "密码至少 10 位" in bad.output


def test_dashboard_counts_follow_the_data(client, login, people, db):
    db.session.get(Need, people["need"].id).status = "closed"
    db.session.commit()
    login(people["admin"])
    assert 'data-testid="figure-needs">0<' in client.get("/admin/").get_data(as_text=True)
