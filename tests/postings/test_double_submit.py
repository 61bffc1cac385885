"""Create forms carry a one-time token: a second submission of the same form shows the first record."""

import re

import pytest
from sqlalchemy import func, select

from matchmaker.postings.models import Need

FORM = {
    "title": "防重复提交的技术需求",
    "description": "同一张表单提交两次，只应产生一条需求。",
    "field": "高端装备制造",
    "status": "open",
}


def _count(db):
    return db.session.scalar(select(func.count(Need.id)).where(Need.title == FORM["title"]))


def test_same_token_twice_makes_one_need(client, login, people, db):
    login(people["enterprise"])
    page = client.get("/needs/new").get_data(as_text=True)
    token = re.search(r'name="submit_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    first = client.post("/needs/new", data=FORM | {"submit_token": token})
    second = client.post("/needs/new", data=FORM | {"submit_token": token}, follow_redirects=True)
    assert first.status_code == 302 and _count(db) == 1
    assert second.request.path == first.headers["Location"]
    assert "已保存过，未重复创建" in second.get_data(as_text=True)
    # A fresh form (a new token) is a new need.
    other = client.get("/needs/new").get_data(as_text=True)
    assert token not in other
    client.post(
        "/needs/new", data=FORM | {"submit_token": re.search(r'value="([0-9a-f]{32})"', other).group(1)}
    )
    assert _count(db) == 2


@pytest.mark.browser
@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_back_and_save_or_double_click_make_one_need(page, browser_login, people, db, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    browser_login(people["enterprise"])
    page.goto("/needs/new")
    page.fill("#title", FORM["title"])
    page.fill("#description", FORM["description"])
    page.select_option("#field", FORM["field"])
    page.locator("#submit").dblclick()
    page.wait_for_url(re.compile(r"/needs/\d+$"))
    detail = page.url
    page.go_back()
    page.wait_for_url("**/needs/new")
    page.fill("#title", FORM["title"])  # whatever the browser restored, the same form again
    page.fill("#description", FORM["description"])
    page.select_option("#field", FORM["field"])
    page.click("#submit")
    page.wait_for_url(re.compile(r"/needs/\d+$"))
    assert page.url == detail
    db.session.expire_all()
    assert _count(db) == 1
