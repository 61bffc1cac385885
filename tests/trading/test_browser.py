"""The live auction room in Chromium: two bidders in two browser contexts outbid each other
and each sees the other's bid appear without reloading."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from matchmaker.trading import services
from tests.factories import PASSWORD
from tests.trading.conftest import auction_body

pytestmark = pytest.mark.browser


def _sign_in(browser, live_server, user, **ctx):
    context = browser.new_context(base_url=live_server, locale="zh-CN", **ctx)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def test_two_bidders_see_each_other_live(db, market, browser, live_server):
    auction = services.create_auction(db.session, market.broker, auction_body(market.result.id))
    db.session.commit()
    ctx_a, a = _sign_in(browser, live_server, market.bidders[0])
    # The second bidder is on a phone.
    ctx_b, b = _sign_in(browser, live_server, market.bidders[1], viewport={"width": 390, "height": 844})
    csp_errors = []
    for p in (a, b):
        p.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
        p.goto(f"/trading/auctions/{auction.id}")
        expect(p.get_by_test_id("time-left")).to_contain_text(":")
        expect(p.get_by_test_id("minimum-bid")).to_have_text("100")

    a.get_by_role("button", name="出价").click()
    expect(a.get_by_test_id("bid-ok")).to_contain_text("100")
    # B never reloads: the poll brings A's bid in.
    expect(b.get_by_test_id("current-price")).to_have_text("100")
    expect(b.get_by_test_id("bids")).to_contain_text("竞买人 1")
    expect(b.get_by_test_id("minimum-bid")).to_have_text("105")

    b.fill("#bid-amount", "103")
    b.get_by_role("button", name="出价").click()
    expect(b.get_by_test_id("bid-error")).to_contain_text("至少为 105")
    b.fill("#bid-amount", "120")
    b.get_by_role("button", name="出价").click()
    expect(b.get_by_test_id("bid-ok")).to_contain_text("120")
    expect(a.get_by_test_id("current-price")).to_have_text("120")
    expect(a.get_by_test_id("bid-count")).to_have_text("2")
    expect(a.get_by_test_id("bids").locator("li").first).to_contain_text("120")
    # A's stale input (105) is now too low: the server says so.
    a.fill("#bid-amount", "110")
    a.get_by_role("button", name="出价").click()
    expect(a.get_by_test_id("bid-error")).to_contain_text("至少为 125")
    assert a.evaluate("document.documentElement.scrollWidth") <= a.viewport_size["width"] + 1
    assert b.evaluate("document.documentElement.scrollWidth") <= 391
    assert csp_errors == []
    ctx_a.close()
    ctx_b.close()


def test_transfer_office_records_rights_on_a_phone(db, market, page, browser_login):
    """赋权 journey: from the result page to the form, a wrong sum shown beside its field, then saved."""
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(market.seller)
    page.goto(f"/results/{market.result.id}")
    page.get_by_test_id("rights-link").click()
    page.select_option("select[name=ownership_mode]", "personal")
    page.fill("textarea[name=inventor_shares]", "张三 60\n李四 30")
    page.get_by_role("button", name="保存权属").click()
    expect(page.locator('[data-field-error="inventor_shares"]')).to_contain_text("现为 90%")
    page.fill("textarea[name=inventor_shares]", "张三 60\n李四 40")
    page.check("input[name=separately_managed]")
    page.fill("input[name=carrier_company]", "郑州金刚石科技有限公司")
    page.get_by_role("button", name="保存权属").click()
    expect(page.locator("body")).to_contain_text("权属信息已保存")
    expect(page.locator("body")).to_contain_text(
        "当前：赋权个人所有 · 单列管理 · 产业化公司 郑州金刚石科技有限公司"
    )
