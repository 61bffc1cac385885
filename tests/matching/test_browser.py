"""The search page in a real browser, on a phone-sized and a laptop-sized screen."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 800}])
def test_search_from_the_search_page(page, corpus, viewport):
    page.set_viewport_size(viewport)
    page.goto("/matching/")
    page.fill("input[name=q]", "機床熱誤差")
    page.select_option("select[name=kind]", "result")
    page.click("button[type=submit]")
    first = page.locator("[data-testid=match-item]").first
    first.wait_for()
    assert "数控机床主轴热误差建模与实时补偿" in first.inner_text()
    assert first.locator("mark").count() > 0
    assert "相关度" in first.locator("[data-testid=explanation]").inner_text()
    assert "相关度" in first.locator("[data-testid=relevance]").inner_text()
    # the best-answering sentence of the result is highlighted
    assert "热误差" in first.locator("[data-testid=best-sentence]").inner_text()
