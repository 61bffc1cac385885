"""Browser flow: a broker accepts from the queue, both sides confirm, contacts appear."""

from __future__ import annotations

import pytest

from tests.review.conftest import NEED_PHONE, RESULT_PHONE


@pytest.mark.browser
def test_broker_accepts_parties_confirm_contact_appears(page, deal, browser_login):
    browser_login(deal.broker)
    page.goto("/review/")
    row = page.locator(f".match-row[data-match-id='{deal.match.id}']")
    assert deal.need.title in row.inner_text()
    # Keyboard: the first row is selected on load; "a" accepts it.
    page.locator(".match-row").first.focus()
    page.keyboard.press("a")
    page.wait_for_selector(".alert-success")
    assert "已通过 1 条撮合" in page.inner_text(".alert-success")

    browser_login(deal.enterprise)
    page.goto("/review/mine")
    card = page.locator(f"[data-testid=my-match][data-match-id='{deal.match.id}']")
    assert "双方确认对接意向后可见" in card.inner_text()
    assert RESULT_PHONE not in page.content()
    card.locator("[data-testid=confirm]").click()
    page.wait_for_selector(".alert-success")
    assert RESULT_PHONE not in page.content()

    browser_login(deal.researcher)
    page.goto("/review/mine")
    assert NEED_PHONE not in page.content()
    page.locator(f"[data-testid=my-match][data-match-id='{deal.match.id}'] [data-testid=confirm]").click()
    page.wait_for_selector(".alert-success")
    assert NEED_PHONE in page.inner_text(f"[data-testid=my-match][data-match-id='{deal.match.id}']")

    browser_login(deal.enterprise)
    page.goto("/review/mine")
    assert RESULT_PHONE in page.inner_text("[data-testid=contact-phone]")

    # The broker moves the deal to 签约 with an amount.
    browser_login(deal.broker)
    page.goto(f"/review/match/{deal.match.id}")
    page.select_option("select[name=to_stage]", "signed")
    page.select_option("select[name=contract_type]", "license")
    page.fill("input[name=amount_wan]", "60")
    page.click("[data-testid=advance]")
    page.wait_for_selector("[data-testid=contract]")
    assert "60 万元" in page.inner_text("[data-testid=amount]")
    assert "签约" in page.inner_text("[data-testid=stage]")
