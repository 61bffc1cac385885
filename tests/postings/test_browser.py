"""End to end in Debian's Chromium: register as an enterprise, post a need, see it listed."""

import pytest


@pytest.mark.browser
def test_enterprise_registers_posts_a_need_and_finds_it(page, fields):
    page.goto("/register")
    page.select_option("#role", "enterprise")
    page.fill("#org_name", "郑州浏览器测试机械有限公司")
    page.select_option("#org_type", "企业")
    page.select_option("#region", "郑州")
    page.fill("#name", "王工")
    page.fill("#email", "browser@example.cn")
    page.fill("#password", "Browser12345")
    page.fill("#password2", "Browser12345")
    page.click("#submit")
    page.wait_for_url("**/mine")

    page.click("text=发布技术需求")
    page.wait_for_url("**/needs/new")
    # First a mistake: a negative budget is refused beside the field, nothing is saved.
    page.fill("#title", "机床加工零件上午下午尺寸不一致")
    page.fill(
        "#description", "车间同一台数控机床上午和下午加工的零件尺寸相差十几微米，希望找到稳定加工精度的办法。"
    )
    page.select_option("#field", "高端装备制造")
    page.fill("#budget_wan", "-5")
    page.click("#submit")
    assert page.locator('[data-field-error="budget_wan"]').inner_text() == "预算不能为负数"
    page.fill("#budget_wan", "30")
    page.fill("#keywords", "热误差、加工精度")
    page.click("#submit")
    page.wait_for_url("**/needs/*")
    assert page.locator("h1").inner_text() == "机床加工零件上午下午尺寸不一致"
    # The poster's own organisation sees its contact block.
    assert page.locator('[data-testid="contact"]').count() == 1

    page.goto("/needs")
    listed = page.locator('[data-testid="posting-list"] .posting-title')
    assert "机床加工零件上午下午尺寸不一致" in listed.all_inner_texts()
    page.fill("#q", "尺寸不一致")
    page.click("text=筛选")
    assert page.locator('[data-testid="posting-list"] .posting-title').all_inner_texts() == [
        "机床加工零件上午下午尺寸不一致"
    ]
    page.goto("/mine")
    assert "机床加工零件上午下午尺寸不一致" in page.locator('[data-testid="my-needs"]').inner_text()


@pytest.mark.browser
def test_admin_dashboard_draws_charts_without_csp_errors(page, people):
    problems = []
    # CSP violations show up as console errors; the browser's own favicon probe is not ours.
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: problems.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None,
    )
    page.goto("/login")
    page.fill("#email", people["admin"].email)
    page.fill("#password", "Passw0rd-Test")
    page.click("#submit")
    page.wait_for_url("**/mine")
    page.goto("/admin/")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas.admin-chart'))"
    )
    assert page.evaluate("() => document.querySelectorAll('canvas.admin-chart').length") == 2
    assert problems == []
