"""The site renders in real Chromium without CSP violations or script errors."""

import pytest

pytestmark = pytest.mark.browser


def test_home_and_login_render_without_console_errors(page, live_server):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    assert "技术转移撮合平台" in page.title()
    page.goto("/login")
    page.get_by_label("邮箱").fill("nobody@example.cn")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("邮箱或密码错误").is_visible()
    # Mobile width: the menu collapses behind the toggler and opens (Bootstrap JS served locally).
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    page.get_by_label("菜单").click()
    page.get_by_role("link", name="科技成果").wait_for(state="visible")
    assert errors == []
