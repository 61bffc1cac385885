"""Everyday pages in Chromium at phone and laptop size: long titles wrap, markup shows escaped,
times read as Beijing time."""

from datetime import datetime

import pytest

from tests import factories

LONG = "超" + "A" * 199  # 200 characters and not one space


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.browser
@pytest.mark.parametrize("size", [(390, 844), (1280, 800)])
def test_long_unbroken_title_wraps_on_detail_list_and_search(page, people, db, size):
    result = factories.result(LONG, description="机床热误差补偿 " + "B" * 300)
    factories.result("<img src=x onerror=alert(1)>热误差补偿", keywords=["热误差"])
    db.session.commit()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    for url in (f"/results/{result.id}", "/results", f"/matching/?kind=result&q={LONG}"):
        page.goto(url)
        assert _page_width(page) == size[0], url
    page.goto("/results")
    # Markup is displayed as typed (escaped), never run.
    assert "<img src=x onerror=alert(1)>热误差补偿" in page.locator("body").inner_text()
    assert page.locator("main img").count() == 0


@pytest.mark.browser
def test_times_show_as_beijing_time(page, people, db):
    need = people["need"]
    need.updated_at = datetime(2026, 3, 1, 8, 20)  # stored UTC
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/needs/{need.id}")
    body = page.locator("body").inner_text()
    assert "2026-03-01 16:20" in body and "2026-03-01 08:20" not in body
