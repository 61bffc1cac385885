"""Browser journey: 我要对接 on a result → the university accepts → messages both ways."""

from __future__ import annotations

import pytest

from tests.contact.conftest import ENT_PHONE, RESULT_PHONE


@pytest.mark.browser
def test_contact_accept_message(page, parties, browser_login):
    p = parties
    browser_login(p.enterprise)
    page.goto(f"/results/{p.result.id}")
    assert RESULT_PHONE not in page.content()
    page.click("[data-testid=contact-box] summary")
    page.fill("#contact-message", "希望以许可方式引进，用于齿轮箱壳体加工")
    page.click("[data-testid=contact-box] button[type=submit]")
    page.wait_for_selector("[data-testid=contact-status]")
    assert "待对方答复" in page.inner_text("[data-testid=contact-status]")
    assert RESULT_PHONE not in page.content()

    browser_login(p.researcher)
    page.goto("/inbox")
    page.click("text=希望对接您的科技成果")
    page.wait_for_selector("[data-testid=contact-answer]")
    assert ENT_PHONE not in page.content()
    page.click("[data-testid=contact-answer] >> text=同意对接")
    page.wait_for_selector("#message-body")
    assert ENT_PHONE in page.content()
    page.fill("#message-body", "欢迎下周来实验室看样机")
    page.click("form[action$='/messages'] button[type=submit]")
    page.wait_for_selector("[data-testid=message]")

    browser_login(p.enterprise)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/contact/")
    page.click("[data-testid=contact-list] a")
    assert "已同意对接" in page.inner_text("[data-testid=contact-status]")
    assert "欢迎下周来实验室看样机" in page.inner_text("[data-testid=messages]")
    assert RESULT_PHONE in page.content()
    # Nothing is wider than the phone screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
