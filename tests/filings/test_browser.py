"""End to end in Chromium at phone width: a researcher files and submits a result; the admin
accepts it and the registration number appears."""

from __future__ import annotations

import re

import pytest

from tests import factories as f


@pytest.mark.browser
def test_submit_and_accept_on_a_phone(page, browser_login, db, researcher, admin):
    f.field("现代农业")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})

    browser_login(researcher)
    page.goto("/filings/")
    page.click('[data-testid="new-filing"]')
    page.fill("#title", "高效低耗小麦秸秆还田机具")
    page.fill("#summary", "研制低功耗粉碎还田机具，经田间试验作业效率提升三成。")
    page.select_option("#programme", "河南省重点研发专项")
    page.fill("#project_no", "241111110100")
    page.fill("#completers", "张三、李四")
    page.select_option("#category", "应用技术")
    page.select_option("#field", "现代农业")
    page.select_option("#trl", "6")
    page.fill("#patents", "ZL202310000001.2:已授权")
    page.select_option("#transfer_intention", "许可")
    page.click("#submit")  # the completeness check stops it: no acceptance date
    assert "项目验收日期" in page.locator(".alert-danger").inner_text()
    page.fill("#acceptance_date", "2026-06-30")
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/filings/\d+$"))
    assert page.locator('[data-testid="filing-status"]').inner_text() == "已提交"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    url = page.url

    browser_login(admin)
    page.goto(url)
    page.click("button[value=accept]")
    page.wait_for_selector('[data-testid="registration-no"]')
    assert re.fullmatch(
        r"豫成登〔\d{4}〕000001", page.locator('[data-testid="registration-no"]').inner_text()
    )
    assert page.locator('[data-testid="filing-status"]').inner_text() == "已登记"
    assert page.locator('[data-testid="result-link"]').inner_text() == "高效低耗小麦秸秆还田机具"
