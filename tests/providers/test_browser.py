"""End to end in Chromium at phone width (390 px): a result's 下一步 panel, a service request
accepted and completed by the provider, and the owner raising the result's level."""

from __future__ import annotations

import re

import pytest

from matchmaker.providers.models import Provider
from tests import factories as f


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
def test_next_step_request_and_level_raise_on_a_phone(page, browser_login, app, db):
    lab = f.organization("高校", "浏览器测试大学")
    base = f.organization("企业", "浏览器测试中试基地")
    researcher = f.user("researcher", lab)
    staff = f.user("enterprise", base)
    result = f.result(
        "高导热金刚石铜复合热沉材料",
        "金刚石颗粒与铜基体复合的高导热热沉材料，已完成实验室样品。",
        field_name="超硬材料",
        org=lab,
        maturity="小试",
    )
    db.session.add(
        Provider(
            external_id="PVB1",
            name="浏览器测试超硬材料中试基地",
            type="中试基地",
            description="超硬材料与复合材料的工艺放大、批次稳定性验证与样品试制。",
            field=f.field("超硬材料"),
            stage_from=4,
            stage_to=7,
            capabilities=["工艺放大", "样品试制"],
            organization=base,
            owner=staff,
        )
    )
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})

    browser_login(researcher)
    page.goto(f"/results/{result.id}")
    assert "TRL 4 级" in page.locator("#result-trl").inner_text()
    panel = page.locator('[data-testid="next-steps"]')
    assert "浏览器测试超硬材料中试基地" in panel.inner_text()
    assert _fits(page)
    panel.locator("text=申请服务").first.click()
    page.fill("#message", "希望完成百克级样品的工艺放大与热导率批次验证")
    page.click("#submit")
    page.wait_for_url("**/providers/requests/*")
    req_url = page.url
    assert page.locator('[data-testid="request-status"]').inner_text() == "已申请"

    browser_login(staff)
    page.goto(req_url)
    page.fill("#reply", "已排期，下周开始")
    page.click("text=受理")
    page.wait_for_selector('[data-testid="request-status"]:has-text("已受理")')
    page.click("text=服务完成")
    page.wait_for_selector('[data-testid="request-status"]:has-text("已完成")')
    assert _fits(page)

    browser_login(researcher)
    page.goto(req_url)
    page.select_option("#trl", "6")
    page.fill("#trl_evidence", "中试总结报告 ZS-2026-01")
    page.click("text=提升就绪度")
    page.wait_for_selector("text=技术就绪度已提升到 TRL 6")
    page.goto(f"/results/{result.id}")
    assert "TRL 6 级" in page.locator("#result-trl").inner_text()
    page.goto("/providers/")
    assert page.locator('[data-testid="provider-row"]').count() == 1 and _fits(page)
    page.goto("/scenarios/")
    assert _fits(page)


@pytest.mark.browser
def test_register_and_edit_a_provider_on_a_phone(page, browser_login, app, db):
    f.field("新能源")
    broker = f.user("broker")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(broker)
    page.goto("/providers/")
    page.click("text=登记服务机构")
    page.fill("#organization", "浏览器测试概念验证中心")
    page.fill("#name", "浏览器测试概念验证中心")
    page.select_option("#type", "概念验证中心")
    page.fill("#description", "面向电池材料的概念验证与原理样机试制服务。")
    page.select_option("#field", "新能源")
    page.select_option("#stage_from", "3")
    page.select_option("#stage_to", "2")
    page.click("#submit")
    assert "起始级别不能高于结束级别" in page.locator('[data-field-error="stage_to"]').inner_text()
    assert _fits(page)
    page.select_option("#stage_to", "5")
    page.locator("#submit").dblclick()  # the second click carries the same one-time token
    page.wait_for_url(re.compile(r"/providers/\d+$"))
    assert "服务 TRL 3–5 级" in page.content()
    db.session.expire_all()
    assert db.session.query(Provider).filter_by(name="浏览器测试概念验证中心").count() == 1
    page.click("text=编辑")
    page.fill("#lead_time_days", "45")
    page.click("#submit")
    page.wait_for_selector("text=修改已保存")
    assert "约 45 天" in page.content() and _fits(page)
