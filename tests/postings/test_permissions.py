"""Who may do what with postings: every forbidden action answers 403 and is audited."""

import pytest
from sqlalchemy import select

from matchmaker.accounts.models import AuditLog, Organization
from matchmaker.postings.models import Expert, Need, Result
from tests import factories

VALID = {
    "result": {
        "title": "新型数控机床热误差补偿方法",
        "description": "基于温度测点的热误差实时补偿技术说明。",
        "field": "高端装备制造",
        "maturity": "中试",
        "region": "郑州",
        "status": "published",
    },
    "need": {
        "title": "零件尺寸随温度漂移的问题",
        "description": "上午和下午加工尺寸相差十几微米，希望解决。",
        "field": "高端装备制造",
        "region": "郑州",
        "status": "open",
    },
    "expert": {"name": "赵教授", "research_areas": "精密加工", "bio": "精密加工专家。"},
}
PLURAL = {"result": "results", "need": "needs", "expert": "experts"}
MODELS = {"result": Result, "need": Need, "expert": Expert}


@pytest.mark.parametrize(
    "kind,allowed",
    [
        ("result", {"researcher"}),
        ("need", {"enterprise"}),
        ("expert", {"researcher"}),
    ],
)
@pytest.mark.parametrize("role", ["researcher", "enterprise"])
def test_only_the_right_role_creates(client, login, people, db, kind, allowed, role):
    login(people[role])
    resp = client.post(f"/{PLURAL[kind]}/new", data={**VALID[kind], "organization": "别人的机构"})
    if role in allowed:
        assert resp.status_code == 302
        model = MODELS[kind]
        obj = db.session.scalars(select(model).order_by(model.id.desc())).first()
        # Their own organisation, whatever the form says.
        assert obj.organization_id == people[role].organization_id
    else:
        assert resp.status_code == 403


@pytest.mark.parametrize("kind", ["result", "need", "expert"])
@pytest.mark.parametrize("role", ["broker", "admin"])
def test_staff_post_on_behalf_of_a_named_organisation(client, login, people, db, kind, role):
    login(people[role])
    resp = client.post(f"/{PLURAL[kind]}/new", data=VALID[kind])
    assert resp.status_code == 200 and "代为发布时须填写发布机构名称" in resp.get_data(as_text=True)
    resp = client.post(f"/{PLURAL[kind]}/new", data={**VALID[kind], "organization": "代发测试有限公司"})
    assert resp.status_code == 302
    model = MODELS[kind]
    obj = db.session.scalar(select(model).join(Organization).where(Organization.name == "代发测试有限公司"))
    assert obj is not None and obj.organization.type == ("企业" if kind == "need" else "高校")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "posting_create"))
    assert entry.user_id == people[role].id and entry.target == f"{kind}:{obj.id}"


def test_anonymous_is_sent_to_login(client, people):
    for url in ("/results/new", "/needs/new", f"/results/{people['result'].id}/edit"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = client.post(f"/needs/{people['need'].id}/delete")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


EDITORS = {
    "result": {"researcher", "colleague", "broker", "admin"},
    "need": {"enterprise", "broker", "admin"},
    "expert": {"researcher", "colleague", "broker", "admin"},
}
ROLES = ["researcher", "colleague", "other_researcher", "enterprise", "other_enterprise", "broker", "admin"]


@pytest.mark.parametrize("kind", ["result", "need", "expert"])
@pytest.mark.parametrize("who", ROLES)
def test_edit_permissions(client, login, people, db, kind, who):
    obj = people[kind]
    login(people[who])
    url = f"/{PLURAL[kind]}/{obj.id}/edit"
    resp = client.get(url)
    if who in EDITORS[kind]:
        assert resp.status_code == 200
    else:
        assert resp.status_code == 403
        assert "无权" in resp.get_data(as_text=True)
        denial = db.session.scalar(select(AuditLog).where(AuditLog.action == "permission_denied"))
        assert denial.user_id == people[who].id and url in denial.target


FORBIDDEN = [(kind, who) for kind in EDITORS for who in ROLES if who not in EDITORS[kind]]


@pytest.mark.parametrize("kind,who", FORBIDDEN)
@pytest.mark.parametrize("action", ["archive", "delete"])
def test_forbidden_archive_and_delete_change_nothing(client, login, people, db, kind, action, who):
    obj = people[kind]
    status_before = obj.status
    login(people[who])
    resp = client.post(f"/{PLURAL[kind]}/{obj.id}/{action}")
    assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(MODELS[kind], obj.id).status == status_before


@pytest.mark.parametrize("who", ["researcher", "broker", "admin"])
def test_editors_archive_and_delete_results(client, login, people, db, who):
    login(people[who])
    rid = people["result"].id
    assert client.post(f"/results/{rid}/archive").status_code == 302
    db.session.expire_all()
    assert db.session.get(Result, rid).status == "archived"
    assert client.post(f"/results/{rid}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Result, rid) is None


def test_staff_edits_of_others_postings_are_audited(client, login, people, db):
    login(people["broker"])
    client.post(f"/needs/{people['need'].id}/archive")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "posting_archive"))
    assert entry.user_id == people["broker"].id and entry.target == f"need:{people['need'].id}"


def test_delete_archives_when_a_reviewed_match_exists(client, login, people, db):
    from matchmaker.review.models import Match

    db.session.add(
        Match(need_id=people["need"].id, result_id=people["result"].id, score=0.5, decision="accept")
    )
    db.session.commit()
    login(people["researcher"])
    resp = client.post(f"/results/{people['result'].id}/delete", follow_redirects=True)
    assert "已改为归档" in resp.get_data(as_text=True)
    assert db.session.get(Result, people["result"].id).status == "archived"


@pytest.mark.parametrize(
    "who,sees",
    [
        (None, False),
        ("researcher", True),
        ("colleague", True),
        ("other_researcher", False),
        ("enterprise", False),
        ("broker", True),
        ("admin", True),
    ],
)
def test_result_contact_is_gated(client, login, people, who, sees):
    if who:
        login(people[who])
    html = client.get(f"/results/{people['result'].id}").get_data(as_text=True)
    assert ("0371-11112222" in html) is sees
    assert ('data-testid="contact-hidden"' in html) is (not sees)


@pytest.mark.parametrize(
    "who,sees",
    [
        (None, False),
        ("enterprise", True),
        ("other_enterprise", False),
        ("researcher", False),
        ("broker", True),
        ("admin", True),
    ],
)
def test_need_contact_is_gated(client, login, people, who, sees):
    if who:
        login(people[who])
    assert ("13912345678" in client.get(f"/needs/{people['need'].id}").get_data(as_text=True)) is sees


@pytest.mark.parametrize(
    "who,sees",
    [
        (None, False),
        ("colleague", True),
        ("other_researcher", False),
        ("enterprise", False),
        ("broker", True),
    ],
)
def test_expert_contact_is_gated(client, login, people, who, sees):
    if who:
        login(people[who])
    assert ("0371-33334444" in client.get(f"/experts/{people['expert'].id}").get_data(as_text=True)) is sees


def test_drafts_are_hidden_from_other_organisations(client, login, people, db):
    draft = factories.result(
        title="尚未公开的草稿成果标题", org=people["result"].organization, status="draft"
    )
    db.session.commit()
    assert client.get(f"/results/{draft.id}").status_code == 403
    assert "尚未公开的草稿成果标题" not in client.get("/results?status=draft").get_data(as_text=True)
    login(people["other_researcher"])
    assert client.get(f"/results/{draft.id}").status_code == 403
    login(people["colleague"])
    assert client.get(f"/results/{draft.id}").status_code == 200
    assert "尚未公开的草稿成果标题" in client.get("/results?status=draft").get_data(as_text=True)
    login(people["broker"])
    assert client.get(f"/results/{draft.id}").status_code == 200
