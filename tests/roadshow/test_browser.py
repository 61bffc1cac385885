"""Browser flow: a broker plans and releases; an enterprise sees its agenda and gets the .ics."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from playwright.sync_api import expect


@pytest.mark.browser
def test_plan_release_agenda_ics(world, page, tmp_path, browser_login):
    roadshow = world["roadshow"]
    browser_login(world["broker"])
    page.goto(f"/roadshow/{roadshow.id}")
    page.fill("input[name=time_limit]", "5")
    page.get_by_test_id("solve").click()
    # Background job: the page polls the status endpoint and reloads with the draft.
    page.get_by_test_id("solve-stats").wait_for(timeout=60000)
    assert page.get_by_test_id("talk").count() == 4
    assert "最优解" in page.get_by_test_id("solve-stats").inner_text()
    # Live conflict warning: move a talk onto another talk's slot (not saved).
    first = page.locator("form.js-place").nth(0)
    second = page.locator("form.js-place").nth(1)
    first.locator("input[name=room]").fill(second.locator("input[name=room]").input_value())
    first.locator("input[name=start]").fill(second.locator("input[name=start]").input_value())
    first.locator("input[name=start]").dispatch_event("change")
    expect(first.locator(".js-warnings")).to_contain_text("冲突")
    page.on("dialog", lambda d: d.accept())
    page.get_by_test_id("publish").click()
    page.wait_for_url(f"**/roadshow/{roadshow.id}/timetable")
    assert "金刚石线锯高效切割技术" in page.content()
    page.locator("nav form button[type=submit]").click()  # 退出

    browser_login(world["enterprises"][0])
    page.goto(f"/roadshow/{roadshow.id}/agenda")
    items = page.get_by_test_id("agenda-item")
    assert items.count() >= 1
    assert "金刚石线锯高效切割技术" in items.first.inner_text()
    with page.expect_download() as info:
        page.get_by_test_id("agenda-ics").click()
    path = tmp_path / "agenda.ics"
    info.value.save_as(path)
    cal = Calendar.from_ical(path.read_bytes())
    assert len(list(cal.walk("VEVENT"))) == items.count()
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Asia/Shanghai"
