"""The dashboard in Chromium at phone size (390×844): every chart draws on its canvas, the page
fits the screen, and a bar of the funnel leads to the records behind it."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_charts_render_on_a_phone(page, browser_login, world):
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(world.admin)
    page.goto("/dashboards/")
    canvases = page.locator("canvas.dashboards-chart")
    assert canvases.count() == 7  # funnel, heat map, three durations, centres, activity
    page.wait_for_function(
        "Array.from(document.querySelectorAll('canvas.dashboards-chart')).every(c => c.dataset.rendered)"
    )
    # Chart.js registered a chart on each canvas, and it has a drawn size.
    assert page.evaluate(
        "Array.from(document.querySelectorAll('canvas.dashboards-chart'))"
        ".every(c => Chart.getChart(c) && c.width > 0 && c.height > 0)"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.get_by_test_id("efficiency").inner_text() == "20.0%"
    page.get_by_test_id("funnel-contact").click()
    page.wait_for_url("**/dashboards/records/funnel?*")
    assert page.get_by_test_id("drill-total").inner_text() == "2"
