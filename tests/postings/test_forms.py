"""Create/edit forms: bad input shows a Chinese error beside the field and saves nothing;
lists filter, search and page."""

import re

import pytest
from sqlalchemy import func, select

from matchmaker.postings.models import Expert, Need, Result
from tests import factories
from tests.postings.conftest import field_errors as errors

GOOD_RESULT = {
    "title": "高效金刚石线锯切割工艺",
    "description": "面向光伏硅片的细线化金刚石线锯切割工艺，损耗降低三成。",
    "field": "超硬材料",
    "maturity": "产业化",
    "region": "郑州",
    "status": "published",
    "keywords": "金刚石线锯、光伏,切割",
    "transfer_modes": ["许可", "技术服务"],
    "price_wan": "80.5",
    "patent_numbers": "ZL2021001、ZL2021002",
    "team": "超硬材料团队",
    "contact_name": "孙老师",
    "contact_phone": "0371-1234567",
    "contact_email": "sun@example.cn",
}
GOOD_NEED = {
    "title": "速冻水饺冻裂率高",
    "description": "冷链运输后冻裂率达到百分之五，希望改进配方或工艺。",
    "field": "食品加工",
    "region": "漯河",
    "status": "open",
    "budget_wan": "20",
    "deadline": "2027-06-30",
    "keywords": "速冻，冻裂",
}


def count(db, model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_valid_result_is_saved_with_lists_parsed(client, login, people, db):
    login(people["researcher"])
    resp = client.post("/results/new", data=GOOD_RESULT)
    assert resp.status_code == 302
    obj = db.session.scalar(select(Result).where(Result.title == GOOD_RESULT["title"]))
    assert obj.keywords == ["金刚石线锯", "光伏", "切割"]
    assert obj.transfer_modes == ["许可", "技术服务"]
    assert obj.patent_numbers == ["ZL2021001", "ZL2021002"]
    assert obj.price_wan == 80.5 and obj.field.name == "超硬材料"
    assert obj.organization_id == people["researcher"].organization_id
    assert obj.owner_id == people["researcher"].id
    assert resp.headers["Location"].endswith(f"/results/{obj.id}")


@pytest.mark.parametrize(
    "kind,change,field,message",
    [
        ("result", {"title": ""}, "title", "标题不能为空"),
        ("result", {"description": ""}, "description", "描述不能为空"),
        ("result", {"field": ""}, "field", "请选择领域"),
        ("result", {"field": "不存在的领域"}, "field", "不在分类目录中"),
        ("result", {"maturity": "量产"}, "maturity", "成熟度“量产”无效"),
        ("result", {"price_wan": "-5"}, "price_wan", "不能为负数"),
        ("result", {"price_wan": "八十万"}, "price_wan", "须为数字"),
        ("result", {"transfer_modes": ["赠送"]}, "transfer_modes", "合作方式“赠送”无效"),
        ("result", {"contact_email": "not-an-email"}, "contact_email", "联系邮箱格式不正确"),
        ("result", {"region": "北京"}, "region", "地区“北京”无效"),
        ("need", {"budget_wan": "-1"}, "budget_wan", "预算不能为负数"),
        ("need", {"deadline": "2027-13-45"}, "deadline", "YYYY-MM-DD"),
        ("need", {"title": "短"}, "title", "标题至少 4 字"),
    ],
)
def test_bad_input_shows_error_and_saves_nothing(client, login, people, db, kind, change, field, message):
    model, good, who = (
        (Result, GOOD_RESULT, "researcher") if kind == "result" else (Need, GOOD_NEED, "enterprise")
    )
    login(people[who])
    before = count(db, model)
    resp = client.post(f"/{kind}s/new", data={**good, **change})
    assert resp.status_code == 200
    assert message in errors(resp).get(field, ""), errors(resp)
    assert "提交的内容有误" in resp.get_data(as_text=True)
    assert count(db, model) == before


def test_valid_need_gets_deadline_and_organisation(client, login, people, db):
    login(people["enterprise"])
    assert client.post("/needs/new", data=GOOD_NEED).status_code == 302
    need = db.session.scalar(select(Need).where(Need.title == GOOD_NEED["title"]))
    assert need.deadline.isoformat() == "2027-06-30" and need.budget_wan == 20
    assert need.keywords == ["速冻", "冻裂"] and need.status == "open"
    assert need.organization_id == people["enterprise"].organization_id


def test_failed_edit_keeps_stored_values(client, login, people, db):
    need = people["need"]
    title = need.title
    login(people["enterprise"])
    resp = client.post(
        f"/needs/{need.id}/edit", data={**GOOD_NEED, "title": "新的需求标题", "budget_wan": "-3"}
    )
    assert resp.status_code == 200 and "预算不能为负数" in errors(resp)["budget_wan"]
    db.session.expire_all()
    assert db.session.get(Need, need.id).title == title


def test_edit_form_shows_lists_as_text_and_saves(client, login, people, db):
    result = people["result"]
    result.keywords = ["热误差", "补偿"]
    db.session.commit()
    login(people["researcher"])
    html = client.get(f"/results/{result.id}/edit").get_data(as_text=True)
    assert 'value="热误差、补偿"' in html
    resp = client.post(f"/results/{result.id}/edit", data={**GOOD_RESULT, "title": "改过的成果标题"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Result, result.id).title == "改过的成果标题"


def test_expert_form_links_own_results_only(client, login, people, db):
    foreign = factories.result(title="别的学校的成果标题", org=people["other_researcher"].organization)
    db.session.commit()
    login(people["researcher"])
    resp = client.post(
        "/experts/new",
        data={
            "name": "钱教授",
            "title": "教授",
            "field": "高端装备制造",
            "research_areas": "机床、误差",
            "bio": "简介",
            "results": [str(people["result"].id), str(foreign.id)],
        },
    )
    assert resp.status_code == 302
    expert = db.session.scalar(select(Expert).where(Expert.name == "钱教授"))
    assert [r.id for r in expert.results] == [people["result"].id]
    assert expert.research_areas == ["机床", "误差"]


def test_archived_posting_leaves_public_list(client, login, people):
    title = people["need"].title
    assert title in client.get("/needs").get_data(as_text=True)
    login(people["enterprise"])
    client.post(f"/needs/{people['need'].id}/archive")
    assert title not in client.get("/needs").get_data(as_text=True)
    assert title in client.get("/needs?status=closed").get_data(as_text=True)


def test_list_filters_and_keyword_search(client, people, db):
    factories.result(title="小麦抗赤霉病育种技术", field_name="种业创新", region="新乡", maturity="小试")
    factories.result(
        title="玉米制种去雄机械",
        description="机械化去雄，降低人工成本。",
        field_name="种业创新",
        region="郑州",
        maturity="产业化",
    )
    db.session.commit()

    def titles(query):
        html = client.get("/results" + query).get_data(as_text=True)
        return set(re.findall(r'class="posting-title">([^<]+)<', html))

    assert titles("?field=种业创新") == {"小麦抗赤霉病育种技术", "玉米制种去雄机械"}
    assert titles("?field=种业创新&region=新乡") == {"小麦抗赤霉病育种技术"}
    assert titles("?maturity=产业化") == {"玉米制种去雄机械"}
    assert titles("?q=人工成本") == {"玉米制种去雄机械"}  # found in the description
    assert titles("?q=赤霉") == {"小麦抗赤霉病育种技术"}
    assert titles("?q=100%") == set()  # LIKE wildcards are literal
    resp = client.get("/results?region=北京")
    assert resp.status_code == 200 and "地区“北京”无效" in resp.get_data(as_text=True)


def test_pagination(client, app, people, db):
    for i in range(app.config["PAGE_SIZE"] + 3):
        factories.need(title=f"分页测试需求第{i:02d}号", field_name="新能源")
    db.session.commit()
    first = client.get("/needs?field=新能源").get_data(as_text=True)
    second = client.get("/needs?field=新能源&page=2").get_data(as_text=True)
    assert first.count('posting-title">分页测试需求') == app.config["PAGE_SIZE"]
    assert second.count('posting-title">分页测试需求') == 3
    assert "第 2 / 2 页" in second
    assert client.get("/needs?page=abc").status_code == 200
    past = client.get("/needs?field=新能源&page=99").get_data(as_text=True)  # past the end: the last page
    assert "第 2 / 2 页" in past and past.count('posting-title">分页测试需求') == 3


def test_detail_pages_render(client, people):
    for url in (
        f"/results/{people['result'].id}",
        f"/needs/{people['need'].id}",
        f"/experts/{people['expert'].id}",
        "/experts",
        "/experts?q=张",
    ):
        assert client.get(url).status_code == 200
    assert client.get("/results/999999").status_code == 404
