"""The scenario journey in Chromium at phone width (390×844): an enterprise publishes a
scenario, a small firm applies, the publisher shortlists, starts the pilot and marks the
示范产品; both sides read the same trace page."""

from __future__ import annotations

import re

import pytest

from matchmaker.scenarios.models import Scenario
from tests import factories as f


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_publish_apply_shortlist_pilot_demonstrate_on_a_phone(page, browser_login, app, db):
    f.field("智能制造")
    publisher = f.user("enterprise", f.organization("企业", "浏览器测试重工集团"))
    small = f.user("enterprise", f.organization("企业", "浏览器测试传感科技有限公司"))
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})

    browser_login(publisher)
    page.goto("/scenarios/")
    page.click("text=发布场景")
    page.fill("#title", "矿山装备远程运维试点")
    page.fill("#description", "在洛阳矿山装备生产线开放振动与温度数据，试点故障预测与远程运维方案。")
    page.select_option("#field", "智能制造")
    page.locator("#submit").dblclick()  # the second click carries the same one-time token
    page.wait_for_url(re.compile(r"/scenarios/\d+$"))
    scenario_url = page.url
    assert db.session.query(Scenario).filter_by(title="矿山装备远程运维试点").count() == 1
    assert "矿山装备远程运维试点" in page.content() and _fits(page)

    browser_login(small)
    page.goto(scenario_url)
    page.click("text=申报此场景")
    page.fill("#proposal", "以无线振动传感器与边缘计算盒子实现故障预警，三个月完成试点部署。")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/scenarios/applications/\d+$"))
    trace_url = page.url
    assert page.locator('[data-testid="application-status"]').inner_text() == "已申报"

    browser_login(publisher)
    page.goto(scenario_url)
    assert page.locator('[data-testid="application-row"]').count() == 1
    page.goto(trace_url)
    page.click("button:has-text('入围')")
    page.wait_for_selector('[data-testid="application-status"]:has-text("已入围")')
    page.click("button:has-text('开始试点')")
    page.wait_for_selector('[data-testid="application-status"]:has-text("试点中")')
    page.click("button:has-text('标记为示范产品')")  # a reason is required
    page.wait_for_selector(".alert-danger")
    page.fill("#note", "试点三个月故障预警准确，纳入示范产品目录。")
    page.click("button:has-text('标记为示范产品')")
    page.wait_for_selector('[data-testid="application-status"]:has-text("示范产品")')
    assert _fits(page)

    browser_login(small)
    page.goto(trace_url)
    steps = page.locator('[data-testid="trace"] li').all_inner_texts()
    assert [s.split(" · ")[0] for s in steps] == ["已申报", "已入围", "试点中", "示范产品"]
    assert "纳入示范产品目录" in steps[-1]
    assert not page.locator("button:has-text('入围')").count()  # only the publisher decides
    assert _fits(page)
