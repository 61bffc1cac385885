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


def _box_widths(page, selector: str) -> list[float]:
    return [box["width"] for box in (el.bounding_box() for el in page.locator(selector).all()) if box]


@pytest.mark.browser
def test_timetable_grid_on_laptop_phone_and_print(planned, page):
    """会场 × 时间 grid on a laptop and in print; stacked by room, legible, on a 390 px phone."""
    roadshow = planned["roadshow"]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/roadshow/{roadshow.id}/timetable")
    grid = page.get_by_test_id("timetable-grid")
    expect(grid).to_be_visible()
    expect(page.get_by_test_id("timetable-stacked")).to_be_hidden()
    assert grid.locator("thead th").all_inner_texts() == ["时间", "A厅", "B厅"]
    assert page.get_by_test_id("grid-talk").count() == 4
    # 20-minute talks on a 10-minute grid span two rows; both rooms are packed from 09:00.
    spans = page.get_by_test_id("grid-talk").evaluate_all("cells => cells.map(c => c.rowSpan)")
    assert spans == [2, 2, 2, 2]
    assert grid.locator("tbody tr").first.locator("td.rs-talk").count() == 2
    assert min(_box_widths(page, "[data-testid=grid-talk]")) > 300

    page.emulate_media(media="print")
    expect(grid).to_be_visible()
    expect(page.get_by_test_id("timetable-stacked")).to_be_hidden()
    expect(page.locator("nav").first).to_be_hidden()
    page.emulate_media(media="screen")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(grid).to_be_hidden()
    stacked = page.get_by_test_id("timetable-stacked")
    expect(stacked).to_be_visible()
    assert stacked.locator(".card-header").all_inner_texts() == ["A厅", "B厅"]
    assert page.get_by_test_id("stacked-talk").count() == 4
    # No column squeezed to a character per line, and nothing wider than the screen.
    assert min(_box_widths(page, "[data-testid=stacked-talk]")) > 300
    title = page.get_by_test_id("stacked-talk").first.locator(".fw-semibold")
    assert title.bounding_box()["height"] < 3 * 24  # a 12-character title takes one or two lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
